// TEMPORARY: stands in for @aof-persist/core/portable until the engine refactor lands on main
// (the browser build and typecheck alias that subpath here). Removed at the merge.
/* eslint-disable no-restricted-imports */
export { AofError, isAofError } from '../../core/src/errors.js'
export { io, runAsync, runSync } from '../../core/src/storage.js'
export type { AofErrorCode } from '../../core/src/errors.js'
export type {
  Awaitable,
  Storage,
  StorageFile,
  StorageLock,
  StorageStat,
} from '../../core/src/storage.js'
export type {
  Aof,
  AofRecords,
  AofStats,
  AofStatus,
  FsyncPolicy,
} from '../../core/src/types.js'
