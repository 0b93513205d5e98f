// Power-loss crash states of the real engine on memoryStorage: each scenario runs once under
// fake timers, recording every storage operation; then every crash state the memory model
// allows at every operation boundary is reopened with the engine and checked (it loads; it
// replays a prefix of what was appended; it holds everything acknowledged as durable: under
// `always` every value append returned for, under every policy every value durable(), flush(),
// a finished rewrite or close() covered). Two name models: Node's (syncDir makes names durable)
// and OPFS's (no name is durable until written back; see stateChecker.ts for what is checked).
import {
  afterAll,
  afterEach,
  beforeEach,
  describe,
  expect,
  it,
  vi,
} from 'vitest'
import type { MemoryStorage } from '../../src/memoryStorage.js'
import type { FsyncPolicy } from '../../src/types.js'
import { replay, workloads } from './lib/engineWorkloads.js'
import {
  checkCrashStates,
  explain,
  summary,
  type CrashReport,
} from './lib/stateChecker.js'

const policies: FsyncPolicy[] = ['always', 'everysec', 'no']
const reports: CrashReport[] = []

beforeEach(() => {
  vi.useFakeTimers({
    toFake: [
      'setTimeout',
      'clearTimeout',
      'setInterval',
      'clearInterval',
      'setImmediate',
      'clearImmediate',
      'Date',
    ],
  })
})
afterEach(() => {
  vi.useRealTimers()
})
afterAll(() => {
  for (const r of reports) console.log(summary(r))
})

/** Reopens with real timers (the engine's cron must not pile up on the fake clock). */
const reopen = (storage: MemoryStorage) => {
  vi.useRealTimers()
  return replay(storage)
}

describe.each(Object.keys(workloads))('%s', (scenario) => {
  it.each(policies)(
    'Node name model, fsync %s: every crash state loads a prefix holding every acknowledged value',
    { timeout: 120_000 },
    async (policy) => {
      const report = await checkCrashStates({
        name: `node / ${scenario} / ${policy}`,
        model: { durableNames: true },
        ...workloads[scenario]!(policy),
        replay: reopen,
      })
      reports.push(report)
      expect(explain(report)).toBe('')
      expect(report.states).toBeGreaterThan(10)
    },
  )

  it.each(policies)(
    'OPFS name model, fsync %s: every crash state loads a prefix holding every acknowledged value not lost with a file name',
    { timeout: 120_000 },
    async (policy) => {
      const report = await checkCrashStates({
        name: `opfs / ${scenario} / ${policy}`,
        model: { durableNames: false },
        ...workloads[scenario]!(policy),
        replay: reopen,
      })
      reports.push(report)
      expect(explain(report)).toBe('')
      expect(report.states).toBeGreaterThan(10)
    },
  )
})

describe('the check fails an engine that skips a durability step', () => {
  it('directory syncs that do nothing: acknowledged values are lost or the store does not load', async () => {
    const w =
      workloads['manual rewrites (rewrite, rewriteFrom, rewriteSync)']!(
        'always',
      )
    const report = await checkCrashStates({
      name: 'node / no syncDir',
      ...w,
      workload: (ctx) => {
        ctx.storage.syncDir = () => {}
        return w.workload(ctx)
      },
      replay: reopen,
    })
    expect(report.failures.length).toBeGreaterThan(0)
  })

  it('an incr file whose fdatasync does nothing, under always: acknowledged values are lost', async () => {
    const w = workloads.appends!('always')
    const report = await checkCrashStates({
      name: 'node / no incr fdatasync',
      ...w,
      workload: (ctx) => {
        const open = ctx.storage.open.bind(ctx.storage)
        ctx.storage.open = (name, o) => {
          const f = open(name, o)
          if (name.endsWith('.incr.aof')) f.sync = () => {}
          return f
        }
        return w.workload(ctx)
      },
      replay: reopen,
    })
    expect(report.failures.map((f) => f.problem).join('\n')).toMatch(
      /acknowledged durable/,
    )
  })
})
