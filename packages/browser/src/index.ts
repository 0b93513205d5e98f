// The public API of @aof-persist/browser: every exported name is listed here, nothing else is.
export { openBrowserAof } from './browserAof.js'
export { opfsStorage } from './opfsStorage.js'

export type { OpfsStorage, OpfsStorageOptions } from './opfsStorage.js'
export type {
  BrowserAof,
  BrowserAofEvent,
  BrowserAofOptions,
  BrowserAofStats,
} from './types.js'
