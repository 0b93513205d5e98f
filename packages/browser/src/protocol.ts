// The messages between the main thread's Aof (browserAof.ts) and the worker that runs the engine
// (worker.ts), and between the tabs of one store (mirror.ts). One copy of each shape.
import {
  AofError,
  type AofStats,
  type FsyncPolicy,
} from '@aof-persist/core/portable'

/** What the worker needs to open the store. */
export interface WorkerOpenOptions {
  name: string
  fileName: string
  fsync: FsyncPolicy
  autoRewritePercentage: number
  autoRewriteMinSize: number
  loadTruncated: boolean
  timestamps: boolean
  follow: boolean
}

/** A store's files as bytes: what `records()` replays and `archive()` packs. */
export interface LogFiles {
  /** `opfs:/<name>`, for messages and `at()`. */
  location: string
  fileName: string
  manifest: Uint8Array | null
  /** Base and incr files in load order. */
  files: { name: string; type: 'base' | 'incr'; bytes: Uint8Array }[]
}

/** An error as it crosses postMessage: an AofError is rebuilt on the other side. */
export interface WireError {
  name: string
  message: string
  code?: string
  file?: string
  line?: number
  offset?: number
  cause?: WireError
}

/** {@link AofStats} with its error as a {@link WireError}. */
export type WireStats = Omit<AofStats, 'lastWriteError'> & {
  lastWriteError: WireError | null
}

export type ToWorker =
  | { t: 'open'; options: WorkerOpenOptions }
  | { t: 'append'; lines: string[] }
  | { t: 'flush' }
  | { t: 'durable'; id: number }
  | { t: 'rewrite'; id: number }
  | { t: 'chunk'; id: number; text: string }
  | { t: 'end'; id: number }
  | { t: 'abort'; id: number; error: WireError }
  | { t: 'archive'; id: number }
  | { t: 'close'; id: number }
  /** The page's answer to a follower's durable(): its records are on disk, or failed. */
  | { t: 'durableFor'; tab: string; id: number; error?: WireError }

export type FromWorker =
  /** Open as the writer: the files as loaded (torn tail cut). */
  | {
      t: 'opened'
      log: LogFiles
      stats: WireStats
      persistent: boolean | null
    }
  /** Another tab writes: this one follows it from `log`, read at the writer's position. */
  | {
      t: 'following'
      log: LogFiles
      position: Position
      persistent: boolean | null
    }
  /** The writer went away and this worker now holds the store (follow: true). */
  | {
      t: 'tookOver'
      /** The records the old writer wrote after the last one mirrored here. */
      lines?: string[]
      /** Instead of `lines`: the whole log, when the mirror's position is not in it any more. */
      log?: LogFiles
      stats: WireStats
    }
  | { t: 'failed'; error: WireError }
  /** An append message was handled (under `always`: written and flushed). */
  | { t: 'appended'; count: number; stats: WireStats | null }
  /**
   * Records a follower sent to this writer. The page applies them and appends them itself, in
   * the order of its own appends, so the log's order is the order its store applied them in.
   */
  | {
      t: 'forwarded'
      lines: string[]
      /** The follower's durable() waiting for these records. */
      durable?: { tab: string; id: number }
    }
  /** Records the writer of another tab wrote: to apply without logging (followers). */
  | { t: 'mirrored'; lines: string[]; position: Position }
  /** The mirror lost its place (a missed message): rebuild from these files. */
  | { t: 'resync'; log: LogFiles; position: Position }
  | { t: 'done'; id: number; error?: WireError; stats?: WireStats }
  | { t: 'archived'; id: number; tar: ArrayBuffer }
  | { t: 'error'; error: WireError; stats: WireStats }

/** Where a follower is in the writer's log: the current incr file and the end of its last line. */
export interface Position {
  file: string
  offset: number
}

/**
 * What the writer's worker says on the store's BroadcastChannel: the bytes it wrote to an incr
 * file (once written, they are in the file, so a follower never applies a record a crash can
 * take back), a cut of a partial write, and the store closing. Followers send `forward`: records
 * of their own for the writer to log.
 */
export type ChannelMessage =
  | { t: 'write'; file: string; at: number; bytes: Uint8Array }
  | { t: 'truncate'; file: string; size: number }
  | { t: 'forward'; lines: string[]; durable?: { tab: string; id: number } }
  /** The writer's answer to a follower's `durable()`: its records are on disk (or failed). */
  | { t: 'durable'; tab: string; id: number; error?: WireError }
  | { t: 'closed' }

/** The BroadcastChannel of a store: one per store name and origin. */
export const channelName = (name: string, fileName: string): string =>
  `aof-persist:opfs:/${name}#${fileName}`

export function toWire(err: unknown): WireError {
  if (typeof err !== 'object' || err === null)
    return { name: 'Error', message: String(err) }
  const e = err as Partial<AofError> & { cause?: unknown; code?: unknown }
  const out: WireError = {
    name: typeof e.name === 'string' ? e.name : 'Error',
    message: typeof e.message === 'string' ? e.message : String(err),
  }
  if (typeof e.code === 'string') out.code = e.code
  if (typeof e.file === 'string') out.file = e.file
  if (typeof e.line === 'number') out.line = e.line
  if (typeof e.offset === 'number') out.offset = e.offset
  if (e.cause !== undefined) out.cause = toWire(e.cause)
  return out
}

/** Rebuilds an error: an `AofError` when it was one, an `Error` with its name and code otherwise. */
export function fromWire(w: WireError): Error {
  const cause = w.cause ? fromWire(w.cause) : undefined
  if (w.name === 'AofError' && w.code) {
    return new AofError(w.code as AofError['code'], w.message, {
      file: w.file,
      line: w.line,
      offset: w.offset,
      cause,
    })
  }
  const e = new Error(w.message, cause ? { cause } : undefined) as Error & {
    code?: string
  }
  e.name = w.name
  if (w.code) e.code = w.code
  return e
}

export const statsFromWire = (s: WireStats): AofStats => ({
  ...s,
  lastWriteError: s.lastWriteError
    ? (fromWire(s.lastWriteError) as AofError)
    : null,
})

export function statsToWire(s: AofStats): WireStats {
  return {
    ...s,
    files: s.files.map((f) => ({ ...f })),
    truncatedTail: s.truncatedTail ? { ...s.truncatedTail } : null,
    lastWriteError: s.lastWriteError ? toWire(s.lastWriteError) : null,
  }
}
