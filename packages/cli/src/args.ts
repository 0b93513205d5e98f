/** Exit status of every command: 0 success, 1 invalid store, refusal or failure, 2 usage error. */
export const EXIT_OK = 0
export const EXIT_FAILURE = 1
export const EXIT_USAGE = 2

/** A wrong command line: printed with a pointer to `--help`, exit status 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError'
}

/**
 * A refusal or failure the command has already explained (or explains with `message`):
 * exit status 1, no stack trace.
 */
export class CommandFailure extends Error {
  override readonly name = 'CommandFailure'
}

/** The store's file prefix when `--file-name` is not given, as in the core and redis.conf. */
export const DEFAULT_FILE_NAME = 'appendonly.aof'

/** Validates `--file-name` with redis.conf's rules for `appendfilename`. */
export function parseFileName(value: string | undefined): string {
  if (value === undefined) return DEFAULT_FILE_NAME
  if (value === '') throw new UsageError("--file-name can't be empty")
  if (/[/\\]/.test(value))
    throw new UsageError("--file-name can't be a path, just a file name")
  return value
}

/** Unix seconds: a non-negative integer, as redis-check-aof's `--truncate-to-timestamp` takes. */
export function parseTimestamp(value: string, what: string): number {
  if (!/^\d+$/.test(value)) {
    throw new UsageError(
      `Invalid timestamp for ${what}: "${value}" (expected unix seconds, e.g. 1700000000)`,
    )
  }
  const n = Number(value)
  if (!Number.isSafeInteger(n))
    throw new UsageError(
      `Invalid timestamp for ${what}: "${value}" is too large`,
    )
  return n
}

/** A non-negative integer option. */
export function parseCount(value: string, option: string): number {
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(Number(value))) {
    throw new UsageError(
      `${option} must be a non-negative integer, got "${value}"`,
    )
  }
  return Number(value)
}

const UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1000,
  kb: 1024,
  m: 1000 ** 2,
  mb: 1024 ** 2,
  g: 1000 ** 3,
  gb: 1024 ** 3,
}

/**
 * A size in bytes with redis.conf's memory units (case-insensitive): `1k` = 1000, `1kb` = 1024,
 * `1m`, `1mb`, `1g`, `1gb`; also `kib`, `mib`, `gib` for 1024-based sizes.
 */
export function parseSize(value: string, option: string): number {
  const match = /^(\d+)\s*([a-z]*)$/i.exec(value.trim())
  const unit = match?.[2]?.toLowerCase().replace(/ib$/, 'b') ?? ''
  const factor = UNITS[unit]
  if (!match || factor === undefined) {
    throw new UsageError(
      `${option} must be a size in bytes, e.g. 4194304, 4mb or 64mb; got "${value}"`,
    )
  }
  const n = Number(match[1]) * factor
  if (!Number.isSafeInteger(n))
    throw new UsageError(`${option} is too large: "${value}"`)
  return n
}

/** Quotes `arg` for a POSIX shell when it needs it, so a printed command can be pasted. */
export function shellQuote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`
}
