import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { afterEach } from 'vitest'

const made: string[] = []

/** A fresh temp directory, removed after the test. */
export function tempDir(prefix = 'aof-core-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix))
  made.push(dir)
  return dir
}

afterEach(() => {
  for (const dir of made.splice(0)) fs.rmSync(dir, { recursive: true, force: true })
})

/** Resolves after the current event-loop turn's setImmediate callbacks have run. */
export const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve))

/** The text of a file in `dir`. */
export const read = (dir: string, name: string) => fs.readFileSync(path.join(dir, name), 'utf8')

/** The names in `dir`, sorted. */
export const ls = (dir: string) => fs.readdirSync(dir).sort()
