import { createHash } from 'node:crypto'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll } from 'vitest'

const made: string[] = []
afterAll(() => {
  for (const dir of made.splice(0))
    fs.rmSync(dir, { recursive: true, force: true })
})

/** A temp directory removed after the file's tests. */
export function scratchDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix))
  made.push(dir)
  return dir
}

/** name -> sha1 of every file under `dir` (recursively), to prove what changed. */
export function hashes(dir: string): Record<string, string> {
  const out: Record<string, string> = {}
  const walk = (sub: string) => {
    for (const name of fs.readdirSync(path.join(dir, sub)).sort()) {
      const rel = path.join(sub, name)
      const st = fs.lstatSync(path.join(dir, rel))
      if (st.isDirectory()) walk(rel)
      else if (st.isSymbolicLink())
        out[rel] = `-> ${fs.readlinkSync(path.join(dir, rel))}`
      else
        out[rel] = createHash('sha1')
          .update(fs.readFileSync(path.join(dir, rel)))
          .digest('hex')
    }
  }
  walk('')
  return out
}

/**
 * Child processes import the packages by name, which resolves to their built dist/: fail early,
 * naming the fix, when a build is missing.
 */
export function requireBuilt(...names: string[]): void {
  for (const name of names) {
    const dist = fileURLToPath(
      new URL(`../../${name}/dist/index.js`, import.meta.url),
    )
    if (!fs.existsSync(dist))
      throw new Error(`build @aof-persist/${name} first (pnpm build)`)
  }
}
