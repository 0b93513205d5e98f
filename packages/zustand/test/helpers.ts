import { createHash } from 'node:crypto'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { fileURLToPath } from 'node:url'
import { readAofEntries } from '@aof-persist/core'
import { afterEach } from 'vitest'

const made: string[] = []
const closers: (() => Promise<void>)[] = []

/** What `fn` throws (a test failure when it returns). */
export function thrown(fn: () => unknown): unknown {
  try {
    fn()
  } catch (err) {
    return err
  }
  throw new Error('expected a throw')
}

/** A fresh temp directory, removed after the test. */
export function tempDir(prefix = 'aof-zustand-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix))
  made.push(dir)
  return dir
}

/** Closes `store.aof` after the test if the test did not (releases the directory lock). */
export function autoClose<T extends { aof: { close(): Promise<void> } }>(
  store: T,
): T {
  closers.push(() => store.aof.close())
  return store
}

afterEach(async () => {
  for (const close of closers.splice(0)) await close().catch(() => {})
  for (const dir of made.splice(0))
    fs.rmSync(dir, { recursive: true, force: true })
})

/** Resolves after the current event-loop turn's setImmediate callbacks have run. */
export const nextTurn = () =>
  new Promise<void>((resolve) => setImmediate(resolve))

/** The records on disk, in load order (the base's snapshot first). */
export const recordsIn = (dir: string): unknown[] =>
  [...readAofEntries({ dir })].flatMap((e) =>
    e.kind === 'record' ? [e.value] : [],
  )

/** Every file in `dir` (but the lock) with its bytes, to check that nothing was changed. */
export function filesIn(dir: string): Record<string, string> {
  const out: Record<string, string> = {}
  for (const name of fs.readdirSync(dir).sort()) {
    if (name === 'aof.lock') continue
    out[name] = fs.readFileSync(path.join(dir, name)).toString('base64')
  }
  return out
}

/** The package root (packages/zustand). */
export const PKG = fileURLToPath(new URL('..', import.meta.url))
/** The built package, as an app imports it. */
export const DIST = path.join(PKG, 'dist', 'index.js')

/**
 * A SHA-256 over every file of `dir` but the lock (names and bytes), to show that a refused start
 * changed nothing.
 */
export function hashDir(dir: string): string {
  const hash = createHash('sha256')
  for (const name of fs.readdirSync(dir).sort()) {
    if (name === 'aof.lock') continue
    hash
      .update(name)
      .update('\0')
      .update(fs.readFileSync(path.join(dir, name)))
  }
  return hash.digest('hex')
}
