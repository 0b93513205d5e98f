// The public API of @aof-persist/cli: the `aof` command, runnable in-process. Every exported
// name is listed here.
export { EXIT_FAILURE, EXIT_OK, EXIT_USAGE } from './args.js'
export { run, VERSION } from './run.js'

export type { CliIo, InputStream, OutputStream } from './terminal.js'
