/**
 * The storage port's conformance suite (`@aof-persist/core/conformance`): every operation and
 * rule of the {@link Storage} contract (storage.ts), as tests any implementation must pass. It
 * registers its tests through the `test` function it is given, so it runs under any runner
 * (vitest, node:test, mocha, a page in a browser) and imports nothing but the port's types:
 *
 * ```ts
 * import { storageConformance } from '@aof-persist/core/conformance'
 * storageConformance(it, () => myStorage(freshDirectory()))
 * ```
 *
 * `make` must return a storage on a new, empty store each time.
 */
import {
  equal,
  fails,
  names,
  ok,
  put,
  read,
  rw,
  writeAll,
  bytes,
} from './conformanceCheck.js'
import { fileConformance } from './conformanceFiles.js'
import type { Awaitable, Storage } from './storage.js'

/** How the suite registers a test: `it` or `test` of most runners fits. */
export type ConformanceTest = (
  name: string,
  fn: () => Promise<void> | void,
) => void

/** Options of {@link storageConformance}. */
export interface ConformanceOptions {
  /**
   * The implementation refuses a second read-write handle on an open file, and a rename or
   * removal of an open file, with code `EBUSY` (OPFS does, and so must a storage that stands
   * in for it). Where the platform allows both (Node's `fs`), the engine still never does
   * either; set false to skip these checks.
   * @default true
   */
  exclusiveHandles?: boolean
  /** Another storage on the same store as `storage` (another process): checks the lock across the two. */
  reopen?: (storage: Storage) => Awaitable<Storage>
  /** Called after each test with the storage it made (to remove a temp directory). */
  destroy?: (storage: Storage) => Awaitable<void>
}

/** Registers the conformance tests of the storage port. */
export function storageConformance(
  test: ConformanceTest,
  make: () => Awaitable<Storage>,
  options: ConformanceOptions = {},
): void {
  const t = (name: string, fn: (s: Storage) => Promise<void> | void) =>
    test(`storage: ${name}`, async () => {
      const s = await make()
      try {
        await s.prepare()
        await fn(s)
      } finally {
        await options.destroy?.(s)
      }
    })

  fileConformance(t)

  t('rename moves a file; the old name is gone', async (s) => {
    await put(s, 'a.tmp', 'moved')
    await s.rename('a.tmp', 'b.aof')
    equal(await names(s), ['b.aof'], 'list() after a rename')
    equal(await s.stat('a.tmp'), null, 'stat of the old name')
    equal(await read(s, 'b.aof'), 'moved', 'content under the new name')
  })

  t('rename over an existing name replaces it', async (s) => {
    await put(s, 'a.tmp', 'new manifest')
    await put(s, 'b.manifest', 'old')
    await s.rename('a.tmp', 'b.manifest')
    equal(await names(s), ['b.manifest'], 'list() after a replacing rename')
    equal(await read(s, 'b.manifest'), 'new manifest', 'the replaced content')
  })

  t(
    'renaming a missing file fails with ENOENT and changes nothing',
    async (s) => {
      await put(s, 'b.aof', 'x')
      await fails(
        () => s.rename('a.tmp', 'b.aof'),
        'ENOENT',
        'rename of a missing file',
      )
      equal(await read(s, 'b.aof'), 'x', 'the target is untouched')
    },
  )

  t(
    'remove deletes a file; removing a missing one is not an error',
    async (s) => {
      await put(s, 't1', 'x')
      await s.remove('t1')
      equal(await names(s), [], 'list() after remove')
      equal(await s.stat('t1'), null, 'stat after remove')
      await s.remove('t1')
      await s.remove('t9')
      await fails(
        () => s.open('t1', { write: false, create: false }),
        'ENOENT',
        'open after remove',
      )
    },
  )

  t(
    'remove with background removes the file once its answer is awaited',
    async (s) => {
      await put(s, 't1', 'x')
      await s.remove('t1', { background: true })
      equal(await names(s), [], 'list() after a background remove')
      await s.remove('t1', { background: true })
    },
  )

  t('list gives plain names, each once', async (s) => {
    for (const n of ['t1', 't2', 't3']) await put(s, n, n)
    await s.rename('t3', 't4')
    await s.remove('t2')
    const listed = await s.list()
    ok(
      listed.every((n) => !n.includes('/') && !n.includes('\\')),
      `names, not paths: ${listed.join(', ')}`,
    )
    equal(new Set(listed).size, listed.length, 'no name twice')
    equal(await names(s), ['t1', 't4'], 'list()')
  })

  t('syncDir can be called at any time', async (s) => {
    await s.syncDir()
    await put(s, 't1', 'x')
    await s.rename('t1', 't2')
    await s.syncDir()
    equal(await names(s), ['t2'], 'list() after syncDir')
  })

  t(
    'the lock has one holder: a second lock fails with AOF_LOCKED until the first is released',
    async (s) => {
      const first = await s.lock()
      await fails(() => s.lock(), 'AOF_LOCKED', 'a second lock')
      first.release()
      first.release()
      const second = await s.lock()
      second.release()
    },
  )

  t(
    'probeLock, where offered, fails with AOF_LOCKED while the lock is held and takes nothing',
    async (s) => {
      if (!s.probeLock) return
      await s.probeLock()
      await s.probeLock()
      const held = await s.lock()
      await fails(() => s.probeLock!(), 'AOF_LOCKED', 'probeLock while held')
      held.release()
      await s.probeLock()
      ;(await s.lock()).release()
    },
  )

  t(
    'decodeText, where offered, decodes UTF-8 as TextDecoder does and throws on invalid bytes',
    async (s) => {
      if (!s.decodeText) return
      for (const text of [
        '',
        'ascii {"n":1}',
        'é ü € 𝄞 中文',
        'x'.repeat(70_000),
      ])
        equal(
          s.decodeText(bytes(text)),
          text,
          `decodeText of ${text.slice(0, 20)}`,
        )
      await fails(
        () => s.decodeText!(new Uint8Array([0x61, 0xc3, 0x28])),
        null,
        'decodeText of invalid UTF-8',
      )
      await fails(
        () => s.decodeText!(new Uint8Array([0xed, 0xa0, 0x80])),
        null,
        'decodeText of a lone surrogate',
      )
    },
  )

  if (options.reopen)
    t('the lock holds across two storages on one store', async (s) => {
      const other = await options.reopen!(s)
      const held = await s.lock()
      await fails(
        () => other.lock(),
        'AOF_LOCKED',
        'lock from another storage on the store',
      )
      held.release()
      ;(await other.lock()).release()
    })

  if (options.exclusiveHandles ?? true) {
    t(
      'a file has one read-write handle: a second open fails with EBUSY until it closes',
      async (s) => {
        const f = await s.open('t1', rw)
        await fails(() => s.open('t1', rw), 'EBUSY', 'a second read-write open')
        f.close()
        const g = await s.open('t1', rw)
        g.close()
      },
    )

    t(
      'an open file cannot be renamed, replaced or removed (EBUSY)',
      async (s) => {
        await put(s, 't2', 'other')
        const f = await s.open('t1', rw)
        writeAll(f, bytes('open'), 0)
        await fails(
          () => s.rename('t1', 't3'),
          'EBUSY',
          'rename of an open file',
        )
        await fails(
          () => s.rename('t2', 't1'),
          'EBUSY',
          'rename onto an open file',
        )
        await fails(() => s.remove('t1'), 'EBUSY', 'remove of an open file')
        f.close()
        equal(await names(s), ['t1', 't2'], 'nothing changed')
        await s.rename('t1', 't3')
        await s.remove('t3')
        equal(await names(s), ['t2'], 'after close, rename and remove work')
      },
    )
  }
}
