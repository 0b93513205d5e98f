// The crash-state checker checked on a toy log over the storage port: a correct toy passes, and
// each missing durability step (an fdatasync, a directory sync, a sync before a rename) is
// found. The engine's own crash-state runs are in memoryCrash.test.ts.
import { describe, expect, it } from 'vitest'
import type { MemoryStorage } from '../../src/memoryStorage.js'
import {
  checkCrashStates,
  explain,
  summary,
  type WorkloadContext,
} from './lib/stateChecker.js'

const enc = new TextEncoder()
const dec = new TextDecoder()
const rw = { write: true, create: true }

interface ToyOptions {
  syncAppends?: boolean
  syncDirOnCreate?: boolean
  syncBeforeRename?: boolean
}

/** A one-file log: JSON lines appended at a tracked offset; compaction rewrites it by rename. */
function toyOpen(storage: MemoryStorage, o: ToyOptions) {
  storage.prepare()
  const lock = storage.lock()
  const created = storage.stat('log') === null
  let f = storage.open('log', rw)
  if (created && o.syncDirOnCreate !== false) {
    f.sync()
    storage.syncDir()
  }
  let at = f.size()
  const writeAll = (file: typeof f, bytes: Uint8Array, pos: number) => {
    for (let done = 0; done < bytes.length;)
      done += file.write(bytes.subarray(done), pos + done)
  }
  return {
    append(v: unknown) {
      const bytes = enc.encode(JSON.stringify(v) + '\n')
      writeAll(f, bytes, at)
      at += bytes.length
      if (o.syncAppends !== false) f.sync()
    },
    compact(values: unknown[]) {
      f.sync()
      f.close()
      const t = storage.open('log.tmp', rw)
      const bytes = enc.encode(
        values.map((v) => JSON.stringify(v) + '\n').join(''),
      )
      writeAll(t, bytes, 0)
      if (o.syncBeforeRename !== false) t.sync()
      t.close()
      storage.rename('log.tmp', 'log')
      storage.syncDir()
      f = storage.open('log', rw)
      at = f.size()
    },
    close() {
      f.sync()
      f.close()
      lock.release()
    },
  }
}

/** The toy's loader: complete lines up to the first torn or zeroed one. */
function toyReplay(storage: MemoryStorage): unknown[] {
  const data = storage.files().get('log')
  if (!data) return []
  const out: unknown[] = []
  const lines = dec.decode(data).split('\n')
  lines.pop()
  for (const line of lines) {
    if (line.includes('\0')) break
    out.push(JSON.parse(line))
  }
  return out
}

function toyWorkload(o: ToyOptions, compact = false) {
  return (ctx: WorkloadContext) => {
    const log = toyOpen(ctx.storage, o)
    const kept: number[] = []
    for (let i = 0; i < 6; i++) {
      ctx.appended(i)
      log.append(i)
      kept.push(i)
      if (o.syncAppends !== false) ctx.acked()
      if (compact && i === 3) log.compact(kept)
    }
    log.close()
    ctx.acked()
  }
}

describe('the crash-state checker', () => {
  it('passes a toy log that syncs each append, its directory on create, and before a rename', async () => {
    const r = await checkCrashStates({
      name: 'toy, correct',
      workload: toyWorkload({}, true),
      replay: toyReplay,
    })
    console.log(summary(r))
    expect(explain(r)).toBe('')
    expect(r.states).toBeGreaterThan(30)
    expect(r.acked).toBe(6)
  })

  it.each([
    [
      'no fdatasync after an append (acknowledged as if it had one)',
      (ctx: WorkloadContext) => {
        const log = toyOpen(ctx.storage, { syncAppends: false })
        for (let i = 0; i < 4; i++) {
          ctx.appended(i)
          log.append(i)
          ctx.acked()
        }
      },
    ],
    [
      'no directory sync after creating the log',
      toyWorkload({ syncDirOnCreate: false }, true),
    ],
    [
      'no fdatasync before the rename of a compaction',
      toyWorkload({ syncBeforeRename: false }, true),
    ],
  ])('finds a missing step: %s', async (what, workload) => {
    const r = await checkCrashStates({
      name: `toy, ${what}`,
      workload,
      replay: toyReplay,
    })
    console.log(summary(r))
    expect(r.failures.length).toBeGreaterThan(0)
    expect(r.failures[0]!.problem).toMatch(/acknowledged durable/)
    // The failure names the operations up to the crash and what the crash lost.
    expect(r.failures[0]!.ops.length).toBe(r.failures[0]!.boundary)
    expect(r.failures[0]!.state).not.toBe('')
  })

  it('finds a loader that replays something that was never appended', async () => {
    const r = await checkCrashStates({
      name: 'toy, lying loader',
      workload: toyWorkload({}),
      replay: (s) => [...toyReplay(s), 'extra'],
    })
    expect(r.failures.some((f) => /not a prefix|only/.test(f.problem))).toBe(
      true,
    )
  })

  it('counts, without failing, what a power loss costs when names are never durable (OPFS)', async () => {
    const r = await checkCrashStates({
      name: 'toy on the OPFS name model',
      model: { durableNames: false },
      workload: toyWorkload({}, true),
      replay: toyReplay,
    })
    console.log(summary(r))
    expect(explain(r)).toBe('')
    // The log's creation and the compaction's rename are never durable: states lose them.
    expect(r.nameLossStates).toBeGreaterThan(0)
    expect(r.nameLossMax).toBe(6)
  })

  it('checks a store that exists before the workload (values from setup count as durable)', async () => {
    const r = await checkCrashStates({
      name: 'toy, reopened',
      setup: (s) => s.put('log', '"a"\n"b"\n{"torn'),
      initial: ['a', 'b'],
      workload: toyWorkload({}),
      replay: toyReplay,
    })
    // The toy appends after the torn bytes without cutting them first: its own loader then
    // meets a broken line in the middle. (The engine cuts a torn tail on open.)
    expect(r.failures.length).toBeGreaterThan(0)
    expect(r.failures[0]!.problem).toMatch(/does not load/)
    expect(r.failures[0]!.files.log).toMatch(/^"a"\n"b"\n\{"torn/)
  })
})
