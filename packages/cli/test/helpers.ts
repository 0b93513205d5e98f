import { spawn, spawnSync, execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { openAof, snapshotAction } from '@aof-persist/core'
import { afterAll, vi } from 'vitest'

export const CLI_DIR = fileURLToPath(new URL('..', import.meta.url))
export const PACKAGES = join(CLI_DIR, '..')
export const BIN = join(CLI_DIR, 'dist', 'cli.js')

const sleep = (ms: number) =>
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms)

/**
 * Builds the binary (and the packages it imports) when their dist/ is missing; the root
 * `pnpm test` builds everything first, this is for running one test file on its own. Test files
 * run in parallel forks, so a directory lock makes the others wait for one build.
 */
export function ensureBuilt(): void {
  const needed = () =>
    [
      [join(PACKAGES, 'core'), 'dist/index.js'],
      [join(PACKAGES, 'redux'), 'dist/index.js'],
      [join(PACKAGES, 'zustand'), 'dist/index.js'],
      [CLI_DIR, 'dist/cli.js'],
    ].filter(([dir, file]) => !existsSync(join(dir!, file!)))
  if (needed().length === 0) return
  const lock = join(CLI_DIR, 'node_modules', '.test-build-lock')
  for (let waited = 0; ; waited += 100) {
    try {
      mkdirSync(lock)
      break
    } catch {
      if (waited > 180_000)
        throw new Error(
          `timed out waiting for ${lock}; remove it if no build runs`,
        )
      sleep(100)
    }
  }
  try {
    for (const [dir] of needed())
      execFileSync('npx', ['tsup'], { cwd: dir!, stdio: 'ignore' })
  } finally {
    rmdirSync(lock)
  }
}

/** What one run of the binary did. */
export interface Result {
  status: number | null
  stdout: string
  stderr: string
}

/** Runs the built `aof` binary with pipes (no terminal), as a script or CI would. */
export function aof(
  args: string[],
  options: { input?: string; cwd?: string; env?: Record<string, string> } = {},
): Result {
  const env = { ...process.env, ...options.env }
  delete env.FORCE_COLOR
  const r = spawnSync(process.execPath, [BIN, ...args], {
    input: options.input ?? '',
    cwd: options.cwd ?? CLI_DIR,
    env,
    encoding: 'utf8',
  })
  return { status: r.status, stdout: r.stdout, stderr: r.stderr }
}

const dirs: string[] = []
afterAll(() => {
  for (const dir of dirs.splice(0))
    rmSync(dir, { recursive: true, force: true })
})

/** A fresh empty temp directory. */
export function tempDir(prefix = 'aof-cli-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  dirs.push(dir)
  return dir
}

/** A store directory written through the core's `openAof`, with `records` appended. */
export function makeStore(
  records: unknown[],
  options: {
    dir?: string
    fileName?: string
    snapshot?: { state: unknown; version: number }
    after?: unknown[]
  } = {},
): string {
  const dir = options.dir ?? join(tempDir(), 'store')
  const log = openAof({ dir, fileName: options.fileName, fsync: 'always' })
  for (const r of records) log.append(r)
  if (options.snapshot) {
    log.rewriteSync(
      snapshotAction(options.snapshot.state, options.snapshot.version),
    )
    for (const r of options.after ?? []) log.append(r)
  }
  log.closeSync()
  return dir
}

/**
 * The base and incr files in load order, as the manifest lists them (read straight from it);
 * history entries (files a rewrite retired) are left out.
 */
export function storeFiles(
  dir: string,
  fileName = 'appendonly.aof',
): { name: string; type: string }[] {
  return readFileSync(join(dir, `${fileName}.manifest`), 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('file '))
    .map((l) => {
      const [, name, , , , type] = l.split(' ')
      return { name: name!, type: type! }
    })
    .filter((f) => f.type !== 'h')
}

/** The path of the last incr file. */
export function lastFile(dir: string, fileName?: string): string {
  return join(dir, storeFiles(dir, fileName).at(-1)!.name)
}

/** SHA-256 of every file in `dir` by name: equal before and after means nothing was written. */
export function hashDir(dir: string): Record<string, string> {
  const out: Record<string, string> = {}
  for (const name of readdirSync(dir).sort()) {
    out[name] = createHash('sha256')
      .update(readFileSync(join(dir, name)))
      .digest('hex')
  }
  return out
}

/** Replaces line `n` (1-based) of `file` with `text`. */
export function replaceLine(file: string, n: number, text: string): void {
  const lines = readFileSync(file, 'utf8').split('\n')
  lines[n - 1] = text
  writeFileSync(file, lines.join('\n'))
}

/** The non-empty lines of a file. */
export function linesOf(file: string): string[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
}

/**
 * A child process that opens the store with the built core and keeps it open (holding the
 * lock) until `release()`; the test waits until the child says it holds the lock.
 */
export async function holdLock(
  dir: string,
): Promise<{ release(): Promise<void> }> {
  const core = join(PACKAGES, 'core', 'dist', 'index.js')
  const script = `
    import { openAof } from ${JSON.stringify(core)}
    const log = openAof({ dir: ${JSON.stringify(dir)}, loadTruncated: false })
    process.stdout.write('locked\\n')
    process.stdin.on('data', () => {})
    process.stdin.on('end', () => { log.closeSync(); process.exit(0) })
  `
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
    stdio: ['pipe', 'pipe', 'inherit'],
  })
  await new Promise<void>((resolve, reject) => {
    let out = ''
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString()
      if (out.includes('locked')) resolve()
    })
    child.once('exit', (code) =>
      reject(new Error(`lock holder exited early with ${code}`)),
    )
  })
  return {
    release: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve())
        child.stdin.end()
      }),
  }
}

/** True when `text` holds an ANSI escape sequence. */
export const hasAnsi = (text: string): boolean => text.includes('\x1b[')

/** `script` from util-linux runs a command on a pseudo-terminal; absent on some systems. */
export const hasScript =
  spawnSync('script', ['--version'], { encoding: 'utf8' }).status === 0

/** Runs the binary on a pseudo-terminal through `script`, typing `input`. */
export function aofOnTerminal(args: string[], input: string): Result {
  const command = [process.execPath, BIN, ...args]
    .map((a) => `'${a.replace(/'/g, `'\\''`)}'`)
    .join(' ')
  const r = spawnSync('script', ['-qec', command, '/dev/null'], {
    input,
    encoding: 'utf8',
    env: { ...process.env, TERM: 'xterm' },
  })
  return { status: r.status, stdout: r.stdout, stderr: r.stderr }
}

/**
 * A store written with `timestamps: true` where the clock reads each step's unix second while
 * its records are appended (the core writes a `#TS:` line whenever the second changes). A step
 * with `rewrite` compacts the log into that snapshot at that second instead.
 */
export function makeTimedStore(
  steps: {
    at: number
    records?: unknown[]
    rewrite?: { state: unknown; version: number }
  }[],
  dir = join(tempDir(), 'store'),
): string {
  vi.useFakeTimers({ toFake: ['Date'] })
  try {
    vi.setSystemTime((steps[0]?.at ?? 0) * 1000)
    const log = openAof({ dir, fsync: 'always', timestamps: true })
    for (const step of steps) {
      vi.setSystemTime(step.at * 1000)
      for (const r of step.records ?? []) log.append(r)
      if (step.rewrite)
        log.rewriteSync(
          snapshotAction(step.rewrite.state, step.rewrite.version),
        )
    }
    log.closeSync()
  } finally {
    vi.useRealTimers()
  }
  return dir
}

/** `n` Redux-style todo actions, the records most CLI tests write. */
export const todos = (n: number) =>
  Array.from({ length: n }, (_, i) => ({
    type: 'todos/added',
    payload: `todo ${i}`,
  }))
