import type {
  Storage,
  StorageFile,
  StorageLock,
} from '@aof-persist/core/portable'

/** What the engine did to an incr file, as {@link observe} reports it. */
export type FileEvent =
  | { t: 'write'; file: string; at: number; bytes: Uint8Array }
  | { t: 'truncate'; file: string; size: number }

/** A storage that can also read a whole file and tell which file the engine writes. */
export interface ObservedStorage extends Storage {
  /** The bytes of `name`: through the engine's open handle when it has one. Synchronous when open. */
  readFile(name: string): Promise<Uint8Array | null>
  /** Stops reporting writes (the store is closing). */
  unobserve(): void
}

/** Reads a whole open file. */
export function readAll(f: StorageFile): Uint8Array {
  const buf = new Uint8Array(f.size())
  let n = 0
  while (n < buf.length) {
    const r = f.read(buf.subarray(n), n)
    if (r === 0) break
    n += r
  }
  return n === buf.length ? buf : buf.subarray(0, n)
}

/**
 * Wraps the worker's storage so that every write and cut the engine makes to a file whose name
 * passes `watch` (the incr files) is reported once it returned, with the bytes written: the
 * writer mirrors them to the other tabs from here, so a follower sees exactly the bytes the
 * file holds (a partial write the engine cuts back is followed by its cut). The lock is
 * `lock`'s when given: a tab that waited for it (follow: true) opens the engine on it.
 */
export function observe(
  storage: Storage,
  watch: (name: string) => boolean,
  onEvent: (e: FileEvent) => void,
  lock?: StorageLock,
): ObservedStorage {
  const open = new Map<string, StorageFile>()
  let observing = true

  const wrap = (name: string, f: StorageFile): StorageFile => {
    const watched = watch(name)
    const file: StorageFile = {
      size: () => f.size(),
      read: (buf, at) => f.read(buf, at),
      write(data, at) {
        const n = f.write(data, at)
        if (watched && observing && n > 0) {
          // A copy: the engine may reuse its buffer.
          onEvent({ t: 'write', file: name, at, bytes: data.slice(0, n) })
        }
        return n
      },
      truncate(size) {
        f.truncate(size)
        if (watched && observing) onEvent({ t: 'truncate', file: name, size })
      },
      sync: () => f.sync(),
      close() {
        if (open.get(name) === file) open.delete(name)
        f.close()
      },
    }
    if (f.syncInBackground) file.syncInBackground = () => f.syncInBackground!()
    return file
  }

  return {
    location: storage.location,
    durableNames: storage.durableNames,
    describe: (name) => storage.describe(name),
    prepare: () => storage.prepare(),
    lock: () => lock ?? storage.lock(),
    ...(storage.probeLock ? { probeLock: () => storage.probeLock!() } : {}),
    list: () => storage.list(),
    stat: (name) => storage.stat(name),
    async open(name, options) {
      const f = wrap(name, await storage.open(name, options))
      open.set(name, f)
      return f
    },
    rename: (from, to) => storage.rename(from, to),
    remove: (name) => storage.remove(name),
    syncDir: () => storage.syncDir(),
    async readFile(name) {
      const held = open.get(name)
      if (held) return readAll(held)
      let f: StorageFile
      try {
        f = await storage.open(name, { write: false, create: false })
      } catch (err) {
        if ((err as { code?: string }).code === 'ENOENT') return null
        throw err
      }
      try {
        return readAll(f)
      } finally {
        f.close()
      }
    },
    unobserve() {
      observing = false
    },
  }
}
