import { appendFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import {
  aof,
  ensureBuilt,
  hashDir,
  hasAnsi,
  holdLock,
  lastFile,
  makeStore,
  replaceLine,
  storeFiles,
  tempDir,
  todos,
} from './helpers.js'

beforeAll(ensureBuilt)

describe('aof check', () => {
  it('prints every file with its type, size, records and last good offset and line, and exits 0 when valid', () => {
    const dir = makeStore(todos(3), {
      snapshot: { state: { n: 3 }, version: 1 },
      after: todos(2),
    })
    const r = aof(['check', dir])
    expect(r.stderr).toBe('')
    expect(r.status).toBe(0)
    const [base, incr] = storeFiles(dir)
    expect(r.stdout).toMatch(
      new RegExp(
        `base\\s+${base!.name.replace(/\./g, '\\.')}\\s+\\d+\\s+1\\s+0\\s+\\d+\\s+1\\s+ok`,
      ),
    )
    expect(r.stdout).toMatch(
      new RegExp(
        `incr\\s+${incr!.name.replace(/\./g, '\\.')}\\s+\\d+\\s+2\\s+0\\s+\\d+\\s+2\\s+ok`,
      ),
    )
    expect(r.stdout).toContain('All AOF files and manifest are valid')
    expect(hasAnsi(r.stdout)).toBe(false)
  })

  it('names the file, line and byte offset of a torn tail and the command that repairs it, exit 1', () => {
    const dir = makeStore(todos(4))
    const file = lastFile(dir)
    const { size } = statSync(file)
    appendFileSync(file, '{"type":"todos/add')
    const r = aof(['check', dir])
    expect(r.status).toBe(1)
    expect(r.stdout).toContain('AOF_TRUNCATED')
    expect(r.stdout).toContain(
      `line 5, byte offset ${size} of appendonly.aof.1.incr.aof`,
    )
    expect(r.stdout).toContain(
      `  an app that opens the store cuts a torn tail off by itself (loadTruncated is on by default); to cut it now, run "aof fix ${dir}"`,
    )
    // The advice is given once, and does not name an option value that is already the default.
    expect(r.stdout.split('aof fix').length).toBe(2)
    expect(r.stdout).not.toContain('loadTruncated: true')
    expect(r.stdout).not.toContain('All AOF files and manifest are valid')
  })

  it('reports garbage in the middle of the last file as AOF_CORRUPT at its line', () => {
    const dir = makeStore(todos(5))
    replaceLine(lastFile(dir), 3, 'this is not json')
    const r = aof(['check', dir])
    expect(r.status).toBe(1)
    expect(r.stdout).toMatch(
      /AOF_CORRUPT at line 3, byte offset \d+ of appendonly\.aof\.1\.incr\.aof/,
    )
    expect(r.stdout).toContain('aof fix')
  })

  it('says that damage in a file that is not the last cannot be cut off', () => {
    const dir = makeStore(todos(2), {
      snapshot: { state: { n: 2 }, version: 0 },
      after: todos(2),
    })
    const base = join(dir, storeFiles(dir)[0]!.name)
    appendFileSync(base, 'garbage\n')
    const r = aof(['check', dir])
    expect(r.status).toBe(1)
    expect(r.stdout).toContain(`AOF_CORRUPT at line 2`)
    expect(r.stdout).toContain('"aof fix" cannot repair it')
    expect(r.stdout).not.toContain(`run "aof fix`)
  })

  it('fails with exit 1 naming the manifest line for a bad manifest', () => {
    const dir = makeStore(todos(1))
    writeFileSync(
      join(dir, 'appendonly.aof.manifest'),
      'file appendonly.aof.1.incr.aof seq 1 type i\nnonsense\n',
    )
    const r = aof(['check', dir])
    expect(r.status).toBe(1)
    expect(r.stderr).toMatch(/manifest/i)
    expect(r.stderr).toMatch(/line 2/)
  })

  it('fails with exit 1 naming a file the manifest lists that is missing', () => {
    const dir = makeStore(todos(1))
    rmSync(lastFile(dir))
    const r = aof(['check', dir])
    expect(r.status).toBe(1)
    expect(r.stderr).toContain('appendonly.aof.1.incr.aof')
  })

  it('fails with exit 1 for a directory that does not exist, and does not create it', () => {
    const dir = join(tempDir(), 'nope')
    const r = aof(['check', dir])
    expect(r.status).toBe(1)
    expect(r.stderr).toContain('no such directory')
    expect(() => hashDir(dir)).toThrow()
  })

  it('changes no byte and leaves no file behind, also on a damaged store', () => {
    const dir = makeStore(todos(3))
    appendFileSync(lastFile(dir), '{"torn')
    const before = hashDir(dir)
    expect(aof(['check', dir]).status).toBe(1)
    expect(hashDir(dir)).toEqual(before)
  })

  it('works while another process holds the lock (it takes none)', async () => {
    const dir = makeStore(todos(2))
    const holder = await holdLock(dir)
    try {
      const r = aof(['check', dir])
      expect(r.stderr).toBe('')
      expect(r.status).toBe(0)
    } finally {
      await holder.release()
    }
  })

  it('reads a store with another --file-name and suggests the fix with it', () => {
    const dir = makeStore(todos(2), { fileName: 'todos.aof' })
    appendFileSync(lastFile(dir, 'todos.aof'), '{"x')
    expect(aof(['check', dir]).status).toBe(1) // no appendonly.aof.manifest there
    const r = aof(['check', dir, '--file-name', 'todos.aof'])
    expect(r.status).toBe(1)
    expect(r.stdout).toContain(`run "aof fix ${dir} --file-name todos.aof"`)
  })
})
