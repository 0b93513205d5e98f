// The public API of @aof-persist/core/portable: the engine and the tools without Node's file
// system, for browsers and workers (no Node built-in is imported from here). Every function
// takes a `storage`; `dir` is not understood. Every exported name is listed here.
import { openAofAsyncOn, openAofOn } from './aof.js'
import { checkAofOn, readAofEntriesOn } from './check.js'
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

/** Opens a store on a synchronous storage (see the Node entry's `openAof`). */
export const openAof = <A = unknown>(options: AofOptions<A>): Aof<A> =>
  openAofOn(options)
/** Opens a store on any storage, asynchronous ones (OPFS) included. */
export const openAofAsync = <A = unknown>(
  options: AofOptions<A>,
): Promise<Aof<A>> => openAofAsyncOn(options)
/** Validates a store on a synchronous storage (see the Node entry's `checkAof`). */
export const checkAof = (options: ReadAofOptions): AofReport =>
  checkAofOn(options)
/** Every record and annotation of a store on a synchronous storage, located. */
export const readAofEntries = (options: ReadAofOptions): Generator<AofEntry> =>
  readAofEntriesOn(options)
/** Cuts a torn or damaged tail (see the Node entry's `fixAof`). */
export const fixAof = (options: RepairOptions): AofCut | null =>
  fixAofOn(options)
/** Point-in-time recovery (see the Node entry's `truncateAofToTimestamp`). */
export const truncateAofToTimestamp = (
  options: RepairOptions & { timestamp: number },
): AofCut | null => truncateAofToTimestampOn(options)

export {
  checkOptionNames,
  followFailed,
  givenLog,
  OPEN_OPTIONS,
} from './adapters.js'
export { AofError, isAofError, notify } from './errors.js'
export {
  checkKind,
  describeRecord,
  locatedRecords,
  recordError,
  recordLocator,
  wrongKind,
} from './kind.js'
export { migrateState } from './migrate.js'
export {
  DEFAULT_AUTO_REWRITE_MIN_SIZE,
  DEFAULT_AUTO_REWRITE_PERCENTAGE,
  DEFAULT_FILE_NAME,
  growthPercent,
  isRewriteDue,
} from './options.js'
export {
  encodeJson,
  findUnserializable,
  readSnapshot,
  snapshotAction,
  SNAPSHOT_TYPE,
} from './record.js'
export { memoryStorage } from './memoryStorage.js'
export { rewriteBackoffMs } from './rewrite.js'
export { io, runAsync, runSync } from './storage.js'
export { stringifyInSlices } from './stringify.js'

export type {
  AdapterOptionNames,
  FollowEvent,
  FollowingLog,
} from './adapters.js'
export type { AofErrorCode, AofErrorLocation } from './errors.js'
export type { RecordLocation } from './kind.js'
export type { MigrateStateOptions } from './migrate.js'
export type {
  AofKind,
  SnapshotAction,
  SnapshotInfo,
  Unserializable,
} from './record.js'
export type { CrashStateOptions, MemoryImage } from './memoryCrash.js'
export type {
  MemoryCrashState,
  MemoryEvent,
  MemoryFault,
  MemoryOp,
  MemoryStorage,
  MemoryStorageOptions,
} from './memoryStorage.js'
export type { RepairOptions } from './repair.js'
export type {
  Awaitable,
  Step,
  Storage,
  StorageFile,
  StorageLock,
  StorageStat,
} from './storage.js'
export type {
  Aof,
  AofCut,
  AofEntry,
  AofFileReport,
  AofOptions,
  AofProblem,
  AofRecords,
  AofReport,
  AofStats,
  AofStatus,
  FsyncPolicy,
  ManifestEntry,
  ReadAofOptions,
} from './types.js'
