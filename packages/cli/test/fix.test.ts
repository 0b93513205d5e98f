import { appendFileSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import {
  aof,
  aofOnTerminal,
  ensureBuilt,
  hashDir,
  hasScript,
  holdLock,
  lastFile,
  linesOf,
  makeStore,
  replaceLine,
  storeFiles,
  todos,
} from './helpers.js'

beforeAll(ensureBuilt)

/** A store whose last file ends with a torn record; returns it with the size before the tear. */
function tornStore(n = 4): {
  dir: string
  file: string
  good: number
  goodText: string
} {
  const dir = makeStore(todos(n))
  const file = lastFile(dir)
  const goodText = readFileSync(file, 'utf8')
  appendFileSync(file, '{"type":"todos/added","pay')
  return { dir, file, good: Buffer.byteLength(goodText), goodText }
}

describe('aof fix', () => {
  it('with --yes cuts a torn tail, says how many bytes from which file, keeps every record before it, and check passes after', () => {
    const { dir, file, good, goodText } = tornStore()
    const size = statSync(file).size
    const r = aof(['fix', dir, '--yes'])
    expect(r.stderr).toBe('')
    expect(r.status).toBe(0)
    const f = 'appendonly.aof.1.incr.aof'
    expect(r.stdout.split('\n').slice(0, 4)).toEqual([
      `AOF ${f} is not valid: it ends with a torn record (${size - good} bytes at line 5, byte offset ${good}), left by a crash in the middle of a write`,
      `  first problem: AOF_TRUNCATED at line 5, byte offset ${good} of ${f}`,
      `This will shrink the AOF ${f} from ${size} bytes to ${good} bytes, removing ${size - good} bytes: line 5`,
      `Successfully truncated AOF ${f} to ${good} bytes`,
    ])
    // The check's advice is not repeated while fix is doing it.
    expect(r.stdout).not.toContain('aof fix')
    expect(r.stdout).not.toContain('loadTruncated')
    expect(readFileSync(file, 'utf8')).toBe(goodText)
    expect(aof(['check', dir]).status).toBe(0)
  })

  it('cuts at garbage in the middle of the last file, keeps the records before it and counts the lines it removes', () => {
    const dir = makeStore(todos(6))
    const file = lastFile(dir)
    const before = linesOf(file)
    replaceLine(file, 3, 'garbage')
    const r = aof(['fix', dir, '--yes'])
    expect(r.status).toBe(0)
    expect(r.stdout).toContain(
      'bad record at line 3, byte offset 84: the line is not valid JSON',
    )
    expect(r.stdout).toMatch(/removing \d+ bytes: lines 3 to 6 \(4 lines\)\n/)
    expect(r.stdout).not.toContain('aof fix')
    expect(linesOf(file)).toEqual(before.slice(0, 2))
    expect(aof(['check', dir]).status).toBe(0)
  })

  it('without a terminal and without --yes refuses with the reason, exit 1, changing nothing', () => {
    const { dir } = tornStore()
    const before = hashDir(dir)
    const r = aof(['fix', dir], { input: 'y\n' })
    expect(r.status).toBe(1)
    expect(r.stdout).toContain('This will shrink the AOF')
    expect(r.stderr).toContain('standard input is not a terminal')
    expect(r.stderr).toContain('--yes')
    expect(hashDir(dir)).toEqual(before)
  })

  it('refuses with the reason when the damage is not in the last file, changing nothing', () => {
    const dir = makeStore(todos(2), {
      snapshot: { state: { n: 2 }, version: 0 },
      after: todos(2),
    })
    appendFileSync(join(dir, storeFiles(dir)[0]!.name), 'garbage\n')
    const before = hashDir(dir)
    const r = aof(['fix', dir, '--yes'])
    expect(r.status).toBe(1)
    expect(r.stderr).toContain('because it is not the last file')
    expect(hashDir(dir)).toEqual(before)
  })

  it('refuses a directory another process holds the lock on, changing nothing', async () => {
    const dir = makeStore(todos(3))
    const file = lastFile(dir)
    const holder = await holdLock(dir)
    try {
      appendFileSync(file, '{"torn')
      const before = readFileSync(file)
      const r = aof(['fix', dir, '--yes'])
      expect(r.status).toBe(1)
      expect(r.stderr).toContain('another process holds its lock')
      expect(readFileSync(file)).toEqual(before)
    } finally {
      await holder.release()
    }
  })

  it('--dry-run says what it would cut and changes nothing', () => {
    const { dir } = tornStore()
    const before = hashDir(dir)
    const r = aof(['fix', dir, '--dry-run'])
    expect(r.status).toBe(0)
    expect(r.stdout).toContain('This will shrink the AOF')
    expect(r.stdout).toContain('Dry run: nothing was changed.')
    expect(hashDir(dir)).toEqual(before)
  })

  it('says there is nothing to fix on a valid store and exits 0 without changing it', () => {
    const dir = makeStore(todos(2))
    const before = hashDir(dir)
    const r = aof(['fix', dir, '--yes'])
    expect(r.status).toBe(0)
    expect(r.stdout).toContain('Nothing to fix')
    expect(hashDir(dir)).toEqual(before)
  })

  it.skipIf(!hasScript)(
    'on a terminal asks "Continue? [y/N]" and cuts only after y',
    () => {
      const { dir, file, goodText } = tornStore()
      const torn = readFileSync(file)
      const no = aofOnTerminal(['fix', dir], 'n\n')
      expect(no.stdout).toContain('Continue? [y/N]')
      expect(no.stdout).toContain('Aborted: nothing was changed.')
      expect(no.status).toBe(1)
      expect(readFileSync(file)).toEqual(torn)

      const yes = aofOnTerminal(['fix', dir], 'y\n')
      expect(yes.stdout).toContain('Continue? [y/N]')
      expect(yes.stdout).toContain('Successfully truncated AOF')
      expect(yes.status).toBe(0)
      expect(readFileSync(file, 'utf8')).toBe(goodText)
    },
  )

  it('when line 1 is bad, says the cut removes line 1 and every line after it (never "line 0")', () => {
    const dir = makeStore(todos(3))
    const file = lastFile(dir)
    replaceLine(file, 1, 'garbage')
    const check = aof(['check', dir])
    expect(check.status).toBe(1)
    expect(check.stdout).toContain(
      'AOF appendonly.aof.1.incr.aof is not valid: bad record at line 1, byte offset 0: the line is not valid JSON',
    )
    expect(check.stdout).toContain(
      `  to repair it, make a backup of the directory, then run "aof fix ${dir}": it cuts appendonly.aof.1.incr.aof back to byte offset 0, removing line 1 and every line after it`,
    )
    const r = aof(['fix', dir, '--dry-run'])
    expect(r.stdout).toMatch(
      /from \d+ bytes to 0 bytes, removing \d+ bytes: lines 1 to 3 \(3 lines\)/,
    )
    for (const text of [check.stdout, r.stdout])
      expect(text).not.toContain('line 0')
  })
})
