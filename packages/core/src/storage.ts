/**
 * The storage port: every file-system operation the engine performs goes through these two
 * small interfaces, so the same engine (and the same crash ordering) runs on Node's `fs`
 * (`nodeStorage`), in memory with injected faults (`memoryStorage`), and on a browser's Origin
 * Private File System (`@aof-persist/browser`).
 *
 * The split between synchronous and asynchronous operations follows what OPFS allows, which is
 * the strictest of the three:
 * - Data operations on an open file (`read`, `write`, `size`, `truncate`, `sync`, `close`) are
 *   synchronous everywhere. On OPFS they are a `FileSystemSyncAccessHandle`'s, which exists only
 *   in a dedicated worker; its `flush()` is a real fdatasync.
 * - Opening or creating a file, renaming, removing and listing may be asynchronous (they are on
 *   OPFS: handles are obtained with promises); Node's and the in-memory implementation answer
 *   synchronously. The engine drives its multi-step procedures (load, switching incr files,
 *   installing a base) with {@link runSync} or {@link runAsync}, so one copy of each procedure,
 *   with its crash-ordering comments, serves both.
 * - There is no append mode: writes name their offset, and the writer tracks it (OPFS has no
 *   O_APPEND).
 * - A file may have only one open read-write handle at a time (OPFS: a second
 *   `createSyncAccessHandle` on the same file, in any tab or worker of the origin, throws
 *   `NoModificationAllowedError`), and a file cannot be renamed or removed while it is open
 *   (OPFS: `move` and `removeEntry` throw then). The engine closes a file before it renames or
 *   removes it, and opens each file once.
 * - Directory sync may do nothing: OPFS keeps file names in a database that Chromium writes
 *   without fsync, so creations, renames and deletions survive a process crash (the browser
 *   killed) but may be lost or reordered by a power loss. `durableNames` says which kind a
 *   storage is; the engine orders its steps so that every state a lost name can leave still
 *   loads as a prefix of the log.
 * - Renaming over an existing name replaces it atomically against a process crash (POSIX
 *   `rename(2)`, OPFS `FileSystemHandle.move`).
 * - Errors carry a Node-style `code` where one applies (`ENOENT`, `ENOSPC`, `EIO`, `EBUSY`, ...):
 *   implementations map their platform's errors onto these (OPFS: `NotFoundError` is `ENOENT`,
 *   `QuotaExceededError` is `ENOSPC`, `NoModificationAllowedError` is `EBUSY`) and keep the
 *   original as `cause`. The engine wraps them as `AOF_IO` naming the file.
 */

/** A value now, or later. Synchronous storages return values; OPFS returns promises. */
export type Awaitable<T> = T | Promise<T>

/** What {@link Storage.stat} says of a directory entry. */
export interface StorageStat {
  /** Bytes of a file (0 for anything else). */
  size: number
  /** Only a `'file'` can be a log file; a symbolic link could send writes outside the store. */
  type: 'file' | 'directory' | 'symlink' | 'other'
}

/** An open file. Every operation is synchronous; offsets and sizes are in bytes. */
export interface StorageFile {
  /** The file's current size. */
  size(): number
  /** Reads up to `buf.length` bytes at offset `at` into `buf`; returns how many (0 at the end). */
  read(buf: Uint8Array, at: number): number
  /**
   * Writes `data` at offset `at` (past the end grows the file); returns the bytes written,
   * which may be fewer than `data.length` (a nearly full disk). Throws on failure.
   */
  write(data: Uint8Array, at: number): number
  /**
   * Writes `text` encoded as UTF-8 (a lone surrogate as U+FFFD, as `TextEncoder` does) at offset
   * `at`, like {@link StorageFile.write}: returns the bytes written, which may be fewer than the
   * text's UTF-8 length. Throws on failure. Optional: without it the engine encodes the text
   * and calls `write`. Node's fs writes a string without the engine's encode into a buffer and
   * the view over it, a measurable part of what one small write per turn costs; OPFS has no
   * string write.
   */
  writeText?(text: string, at: number): number
  /** Cuts (or zero-extends) the file to `size` bytes. */
  truncate(size: number): void
  /** fdatasync: once it returns, what was written (and the size) survives power loss. */
  sync(): void
  /**
   * {@link StorageFile.sync} off the calling thread (Node: libuv's thread pool), for the
   * `everysec` policy. Absent where `sync` already runs off the app's main thread (OPFS, in its
   * worker): the engine calls `sync` then.
   */
  syncInBackground?(): Promise<void>
  /** Closes the file. The handle is unusable afterwards. */
  close(): void
}

/** The store's single-writer lock, held from {@link Storage.lock} until `release`. */
export interface StorageLock {
  /** Releases the lock; idempotent. */
  release(): void
}

/** One store directory. Names are plain file names inside it, never paths. */
export interface Storage {
  /** Where the store lives, for messages: an absolute directory path, or e.g. `opfs:/todos`. */
  readonly location: string
  /**
   * True when {@link Storage.syncDir} makes creations, renames and removals durable against
   * power loss (Node); false when names are only safe against a process crash (OPFS).
   */
  readonly durableNames: boolean
  /** The name of a file in messages: an absolute path on Node. */
  describe(name: string): string
  /** Creates the store directory when missing (durably where the platform can). */
  prepare(): Awaitable<void>
  /**
   * Takes the store's single-writer lock, or throws an `AofError` `AOF_LOCKED` naming the
   * holder and what to do.
   */
  lock(): Awaitable<StorageLock>
  /**
   * Throws `AOF_LOCKED` when someone holds the lock, without taking it: for dry runs, which
   * must say up front that the real run would be refused. Optional: without it a dry run
   * cannot tell.
   */
  probeLock?(): Awaitable<void>
  /** Names of the entries in the store directory (any order). */
  list(): Awaitable<string[]>
  /** Type and size of an entry, without following a symbolic link; null when missing. */
  stat(name: string): Awaitable<StorageStat | null>
  /**
   * Opens a file. `write: false` opens it for reading only where the platform distinguishes;
   * `create: true` creates it when missing (never truncates an existing one). A missing file
   * without `create` throws with code `ENOENT`.
   */
  open(
    name: string,
    options: { write: boolean; create: boolean },
  ): Awaitable<StorageFile>
  /** Renames `from` to `to`, replacing `to` atomically. Neither may be open. */
  rename(from: string, to: string): Awaitable<void>
  /**
   * Removes a file; a missing file is not an error. It must not be open. With `background`,
   * the removal may run off the calling thread and answer with a promise (Node: the thread
   * pool, like Redis's bg_unlink, since freeing a large file can take the file system tens of
   * milliseconds).
   */
  remove(name: string, options?: { background?: boolean }): Awaitable<void>
  /** Makes the directory's names durable (fsync of the directory); a no-op where impossible. */
  syncDir(): Awaitable<void>
  /**
   * Decodes UTF-8 text read from the store's files, throwing on invalid bytes. Optional: the
   * engine uses `TextDecoder` without it. Node's is faster for the common all-ASCII case (a
   * check and a byte copy, twice the speed of a decoder on large records).
   */
  decodeText?(bytes: Uint8Array): string
}

/**
 * A procedure over the storage that runs synchronously on a synchronous storage and
 * asynchronously on an asynchronous one: written as a generator that passes every storage
 * call through `yield* io(...)`.
 */
export type Step<T> = Generator<unknown, T, unknown>

/** Awaits `value` inside a {@link Step} (a no-op for a value that is already there). */
export function* io<T>(value: Awaitable<T>): Generator<unknown, T, unknown> {
  return (yield value) as T
}

const isPromise = (v: unknown): v is Promise<unknown> =>
  typeof (v as { then?: unknown } | null)?.then === 'function'

/**
 * Runs a {@link Step} to the end on this stack. A storage operation that answers with a
 * promise is a misuse (an asynchronous storage behind a synchronous API): `TypeError`.
 */
export function runSync<T>(step: Step<T>): T {
  let r = step.next()
  while (!r.done) {
    if (isPromise(r.value)) {
      r.value.catch(() => {})
      const err = new TypeError(
        'aof-persist: this storage is asynchronous (it returned a promise); open it with openAofAsync(), not openAof().',
      )
      r = step.throw(err)
      continue
    }
    r = step.next(r.value)
  }
  return r.value
}

/**
 * Runs a {@link Step}, awaiting only the operations that return promises: on a synchronous
 * storage the whole step still runs on the caller's stack, before this returns, so no other
 * code can run between two of its operations.
 */
export function runAsync<T>(step: Step<T>): Promise<T> {
  let r: IteratorResult<unknown, T>
  try {
    r = step.next()
    while (!r.done && !isPromise(r.value)) r = step.next(r.value)
  } catch (err) {
    return Promise.reject(err)
  }
  if (r.done) return Promise.resolve(r.value)
  return (async () => {
    while (!r.done) {
      let settled: { ok: boolean; value: unknown }
      try {
        settled = { ok: true, value: await r.value }
      } catch (err) {
        settled = { ok: false, value: err }
      }
      r = settled.ok ? step.next(settled.value) : step.throw(settled.value)
      while (!r.done && !isPromise(r.value)) r = step.next(r.value)
    }
    return r.value
  })()
}
