// The storage conformance suite's tests of files: open, read, write, size, truncate, sync,
// close. The suite's entry and its tests of names, the lock and handles are in conformance.ts.
import {
  bytes,
  dec,
  equal,
  fails,
  names,
  ok,
  put,
  read,
  readAt,
  rw,
  textOf,
  writeAll,
  type DefineTest,
} from './conformanceCheck.js'

/** Registers the tests of file operations. */
export function fileConformance(t: DefineTest): void {
  t(
    'describes itself: a location, durableNames, and a description naming the file',
    (s) => {
      ok(
        typeof s.location === 'string' && s.location.length > 0,
        'location is a non-empty string',
      )
      ok(typeof s.durableNames === 'boolean', 'durableNames is a boolean')
      ok(
        s.describe('t1.aof').includes('t1.aof'),
        'describe(name) names the file',
      )
    },
  )

  t(
    'prepare can be called again; a new store lists no file of its own',
    async (s) => {
      await s.prepare()
      equal(await names(s), [], 'list() of a new store')
    },
  )

  t(
    'opening a missing file without create fails with ENOENT, for reading and for writing',
    async (s) => {
      await fails(
        () => s.open('t1', { write: false, create: false }),
        'ENOENT',
        'open(read) of a missing file',
      )
      await fails(
        () => s.open('t1', { write: true, create: false }),
        'ENOENT',
        'open(write) of a missing file',
      )
      equal(await s.stat('t1'), null, 'stat of a missing file')
    },
  )

  t(
    'open with create makes an empty file that list and stat show',
    async (s) => {
      const f = await s.open('t1', rw)
      equal(f.size(), 0, 'size of a new file')
      equal(readAt(f, 0, 10).length, 0, 'bytes read from a new file')
      f.close()
      equal(await names(s), ['t1'], 'list() after a create')
      equal(await s.stat('t1'), { size: 0, type: 'file' }, 'stat of a new file')
    },
  )

  t(
    'write returns the bytes written and grows the size; reads return them',
    async (s) => {
      const f = await s.open('t1', rw)
      equal(f.write(bytes('hello'), 0), 5, 'write of 5 bytes')
      equal(f.size(), 5, 'size after the write')
      writeAll(f, bytes(' world'), 5)
      equal(textOf(f), 'hello world', 'content')
      equal(dec.decode(readAt(f, 6, 3)), 'wor', 'read in the middle')
      f.close()
      equal(await s.stat('t1'), { size: 11, type: 'file' }, 'stat after writes')
    },
  )

  t(
    'writeText, where the storage has it, writes UTF-8 at the offset and returns its byte count',
    async (s) => {
      const f = await s.open('t1', rw)
      if (f.writeText === undefined) {
        f.close()
        return
      }
      // A 2-, 3- and 4-byte character, and a lone surrogate (U+FFFD, 3 bytes).
      const text = 'aé€😀\ud800\n'
      const n = f.writeText(text, 0)
      const whole = bytes(text).length
      ok(n > 0 && n <= whole, `writeText returns 1..${whole}: got ${n}`)
      equal(f.size(), n, 'size after a writeText that returned n')
      writeAll(f, bytes(text).subarray(n), n)
      equal(f.writeText('XY', 1), 2, 'writeText of 2 ASCII bytes at offset 1')
      equal(
        [...readAt(f, 0, whole)],
        [...bytes('aXY' + text.slice(2))],
        'bytes as TextEncoder encodes them, overwritten at the offset',
      )
      f.close()
    },
  )

  t(
    'reads at or past the end return 0; a read across the end returns what is there',
    async (s) => {
      await put(s, 't1', 'abcdef')
      const f = await s.open('t1', { write: false, create: false })
      const buf = new Uint8Array(10)
      equal(f.read(buf, 6), 0, 'read at the end')
      equal(f.read(buf, 100), 0, 'read past the end')
      const n = f.read(buf, 4)
      ok(
        n >= 1 && n <= 2,
        `read across the end returns at most the 2 bytes left: got ${n}`,
      )
      equal(
        dec.decode(buf.subarray(0, n)),
        'ef'.slice(0, n),
        'bytes of a read across the end',
      )
      f.close()
    },
  )

  t('writing inside the file replaces bytes and keeps the size', async (s) => {
    const f = await s.open('t1', rw)
    writeAll(f, bytes('abcdef'), 0)
    writeAll(f, bytes('XY'), 2)
    equal(f.size(), 6, 'size after an overwrite')
    equal(textOf(f), 'abXYef', 'content after an overwrite')
    f.close()
  })

  t('writing past the end fills the gap with zeros', async (s) => {
    const f = await s.open('t1', rw)
    writeAll(f, bytes('ab'), 0)
    writeAll(f, bytes('cd'), 5)
    equal(f.size(), 7, 'size after a write past the end')
    equal([...readAt(f, 0, 7)], [97, 98, 0, 0, 0, 99, 100], 'bytes')
    f.close()
  })

  t(
    'every byte value round-trips, and a 1 MiB write is accounted for exactly',
    async (s) => {
      const all = Uint8Array.from({ length: 256 }, (_, i) => i)
      const big = Uint8Array.from(
        { length: 1 << 20 },
        (_, i) => (i * 31 + 7) & 255,
      )
      const f = await s.open('t1', rw)
      writeAll(f, all, 0)
      // A short write must be reported as such: the size grows by exactly what write returned.
      const n = f.write(big, 256)
      ok(n > 0 && n <= big.length, `write returns 1..${big.length}: got ${n}`)
      equal(f.size(), 256 + n, 'size after a write that returned n')
      writeAll(f, big.subarray(n), 256 + n)
      equal(f.size(), 256 + big.length, 'size after the whole write')
      const back = readAt(f, 0, 256 + big.length)
      ok(
        back.subarray(0, 256).every((b, i) => b === i),
        'every byte value reads back',
      )
      ok(
        back.subarray(256).every((b, i) => b === big[i]),
        'the 1 MiB reads back',
      )
      f.close()
    },
  )

  t(
    'truncate shrinks; growing again reads zeros, not the old bytes',
    async (s) => {
      const f = await s.open('t1', rw)
      writeAll(f, bytes('abcdef'), 0)
      f.truncate(2)
      equal(f.size(), 2, 'size after a shrinking truncate')
      equal(textOf(f), 'ab', 'content after a shrinking truncate')
      equal(readAt(f, 2, 4).length, 0, 'bytes past the new end')
      f.truncate(5)
      equal(f.size(), 5, 'size after a growing truncate')
      equal(
        [...readAt(f, 0, 5)],
        [97, 98, 0, 0, 0],
        'a growing truncate zero-fills',
      )
      f.truncate(0)
      equal(f.size(), 0, 'size after truncate(0)')
      f.close()
      equal((await s.stat('t1'))?.size, 0, 'stat after truncate(0)')
    },
  )

  t('open with create never truncates an existing file', async (s) => {
    await put(s, 't1', 'kept')
    const f = await s.open('t1', rw)
    equal(f.size(), 4, 'size when opened again with create')
    equal(textOf(f), 'kept', 'content when opened again with create')
    f.close()
  })

  t(
    'sync keeps the data readable; a closed handle is unusable; the data outlives it',
    async (s) => {
      const f = await s.open('t1', rw)
      writeAll(f, bytes('synced'), 0)
      f.sync()
      f.sync()
      equal(textOf(f), 'synced', 'content after sync')
      f.close()
      await fails(
        () => f.read(new Uint8Array(4), 0),
        null,
        'read on a closed handle',
      )
      equal(await read(s, 't1'), 'synced', 'content read through a new handle')
    },
  )

  t(
    'syncInBackground, where offered, resolves and keeps the data',
    async (s) => {
      const f = await s.open('t1', rw)
      writeAll(f, bytes('bg'), 0)
      if (f.syncInBackground) await f.syncInBackground()
      equal(textOf(f), 'bg', 'content after a background sync')
      f.close()
    },
  )

  t('files are independent', async (s) => {
    await put(s, 't1', 'one')
    await put(s, 't2', 'two two')
    equal(await read(s, 't1'), 'one', 't1')
    equal(await read(s, 't2'), 'two two', 't2')
    equal(await names(s), ['t1', 't2'], 'list()')
  })
}
