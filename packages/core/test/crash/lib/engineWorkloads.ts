// Workloads that drive the real engine on a memory storage for the crash-state checker
// (stateChecker.ts), and the replay that reopens a crashed storage with the engine. Timers are
// vitest's fake ones, so the end-of-turn writes, the once-a-second fdatasync of `everysec`
// and the rewrite's serializer slices run when the workload says, not when the machine does.
import { vi } from 'vitest'
import { openAof } from '../../../src/node.js'
import { readSnapshot, snapshotAction } from '../../../src/record.js'
import type { MemoryStorage } from '../../../src/memoryStorage.js'
import type { Aof, AofOptions, FsyncPolicy } from '../../../src/types.js'
import type { CrashCheck, WorkloadContext } from './stateChecker.js'

type Rec = { v: number }

/** Values a store replays: the base's snapshot expands to the values it holds. */
export function replay(storage: MemoryStorage): unknown[] {
  const aof = openAof({ storage, autoRewritePercentage: 0, onError: () => {} })
  try {
    const out: unknown[] = []
    for (const r of aof.records()) {
      const snap = readSnapshot(r)
      if (snap) out.splice(0, out.length, ...(snap.payload as unknown[]))
      else out.push(r)
    }
    return out
  } finally {
    aof.closeSync()
  }
}

/** Runs the fake timers until `p` settles (a rewrite's slices, a background fdatasync). */
async function until<T>(p: Promise<T>): Promise<T> {
  let done = false
  p.then(
    () => (done = true),
    () => (done = true),
  )
  for (let i = 0; i < 10_000 && !done; i++) await vi.advanceTimersByTimeAsync(1)
  return p
}

/** The end of the current event-loop turn (the turn's write runs). */
const turn = () => vi.advanceTimersByTimeAsync(1)
/** A second passes: everysec's fdatasync is due. */
const second = () => vi.advanceTimersByTimeAsync(1100)

/** An open store on the workload's storage, with the checker told of every append and ack. */
function store(
  ctx: WorkloadContext,
  policy: FsyncPolicy,
  extra: Partial<AofOptions<unknown>> = {},
  initial: Rec[] = [],
) {
  const values: Rec[] = initial.slice()
  const aof: Aof<unknown> = openAof({
    storage: ctx.storage,
    fsync: policy,
    autoRewritePercentage: 0,
    snapshot: () => snapshotAction(values.slice()),
    // Recoveries and failures are the scenarios' point; the checker judges what they left.
    onError: () => {},
    ...extra,
  })
  // On the OPFS name model, the store's creation counts as written back before the workload.
  if (!ctx.storage.durableNames) ctx.storage.settle()
  let next = initial.length
  return {
    aof,
    values,
    /** Appends `n` values; under `always` each is acknowledged when append returns. */
    append(n = 1) {
      for (let k = 0; k < n; k++) {
        const rec = { v: next++ }
        ctx.appended(rec)
        values.push(rec)
        aof.append(rec)
        if (policy === 'always') ctx.acked()
      }
    },
    /** durable(): acknowledges what was appended before the call once it resolves. */
    async durable() {
      const n = ctx.count
      await until(aof.durable())
      ctx.acked(n)
    },
    /** A rewrite with the snapshot of now; once it resolves what it covers is durable. */
    async rewrite(how: 'async' | 'from' = 'async') {
      const n = ctx.count
      const snap = snapshotAction(values.slice())
      const text = JSON.stringify(snap)
      const p =
        how === 'async'
          ? aof.rewrite(snap)
          : aof.rewriteFrom([
              text.slice(0, 9),
              text.slice(9, 30),
              text.slice(30),
            ])
      return { n, done: p }
    },
    async close() {
      await until(aof.close())
      ctx.acked()
    },
  }
}

const recordsUpTo = (n: number): Rec[] =>
  Array.from({ length: n }, (_, v) => ({ v }))

/** Starts a store that a previous run left: `records` values, then `tail` bytes after them. */
export function previousRun(
  records: number,
  tail: string,
): Pick<CrashCheck, 'setup' | 'initial'> {
  const initial = recordsUpTo(records)
  return {
    initial,
    setup(storage) {
      const aof = openAof({
        storage,
        fsync: 'always',
        autoRewritePercentage: 0,
      })
      for (const r of initial) aof.append(r)
      aof.closeSync()
      const incr = [...storage.files().keys()].find((n) =>
        n.endsWith('.incr.aof'),
      )!
      const bytes = storage.files().get(incr)!
      const torn = new TextEncoder().encode(tail)
      const data = new Uint8Array(bytes.length + torn.length)
      data.set(bytes)
      data.set(torn, bytes.length)
      storage.put(incr, data)
      storage.settle()
    },
  }
}

/** The workloads, by scenario name. */
export const workloads: Record<
  string,
  (policy: FsyncPolicy) => Pick<CrashCheck, 'workload' | 'setup' | 'initial'>
> = {
  appends: (policy) => ({
    async workload(ctx) {
      const s = store(ctx, policy)
      for (let burst = 0; burst < 4; burst++) {
        s.append(3)
        await turn()
        if (burst === 1) await s.durable()
        if (burst === 2) {
          s.aof.flush()
          ctx.acked()
        }
      }
      s.append(2)
      await second()
      await s.close()
    },
  }),

  'manual rewrites (rewrite, rewriteFrom, rewriteSync)': (policy) => ({
    async workload(ctx) {
      const s = store(ctx, policy)
      s.append(4)
      await turn()
      const first = await s.rewrite('async')
      s.append(2) // during the rewrite: into the new incr file
      await until(first.done)
      ctx.acked(first.n)
      s.append(3)
      await turn()
      const second = await s.rewrite('from')
      s.append(1)
      await until(second.done)
      ctx.acked(second.n)
      s.append(2)
      const n = ctx.count
      s.aof.rewriteSync(snapshotAction(s.values.slice()))
      ctx.acked(n)
      s.append(1)
      await s.close()
    },
  }),

  'automatic rewrites': (policy) => ({
    async workload(ctx) {
      const s = store(ctx, policy, {
        autoRewritePercentage: 100,
        autoRewriteMinSize: 120,
      })
      for (let i = 0; i < 40 && s.aof.stats().rewrites < 2; i++) {
        s.append(3)
        await turn()
      }
      await until(
        (async () => {
          while (s.aof.stats().rewriteInProgress) await turn()
        })(),
      )
      s.append(2)
      await s.close()
      if (s.aof.stats().rewrites < 2)
        throw new Error('the workload meant two automatic rewrites')
    },
  }),

  'torn-tail recovery': (policy) => ({
    ...previousRun(3, '{"v":99'),
    async workload(ctx) {
      const s = store(ctx, policy, {}, recordsUpTo(3))
      s.append(2)
      await turn()
      await s.durable()
      s.append(2)
      await s.close()
    },
  }),

  'zero-filled tail recovery': (policy) => ({
    ...previousRun(3, '\0\0\0\0\0\0{"v":98}\n'),
    async workload(ctx) {
      const s = store(ctx, policy, {}, recordsUpTo(3))
      s.append(2)
      await turn()
      await s.durable()
      s.append(2)
      await s.close()
    },
  }),

  'failed writes, fdatasyncs and rewrite steps': (policy) => ({
    async workload(ctx) {
      const s = store(ctx, policy)
      const attempt = async (fn: () => unknown) => {
        try {
          await fn()
        } catch {
          // the failure is the point; what it acknowledged is all the checker needs
        }
      }
      s.append(2)
      await turn()
      // A write that leaves part of its bytes, then fails: cut back, retried at the turn's end.
      ctx.storage.inject({
        op: 'write',
        name: /incr/,
        written: 5,
        code: 'ENOSPC',
      })
      await attempt(() => s.append(2))
      await turn()
      await turn()
      await attempt(() => s.durable())
      // A failed fdatasync: durable() rejects; the next one succeeds.
      ctx.storage.inject({ op: 'sync', name: /incr/ })
      await attempt(() => s.append(1))
      await attempt(() => s.durable())
      await attempt(() => s.durable())
      // A rewrite whose base cannot be renamed into place fails and keeps the previous files.
      ctx.storage.inject({ op: 'rename', name: /rewrite/ })
      s.append(2)
      await turn()
      const r = await s.rewrite()
      await attempt(() => until(r.done))
      s.append(1)
      await attempt(() => s.close())
    },
  }),
}
