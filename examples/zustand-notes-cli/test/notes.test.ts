import { execFileSync, spawn } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'

// notes.mjs imports @aof-persist/zustand by name, so this runs against the built dist/.
const cli = fileURLToPath(new URL('../notes.mjs', import.meta.url))
const dist = fileURLToPath(
  new URL('../../../packages/zustand/dist/index.js', import.meta.url),
)

const made: string[] = []
function stateDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'notes-cli-'))
  made.push(dir)
  return join(dir, 'state')
}
afterEach(() => {
  for (const dir of made.splice(0))
    rmSync(dir, { recursive: true, force: true })
})

const notes = (dir: string, ...args: string[]) =>
  execFileSync(process.execPath, [cli, ...args, '--dir', dir], {
    encoding: 'utf8',
  })

/** The ids `list` prints. */
const listedIds = (dir: string) =>
  notes(dir, 'list')
    .split('\n')
    .filter((l) => /^\d+ /.test(l))
    .map((l) => Number(l.split(' ')[0]))

beforeAll(() => {
  if (!existsSync(dist))
    throw new Error(`${dist} is missing: run "pnpm build" first`)
})

describe('notes CLI', () => {
  it('keeps notes across runs, through edit, remove and rewrite', () => {
    const dir = stateDir()
    expect(notes(dir, 'add', 'call the plumber')).toBe('added 1\n')
    notes(dir, 'add', 'buy', 'milk')
    notes(dir, 'add', 'third')
    notes(dir, 'edit', '1', 'call the plumber at 9')
    notes(dir, 'remove', '2')
    expect(notes(dir, 'list')).toBe('1 call the plumber at 9\n3 third\n')
    expect(notes(dir, 'rewrite')).toMatch(/^rewritten/)
    expect(notes(dir, 'list')).toBe('1 call the plumber at 9\n3 third\n')
    expect(notes(dir, 'add', 'after rewrite')).toBe('added 4\n')
    expect(notes(dir, 'stats')).toMatch(/notes +3/)
  })

  it('reads the directory from NOTES_DIR', () => {
    const dir = stateDir()
    execFileSync(process.execPath, [cli, 'add', 'from env'], {
      env: { ...process.env, NOTES_DIR: dir },
    })
    expect(notes(dir, 'list')).toBe('1 from env\n')
  })

  it('refuses an unknown id without touching the notes', () => {
    const dir = stateDir()
    notes(dir, 'add', 'only')
    expect(() =>
      execFileSync(process.execPath, [cli, 'remove', '9', '--dir', dir], {
        stdio: 'pipe',
      }),
    ).toThrow(/no note with id 9/)
    expect(notes(dir, 'list')).toBe('1 only\n')
  })

  it('keeps every note whose add returned when killed with SIGKILL mid-burst', async () => {
    const dir = stateDir()
    const child = spawn(
      process.execPath,
      [cli, 'burst', '1000000', '--dir', dir],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    )
    let lastReported = 0
    let buf = ''
    let stderr = ''
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => {
        buf += d.toString()
        const lines = buf.split('\n')
        buf = lines.pop()!
        for (const line of lines)
          if (line.startsWith('ok ')) lastReported = Number(line.slice(3))
        if (lastReported >= 500 && !child.killed) child.kill('SIGKILL')
      })
      child.on('exit', (code, signal) =>
        signal === 'SIGKILL'
          ? resolve()
          : reject(new Error(`burst exited with ${code}: ${stderr}`)),
      )
    })
    expect(lastReported).toBeGreaterThanOrEqual(500)
    const ids = listedIds(dir)
    // Every reported note is there, in order, none twice; at most the one in flight is extra.
    expect(ids.length).toBeGreaterThanOrEqual(lastReported)
    expect(ids.length).toBeLessThanOrEqual(lastReported + 1)
    expect(ids).toEqual(Array.from({ length: ids.length }, (_, i) => i + 1))
    // The restarted store keeps appending after what it replayed.
    expect(notes(dir, 'add', 'after the crash')).toBe(
      `added ${ids.length + 1}\n`,
    )
  })
})
