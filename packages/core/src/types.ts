import type { AofError } from './errors.js'
import type { Storage } from './storage.js'

/**
 * When appended records reach the disk, named after redis.conf's `appendfsync`:
 * - `always`: written and fdatasync'd before `append` returns (survives power loss).
 * - `everysec`: written to the OS before `append` returns when it comes alone (nothing else
 *   waiting, the first such in its millisecond); in a burst, as the task that appended returns
 *   to the event loop, by the end of the turn at the latest (survives a process crash);
 *   fdatasync'd off the main thread about once a second (power loss costs at most ~1 s).
 * - `no`: written the same way; when it reaches the platter is up to the OS.
 */
export type FsyncPolicy = 'always' | 'everysec' | 'no'

/** Lifecycle of an {@link Aof}. */
export type AofStatus = 'open' | 'closing' | 'closed'

/** Options of {@link openAof}, named after redis.conf. */
export interface AofOptions<A = unknown> {
  /**
   * The store directory, on Node. Created (mode 0700) when missing. Give either `dir` or
   * `storage`.
   */
  dir?: string
  /**
   * Where the store's files live, instead of `dir`: any implementation of the storage port
   * (`nodeStorage(dir)`, `memoryStorage()`, OPFS in `@aof-persist/browser`).
   * @default nodeStorage(dir)
   */
  storage?: Storage
  /**
   * Prefix of every file in `dir`, like redis.conf's `appendfilename`. A plain name, not a path.
   * @default 'appendonly.aof'
   */
  fileName?: string
  /**
   * The fsync policy, like redis.conf's `appendfsync`.
   * @default 'everysec'
   */
  fsync?: FsyncPolicy
  /**
   * Automatic rewrite when the log has grown by this percentage over the size of the base
   * after the last rewrite (redis.conf `auto-aof-rewrite-percentage`). 0 disables automatic
   * rewrites. Needs `snapshot`.
   * @default 100
   */
  autoRewritePercentage?: number
  /**
   * No automatic rewrite while base + incr files are smaller than this many bytes
   * (redis.conf `auto-aof-rewrite-min-size`). The default keeps start-up replay of a desktop
   * app's log short; see
   * https://github.com/aof-persist/aof-persist/blob/main/docs/learn/rewrite.md for the measurement.
   * @default 4194304 (4 MiB)
   */
  autoRewriteMinSize?: number
  /**
   * When the last incr file ends with a torn record (a crash in the middle of a write), cut it
   * back to the last complete record and go on (redis.conf `aof-load-truncated`). When false,
   * `openAof` throws `AOF_TRUNCATED` instead.
   * @default true
   */
  loadTruncated?: boolean
  /**
   * Write `#TS:<unix seconds>` annotation lines whenever the second changes, so
   * `aof truncate-to-timestamp` can restore a point in time (redis.conf `aof-timestamp-enabled`).
   * @default false
   */
  timestamps?: boolean
  /**
   * Returns the snapshot action used by automatic rewrites. Called at the moment the new incr
   * file starts; its result must reflect exactly the records appended before that moment.
   * Without it there are no automatic rewrites.
   */
  snapshot?: () => A
  /** Receives errors that happen off the caller's stack (background writes, fsyncs, rewrites). */
  onError?: (err: AofError) => void
}

/** The analog of Redis's `INFO persistence`, returned by {@link Aof.stats}. */
export interface AofStats {
  /** Lifecycle status. */
  status: AofStatus
  /** The fsync policy in force. */
  fsync: FsyncPolicy
  /** Bytes of base + incr files, counting what is still buffered (equal to their size on disk after `flush()`). */
  currentSize: number
  /** Size of base + incr files right after the last rewrite (or at open): the growth reference. */
  baseSize: number
  /** Bytes appended but not yet written to the OS. */
  bufferLength: number
  /** Records appended since open. */
  appended: number
  /** True while a rewrite runs. */
  rewriteInProgress: boolean
  /** Rewrites started since open (manual and automatic). */
  rewrites: number
  /** Rewrites that failed in a row; at 3 or more automatic rewrites back off (1, 2, 4 ... 60 min). */
  rewritesConsecutiveFailures: number
  /** Outcome of the last rewrite: `'ok'` also when none has run yet. */
  lastRewriteStatus: 'ok' | 'err'
  /** Milliseconds the last rewrite took, -1 when none has run. */
  lastRewriteTimeMs: number
  /** `'err'` while the last write or fsync failed and has not succeeded since. */
  lastWriteStatus: 'ok' | 'err'
  /** The last write or fsync error, until a write succeeds again. */
  lastWriteError: AofError | null
  /** True while a background fdatasync is running (everysec). */
  pendingFsync: boolean
  /** Times the once-a-second fdatasync was due while the previous one was still running (a slow disk). */
  delayedFsyncs: number
  /** Unix time (ms) of the last completed fdatasync, 0 when none. */
  lastFsyncAt: number
  /** Set when opening cut a torn tail off the last incr file: which file, where and how many bytes. */
  truncatedTail: { file: string; offset: number; bytes: number } | null
  /** The files the manifest lists, in load order. */
  files: { name: string; type: 'base' | 'incr'; seq: number }[]
}

/** An open, locked store directory. Created by {@link openAof}. */
export interface Aof<A = unknown> {
  /** The absolute path of the store directory. */
  readonly dir: string
  /** Lifecycle status. */
  readonly status: AofStatus
  /**
   * The logged records in order, the base's snapshot action first when a base exists. Reads the
   * files in chunks, so memory is bounded by the chunk size plus what the caller keeps. Throws
   * `AOF_CORRUPT` (naming file, line and byte offset) on a bad record.
   */
  records(): AofRecords<A>
  /** Appends one record; see {@link FsyncPolicy} for when it is durable. */
  append(record: A): void
  /**
   * Appends one record already serialized, as `JSON.stringify` writes it (one line, no
   * newline): for a process that encoded it elsewhere (a browser's main thread posting to the
   * worker that owns the files). The text is written as given.
   */
  appendJson(json: string): void
  /** Runs `fn`; the appends it makes share one write and one fdatasync (group commit). */
  batch<T>(fn: () => T): T
  /** Writes what is buffered and fdatasyncs now. */
  flush(): void
  /**
   * Resolves once every record appended before the call is on disk (fdatasync'd), under every
   * fsync policy (Redis's WAITAOF): what to await before telling a user "saved" without paying
   * `always` on every append. Rejects with `AOF_IO` when the write or the fdatasync fails, and
   * with `AOF_CLOSED` on a closed store.
   */
  durable(): Promise<void>
  /**
   * Compacts the log (BGREWRITEAOF): opens a new incr file for appends made from now on, writes
   * `snapshot` as the new base without blocking the event loop, switches the manifest
   * atomically and deletes the history files. Rejects with `AOF_REWRITE_IN_PROGRESS` when a
   * rewrite is already running; a failure leaves the previous files loadable.
   */
  rewrite(snapshot: A): Promise<void>
  /**
   * {@link Aof.rewrite} with a snapshot record that is already serialized: its JSON text (no
   * newline) in pieces, as they arrive (a browser worker receiving the main thread's
   * snapshot). The switch to a new incr file happens at the call, as for `rewrite`.
   */
  rewriteFrom(chunks: Iterable<string> | AsyncIterable<string>): Promise<void>
  /**
   * {@link Aof.rewrite}, synchronously: for migrations at start-up and offline tools. Needs a
   * synchronous storage (`TypeError` on OPFS).
   */
  rewriteSync(snapshot: A): void
  /**
   * Sets (or replaces) the function automatic rewrites call for the snapshot record, as the
   * `snapshot` option does: for a log opened before the state it holds exists, such as one an
   * app hands to an adapter (`aofPersist({ log })`, `aof(..., { log })`), which attach their own.
   * `undefined` turns automatic rewrites off.
   */
  setSnapshot(snapshot: (() => A) | undefined): void
  /** Persistence counters, like Redis's `INFO persistence`. */
  stats(): AofStats
  /** Waits for a running rewrite, flushes, fdatasyncs, closes the files and releases the lock. */
  close(): Promise<void>
  /** {@link Aof.close}, synchronously; a running rewrite is abandoned (its files are removed). */
  closeSync(): void
}

/**
 * The records of a store, as {@link Aof.records} returns them: iterate them (once per
 * iteration, the files are read again), and when a record turns out to be wrong for the app,
 * ask {@link AofRecords.at} where it is, so the error can name file and line.
 */
export interface AofRecords<A = unknown> extends Iterable<A> {
  /**
   * Where the record most recently yielded lies: absolute file path, 1-based line number and
   * byte offset. Null before the first record. Valid while the iteration is paused on it.
   */
  at(): { file: string; line: number; offset: number } | null
}

/** One file of a store directory as the manifest lists it. */
export interface ManifestEntry {
  /** The file name, relative to the store directory. */
  name: string
  /** The sequence number. */
  seq: number
  /** `base`, `history` or `incr` (manifest types `b`, `h`, `i`). */
  type: 'base' | 'history' | 'incr'
}

/** Options of the read-only functions {@link checkAof} and {@link readAofEntries}. */
export interface ReadAofOptions {
  /** The store directory (Node). Give either `dir` or `storage`. */
  dir?: string
  /** The store's storage, instead of `dir` (a synchronous one). */
  storage?: Storage
  /** @default 'appendonly.aof' */
  fileName?: string
  /** Called as bytes are read, for progress bars: bytes done and bytes in all files. */
  onProgress?: (done: number, total: number) => void
}

/** One line of a log file as {@link readAofEntries} returns it. */
export type AofEntry =
  | {
      kind: 'record'
      /** File name, relative to the store directory. */
      file: string
      /** 1-based line number. */
      line: number
      /** Byte offset of the line's first byte. */
      offset: number
      /** Bytes of the line, newline included. */
      length: number
      /** The parsed record. */
      value: unknown
    }
  | {
      kind: 'timestamp'
      file: string
      line: number
      offset: number
      length: number
      /** Unix seconds of a `#TS:` annotation. */
      time: number
    }

/** The first problem found in a store directory. */
export interface AofProblem {
  /** `AOF_TRUNCATED`: a torn tail of the last incr file. `AOF_CORRUPT`: anything else. */
  code: 'AOF_TRUNCATED' | 'AOF_CORRUPT'
  /** File name, relative to the store directory. */
  file: string
  /** 1-based line number of the bad line. */
  line: number
  /** Byte offset where the bad line starts (the last good offset). */
  offset: number
  /** What is wrong, in a few words, without the place or the advice. */
  reason: string
  /** What is wrong, where, and what to do. */
  message: string
}

/** What {@link checkAof} found in one file. */
export interface AofFileReport {
  name: string
  path: string
  type: 'base' | 'incr'
  seq: number
  /** Bytes on disk. */
  size: number
  /** Valid records before the first problem. */
  records: number
  /** `#TS:` annotations before the first problem. */
  timestamps: number
  /** Byte offset just past the last good line (equals `size` when the file is valid). */
  lastGoodOffset: number
  /** Line number of the last good line, 0 when none. */
  lastGoodLine: number
  /** The first problem in this file, or null. */
  problem: AofProblem | null
}

/** The result of {@link checkAof}. */
export interface AofReport {
  dir: string
  fileName: string
  manifestPath: string
  /** Every manifest line, history included. */
  manifest: ManifestEntry[]
  /** Base and incr files in load order. */
  files: AofFileReport[]
  /** True when every file is valid. */
  ok: boolean
  /** The first problem in load order, or null. */
  problem: AofProblem | null
}

/** What {@link fixAof} or {@link truncateAofToTimestamp} cut (or would cut, with `dryRun`). */
export interface AofCut {
  /** File name, relative to the store directory. */
  file: string
  path: string
  /** Size before the cut. */
  size: number
  /** Size after the cut. */
  newSize: number
  /** 1-based line number of the first line removed. */
  line: number
}
