import { execFileSync, spawn } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'

// The example imports @aof-persist/redux by name, so this runs against the built dist/.
const cli = fileURLToPath(new URL('../todo.mjs', import.meta.url))
const dist = fileURLToPath(
  new URL('../../../packages/redux/dist/index.js', import.meta.url),
)

const dirs: string[] = []
function stateDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'todo-cli-'))
  dirs.push(dir)
  return join(dir, 'state')
}
afterEach(() => {
  for (const dir of dirs.splice(0))
    rmSync(dir, { recursive: true, force: true })
})

const todo = (dir: string, ...args: string[]) =>
  execFileSync(process.execPath, [cli, ...args, '--dir', dir], {
    encoding: 'utf8',
  })

/** The ids `list` prints. */
const listedIds = (dir: string) =>
  todo(dir, 'list')
    .split('\n')
    .filter((l) => /^\[[ x]\] \d+ /.test(l))
    .map((l) => Number(l.split(' ')[2]))

beforeAll(() => {
  if (!existsSync(dist))
    throw new Error(`${dist} is missing: run "pnpm build" first`)
})

describe('todo CLI', () => {
  it('keeps todos across runs, through toggle, remove and rewrite', () => {
    const dir = stateDir()
    expect(todo(dir, 'add', 'buy milk')).toBe('added 1\n')
    todo(dir, 'add', 'write', 'tests')
    todo(dir, 'toggle', '1')
    todo(dir, 'add', 'third')
    todo(dir, 'remove', '2')
    expect(todo(dir, 'list')).toBe('[x] 1 buy milk\n[ ] 3 third\n')
    expect(todo(dir, 'rewrite')).toMatch(/^rewritten/)
    expect(todo(dir, 'list')).toBe('[x] 1 buy milk\n[ ] 3 third\n')
    expect(todo(dir, 'stats')).toMatch(/todos +2/)
  })

  it('reads the directory from TODO_DIR', () => {
    const dir = stateDir()
    execFileSync(process.execPath, [cli, 'add', 'from env'], {
      env: { ...process.env, TODO_DIR: dir },
    })
    expect(todo(dir, 'list')).toBe('[ ] 1 from env\n')
  })

  it('keeps every todo whose add returned when killed with SIGKILL mid-burst', async () => {
    const dir = stateDir()
    const child = spawn(
      process.execPath,
      [cli, 'burst', '1000000', '--dir', dir],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    )
    const reported: number[] = []
    let buffered = ''
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      child.on('exit', (_code, signal) => resolve(signal)),
    )
    await new Promise<void>((resolve) => {
      child.stdout.on('data', (chunk: Buffer) => {
        buffered += chunk.toString('utf8')
        const lines = buffered.split('\n')
        buffered = lines.pop()!
        for (const line of lines)
          if (line.startsWith('ok ')) reported.push(Number(line.slice(3)))
        if (
          reported.length >= 300 &&
          child.exitCode === null &&
          !child.killed
        ) {
          child.kill('SIGKILL')
          resolve()
        }
      })
      child.on('exit', () => resolve())
    })
    expect(await exited).toBe('SIGKILL')
    expect(reported.length).toBeGreaterThanOrEqual(300)

    const ids = listedIds(dir)
    // Every reported todo is there; at most the one in flight when the kill landed is extra.
    expect(ids.slice(0, reported.length)).toEqual(reported)
    expect(ids.length - reported.length).toBeLessThanOrEqual(1)
    expect(ids).toEqual(ids.map((_, i) => i + 1))
    // And the store takes new todos after the crash.
    expect(todo(dir, 'add', 'after the crash')).toBe(
      `added ${ids.length + 1}\n`,
    )
  })
})
