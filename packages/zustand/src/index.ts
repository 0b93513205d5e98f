// The public API of @aof-persist/zustand: every exported name is listed here, nothing else is.
export { aof } from './aof.js'
export { checkRecords, replayLog } from './replayLog.js'

export type { Replacer, Reviver } from './codec.js'
export type { Patch } from './patches.js'
export type {
  PatchRecord,
  RecordsCheck,
  ReplayLogOptions,
  ReplayResult,
} from './replayLog.js'
export type {
  AofActionName,
  AofMiddleware,
  AofStoreApi,
  AofStoreStats,
  ZustandAofCommonOptions,
  ZustandAofDirOptions,
  ZustandAofLogOptions,
  ZustandAofOptions,
} from './types.js'
