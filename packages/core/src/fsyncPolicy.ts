import type { FsyncPolicy } from './types.js'

export const FSYNC_POLICIES: readonly FsyncPolicy[] = [
  'always',
  'everysec',
  'no',
]

/** How often the background timer looks for written-but-unsynced data and failed writes. */
export const CRON_MS = 250

/** everysec: at most one fdatasync per this many milliseconds. */
export const FSYNC_INTERVAL_MS = 1000

/** Automatic rewrites back off after this many failures in a row (Redis's threshold). */
export const REWRITE_FAILURE_THRESHOLD = 3

/**
 * Delay before the next automatic rewrite after `failures` failures in a row: 1, 2, 4 ...
 * minutes, at most 60, once the threshold is reached (Redis's `aofRewriteLimited`).
 */
export function rewriteBackoffMs(failures: number): number {
  if (failures < REWRITE_FAILURE_THRESHOLD) return 0
  const minutes = Math.min(60, 2 ** (failures - REWRITE_FAILURE_THRESHOLD))
  return minutes * 60_000
}
