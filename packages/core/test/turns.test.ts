import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { memoryStorage, openAof, type FsyncPolicy } from '../src/index.js'
import { TASK_WRITES } from '../src/turns.js'
import { pinClock } from './helpers.js'

const INCR = 'appendonly.aof.1.incr.aof'
const immediate = () => new Promise<void>((resolve) => setImmediate(resolve))

/** A store on a memory storage, counting the writes to its incr file. */
function counted(fsync: FsyncPolicy = 'everysec') {
  const mem = memoryStorage()
  const aof = openAof({ storage: mem, fsync, timestamps: false })
  const seen = { writes: 0 }
  mem.observe((e) => {
    if (e.op === 'write' && e.name === INCR) seen.writes++
  })
  return { mem, aof, seen }
}

describe('when appends are written', () => {
  // Each test is a burst inside one millisecond, except where it moves the clock.
  let clock: ReturnType<typeof pinClock>
  beforeEach(() => {
    clock = pinClock()
  })
  afterEach(() => clock.restore())

  it.each(['everysec', 'no'] as const)(
    '%s: an append that comes alone is written before append returns, with nothing left to schedule',
    async (fsync) => {
      const { mem, aof, seen } = counted(fsync)
      aof.append({ n: 1 })
      expect(seen.writes).toBe(1)
      expect(mem.text(INCR)).toBe('{"n":1}\n')
      await immediate()
      // A later millisecond with nothing waiting: alone again, one write each.
      for (let ms = 1; ms <= 3; ms++) {
        clock.set(1_000_000 + ms)
        aof.append({ n: 1 + ms })
        expect(seen.writes).toBe(1 + ms)
      }
      expect(mem.text(INCR)).toBe('{"n":1}\n{"n":2}\n{"n":3}\n{"n":4}\n')
      await immediate()
      expect(seen.writes).toBe(4)
      await aof.close()
    },
  )

  it.each(['everysec', 'no'] as const)(
    '%s: the appends that follow it in the same millisecond share one write, made as the task returns to the event loop',
    async (fsync) => {
      const { mem, aof, seen } = counted(fsync)
      aof.append({ n: 1 })
      aof.append({ n: 2 })
      aof.append({ n: 3 })
      aof.append({ n: 4 })
      expect(seen.writes).toBe(1)
      expect(mem.text(INCR)).toBe('{"n":1}\n')
      // The write of the rest was queued ahead of this continuation.
      await Promise.resolve()
      expect(seen.writes).toBe(2)
      expect(mem.text(INCR)).toBe('{"n":1}\n{"n":2}\n{"n":3}\n{"n":4}\n')
      await aof.close()
    },
  )

  it('a failed write of an append that came alone is reported as its task ends, never from inside append', async () => {
    const mem = memoryStorage()
    const errors: string[] = []
    const aof = openAof({
      storage: mem,
      timestamps: false,
      onError: (err) => errors.push(err.code),
    })
    mem.inject({ op: 'write', name: INCR, code: 'EIO', times: 1 })
    aof.append({ n: 1 })
    expect(errors).toEqual([])
    await Promise.resolve()
    expect(errors).toEqual(['AOF_IO'])
    aof.flush() // retried here at the latest (or by the end of the task, or the timer)
    expect(mem.text(INCR)).toBe('{"n":1}\n')
    await aof.close()
  })

  it(`a turn of many tasks that append makes ${TASK_WRITES} writes, then gathers the rest into one at its end`, async () => {
    const { mem, aof, seen } = counted()
    for (let i = 0; i < 50; i++) setImmediate(() => aof.append({ i }))
    await immediate() // queued after the 50: runs in the same turn, after them
    expect(seen.writes).toBe(TASK_WRITES)
    await immediate() // the next turn: the gathered write has run
    expect(seen.writes).toBe(TASK_WRITES + 1)
    const expected = Array.from({ length: 50 }, (_, i) => `{"i":${i}}\n`)
    expect(mem.text(INCR)).toBe(expected.join(''))
    // The count starts again: the next task writes at its own end.
    aof.append({ i: 50 })
    await Promise.resolve()
    expect(seen.writes).toBe(TASK_WRITES + 2)
    await aof.close()
  })

  it('appends in a chain of promise reactions are written by the end of the turn, in at most as many writes', async () => {
    const { mem, aof, seen } = counted()
    const done = (async () => {
      for (let i = 0; i < 30; i++) {
        await null
        aof.append({ i })
      }
    })()
    await done
    await immediate()
    expect(seen.writes).toBeLessThanOrEqual(TASK_WRITES + 1)
    expect(mem.text(INCR)!.split('\n')).toHaveLength(31)
    await aof.close()
  })
})
