// The public API of @aof-persist/core: every exported name is listed here, nothing else is.
export { openAof } from './aof.js'
export { AofError, isAofError } from './errors.js'
export {
  checkKind,
  describeRecord,
  locatedRecords,
  recordError,
  recordLocator,
  wrongKind,
} from './kind.js'
export { migrateState } from './migrate.js'
export { checkAof, readAofEntries } from './reader.js'
export { fixAof, truncateAofToTimestamp } from './repair.js'
export {
  findUnserializable,
  readSnapshot,
  snapshotAction,
  SNAPSHOT_TYPE,
} from './record.js'

export type { AofErrorCode, AofErrorLocation } from './errors.js'
export type { RecordLocation } from './kind.js'
export type { MigrateStateOptions } from './migrate.js'
export type {
  AofKind,
  SnapshotAction,
  SnapshotInfo,
  Unserializable,
} from './record.js'
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
