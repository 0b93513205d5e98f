// The SIGKILL chains as a vitest suite, for the kinds of app a test file names: the core's own
// test runs `core`, packages/integration runs `redux` and `zustand` (the built adapters).
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { requireBuilt, scratchDir, SEED, tally } from './env.js'
import { runChain, type ChainOptions, type ChainResult } from './lib/kill.mjs'

const KILLS = Number(process.env.AOF_CRASH_KILLS ?? 3)
const policies = ['always', 'everysec', 'no'] as const
const modes = ['burst', 'rewrite'] as const

/**
 * Runs a chain per kind, fsync policy and mode: an app appending (in bursts, or while manual
 * and automatic rewrites run) is killed with SIGKILL at seeded points and restarted on the same
 * directory (see lib/kill.mjs for what each restart checks). Returns the results, filled in as
 * the chains finish, for checks of the file's own.
 */
export function killSuite(
  title: string,
  kinds: ChainOptions['kind'][],
  seedBase: number,
): ChainResult[] {
  const results: ChainResult[] = []
  beforeAll(() => requireBuilt('core', ...kinds.filter((k) => k !== 'core')))
  afterAll(() => {
    const sum = (k: keyof ChainResult) =>
      results.reduce((n, r) => n + (r[k] as number), 0)
    tally(title, {
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
              const r = await runChain({
                kind,
                policy,
                mode,
                seed: SEED + seedBase + kinds.indexOf(kind) * 100 + p * 10 + m,
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
  return results
}
