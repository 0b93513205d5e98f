// Hostile input: manifests and logs written by someone else (a hand edit, a bug, an attacker
// who can write into the store directory, a broken disk). Every case must end in a correct
// load or an AofError with a code; none may throw anything else, write outside the store,
// append to a file that is not a log file, or delete or change data. The documented exceptions
// are cutting a torn tail off the last incr file (loadTruncated, the default) and deleting the
// files the manifest lists as history.
import { createHash } from 'node:crypto'
import * as fs from 'node:fs'
import * as path from 'node:path'
import { describe, expect, it } from 'vitest'
import { AofError, checkAof, openAof } from '../../src/index.js'
import { scratchDir } from './env.js'

const INCR = 'appendonly.aof.1.incr.aof'
const BASE = 'appendonly.aof.1.base.aof'
const MANIFEST = 'appendonly.aof.manifest'

/** name -> sha1 of every file under `dir` (recursively), to prove what changed. */
function hashes(dir: string): Record<string, string> {
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

type Outcome =
  | { ok: true; records: unknown[] }
  | { ok: false; code: string; message: string }

/** openAof + records() + closeSync, turning an AofError into an outcome; anything else throws. */
function load(dir: string): Outcome {
  let aof
  try {
    aof = openAof({ dir })
    return { ok: true, records: [...aof.records()] }
  } catch (err) {
    if (err instanceof AofError)
      return { ok: false, code: err.code, message: err.message }
    throw err
  } finally {
    aof?.closeSync()
  }
}

/** checkAof, which must never write: its outcome, or the AofError's code. */
function check(dir: string): string {
  try {
    const r = checkAof({ dir })
    return r.ok ? 'ok' : r.problem!.code
  } catch (err) {
    if (err instanceof AofError) return err.code
    throw err
  }
}

/**
 * A store in `<root>/store` holding a base and an incr with records, `notes.txt` (a user's file
 * beside the store's) and `<root>/outside` (a file outside the store), then `manifest`.
 */
function store(
  manifest: string | Buffer,
  files: Record<string, string | Buffer> = {},
): { root: string; dir: string } {
  const root = scratchDir('aof-hostile-')
  const dir = path.join(root, 'store')
  fs.mkdirSync(dir)
  fs.writeFileSync(path.join(root, 'outside'), 'not the store\n')
  fs.writeFileSync(
    path.join(dir, BASE),
    '{"type":"@@aof/SNAPSHOT","payload":{"n":1},"meta":{"version":0}}\n',
  )
  fs.writeFileSync(path.join(dir, INCR), '{"n":2}\n{"n":3}\n')
  fs.writeFileSync(path.join(dir, 'notes.txt'), 'mine\n')
  for (const [name, data] of Object.entries(files))
    fs.writeFileSync(path.join(dir, name), data)
  fs.writeFileSync(path.join(dir, MANIFEST), manifest)
  return { root, dir }
}

const refused = (dir: string, root: string, code = 'AOF_MANIFEST_INVALID') => {
  const before = hashes(root)
  expect(check(dir)).toBe(code)
  const r = load(dir)
  expect(r).toMatchObject({ ok: false, code })
  // Nothing changed anywhere, in the store or outside it, and no lock was left behind.
  expect(hashes(root)).toEqual(before)
}

describe('hostile manifests are refused with AOF_MANIFEST_INVALID and change nothing', () => {
  const cases: [string, string | Buffer][] = [
    [
      'a relative path out of the store',
      'file ../../etc/passwd seq 1 type i\n',
    ],
    [
      'a path out of the store as history (would be deleted)',
      `file ${INCR} seq 1 type i\nfile ../outside seq 1 type h\n`,
    ],
    ['an absolute path', 'file /etc/passwd seq 1 type i\n'],
    [
      'a separator hidden in a quoted escape',
      'file "..\\x2foutside" seq 1 type i\n',
    ],
    ['the parent directory as incr', 'file .. seq 1 type i\n'],
    [
      'the store directory as base',
      `file . seq 1 type b\nfile ${INCR} seq 1 type i\n`,
    ],
    [
      'the parent directory as history',
      `file ${INCR} seq 1 type i\nfile .. seq 1 type h\n`,
    ],
    ['a NUL byte in a name', 'file "a\\x00b" seq 1 type i\n'],
    [
      'a NUL byte in a history name',
      `file ${INCR} seq 1 type i\nfile "a\\x00b" seq 1 type h\n`,
    ],
    [
      'the manifest itself as the incr file (appends would go into it)',
      `file ${MANIFEST} seq 1 type i\n`,
    ],
    [
      'the lock file as history (the lock would be deleted while held)',
      `file ${INCR} seq 1 type i\nfile aof.lock seq 1 type h\n`,
    ],
    [
      'the base also listed as history (the base would be deleted)',
      `file ${BASE} seq 1 type b\nfile ${BASE} seq 1 type h\nfile ${INCR} seq 1 type i\n`,
    ],
    [
      'one incr file listed twice (its records would load twice)',
      `file ${INCR} seq 1 type i\nfile ${INCR} seq 2 type i\n`,
    ],
    [
      "a user's file as history (it would be deleted)",
      `file ${INCR} seq 1 type i\nfile notes.txt seq 1 type h\n`,
    ],
    ['a line over 1024 bytes', `file ${'a'.repeat(2000)} seq 1 type i\n`],
    [
      'binary garbage',
      Buffer.from(Array.from({ length: 4096 }, (_, k) => (k * 131 + 7) % 256)),
    ],
    [
      'invalid UTF-8 in a name',
      Buffer.concat([
        Buffer.from('file '),
        Buffer.from([0xc3, 0x28, 0xff]),
        Buffer.from(' seq 1 type i\n'),
      ]),
    ],
    ['a seq beyond 2^53', `file ${INCR} seq 99999999999999999999 type i\n`],
  ]
  it.each(cases)('%s', (_what, manifest) => {
    const { root, dir } = store(manifest)
    refused(dir, root)
  })

  it('a directory listed as a log file', () => {
    const { root, dir } = store(`file sub seq 1 type i\n`)
    fs.mkdirSync(path.join(dir, 'sub'))
    refused(dir, root)
  })

  it('a symbolic link to a file outside the store (appends and tail cuts would land there)', () => {
    const { root, dir } = store(
      `file ${BASE} seq 1 type b\nfile link.aof seq 2 type i\n`,
    )
    fs.writeFileSync(
      path.join(root, 'outside'),
      '{"n":2}\nno newline at the end',
    )
    fs.symlinkSync(path.join(root, 'outside'), path.join(dir, 'link.aof'))
    refused(dir, root)
  })

  it('a manifest listing only a base, beside an unlisted incr file holding records: the records are not overwritten', () => {
    // Opening starts a new incr file when the manifest lists none; it must not reuse the
    // name of a file that holds records.
    const { root, dir } = store(`file ${BASE} seq 1 type b\n`)
    const before = fs.readFileSync(path.join(dir, INCR), 'utf8')
    const r = load(dir)
    if (r.ok) expect(r.records).toHaveLength(1)
    else expect(r.code).toBe('AOF_MANIFEST_INVALID')
    expect(fs.readFileSync(path.join(dir, INCR), 'utf8')).toBe(before)
    expect(fs.readFileSync(path.join(root, 'outside'), 'utf8')).toBe(
      'not the store\n',
    )
  })

  it('a 10 MB manifest of comments around a valid line loads', () => {
    const comments = `#${'c'.repeat(1000)}\n`.repeat(10_000)
    const { dir } = store(
      `${comments}file ${BASE} seq 1 type b\n${comments}file ${INCR} seq 1 type i\n`,
    )
    const r = load(dir)
    expect(r).toMatchObject({ ok: true })
    expect((r as { records: unknown[] }).records).toHaveLength(3)
  })
})

describe('hostile logs load correctly or end in AofError, never change data they refuse', () => {
  const manifest = `file ${BASE} seq 1 type b\nfile ${INCR} seq 1 type i\n`
  const good = '{"n":2}\n{"n":3}\n'

  it('a 20 MB record loads', () => {
    const big = JSON.stringify({ n: 4, text: 'x'.repeat(20 * 1024 * 1024) })
    const { dir } = store(manifest, { [INCR]: `${good}${big}\n` })
    const r = load(dir)
    expect(r.ok && (r.records[3] as { text: string }).text.length).toBe(
      20 * 1024 * 1024,
    )
  })

  const corrupt: [string, string | Buffer][] = [
    [
      'a huge garbage line in the middle',
      `${good}${'g'.repeat(5 * 1024 * 1024)}\n{"n":4}\n`,
    ],
    [
      'binary garbage in the middle',
      Buffer.concat([
        Buffer.from(good),
        Buffer.from(
          Array.from({ length: 3000 }, (_, k) => 1 + ((k * 97) % 255)).filter(
            (b) => b !== 10,
          ),
        ),
        Buffer.from('\n{"n":4}\n'),
      ]),
    ],
    [
      'invalid UTF-8 in the middle',
      Buffer.concat([
        Buffer.from('{"n":2}\n{"s":"'),
        Buffer.from([0xed, 0xa0, 0x80]),
        Buffer.from('"}\n{"n":4}\n'),
      ]),
    ],
    ['a line that is not JSON in the middle', `${good}{"n":\n{"n":4}\n`],
  ]
  it.each(corrupt)(
    '%s: AOF_CORRUPT naming the line, nothing changed',
    (_what, incr) => {
      const { root, dir } = store(manifest, { [INCR]: incr })
      const before = hashes(root)
      expect(check(dir)).toBe('AOF_CORRUPT')
      const r = load(dir)
      expect(r).toMatchObject({
        ok: false,
        code: 'AOF_CORRUPT',
        message: expect.stringContaining(INCR),
      })
      expect(hashes(root)).toEqual(before)
    },
  )

  it('NUL bytes in a file that is not the last: AOF_CORRUPT, nothing changed', () => {
    const { root, dir } = store(manifest, {
      [BASE]:
        '{"type":"@@aof/SNAPSHOT","payload":{"n":1},"meta":{"version":0}}\n\0\0\0\0\n',
    })
    const before = hashes(root)
    expect(load(dir)).toMatchObject({ ok: false, code: 'AOF_CORRUPT' })
    expect(hashes(root)).toEqual(before)
  })

  it('NUL bytes and a garbage tail in the last file: cut as a torn tail (documented), records before kept', () => {
    for (const tail of [
      '\0\0\0\0\0\0{"n":9}\n',
      '{"n":4',
      'g'.repeat(3 * 1024 * 1024),
    ]) {
      const { dir } = store(manifest, { [INCR]: good + tail })
      expect(check(dir)).toBe('AOF_TRUNCATED')
      const r = load(dir)
      expect(r).toMatchObject({ ok: true })
      expect((r as { records: unknown[] }).records.slice(1)).toEqual([
        { n: 2 },
        { n: 3 },
      ])
      expect(fs.readFileSync(path.join(dir, INCR), 'utf8')).toBe(good)
    }
  })

  it('100k nested arrays in a record: loads (JSON.parse does not recurse) and survives a rewrite', async () => {
    const depth = 100_000
    const deep = '['.repeat(depth) + ']'.repeat(depth)
    const { dir } = store(manifest, {
      [INCR]: `${good}{"n":4,"deep":${deep}}\n`,
    })
    // Measured by walking: a deep-equality assertion would itself overflow the stack.
    const levels = (v: unknown) => {
      let n = 0
      for (; Array.isArray(v) && v.length > 0; n++) v = v[0]
      return n
    }
    const aof = openAof({ dir })
    const records = [...aof.records()]
    expect(levels((records[3] as { deep: unknown }).deep)).toBe(depth - 1)
    // A rewrite serializes the state without recursion, so a deep state can be compacted.
    await aof.rewrite({
      type: '@@aof/SNAPSHOT',
      payload: records[3],
      meta: { version: 0 },
    })
    aof.closeSync()
    const again = load(dir)
    expect(again.ok).toBe(true)
    const only = (again as { records: { payload: { deep: unknown } }[] })
      .records
    expect(only).toHaveLength(1)
    expect(levels(only[0]!.payload.deep)).toBe(depth - 1)
  })

  it('appending a value nested too deeply for JSON.stringify: AOF_NOT_SERIALIZABLE, not a RangeError', () => {
    const { dir } = store(manifest)
    let deep: unknown[] = []
    for (let k = 0; k < 1_000_000; k++) deep = [deep]
    const aof = openAof({ dir })
    expect(() => aof.append({ deep })).toThrow(
      expect.objectContaining({ code: 'AOF_NOT_SERIALIZABLE' }),
    )
    aof.closeSync()
  })
})
