// The public API of @aof-persist/zustand: every exported name is listed here, nothing else is.
export { aof } from './aof.js'
export { replayLog } from './replayLog.js'

export type { Patch } from './patches.js'
export type { PatchRecord, ReplayResult } from './replayLog.js'
export type {
  AofActionName,
  AofMiddleware,
  AofStoreApi,
  ZustandAofOptions,
} from './types.js'
