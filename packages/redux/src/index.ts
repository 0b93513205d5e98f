// The public API of @aof-persist/redux: every exported name is listed here, nothing else is.
export { aofPersist } from './aofPersist.js'
export { checkRecords, replayLog } from './replayLog.js'
export { withAof } from './withAof.js'

export type { RecordsCheck, ReplayResult } from './replayLog.js'
export type {
  AofPersistCommonOptions,
  AofPersistDirOptions,
  AofPersistLogOptions,
  AofPersistMiddleware,
  AofPersistOptions,
  AofPersistStats,
} from './types.js'
export type { CombinedReducer } from './withAof.js'
