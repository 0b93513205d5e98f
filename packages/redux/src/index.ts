// The public API of @aof-persist/redux: every exported name is listed here, nothing else is.
export { aofPersist } from './aofPersist.js'
export { replayLog } from './replayLog.js'
export { withAof } from './withAof.js'

export type { ReplayResult } from './replayLog.js'
export type { AofPersistMiddleware, AofPersistOptions } from './types.js'
export type { CombinedReducer } from './withAof.js'
