// The `aof` binary. tsup adds the `#!/usr/bin/env node` line.
import { run } from './run.js'

// `aof inspect dir | head` closes the pipe early: stop quietly instead of printing EPIPE.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0)
  throw err
})

// exitCode, not process.exit(): stdout may still be draining into a pipe.
process.exitCode = await run(process.argv.slice(2))
