import { appendFileSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { PassThrough } from 'node:stream'
import { openAof, snapshotAction } from '@aof-persist/core'
import { describe, expect, it } from 'vitest'
import { run, type CliIo } from '../src/index.js'
import { hasAnsi, lastFile, makeStore, tempDir, todos } from './helpers.js'

/** A stream that records what is written; `isTTY` plays a terminal. */
function capture(isTTY: boolean, columns = 100) {
  const stream = {
    isTTY,
    columns,
    text: '',
    write(chunk: string) {
      stream.text += chunk
      return true
    },
  }
  return stream
}

/** stdin with `answer` typed into it (then closed), on a terminal or not. */
function input(isTTY: boolean, answer?: string) {
  const stdin = Object.assign(new PassThrough(), { isTTY })
  if (answer !== undefined) stdin.end(answer)
  else stdin.end()
  return stdin
}

/** Runs `aof` in-process with the given terminal setup. */
async function runWith(
  argv: string[],
  setup: {
    tty?: { stdout?: boolean; stderr?: boolean; stdin?: boolean }
    answer?: string
    env?: CliIo['env']
    columns?: number
  } = {},
) {
  const stdout = capture(setup.tty?.stdout ?? false, setup.columns)
  const stderr = capture(setup.tty?.stderr ?? false, setup.columns)
  const status = await run(argv, {
    stdout,
    stderr,
    stdin: input(setup.tty?.stdin ?? false, setup.answer),
    env: setup.env ?? {},
    cwd: tempDir(),
  })
  return { status, stdout: stdout.text, stderr: stderr.text }
}

function tornStore() {
  const dir = makeStore(todos(3))
  const file = lastFile(dir)
  const good = readFileSync(file, 'utf8')
  appendFileSync(file, '{"type":"tod')
  return { dir, file, good }
}

describe('aof fix on a terminal', () => {
  it('asks "Continue? [y/N]" and cuts after y', async () => {
    const { dir, file, good } = tornStore()
    const r = await runWith(['fix', dir], {
      tty: { stdin: true },
      answer: 'y\n',
    })
    expect(r.stderr).toContain('Continue? [y/N]: ')
    expect(r.status).toBe(0)
    expect(readFileSync(file, 'utf8')).toBe(good)
  })

  it.each([['n\n'], ['\n'], ['yep\n'], [undefined]])(
    'keeps the file on the answer %j and exits 1',
    async (answer) => {
      const { dir, file } = tornStore()
      const before = readFileSync(file)
      const r = await runWith(['fix', dir], { tty: { stdin: true }, answer })
      expect(r.stderr).toContain('Continue? [y/N]: ')
      expect(r.stderr).toContain('Aborted: nothing was changed.')
      expect(r.status).toBe(1)
      expect(readFileSync(file)).toEqual(before)
    },
  )

  it('does not ask with --yes', async () => {
    const { dir, file, good } = tornStore()
    const r = await runWith(['fix', dir, '--yes'], { tty: { stdin: true } })
    expect(r.stderr).not.toContain('Continue?')
    expect(r.status).toBe(0)
    expect(readFileSync(file, 'utf8')).toBe(good)
  })
})

describe('colours', () => {
  it('colours output on a terminal', async () => {
    const r = await runWith(['check', makeStore(todos(1))], {
      tty: { stdout: true },
    })
    expect(r.status).toBe(0)
    expect(hasAnsi(r.stdout)).toBe(true)
  })

  it('uses none when NO_COLOR is set, when TERM is dumb, or when output is piped', async () => {
    const dir = makeStore(todos(1))
    for (const setup of [
      { tty: { stdout: true }, env: { NO_COLOR: '1' } },
      { tty: { stdout: true }, env: { TERM: 'dumb' } },
      { tty: { stdout: false } },
    ]) {
      const r = await runWith(['check', dir], setup)
      expect(r.status).toBe(0)
      expect(hasAnsi(r.stdout), JSON.stringify(setup)).toBe(false)
    }
  })
})

describe('progress bar', () => {
  /** A store of about 1.5 MiB, over the size from which a bar is drawn. */
  function bigStore(): string {
    const dir = join(tempDir(), 'store')
    const log = openAof({ dir, fsync: 'no' })
    const payload = 'x'.repeat(1000)
    log.batch(() => {
      for (let i = 0; i < 1500; i++) log.append({ type: 'big', payload, i })
    })
    log.closeSync()
    return dir
  }

  it('shows bytes done on a terminal stderr for large files and erases itself', async () => {
    const dir = bigStore()
    const r = await runWith(['check', dir], { tty: { stderr: true } })
    expect(r.status).toBe(0)
    expect(r.stderr).toMatch(
      /\rChecking \[[=> ]+\] [\d.]+ (KiB|MiB) \/ 1\.5 MiB\s+\d+%/,
    )
    expect(r.stderr).toContain('100%')
    expect(r.stderr.endsWith('\r\x1b[K')).toBe(true)
    expect(r.stdout).not.toContain('Checking [')
  })

  it('draws nothing when stderr is piped, or for small files', async () => {
    expect(
      (await runWith(['check', bigStore()], { tty: { stderr: false } })).stderr,
    ).toBe('')
    expect(
      (await runWith(['check', makeStore(todos(3))], { tty: { stderr: true } }))
        .stderr,
    ).toBe('')
  })

  it('is drawn while inspect --json streams records to a piped stdout, never into stdout', async () => {
    const dir = bigStore()
    const piped = await runWith(['inspect', dir, '--json'], {
      tty: { stderr: true },
    })
    expect(piped.status).toBe(0)
    expect(piped.stderr).toMatch(/\rReading \[[=> ]+\]/)
    for (const line of piped.stdout.trim().split('\n'))
      expect(() => JSON.parse(line) as unknown).not.toThrow()
    // When stdout is the terminal too, the rows show the progress: a bar would be drawn into them.
    const onTerminal = await runWith(['inspect', dir, '--json'], {
      tty: { stderr: true, stdout: true },
    })
    expect(onTerminal.stderr).not.toContain('Reading [')
  })
})

describe('inspect on a terminal', () => {
  it('fits each record row to the terminal width', async () => {
    const dir = makeStore([{ type: 'long', payload: 'y'.repeat(300) }])
    const r = await runWith(['inspect', dir], {
      tty: { stdout: true },
      columns: 60,
      env: { NO_COLOR: '1' },
    })
    expect(r.status).toBe(0)
    const row = r.stdout.split('\n').find((l) => l.includes('{"type":"long"'))!
    expect(row.length).toBe(60)
    expect(row.endsWith('…')).toBe(true)
  })

  it('prints whole rows when piped', async () => {
    const dir = makeStore([{ type: 'long', payload: 'y'.repeat(300) }])
    const r = await runWith(['inspect', dir], { columns: 60 })
    expect(r.stdout).toContain('y'.repeat(300))
  })
})

describe('progress of every long step on a terminal', () => {
  /** A Zustand-style patch log of about 1.5 MiB, which aof rewrite needs no reducer for. */
  function bigPatchLog(): string {
    const dir = join(tempDir(), 'store')
    const log = openAof({ dir, fsync: 'no' })
    const text = 'x'.repeat(1000)
    log.batch(() => {
      log.append(snapshotAction({ notes: [] }, 0))
      for (let i = 0; i < 1500; i++)
        log.append({
          type: 'notes/add',
          patches: [{ op: 'add', path: ['notes', i], value: text }],
        })
    })
    log.closeSync()
    return dir
  }

  it('aof rewrite: the check, the replay, the write and the check of the result, each erased after', async () => {
    const dir = bigPatchLog()
    const r = await runWith(['rewrite', dir], { tty: { stderr: true } })
    expect(r.status).toBe(0)
    const steps = r.stderr
      .split('\r\x1b[K')
      .map((s) => /^\r?([A-Z][a-z]+(?: [a-z]+)*)/.exec(s)?.[1])
      .filter((s) => s !== undefined)
    expect([...new Set(steps)]).toEqual([
      'Checking',
      'Replaying',
      'Writing the snapshot',
      'Checking the result',
    ])
    expect(r.stderr).toMatch(
      /\rReplaying \[[=> ]+\] [\d.]+ (KiB|MiB) \/ 1\.\d MiB/,
    )
    expect(r.stderr.endsWith('\r\x1b[K')).toBe(true)
    // Sizes in a sentence: one pair of parentheses, never one inside another.
    expect(r.stdout).toMatch(
      /^Rewriting \S+: 1501 records in 1 file, \d+ bytes \(1\.\d MiB\), into one snapshot action\n/,
    )
    expect(r.stdout).not.toMatch(/\([^()]*\(/)
  })

  it('aof fix and truncate-to-timestamp: the steps the core runs without a byte count show what runs', async () => {
    const { dir } = tornStore()
    const r = await runWith(['fix', dir, '--yes'], { tty: { stderr: true } })
    expect(r.status).toBe(0)
    expect(r.stderr).toBe(
      'Working out the cut…\r\x1b[KCutting appendonly.aof.1.incr.aof…\r\x1b[K',
    )
  })

  it('aof fix on a large store: the step becomes a progress bar over the bytes read', async () => {
    const dir = bigPatchLog()
    appendFileSync(lastFile(dir), '{"type":"tod')
    const r = await runWith(['fix', dir, '--yes'], { tty: { stderr: true } })
    expect(r.status).toBe(0)
    expect(r.stderr).toMatch(
      /Working out the cut…\rWorking out the cut \[[=> ]+\] /,
    )
    expect(r.stderr).toMatch(
      /Cutting appendonly\.aof\.1\.incr\.aof…\rCutting appendonly\.aof\.1\.incr\.aof \[[=> ]+\] /,
    )
    expect(r.stderr).toMatch(/100%/)
  })

  it('nothing of it reaches a piped stderr', async () => {
    const r = await runWith(['rewrite', bigPatchLog()], {
      tty: { stderr: false },
    })
    expect(r.status).toBe(0)
    expect(r.stderr).toBe('')
  })
})
