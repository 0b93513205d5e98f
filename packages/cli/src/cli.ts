// The `aof` binary. tsup adds the `#!/usr/bin/env node` line.
import { run } from './run.js'

// run() writes to file descriptors 1 and 2 itself (synchronously, so a closed pipe is seen at
// once and memory stays bounded); nothing here touches process.stdout. exitCode, not
// process.exit(): stdin may hold a confirmation prompt's handle until run() ends.
process.exitCode = await run(process.argv.slice(2))
