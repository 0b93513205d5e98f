// Process crashes: child processes using the core are killed with SIGKILL at seeded points,
// during bursts of appends and during rewrites, and restarted on the same directory (see
// lib/kill.mjs for what each restart checks). The same chains through the Redux and Zustand
// adapters run in packages/integration (adapter-kills.test.ts): the core's tests need only it.
import { describe, expect, it } from 'vitest'
import { killSuite } from './killSuite.js'

const results = killSuite('SIGKILL (fast subset)', ['core'], 0)

describe('kill points', () => {
  it('some kills landed inside rewrites and inside manifest switches', () => {
    // Runs after the chains above (tests in a file run in order; concurrent ones are awaited).
    const ops = results.flatMap((r) => Object.keys(r.selfKillOps))
    expect(results.reduce((n, r) => n + r.killsInRewrite, 0)).toBeGreaterThan(0)
    expect(ops.some((op) => /rename|manifest|base|rewrite/.test(op))).toBe(true)
  })
})
