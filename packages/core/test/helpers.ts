import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { afterEach, vi } from 'vitest'

const made: string[] = []

/** A fresh temp directory, removed after the test. */
export function tempDir(prefix = 'aof-core-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix))
  made.push(dir)
  return dir
}

afterEach(() => {
  for (const dir of made.splice(0))
    fs.rmSync(dir, { recursive: true, force: true })
})

/** Resolves after the current event-loop turn's setImmediate callbacks have run. */
export const nextTurn = () =>
  new Promise<void>((resolve) => setImmediate(resolve))

/** The text of a file in `dir`. */
export const read = (dir: string, name: string) =>
  fs.readFileSync(path.join(dir, name), 'utf8')

/** The names in `dir`, sorted. */
export const ls = (dir: string) => fs.readdirSync(dir).sort()

import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'

/** The built package, as an app would import it. Child processes use it. */
export const CORE_DIST = fileURLToPath(
  new URL('../dist/index.js', import.meta.url),
)

/** Runs an ES module snippet in a child node process with `core` imported from the build. */
export function runChild(code: string, env: Record<string, string> = {}) {
  const script = `import * as core from ${JSON.stringify(CORE_DIST)};\n${code}`
  return spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
    timeout: 20_000,
  })
}

/** Starts a child like {@link runChild} without waiting; stdout is piped. */
export function startChild(code: string): ChildProcess {
  const script = `import * as core from ${JSON.stringify(CORE_DIST)};\n${code}`
  return spawn(process.execPath, ['--input-type=module', '-e', script], {
    stdio: ['ignore', 'pipe', 'pipe'],
  })
}

/** Resolves with the first stdout line of `child` matching `pattern`. */
export function waitForLine(
  child: ChildProcess,
  pattern: RegExp,
): Promise<string> {
  return new Promise((resolve, reject) => {
    let buf = ''
    const onData = (d: Buffer) => {
      buf += d.toString()
      const line = buf.split('\n').find((l) => pattern.test(l))
      if (line !== undefined) {
        child.stdout!.off('data', onData)
        resolve(line)
      }
    }
    child.stdout!.on('data', onData)
    child.once('exit', (code) =>
      reject(
        new Error(
          `child exited (${code}) before printing ${pattern}; stdout: ${buf}`,
        ),
      ),
    )
  })
}

/**
 * Pins `Date.now()` to `ms` until the returned function is called with another value (or
 * `restore` is called): an append that comes alone is written at once only as the first in its
 * millisecond, so tests of bursts hold the clock still.
 */
export function pinClock(ms = 1_000_000): {
  set: (ms: number) => void
  restore: () => void
} {
  const spy = vi.spyOn(Date, 'now').mockReturnValue(ms)
  return {
    set: (next) => void spy.mockReturnValue(next),
    restore: () => spy.mockRestore(),
  }
}
