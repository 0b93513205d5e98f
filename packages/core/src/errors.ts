/**
 * Stable error codes. Codes are API (branch on them); messages may improve between releases.
 * Each code has an entry in docs/reference/errors.md (the `DOCS` address below).
 */
export type AofErrorCode =
  /** Another process (or another `openAof` in this process) holds the directory's lock. */
  | 'AOF_LOCKED'
  /** A record in the middle of the log is not valid JSON, or a file that is not the last ends mid-record. */
  | 'AOF_CORRUPT'
  /** The last incr file ends with a torn (incomplete) record and `loadTruncated` is false. */
  | 'AOF_TRUNCATED'
  /** The manifest is missing a file, malformed, or lists a file that does not exist. */
  | 'AOF_MANIFEST_INVALID'
  /** A read, write, fsync or rename failed (ENOSPC, EIO, EACCES, ...); the Node error is `cause`. */
  | 'AOF_IO'
  /** The log was used after `close()`. */
  | 'AOF_CLOSED'
  /** A value JSON cannot hold faithfully (cycle, BigInt, ...) was appended; nothing was written. */
  | 'AOF_NOT_SERIALIZABLE'
  /** `rewrite()` was called while another rewrite was still running. */
  | 'AOF_REWRITE_IN_PROGRESS'
  /** A rewrite failed; the previous files are kept and still load. */
  | 'AOF_REWRITE_FAILED'
  /** The stored state's version differs and could not be migrated (adapters). */
  | 'AOF_MIGRATE_FAILED'
  /** A repair was refused because it would remove more than a torn or damaged tail (`fixAof`, `truncateAofToTimestamp`). */
  | 'AOF_REFUSED'
  /** The store was wired up wrongly (for example the root reducer is not wrapped with `withAof`). */
  | 'AOF_SETUP'
  /** A store written by one adapter was opened with another (Redux vs Zustand); nothing was written. */
  | 'AOF_WRONG_KIND'
  /** The app's code (a reducer) threw while an adapter replayed a logged record; nothing was written. */
  | 'AOF_REPLAY_FAILED'

/**
 * Where the reference pages live, for messages: an installed package does not contain the
 * repository's docs/ folder.
 */
export const DOCS =
  'https://github.com/aof-persist/aof-persist/blob/main/docs/reference/'

/** Where in the store directory an error was found. */
export interface AofErrorLocation {
  /** Absolute path of the file concerned. */
  file?: string
  /** 1-based line number in `file`. */
  line?: number
  /** Byte offset in `file` where the problem starts. */
  offset?: number
}

/**
 * The one error class of aof-persist. `code` is stable; `cause` carries the underlying Node
 * error when there is one; `file`, `line` and `offset` say where the problem is.
 */
export class AofError extends Error {
  override readonly name = 'AofError'
  readonly code: AofErrorCode
  readonly file: string | undefined
  readonly line: number | undefined
  readonly offset: number | undefined

  constructor(
    code: AofErrorCode,
    message: string,
    options: AofErrorLocation & { cause?: unknown } = {},
  ) {
    super(
      message,
      options.cause === undefined ? undefined : { cause: options.cause },
    )
    this.code = code
    this.file = options.file
    this.line = options.line
    this.offset = options.offset
  }
}

/**
 * True when `err` is an {@link AofError}, optionally with the given code. It also knows an
 * AofError of another copy of this package (the ESM and the CommonJS build loaded side by side,
 * two versions in one app), where `instanceof` would say no.
 */
export function isAofError(err: unknown, code?: AofErrorCode): err is AofError {
  const isOne =
    err instanceof AofError ||
    (err instanceof Error &&
      err.name === 'AofError' &&
      typeof (err as { code?: unknown }).code === 'string')
  return isOne && (code === undefined || (err as AofError).code === code)
}

/**
 * Wraps a storage error as `AOF_IO`, naming the operation, the file and what to do next. An
 * `AofError` (a lock, a manifest error raised inside the operation) passes through unchanged.
 */
export function ioError(
  op: string,
  file: string,
  cause: unknown,
  next?: string,
): AofError {
  if (cause instanceof AofError) return cause
  const c = cause as { code?: unknown; message?: unknown } | null | undefined
  const reason =
    typeof c?.code === 'string'
      ? c.code
      : typeof c?.message === 'string'
        ? c.message
        : String(cause)
  return new AofError(
    'AOF_IO',
    `${op} failed for ${file}: ${reason}.${next ? ` ${next}` : ''}`,
    { file, cause },
  )
}

/**
 * Calls an app's callback (`onError`, a subscriber) with `value`, if there is one. What the
 * callback throws is a bug in the app: it surfaces as an uncaught error on a microtask, not in
 * the middle of the caller's I/O or dispatch.
 */
export function notify<T>(
  callback: ((value: T) => void) | undefined,
  value: T,
): void {
  if (!callback) return
  try {
    callback(value)
  } catch (thrown) {
    queueMicrotask(() => {
      throw thrown
    })
  }
}
