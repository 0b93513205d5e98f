// Process crashes through the adapters: child processes with a Redux store and a Zustand store
// (the built packages, imported by name as an app would) are killed with SIGKILL at seeded
// points, during bursts of dispatches/sets and during rewrites, and restarted on the same
// directory. The harness is the core's (packages/core/test/crash/lib/kill.mjs).
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  requireBuilt,
  scratchDir,
  SEED,
  tally,
} from '../../core/test/crash/env.js'
import { runChain, type ChainResult } from '../../core/test/crash/lib/kill.mjs'

const KILLS = Number(process.env.AOF_CRASH_KILLS ?? 3)
const kinds = ['redux', 'zustand'] as const
const policies = ['always', 'everysec', 'no'] as const
const modes = ['burst', 'rewrite'] as const
const results: ChainResult[] = []

beforeAll(() => requireBuilt('core', 'redux', 'zustand'))

afterAll(() => {
  const sum = (k: keyof ChainResult) =>
    results.reduce((n, r) => n + (r[k] as number), 0)
  tally('SIGKILL through the adapters (fast subset)', {
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
            const seed = SEED + (kinds.indexOf(kind) + 1) * 100 + p * 10 + m
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
