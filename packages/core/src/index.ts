// The public API of @aof-persist/core on Node: every exported name is listed here, nothing
// else is. portable.ts is the same API without Node's file system (for browsers and workers).
export {
  checkAof,
  fixAof,
  openAof,
  openAofAsync,
  readAofEntries,
  truncateAofToTimestamp,
} from './node.js'
export { nodeStorage } from './nodeStorage.js'
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
