// Power loss: each workload runs in a child process with every fs call on its store recorded
// (lib/fsrec.mjs); lib/crashstates.mjs then builds every state a power loss could leave at
// every crash point (after each recorded op), dropping what was not fsynced ('drop') and
// additionally persisting un-fsynced writes partly and out of order ('reorder'). Each state
// must load with openAof's default options as a prefix of the appended records that holds
// every record acknowledged as durable before the crash point, under a manifest that was
// written whole.
import * as path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import * as core from '../../src/index.js'
import { requireBuilt, scratchDir, SEED, tally } from './env.js'
import { explore, recordTrace, type ExploreResult } from './lib/crashstates.mjs'

requireBuilt('core')

/** States per crash point above which they are sampled instead of enumerated. */
const CAP = {
  drop: Number(process.env.AOF_CRASH_CAP_DROP ?? 64),
  reorder: Number(process.env.AOF_CRASH_CAP_REORDER ?? 12),
}
const PAD = Number(process.env.AOF_CRASH_PAD ?? 1000)
const policies = ['always', 'everysec', 'no'] as const
const workloads = {
  append: 'an append sequence (bursts, a batch, flush, close and reopen)',
  rewrite:
    'a manual rewrite and a rewriteSync, with appends landing during the rewrite',
  auto: 'automatic rewrites, with appends landing during them',
} as const
const totals: (ExploreResult & { trace: string })[] = []

afterAll(() => {
  for (const mode of ['drop', 'reorder'] as const) {
    const rs = totals.filter((r) => r.mode === mode)
    const sum = (
      k:
        'points' | 'exhaustivePoints' | 'sampledPoints' | 'states' | 'distinct',
    ) => rs.reduce((n, r) => n + r[k], 0)
    tally(`power loss, ${mode}`, {
      traces: rs.length,
      crashPoints: sum('points'),
      enumeratedInFull: sum('exhaustivePoints'),
      sampled: sum('sampledPoints'),
      states: sum('states'),
      distinctStatesChecked: sum('distinct'),
      cap: CAP[mode],
    })
  }
})

describe.each(Object.keys(workloads) as (keyof typeof workloads)[])(
  'power loss during %s',
  (workload) => {
    policies.forEach((policy, p) => {
      it(
        `${policy}: ${workloads[workload]} loads as a prefix holding every durable record, at every crash point`,
        { timeout: 120_000 },
        () => {
          const base = scratchDir('aof-power-', true)
          const dir = path.join(base, 'store')
          const seed = SEED + p
          const ops = recordTrace({
            dir,
            traceFile: path.join(base, 'trace.jsonl'),
            policy,
            workload,
            seed,
            pad: PAD,
          })
          for (const mode of ['drop', 'reorder'] as const) {
            const r = explore({
              core,
              ops,
              dir,
              mode,
              cap: CAP[mode],
              seed,
              scratch: scratchDir('aof-states-', true),
            })
            totals.push({ ...r, trace: `${workload}/${policy}` })
            expect(r.failures).toEqual([])
            expect(r.points).toBeGreaterThan(10)
            // Some states must differ from the plain process-crash state, or nothing was tested.
            expect(r.distinct).toBeGreaterThan(r.points / 2)
          }
          if (workload !== 'append') {
            // The trace really holds a rewrite: a base renamed into place and the manifest switched.
            expect(
              ops.some(
                (o) => o.op === 'rename' && /\.base\.aof$/.test(String(o.to)),
              ),
            ).toBe(true)
          }
        },
      )
    })
  },
)
