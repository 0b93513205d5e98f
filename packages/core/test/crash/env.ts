import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll } from 'vitest'

const pkg = (name: string) =>
  fileURLToPath(new URL(`../../../${name}/dist/index.js`, import.meta.url))

/** The child processes import the built packages: fail early, naming the fix, when one is missing. */
export function requireBuilt(...names: string[]): void {
  for (const name of names) {
    if (!fs.existsSync(pkg(name)))
      throw new Error(`build @aof-persist/${name} first (pnpm build)`)
  }
}

/** Seed of the randomized parts; set AOF_CRASH_SEED to replay another run. */
export const SEED = Number(process.env.AOF_CRASH_SEED ?? 20251125)

const made: string[] = []
afterAll(() => {
  for (const dir of made.splice(0))
    fs.rmSync(dir, { recursive: true, force: true })
})

/** A temp directory removed after the file's tests; on tmpfs when `fast` and /dev/shm exists. */
export function scratchDir(prefix: string, fast = false): string {
  const shm = '/dev/shm'
  let base = os.tmpdir()
  if (fast) {
    try {
      fs.accessSync(shm, fs.constants.W_OK)
      base = shm
    } catch {
      // no tmpfs: the disk is slower but the states are the same
    }
  }
  const dir = fs.mkdtempSync(path.join(base, prefix))
  made.push(dir)
  return dir
}

/** Prints one line of counts, so a run's numbers can be read off its output. */
export function tally(what: string, counts: Record<string, unknown>): void {
  console.log(
    `[crash] ${what}: ${Object.entries(counts)
      .map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : v}`)
      .join(' ')}`,
  )
}
