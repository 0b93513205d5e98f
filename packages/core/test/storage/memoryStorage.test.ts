import { describe, expect, it } from 'vitest'
import { isAofError } from '../../src/errors.js'
import { openAof } from '../../src/node.js'
import {
  MemoryStorage,
  memoryStorage,
  type MemoryEvent,
} from '../../src/memoryStorage.js'
import type { StorageFile } from '../../src/storage.js'

const enc = new TextEncoder()
const rw = { write: true, create: true }
const codeOf = (fn: () => unknown): string | undefined => {
  try {
    fn()
  } catch (err) {
    return (err as { code?: string }).code ?? (err as Error).name
  }
  return undefined
}
/** Creates `name`, writes `text` and (with `sync`) fdatasyncs it; returns the open handle. */
function file(s: MemoryStorage, name: string, text: string, sync = false) {
  const f = s.open(name, rw)
  f.write(enc.encode(text), f.size())
  if (sync) f.sync()
  return f
}
const append = (f: StorageFile, text: string) =>
  f.write(enc.encode(text), f.size())
const texts = (states: { storage: MemoryStorage }[], name: string) =>
  states.map((c) => c.storage.text(name) ?? null)

describe('memoryStorage: the port rules it enforces', () => {
  it('refuses a second handle on a file with a writer, and a writer on a file with readers (EBUSY)', () => {
    const s = memoryStorage()
    const w = s.open('a', rw)
    expect(codeOf(() => s.open('a', rw))).toBe('EBUSY')
    expect(codeOf(() => s.open('a', { write: false, create: false }))).toBe(
      'EBUSY',
    )
    w.close()
    const r1 = s.open('a', { write: false, create: false })
    const r2 = s.open('a', { write: false, create: false })
    expect(codeOf(() => s.open('a', rw))).toBe('EBUSY')
    r1.close()
    r2.close()
    s.open('a', rw).close()
  })

  it('refuses to rename, replace or remove an open file (EBUSY), and says which', () => {
    const s = memoryStorage()
    const f = file(s, 'a', 'x')
    file(s, 'b', 'y').close()
    expect(codeOf(() => s.rename('a', 'c'))).toBe('EBUSY')
    expect(codeOf(() => s.rename('b', 'a'))).toBe('EBUSY')
    expect(() => s.remove('a')).toThrow(/memory:\/store\/a/)
    expect(s.openFiles()).toEqual(['a'])
    f.close()
    expect(s.openFiles()).toEqual([])
  })

  it('makes a closed handle unusable and a read-only one unwritable (EBADF)', () => {
    const s = memoryStorage()
    const f = file(s, 'a', 'x')
    f.close()
    expect(codeOf(() => f.write(enc.encode('y'), 1))).toBe('EBADF')
    expect(codeOf(() => f.sync())).toBe('EBADF')
    expect(codeOf(() => f.close())).toBe('EBADF')
    const r = s.open('a', { write: false, create: false })
    expect(codeOf(() => r.write(enc.encode('y'), 1))).toBe('EBADF')
    expect(codeOf(() => r.truncate(0))).toBe('EBADF')
    r.close()
  })

  it.each(['', '.', '..', 'a/b', '../x', '/abs', 'a\\b', 'a\0b'])(
    'refuses %j as a name with a TypeError (the port takes plain names)',
    (name) => {
      const s = memoryStorage()
      expect(() => s.open(name, rw)).toThrow(TypeError)
      expect(() => s.stat(name)).toThrow(TypeError)
      file(s, 'ok', '').close()
      expect(() => s.rename('ok', name)).toThrow(TypeError)
    },
  )

  it('has one lock holder per disk: AOF_LOCKED for the second, from the same storage or another on its disk', () => {
    const s = memoryStorage()
    const other = s.reopen()
    const lock = s.lock()
    expect(s.locked).toBe(true)
    let err: unknown
    try {
      other.lock()
    } catch (e) {
      err = e
    }
    expect(isAofError(err, 'AOF_LOCKED')).toBe(true)
    expect(String((err as Error).message)).toMatch(/another storage/)
    expect(() => s.lock()).toThrow(/another openAof on the same storage/)
    lock.release()
    lock.release()
    other.lock().release()
    // A crash ends the holder: the storage after it is unlocked.
    s.lock()
    expect(s.processCrash().locked).toBe(false)
    expect(s.crash().locked).toBe(false)
  })

  it('shows other kinds of entries through stat and refuses to open them as files', () => {
    const s = memoryStorage()
    s.put('sub', '', 'directory')
    s.put('link', '', 'symlink')
    expect(s.stat('sub')).toEqual({ size: 0, type: 'directory' })
    expect(s.stat('link')).toEqual({ size: 0, type: 'symlink' })
    expect(codeOf(() => s.open('sub', rw))).toBe('EISDIR')
    expect(codeOf(() => s.open('link', rw))).toBe('ELOOP')
    expect(codeOf(() => s.remove('sub'))).toBe('EISDIR')
  })

  it('reports every operation to observers, failed ones with their code', () => {
    const s = memoryStorage()
    const events: MemoryEvent[] = []
    const stop = s.observe((e) => events.push(e))
    const f = file(s, 'a', 'x', true)
    f.close()
    s.rename('a', 'b')
    expect(codeOf(() => s.open('zz', { write: false, create: false }))).toBe(
      'ENOENT',
    )
    stop()
    s.remove('b')
    expect(events).toEqual([
      { op: 'open', name: 'a' },
      { op: 'write', name: 'a' },
      { op: 'sync', name: 'a' },
      { op: 'close', name: 'a' },
      { op: 'rename', name: 'a', to: 'b' },
      { op: 'open', name: 'zz', error: 'ENOENT' },
    ])
  })
})

describe('memoryStorage: injected faults', () => {
  it('a failed write throws its code and leaves the file as it was', () => {
    const s = memoryStorage()
    const f = file(s, 'a', 'abc')
    s.inject({ op: 'write', code: 'ENOSPC' })
    expect(codeOf(() => append(f, 'def'))).toBe('ENOSPC')
    expect(s.text('a')).toBe('abc')
    // once: the next write goes through
    append(f, 'def')
    expect(s.text('a')).toBe('abcdef')
  })

  it('a failed write can leave part of its bytes (`written`)', () => {
    const s = memoryStorage()
    const f = file(s, 'a', 'abc')
    s.inject({ op: 'write', code: 'EIO', written: 2 })
    expect(codeOf(() => append(f, 'defg'))).toBe('EIO')
    expect(s.text('a')).toBe('abcde')
  })

  it('a short write returns the count it wrote', () => {
    const s = memoryStorage()
    const f = file(s, 'a', '')
    s.inject({ op: 'write', short: 3 })
    expect(append(f, 'abcdef')).toBe(3)
    expect(f.size()).toBe(3)
    expect(s.text('a')).toBe('abc')
  })

  it('fires after `skip` matching calls, `times` times, on the named file only', () => {
    const s = memoryStorage()
    const a = file(s, 'a.incr', '')
    const b = file(s, 'b.base', '')
    s.inject({ op: 'write', name: /incr/, skip: 1, times: 2 })
    append(b, 'b')
    append(a, '1')
    expect(codeOf(() => append(a, '2'))).toBe('EIO')
    expect(codeOf(() => append(a, '3'))).toBe('EIO')
    append(a, '4')
    expect(s.text('a.incr')).toBe('14')
  })

  it('a failed sync leaves the data unsynced: a power loss drops it', () => {
    const s = memoryStorage()
    const f = file(s, 'a', 'durable\n', true)
    s.syncDir()
    append(f, 'not yet\n')
    s.inject({ op: 'sync' })
    expect(codeOf(() => f.sync())).toBe('EIO')
    expect(s.text('a')).toBe('durable\nnot yet\n')
    expect(s.crash().text('a')).toBe('durable\n')
    f.sync()
    expect(s.crash().text('a')).toBe('durable\nnot yet\n')
  })

  it.each([
    ['open', () => (s: MemoryStorage) => s.open('a', rw)],
    ['rename', () => (s: MemoryStorage) => s.rename('a', 'b')],
    ['remove', () => (s: MemoryStorage) => s.remove('a')],
    ['syncDir', () => (s: MemoryStorage) => s.syncDir()],
    ['list', () => (s: MemoryStorage) => s.list()],
  ] as const)('a failed %s throws and changes nothing', (op, make) => {
    const s = memoryStorage()
    file(s, 'a', 'x', true).close()
    s.syncDir()
    s.inject({ op, code: 'EACCES' })
    expect(codeOf(() => make()(s))).toBe('EACCES')
    expect(s.list()).toEqual(['a'])
    expect(s.text('a')).toBe('x')
    expect(s.openFiles()).toEqual([])
  })

  it('a removed fault no longer fires; an Infinity fault fires until removed', () => {
    const s = memoryStorage()
    const f = file(s, 'a', '')
    const remove = s.inject({ op: 'sync', times: Infinity })
    for (let k = 0; k < 3; k++) expect(codeOf(() => f.sync())).toBe('EIO')
    remove()
    f.sync()
  })

  it('a full disk writes what fits, then fails with ENOSPC; removing a file frees space', () => {
    const s = memoryStorage({ capacity: 10 })
    const f = file(s, 'a', '123456')
    expect(append(f, 'abcdef')).toBe(4)
    expect(s.used()).toBe(10)
    expect(codeOf(() => append(f, 'x'))).toBe('ENOSPC')
    expect(codeOf(() => f.truncate(11))).toBe('ENOSPC')
    // Overwriting inside the file needs no space.
    expect(f.write(enc.encode('XY'), 0)).toBe(2)
    f.close()
    s.remove('a')
    expect(s.used()).toBe(0)
    expect(append(file(s, 'b', ''), 'abcdefghij')).toBe(10)
  })

  it('rejects `short` on an operation other than write', () => {
    expect(() => memoryStorage().inject({ op: 'sync', short: 1 })).toThrow(
      TypeError,
    )
  })

  it('offers syncInBackground only when asked, and it makes the data durable', async () => {
    expect(file(memoryStorage(), 'a', '').syncInBackground).toBeUndefined()
    const s = memoryStorage({ backgroundSync: true })
    const f = file(s, 'a', 'x')
    s.syncDir()
    await f.syncInBackground!()
    expect(s.crash().text('a')).toBe('x')
  })
})

describe('memoryStorage: what a crash leaves', () => {
  it('a power loss keeps what was synced and drops the rest', () => {
    const s = memoryStorage()
    const f = file(s, 'a', 'one\n', true)
    s.syncDir()
    append(f, 'two\n')
    const after = s.crash()
    expect(after.text('a')).toBe('one\n')
    expect(s.text('a')).toBe('one\ntwo\n')
  })

  it('a name is durable only after syncDir: a synced file that was never named durably is gone', () => {
    const s = memoryStorage()
    file(s, 'a', 'data', true).close()
    expect(s.crash().list()).toEqual([])
    s.syncDir()
    expect(s.crash().list()).toEqual(['a'])
    s.rename('a', 'b')
    expect(s.crash().list()).toEqual(['a'])
    s.syncDir()
    expect(s.crash().list()).toEqual(['b'])
  })

  it('with durableNames false, syncDir makes no name durable; settle() does', () => {
    const s = memoryStorage({ durableNames: false })
    file(s, 'a', 'data', true).close()
    s.syncDir()
    expect(s.crash().list()).toEqual([])
    s.settle()
    expect(s.crash().list()).toEqual(['a'])
  })

  it('a process crash keeps everything written, and a power loss after it still drops what no sync covered', () => {
    const s = memoryStorage()
    const f = file(s, 'a', 'synced\n', true)
    s.syncDir()
    append(f, 'written\n')
    file(s, 'b', 'new file')
    const after = s.processCrash()
    expect(after.text('a')).toBe('synced\nwritten\n')
    expect(after.text('b')).toBe('new file')
    expect(after.openFiles()).toEqual([])
    const later = after.crash()
    expect(later.text('a')).toBe('synced\n')
    expect(later.list()).toEqual(['a'])
  })

  it('enumerates every crash state of unsynced writes: dropped, kept, in part, torn, zero-filled, out of order', () => {
    const s = memoryStorage()
    const f = file(s, 'a', 'A\n', true)
    s.syncDir()
    append(f, 'bc\n')
    append(f, 'de\n')
    const got = texts(s.crashStates(), 'a')
    const z = '\0'
    expect(new Set(got)).toEqual(
      new Set([
        'A\n', // everything since the sync dropped
        'A\nbc\nde\n', // everything kept
        'A\nbc\n', // the first write only
        'A\nb', // the first write torn at byte 1 (and at its middle)
        'A\nbc', // ... and before its last byte
        'A\nbc\nd', // the second write torn, at byte 1 and at its middle
        'A\nbc\nde', // the second write torn before its last byte
        `A\n${z.repeat(6)}`, // the size reached the disk, the data did not
        `A\nbc\n${z.repeat(3)}`, // the size reached the disk, the second write's data did not
        `A\n${z.repeat(3)}de\n`, // the second write reached the disk before the first
      ]),
    )
    expect(got).toHaveLength(new Set(got).size)
  })

  it('enumerates every subset of pending name ops (or only prefixes, for a journaling file system)', () => {
    const s = memoryStorage()
    file(s, 'old', 'old', true).close()
    s.syncDir()
    file(s, 'new', 'new', true).close()
    file(s, 'tmp', 'manifest', true).close()
    s.rename('tmp', 'manifest')
    s.remove('old')
    const lists = (states: { storage: MemoryStorage }[]) =>
      states.map((c) => c.storage.list().sort().join(' '))
    const any = lists(s.crashStates())
    // 4 ops, 16 subsets; a kept rename gives 'manifest' with or without the creation of 'tmp'
    // before it, so 2 (new) x 2 (old removed) x 3 (none, tmp, manifest) distinct states.
    expect(any).toHaveLength(12)
    expect(new Set(any).size).toBe(12)
    // The removal survives while the rename it depended on is lost.
    expect(any).toContain('new tmp')
    expect(any).toContain('new')
    expect(lists(s.crashStates({ names: 'prefix' }))).toEqual([
      'old',
      'manifest new',
      'new old',
      'new old tmp',
      'manifest new old',
    ])
  })

  it('stays within `limit`, keeping the extremes, and samples the same states for the same seed', () => {
    const s = memoryStorage({ durableNames: false })
    for (let k = 0; k < 20; k++) {
      const f = file(s, `f${k}`, `x${k}\n`)
      append(f, `y${k}\n`)
      f.close()
    }
    const image = s.image()
    const one = MemoryStorage.crashStatesOf(image, s.options, { limit: 40 })
    expect(one.exhaustive).toBe(false)
    expect(one.total).toBeGreaterThan(1e6)
    expect(one.states).toHaveLength(40)
    expect(one.states[0]!.storage.list()).toEqual([])
    expect(one.states[1]!.storage.files()).toEqual(s.files())
    const again = MemoryStorage.crashStatesOf(image, s.options, { limit: 40 })
    expect(again.states.map((c) => c.label)).toEqual(
      one.states.map((c) => c.label),
    )
  })

  it('an image taken earlier is not changed by later operations', () => {
    const s = memoryStorage()
    const f = file(s, 'a', 'before', true)
    s.syncDir()
    const image = s.image()
    append(f, ' after')
    f.sync()
    f.truncate(2)
    const states = MemoryStorage.crashStatesOf(image, s.options).states
    expect(texts(states, 'a')).toEqual(['before'])
  })
})

describe('memoryStorage under the engine (the example of docs/reference/memoryStorage.md)', () => {
  it('a failed write is AOF_IO naming the code, and every crash state holds what append returned for', () => {
    const storage = memoryStorage()
    const log = openAof({ storage, fsync: 'always', onError: () => {} })
    log.append({ n: 1 })
    storage.inject({ op: 'write', code: 'ENOSPC' })
    expect(() => log.append({ n: 2 })).toThrow(
      expect.objectContaining({
        code: 'AOF_IO',
        message: expect.stringMatching(/ENOSPC/),
      }),
    )
    const states = storage.crashStates()
    // Under 'always' everything that was written is synced and named durably: one state.
    expect(states.map((c) => c.label)).toEqual(['nothing pending'])
    for (const { storage: after } of states) {
      const reopened = openAof({ storage: after, onError: () => {} })
      expect([...reopened.records()][0]).toEqual({ n: 1 })
      reopened.closeSync()
    }
    log.closeSync()
  })
})
