// Process crashes: child processes using the core are killed with SIGKILL at seeded points,
// during bursts of appends and during rewrites, and restarted on the same directory (see
// lib/kill.mjs for what each restart checks). The same chains through the Redux and Zustand
// adapters run in packages/integration (adapter-kills.test.ts): the core's tests need only it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { requireBuilt, scratchDir, SEED, tally } from './env.js'
import { runChain, type ChainResult } from './lib/kill.mjs'

const KILLS = Number(process.env.AOF_CRASH_KILLS ?? 3)
const kinds = ['core'] as const
const policies = ['always', 'everysec', 'no'] as const
const modes = ['burst', 'rewrite'] as const
const results: ChainResult[] = []

beforeAll(() => requireBuilt('core'))

afterAll(() => {
  const sum = (k: keyof ChainResult) =>
    results.reduce((n, r) => n + (r[k] as number), 0)
  tally('SIGKILL (fast subset)', {
    chains: results.length,
    kills: sum('kills'),
    ackKills: sum('ackKills'),
    opsKills: sum('opsKills'),
    ackedKills: sum('ackedKills'),
    killsInRewrite: sum('killsInRewrite'),
    killsAtIdle: sum('killsAtIdle'),
    restarts: sum('restarts'),
  })
})

describe.concurrent.each(kinds)(
  '%s, killed with SIGKILL and restarted',
  (kind) => {
    policies.forEach((policy, p) => {
      modes.forEach((mode, m) => {
        const during =
          mode === 'burst'
            ? 'bursts of appends'
            : 'manual and automatic rewrites'
        const promise =
          policy === 'always'
            ? ', including every action acknowledged before the kill'
            : ''
        it(
          `${policy}, during ${during}: every restart holds a prefix of the actions${promise}`,
          { timeout: 120_000 },
          async () => {
            const seed = SEED + kinds.indexOf(kind) * 100 + p * 10 + m
            const r = await runChain({
              kind,
              policy,
              mode,
              seed,
              dir: scratchDir('aof-kill-'),
              kills: KILLS,
            })
            results.push(r)
            expect(r.failures).toEqual([])
            expect(r.kills).toBe(KILLS)
            expect(r.restarts).toBeGreaterThanOrEqual(2)
            // The kills happened while actions were being appended, not before the first one.
            expect(r.maxN).toBeGreaterThan(0)
          },
        )
      })
    })
  },
)

describe('kill points', () => {
  it('some kills landed inside rewrites and inside manifest switches', () => {
    // Runs after the chains above (tests in a file run in order; concurrent ones are awaited).
    const ops = results.flatMap((r) => Object.keys(r.selfKillOps))
    expect(results.reduce((n, r) => n + r.killsInRewrite, 0)).toBeGreaterThan(0)
    expect(ops.some((op) => /rename|manifest|base|rewrite/.test(op))).toBe(true)
  })
})
