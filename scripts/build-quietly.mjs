// Builds every package (turbo run build) without printing the build's output, so `pnpm demo`
// shows only the demo. When the build fails, everything it printed is shown, and its status
// is the exit status.
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
process.stdout.write('Building the packages… ')
const r = spawnSync('pnpm', ['exec', 'turbo', 'run', 'build'], {
  cwd: root,
  encoding: 'utf8',
  maxBuffer: 64 * 1024 * 1024,
})
if (r.status !== 0) {
  process.stdout.write('failed:\n')
  process.stdout.write(r.stdout ?? '')
  process.stderr.write(r.stderr ?? '')
  if (r.error) process.stderr.write(`${r.error.message}\n`)
  process.exit(r.status ?? 1)
}
process.stdout.write('done.\n')
