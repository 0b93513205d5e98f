import {
  AofError,
  type Storage,
  type StorageFile,
  type StorageLock,
  type StorageStat,
} from '@aof-persist/core/portable'

// The parts of the File System API this file uses that TypeScript's DOM library lacks (sync
// access handles are declared only for workers, `move` and the directory iterator not at all).
interface SyncAccessHandle {
  read(buf: Uint8Array, options: { at: number }): number
  write(buf: Uint8Array, options: { at: number }): number
  getSize(): number
  truncate(size: number): void
  flush(): void
  close(): void
}
interface FileHandle {
  readonly kind: 'file'
  readonly name: string
  getFile(): Promise<File>
  createSyncAccessHandle(options?: {
    mode?: 'readwrite' | 'read-only'
  }): Promise<SyncAccessHandle>
  move(newName: string): Promise<void>
}
interface DirectoryHandle {
  readonly kind: 'directory'
  readonly name: string
  getFileHandle(
    name: string,
    options?: { create?: boolean },
  ): Promise<FileHandle>
  getDirectoryHandle(
    name: string,
    options?: { create?: boolean },
  ): Promise<DirectoryHandle>
  removeEntry(name: string, options?: { recursive?: boolean }): Promise<void>
  keys(): AsyncIterableIterator<string>
}

/** How {@link opfsStorage} takes the store's lock. */
export interface OpfsStorageOptions {
  /**
   * `'ifAvailable'`: `lock()` rejects at once with `AOF_LOCKED` when another tab or worker of
   * the origin holds the store. `'wait'`: `lock()` waits until the holder is gone (a follower
   * taking over from a writer whose tab closed or crashed).
   * @default 'ifAvailable'
   */
  lock?: 'ifAvailable' | 'wait'
  /** Aborts a `'wait'` for the lock: `lock()` then rejects with the signal's reason. */
  signal?: AbortSignal
}

/** The storage port on OPFS: every operation that is not on an open file answers with a promise. */
export interface OpfsStorage extends Storage {
  prepare(): Promise<void>
  lock(): Promise<StorageLock>
  probeLock(): Promise<void>
  list(): Promise<string[]>
  stat(name: string): Promise<StorageStat | null>
  open(
    name: string,
    options: { write: boolean; create: boolean },
  ): Promise<StorageFile>
  rename(from: string, to: string): Promise<void>
  remove(name: string): Promise<void>
}

/** The Web Lock that makes one writer per store across every tab and worker of an origin. */
export const lockName = (name: string): string => `aof-persist:opfs:/${name}`

/**
 * Checks a store name: one or more `/`-separated directory names under the origin's OPFS root
 * (`'todos'`, `'my-app/todos'`), none empty, `.` or `..`. Throws `TypeError` naming `option`.
 */
export function storeSegments(name: unknown, option = 'name'): string[] {
  const segments = typeof name === 'string' ? name.split('/') : []
  if (
    segments.length === 0 ||
    segments.some(
      (s) => s === '' || s === '.' || s === '..' || /[\\\0]/.test(s),
    )
  ) {
    throw new TypeError(
      `aof-persist: option "${option}" must be a directory name in the origin's private file system, like "todos" or "my-app/todos" (no empty, "." or ".." parts, no backslash), got ${JSON.stringify(name) ?? String(name)}`,
    )
  }
  return segments
}

/** Node-style codes for the DOMExceptions of the File System API (see storage.ts). */
const CODES: Record<string, string> = {
  NotFoundError: 'ENOENT',
  QuotaExceededError: 'ENOSPC',
  NoModificationAllowedError: 'EBUSY',
  InvalidModificationError: 'EBUSY',
  TypeMismatchError: 'EISDIR',
  NotAllowedError: 'EACCES',
  SecurityError: 'EACCES',
  // A sync access handle that was closed under us (site data cleared, the worker shutting
  // down): the file is still there, this handle is not.
  InvalidStateError: 'EBADF',
  NotReadableError: 'EIO',
}

/** The Node-style code for a thrown File System API error (`EIO` when none fits). */
export function errorCode(err: unknown): string {
  const name = (err as { name?: unknown } | null)?.name
  return (typeof name === 'string' && CODES[name]) || 'EIO'
}

/** Wraps a File System API error as an `Error` with a Node-style `code`, keeping it as `cause`. */
function fsError(op: string, where: string, err: unknown): Error {
  if (err instanceof AofError) return err
  const code = errorCode(err)
  const e = err as { name?: string; message?: string } | null
  const wrapped = new Error(
    `${code}: ${op} ${where}: ${e?.name ?? 'Error'}${e?.message ? `: ${e.message}` : ''}`,
    { cause: err },
  ) as Error & { code: string }
  wrapped.code = code
  return wrapped
}

/**
 * The storage port on the Origin Private File System, for the core engine running in a
 * dedicated worker: data operations go through `FileSystemSyncAccessHandle`s (synchronous,
 * `flush()` is a real fdatasync), everything else through the asynchronous handle API, and the
 * single-writer lock is a Web Lock, released by the browser when the holder's tab closes or
 * crashes (no stale lock files).
 *
 * `name` is the store's directory under the origin's OPFS root. Only usable in a dedicated
 * worker (sync access handles exist nowhere else).
 */
export function opfsStorage(
  name: string,
  options: OpfsStorageOptions = {},
): OpfsStorage {
  const segments = storeSegments(name)
  const mode = options.lock ?? 'ifAvailable'
  if (mode !== 'ifAvailable' && mode !== 'wait') {
    throw new TypeError(
      `aof-persist: option "lock" must be 'ifAvailable' or 'wait', got ${JSON.stringify(options.lock)}`,
    )
  }
  const location = `opfs:/${segments.join('/')}`
  const describe = (file: string) => `${location}/${file}`
  let dirHandle: DirectoryHandle | null = null
  /** Open files by name: the engine opens each once; `stat` asks the open handle first. */
  const open = new Map<string, SyncAccessHandle>()

  const root = async (create: boolean): Promise<DirectoryHandle> => {
    if (dirHandle) return dirHandle
    if (typeof navigator === 'undefined' || !navigator.storage?.getDirectory) {
      throw new AofError(
        'AOF_IO',
        `The origin private file system is not available here, so ${location} cannot be opened: it needs a secure context (https, or http://localhost / 127.0.0.1) in a browser that has navigator.storage.getDirectory().`,
      )
    }
    let dir =
      (await navigator.storage.getDirectory()) as unknown as DirectoryHandle
    for (const s of segments) dir = await dir.getDirectoryHandle(s, { create })
    dirHandle = dir
    return dir
  }

  const fileHandle = async (
    file: string,
    create: boolean,
  ): Promise<FileHandle> => (await root(create)).getFileHandle(file, { create })

  const wrapFile = (file: string, h: SyncAccessHandle): StorageFile => {
    const where = describe(file)
    const guard = <T>(op: string, fn: () => T): T => {
      try {
        return fn()
      } catch (err) {
        throw fsError(op, where, err)
      }
    }
    return {
      size: () => guard('size of', () => h.getSize()),
      read: (buf, at) => guard('read', () => h.read(buf, { at })),
      write: (data, at) => guard('write', () => h.write(data, { at })),
      truncate: (size) => guard('truncate', () => h.truncate(size)),
      sync: () => guard('flush', () => h.flush()),
      close: () => {
        if (open.get(file) === h) open.delete(file)
        guard('close', () => h.close())
      },
    }
  }

  return {
    location,
    durableNames: false,
    describe,

    async prepare() {
      try {
        await root(true)
      } catch (err) {
        throw fsError('creating the store directory', location, err)
      }
    },

    async probeLock() {
      const name = lockName(segments.join('/'))
      await releasing.get(name)
      const held = (await navigator.locks?.query())?.held ?? []
      if (held.some((l) => l.name === name)) throw lockedError(location)
    },

    lock() {
      return takeLock(
        location,
        lockName(segments.join('/')),
        mode,
        options.signal,
      )
    },

    async list() {
      const names: string[] = []
      try {
        for await (const n of (await root(false)).keys()) names.push(n)
      } catch (err) {
        if (errorCode(err) === 'ENOENT') return []
        throw fsError('listing', location, err)
      }
      return names
    },

    async stat(file): Promise<StorageStat | null> {
      const h = open.get(file)
      if (h) return { size: h.getSize(), type: 'file' }
      let dir: DirectoryHandle
      try {
        dir = await root(false)
      } catch (err) {
        if (errorCode(err) === 'ENOENT') return null
        throw fsError('stat of', describe(file), err)
      }
      try {
        const f = await dir.getFileHandle(file)
        return { size: (await f.getFile()).size, type: 'file' }
      } catch (err) {
        if (errorCode(err) === 'ENOENT') return null
        if ((err as { name?: string }).name !== 'TypeMismatchError')
          throw fsError('stat of', describe(file), err)
      }
      return { size: 0, type: 'directory' }
    },

    async open(file, { write, create }) {
      try {
        const h = await (
          await fileHandle(file, create)
        ).createSyncAccessHandle({ mode: write ? 'readwrite' : 'read-only' })
        open.set(file, h)
        return wrapFile(file, h)
      } catch (err) {
        throw fsError('open', describe(file), err)
      }
    },

    async rename(from, to) {
      try {
        await (await fileHandle(from, false)).move(to)
      } catch (err) {
        throw fsError(`rename to ${to}:`, describe(from), err)
      }
    },

    async remove(file) {
      try {
        await (await root(false)).removeEntry(file)
      } catch (err) {
        if (errorCode(err) === 'ENOENT') return
        throw fsError('remove', describe(file), err)
      }
    },

    // OPFS has no directory fsync: names survive a process crash, not a power loss (see
    // storage.ts and docs/learn/durability.md).
    syncDir() {},
  }
}

/**
 * Locks this context released whose release the lock manager has not finished yet: `release()`
 * is synchronous, the Web Lock goes a moment later, and a store closed and opened again at
 * once in the same worker must not find its own lock still held.
 */
const releasing = new Map<string, Promise<unknown>>()

/** Takes the store's Web Lock; resolves once held, with a release that lets it go. */
async function takeLock(
  location: string,
  name: string,
  mode: 'ifAvailable' | 'wait',
  signal: AbortSignal | undefined,
): Promise<StorageLock> {
  await releasing.get(name)
  return requestLock(location, name, mode, signal)
}

function requestLock(
  location: string,
  name: string,
  mode: 'ifAvailable' | 'wait',
  signal: AbortSignal | undefined,
): Promise<StorageLock> {
  if (typeof navigator === 'undefined' || !navigator.locks) {
    return Promise.reject(
      new AofError(
        'AOF_IO',
        `Web Locks (navigator.locks) are not available here, so ${location} cannot be locked for one writer: open it in a secure context (https, or http://localhost / 127.0.0.1).`,
      ),
    )
  }
  return new Promise<StorageLock>((resolve, reject) => {
    let release!: () => void
    const held = new Promise<void>((r) => (release = r))
    const request: Promise<unknown> = navigator.locks.request(
      name,
      mode === 'wait'
        ? { mode: 'exclusive', ...(signal ? { signal } : {}) }
        : { mode: 'exclusive', ifAvailable: true },
      (lock) => {
        if (lock === null) {
          reject(lockedError(location))
          return undefined
        }
        let released = false
        resolve({
          release() {
            if (released) return
            released = true
            const forget = (): void => {
              if (releasing.get(name) === done) releasing.delete(name)
            }
            const done: Promise<void> = request.then(forget, forget)
            releasing.set(name, done)
            release()
          },
        })
        // The lock is held until this promise settles, or the tab or worker goes away.
        return held
      },
    )
    request.catch((err: unknown) => reject(err))
  })
}

function lockedError(location: string): AofError {
  return new AofError(
    'AOF_LOCKED',
    `The store ${location} is open in another tab or worker of this origin, which holds its lock: only one writer may open a store. Close the other tab, open this one with follow: true to mirror the writer and take over when it goes away, or use a different name.`,
  )
}

/**
 * Reads the files of a store directory whose names pass `pick`, without a sync access handle:
 * through `getFile()`, which works while another tab's worker holds the files (it sees what
 * that worker wrote). A file the writer removes or appends to during the read makes this throw
 * (`NotFoundError`, `NotReadableError`): the caller reads again.
 */
export async function readStoreFiles(
  name: string,
  pick: (file: string) => boolean,
): Promise<Map<string, Uint8Array>> {
  let dir =
    (await navigator.storage.getDirectory()) as unknown as DirectoryHandle
  for (const s of storeSegments(name)) dir = await dir.getDirectoryHandle(s)
  const out = new Map<string, Uint8Array>()
  for await (const file of dir.keys()) {
    if (!pick(file)) continue
    const f = await (await dir.getFileHandle(file)).getFile()
    out.set(file, new Uint8Array(await f.arrayBuffer()))
  }
  return out
}
