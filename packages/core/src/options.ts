import { AofError } from './errors.js'
import { isPath } from './manifest.js'
import type { Storage } from './storage.js'
import type { AofOptions, FsyncPolicy } from './types.js'

/** The default `fileName`, Redis's default `appendfilename`. */
export const DEFAULT_FILE_NAME = 'appendonly.aof'

/** Default `autoRewritePercentage`: rewrite once the log has doubled since the last rewrite. */
export const DEFAULT_AUTO_REWRITE_PERCENTAGE = 100

/**
 * Default `autoRewriteMinSize`: 4 MiB. See
 * https://github.com/aof-persist/aof-persist/blob/main/docs/learn/rewrite.md for the start-up
 * time it buys.
 */
export const DEFAULT_AUTO_REWRITE_MIN_SIZE = 4 * 1024 * 1024

/** The fsync policies, in redis.conf's order. */
export const FSYNC_POLICIES: readonly FsyncPolicy[] = [
  'always',
  'everysec',
  'no',
]

/**
 * Redis's automatic-rewrite rule (`serverCron`): a rewrite is due once the log is larger than
 * `autoRewriteMinSize` and has grown by at least `autoRewritePercentage` percent over
 * `baseSize` (the size right after the last rewrite, or of the base at start-up; a store
 * without one counts as 1 byte, as Redis does). A percentage of 0 disables it.
 */
export function isRewriteDue(s: {
  currentSize: number
  baseSize: number
  autoRewritePercentage?: number
  autoRewriteMinSize?: number
}): boolean {
  const percentage = s.autoRewritePercentage ?? DEFAULT_AUTO_REWRITE_PERCENTAGE
  const minSize = s.autoRewriteMinSize ?? DEFAULT_AUTO_REWRITE_MIN_SIZE
  if (percentage <= 0 || s.currentSize <= minSize) return false
  return growthPercent(s.currentSize, s.baseSize) >= percentage
}

/**
 * A size below which {@link isRewriteDue} is false for this base and these options (Infinity
 * when it never is): a smaller log needs no check. It errs low, never high.
 */
export function rewriteDueSize(
  baseSize: number,
  o: { autoRewritePercentage: number; autoRewriteMinSize: number },
): number {
  if (o.autoRewritePercentage <= 0) return Infinity
  const base = baseSize > 0 ? baseSize : 1
  const grown = Math.floor(((o.autoRewritePercentage + 100) * base) / 100) - 1
  return Math.max(o.autoRewriteMinSize + 1, grown)
}

/** Growth of `currentSize` over `baseSize` in whole percent, as Redis computes it. */
export function growthPercent(currentSize: number, baseSize: number): number {
  const base = baseSize > 0 ? baseSize : 1
  return Math.floor((currentSize * 100) / base) - 100
}

/** The options of {@link openAof} after checking, with their defaults. */
export interface Resolved<A> {
  storage: Storage
  fileName: string
  fsync: FsyncPolicy
  autoRewritePercentage: number
  autoRewriteMinSize: number
  loadTruncated: boolean
  timestamps: boolean
  snapshot: (() => A) | undefined
  onError: ((err: AofError) => void) | undefined
}

const bad = (name: string, want: string, got: unknown) =>
  new TypeError(
    `aof-persist: option "${name}" must be ${want}, got ${typeof got === 'function' ? 'a function' : (JSON.stringify(got) ?? String(got))}`,
  )

/**
 * Checks `options` (a `TypeError` naming the first bad one) and fills in the defaults.
 * `defaultStorage` makes the storage for `dir` where the platform has one (Node's `fs`).
 */
export function resolveOptions<A>(
  options: AofOptions<A>,
  defaultStorage?: (dir: string) => Storage,
): Resolved<A> {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(
      'aof-persist: openAof(options) needs an options object with "dir" (or "storage")',
    )
  }
  const o = options
  let storage: Storage
  if (o.storage !== undefined) {
    if (o.dir !== undefined) {
      throw new TypeError(
        'aof-persist: give openAof either "dir" or "storage", not both (a storage already names its place)',
      )
    }
    if (
      typeof o.storage !== 'object' ||
      o.storage === null ||
      typeof o.storage.open !== 'function'
    ) {
      throw bad(
        'storage',
        'a Storage (nodeStorage(dir), memoryStorage(), ...)',
        o.storage,
      )
    }
    storage = o.storage
  } else {
    if (typeof o.dir !== 'string' || o.dir === '')
      throw bad('dir', 'a non-empty string', o.dir)
    if (!defaultStorage) {
      throw new TypeError(
        'aof-persist: "dir" needs Node\'s file system; on this platform pass "storage" instead',
      )
    }
    storage = defaultStorage(o.dir)
  }
  const fileName = o.fileName ?? DEFAULT_FILE_NAME
  if (
    typeof fileName !== 'string' ||
    fileName === '' ||
    isPath(fileName) ||
    fileName.includes('\0')
  ) {
    throw bad('fileName', 'a plain file name (no path separators)', o.fileName)
  }
  const fsync = o.fsync ?? 'everysec'
  if (!FSYNC_POLICIES.includes(fsync)) {
    throw bad(
      'fsync',
      `one of ${FSYNC_POLICIES.map((p) => `'${p}'`).join(', ')}`,
      o.fsync,
    )
  }
  const perc = o.autoRewritePercentage ?? DEFAULT_AUTO_REWRITE_PERCENTAGE
  if (typeof perc !== 'number' || !Number.isFinite(perc) || perc < 0) {
    throw bad(
      'autoRewritePercentage',
      'a number >= 0 (0 disables automatic rewrites)',
      perc,
    )
  }
  const minSize = o.autoRewriteMinSize ?? DEFAULT_AUTO_REWRITE_MIN_SIZE
  if (typeof minSize !== 'number' || !Number.isFinite(minSize) || minSize < 0) {
    throw bad('autoRewriteMinSize', 'a number of bytes >= 0', minSize)
  }
  for (const name of ['loadTruncated', 'timestamps'] as const) {
    if (o[name] !== undefined && typeof o[name] !== 'boolean') {
      throw bad(name, 'a boolean', o[name])
    }
  }
  for (const name of ['snapshot', 'onError'] as const) {
    if (o[name] !== undefined && typeof o[name] !== 'function') {
      throw bad(name, 'a function', o[name])
    }
  }
  return {
    storage,
    fileName,
    fsync,
    autoRewritePercentage: perc,
    autoRewriteMinSize: minSize,
    loadTruncated: o.loadTruncated ?? true,
    timestamps: o.timestamps ?? false,
    snapshot: o.snapshot,
    onError: o.onError,
  }
}
