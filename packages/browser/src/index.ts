// The public API of @aof-persist/browser: every exported name is listed here, nothing else is.
export { opfsStorage } from './opfsStorage.js'

export type { OpfsStorageOptions } from './opfsStorage.js'
