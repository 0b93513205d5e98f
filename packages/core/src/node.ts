// The Node forms of the entry points: `dir` means a directory on Node's file system
// (nodeStorage). The portable entry (portable.ts) has the same functions without that default.
import { openAofAsyncOn, openAofOn } from './aof.js'
import { checkAofOn, readAofEntriesOn } from './check.js'
import { nodeStorage } from './nodeStorage.js'
import {
  fixAofOn,
  truncateAofToTimestampOn,
  type RepairOptions,
} from './repair.js'
import type {
  Aof,
  AofCut,
  AofEntry,
  AofOptions,
  AofReport,
  ReadAofOptions,
} from './types.js'

/**
 * Opens a store synchronously: creates its directory if missing (mode 0700), takes the
 * single-writer lock, reads and validates the manifest, and checks the tail of the last incr
 * file so that an append never follows a torn record. `storage` may replace `dir` (a
 * synchronous storage; `openAofAsync` takes any).
 *
 * @throws AofError `AOF_LOCKED`, `AOF_MANIFEST_INVALID`, `AOF_CORRUPT`, `AOF_TRUNCATED`, `AOF_IO`
 * @throws TypeError for an option of the wrong type, naming the option
 */
export const openAof = <A = unknown>(options: AofOptions<A>): Aof<A> =>
  openAofOn(options, nodeStorage)

/** {@link openAof} for any storage, asynchronous ones (a browser's OPFS) included. */
export const openAofAsync = <A = unknown>(
  options: AofOptions<A>,
): Promise<Aof<A>> => openAofAsyncOn(options, nodeStorage)

/**
 * Validates a store without writing anything, without taking its lock and without
 * repairing: the manifest, then every base and incr file, line by line. Reports per file the
 * records, the last good offset and line, and the first problem. Throws `AOF_MANIFEST_INVALID`
 * when the manifest is missing or invalid or lists a missing file.
 */
export const checkAof = (options: ReadAofOptions): AofReport =>
  checkAofOn(options, nodeStorage)

/**
 * Every record and `#TS:` annotation of a store in load order, with file, line, byte offset
 * and length: read-only, no lock, no repair. Throws `AOF_CORRUPT` or `AOF_TRUNCATED` when it
 * reaches a bad line (after yielding everything before it).
 */
export const readAofEntries = (options: ReadAofOptions): Generator<AofEntry> =>
  readAofEntriesOn(options, nodeStorage)

/**
 * Repairs a store the way `redis-check-aof --fix` does: cuts the last incr file back to the
 * start of its first bad record, keeping every record before it. Returns what was cut (with
 * `dryRun`, what would be), or null when the store is valid. Takes the store's lock. Refuses
 * with `AOF_REFUSED` when the damage is not in the last file.
 */
export const fixAof = (options: RepairOptions): AofCut | null =>
  fixAofOn(options, nodeStorage)

/**
 * Point-in-time recovery (`redis-check-aof --truncate-to-timestamp`): cuts the last file at
 * the first `#TS:` annotation later than `timestamp` (unix seconds). Returns what was cut, or
 * null when no annotation is later. Takes the lock unless `dryRun`.
 */
export const truncateAofToTimestamp = (
  options: RepairOptions & { timestamp: number },
): AofCut | null => truncateAofToTimestampOn(options, nodeStorage)
