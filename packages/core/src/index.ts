// The public API of @aof-persist/core: every exported name is listed here, nothing else is.
export { openAof } from './aof.js'
export { AofError, isAofError } from './errors.js'
export { checkAof, readAofEntries } from './reader.js'
export { memoryStorage } from './memoryStorage.js'
export { fixAof, truncateAofToTimestamp } from './repair.js'
export {
  findUnserializable,
  readSnapshot,
  snapshotAction,
  SNAPSHOT_TYPE,
} from './record.js'

export type { AofErrorCode, AofErrorLocation } from './errors.js'
export type { SnapshotAction, Unserializable } from './record.js'
export type {
  MemoryCrashState,
  MemoryEvent,
  MemoryFault,
  MemoryOp,
  MemoryStorage,
  MemoryStorageOptions,
} from './memoryStorage.js'
export type { CrashStateOptions, MemoryImage } from './memoryCrash.js'
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
