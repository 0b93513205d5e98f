import * as fs from 'node:fs'
import * as path from 'node:path'
import { describe, expect, it } from 'vitest'
import { openAof } from '../src/index.js'
import {
  formatManifest,
  parseManifest,
  quoteName,
  splitArgs,
} from '../src/manifest.js'
import { read, tempDir } from './helpers.js'

const parse = (text: string) =>
  parseManifest(Buffer.from(text, 'utf8'), 'test.manifest')

/** Every way Redis rejects a manifest, with the line it must name. */
const invalid: [string, string, RegExp, number | undefined][] = [
  ['empty manifest', '', /empty AOF manifest/, undefined],
  [
    'blank line',
    'file a.1.incr.aof seq 1 type i\n\nfile a.2.incr.aof seq 2 type i\n',
    /blank line/,
    2,
  ],
  [
    'whitespace-only line',
    'file a.1.incr.aof seq 1 type i\n  \t\n',
    /blank line/,
    2,
  ],
  [
    'missing key (too few tokens)',
    'file a.1.incr.aof seq 1\n',
    /Invalid AOF manifest file format/,
    1,
  ],
  [
    'odd token count',
    'file a.1.incr.aof seq 1 type i extra\n',
    /Invalid AOF manifest file format/,
    1,
  ],
  ['missing file key', 'name a.1.incr.aof seq 1 type i\n', /\(no file\)/, 1],
  ['seq zero', 'file a.1.incr.aof seq 0 type i\n', /seq that reads as 0/, 1],
  [
    'seq not a number',
    'file a.1.incr.aof seq x type i\n',
    /seq that reads as 0/,
    1,
  ],
  [
    'duplicate base',
    'file a.1.base.aof seq 1 type b\nfile a.2.base.aof seq 2 type b\n',
    /duplicate base/,
    2,
  ],
  [
    'non-monotonic incr seq',
    'file a.2.incr.aof seq 2 type i\nfile a.1.incr.aof seq 1 type i\n',
    /non-monotonic/,
    2,
  ],
  [
    'equal incr seq',
    'file a.2.incr.aof seq 2 type i\nfile b.2.incr.aof seq 2 type i\n',
    /non-monotonic/,
    2,
  ],
  [
    'unknown type',
    'file a.1.incr.aof seq 1 type x\n',
    /Unknown AOF file type/,
    1,
  ],
  [
    'line over 1024 bytes',
    `file ${'a'.repeat(1020)} seq 1 type i\n`,
    /too long line/,
    1,
  ],
  ['path separator', 'file ../evil.aof seq 1 type i\n', /can't be a path/, 1],
  [
    'backslash path separator',
    'file ..\\evil.aof seq 1 type i\n',
    /can't be a path/,
    1,
  ],
  [
    'unbalanced quotes',
    'file "a.1.incr.aof seq 1 type i\n',
    /unbalanced quotes/,
    1,
  ],
  [
    'closing quote followed by text',
    'file "a"b seq 1 type i\n',
    /unbalanced quotes/,
    1,
  ],
]

describe('parseManifest', () => {
  it.each(invalid)(
    'rejects %s with AOF_MANIFEST_INVALID naming the line',
    (_name, text, message, line) => {
      try {
        parse(text)
        expect.unreachable('should have thrown')
      } catch (err) {
        expect(err).toMatchObject({ code: 'AOF_MANIFEST_INVALID', line })
        expect((err as Error).message).toMatch(message)
        expect((err as Error).message).toContain('test.manifest')
        if (line !== undefined)
          expect((err as Error).message).toContain(`line ${line}`)
      }
    },
  )

  it('skips # comments, ignores unknown keys, reads keys case-insensitively', () => {
    const m = parse(
      '# written by hand\nfile a.1.base.aof seq 1 type b future yes\n# another\nFILE a.2.incr.aof SEQ 2 TYPE i\n',
    )
    expect(m.base).toEqual({ name: 'a.1.base.aof', seq: 1, type: 'base' })
    expect(m.incrs).toEqual([{ name: 'a.2.incr.aof', seq: 2, type: 'incr' }])
  })

  it('takes the first character of type, allows gaps in incr seqs, keeps history entries', () => {
    const m = parse(
      'file a.3.base.aof seq 3 type base\nfile a.1.incr.aof seq 1 type h\nfile a.4.incr.aof seq 4 type i\nfile a.9.incr.aof seq 9 type i\n',
    )
    expect(m.base?.seq).toBe(3)
    expect(m.history).toEqual([
      { name: 'a.1.incr.aof', seq: 1, type: 'history' },
    ])
    expect(m.incrs.map((e) => e.seq)).toEqual([4, 9])
  })

  it('accepts a last line without a newline (a hand edit), if it would fit with one', () => {
    expect(parse('file a.1.incr.aof seq 1 type i').incrs).toHaveLength(1)
    const fits = `file a.1.incr.aof seq 1 type i ${'x'.repeat(990)} y`
    expect(fits).toHaveLength(1023)
    expect(parse(fits).incrs).toHaveLength(1)
    expect(() => parse(fits + 'y')).toThrow(/too long line/)
  })
})

/** The parser's disagreements with Redis 7.0 that issue 11 lists, and the rules behind them. */
describe('parseManifest, as strict as Redis', () => {
  const rejects = (text: string | Buffer, message: RegExp, line?: number) => {
    const buf = typeof text === 'string' ? Buffer.from(text, 'utf8') : text
    try {
      parseManifest(buf, 'test.manifest', 'a')
      expect.unreachable('should have thrown')
    } catch (err) {
      expect(err).toMatchObject({ code: 'AOF_MANIFEST_INVALID', line })
      expect((err as Error).message).toMatch(message)
    }
  }

  it('rejects a first incr with seq -1 or any seq below 1: incr seqs start above 0', () => {
    rejects('file a.1.incr.aof seq -1 type i\n', /non-monotonic/, 1)
    rejects('file a.1.incr.aof seq -7 type i\n', /non-monotonic/, 1)
    rejects(
      'file a.1.base.aof seq 1 type b\nfile a.1.incr.aof seq -1 type i\n',
      /non-monotonic/,
      2,
    )
  })

  it('rejects a negative base seq, which a rewrite would count up to the unreadable seq 0', () => {
    rejects('file a.1.base.aof seq -1 type b\n', /base.*seq -1/, 1)
  })

  it('accepts a negative history seq, as Redis does (history seqs are never used)', () => {
    const m = parse(
      'file a.1.base.aof seq -3 type h\nfile a.1.incr.aof seq 1 type i\n',
    )
    expect(m.history).toEqual([
      { name: 'a.1.base.aof', seq: -3, type: 'history' },
    ])
  })

  it('rejects a raw NUL byte in a line, inside quotes or out, and allows one in a comment', () => {
    rejects('file a.1.incr.aof seq 1 type i\0\n', /NUL byte/, 1)
    rejects('file "a.1.\0incr.aof" seq 1 type i\n', /NUL byte/, 1)
    rejects('\0\n', /NUL byte/, 1)
    expect(
      parse('# a \0 here\nfile a.1.incr.aof seq 1 type i\n').incrs,
    ).toHaveLength(1)
  })

  it('rejects CR-only line ends, which read as one line repeating its keys', () => {
    rejects(
      'file a.1.base.aof seq 1 type b\rfile a.2.incr.aof seq 2 type i\r',
      /key "file" twice/,
      1,
    )
    rejects('file a.1.incr.aof seq 1 type i FILE b.1.incr.aof\n', /twice/, 1)
    rejects('file a.1.incr.aof seq 1 type i size 1 size 2\n', /twice/, 1)
  })

  it('names a seq beyond 2^53 - 1 as the problem', () => {
    rejects(
      'file a.1.incr.aof seq 9007199254740993 type i\n',
      /seq 9007199254740993 is larger than 9007199254740991/,
      1,
    )
    rejects(
      'file a.1.incr.aof seq -99999999999999999999 type h\nfile a.1.incr.aof seq 1 type i\n',
      /seq -99999999999999999999 is/,
      1,
    )
    expect(
      parse('file a.1.incr.aof seq 9007199254740991 type i\n').incrs[0]?.seq,
    ).toBe(Number.MAX_SAFE_INTEGER)
  })

  it('reads seq like atoll: leading C whitespace, a sign, the leading digits', () => {
    const seq = (v: string) =>
      parse(`file a.1.incr.aof seq ${v} type i\n`).incrs[0]?.seq
    expect(seq('+3')).toBe(3)
    expect(seq('3abc')).toBe(3)
    expect(seq('007')).toBe(7)
    expect(seq('"\\x0b\\x0c 5"')).toBe(5)
    expect(seq('"\\n\\r\\t6"')).toBe(6)
    rejects('file a.1.incr.aof seq 0x10 type i\n', /seq/, 1)
  })

  it('reads a comment line over 1024 bytes as Redis does: the bytes after the first 1024 as a line of their own', () => {
    rejects(
      `#${'x'.repeat(2000)}\nfile a.1.incr.aof seq 1 type i\n`,
      /comment line longer than 1024 bytes/,
      1,
    )
    // Exactly 1024 bytes with its newline is one line; 1025 leaves a blank line behind.
    expect(
      parse(`#${'x'.repeat(1022)}\nfile a.1.incr.aof seq 1 type i\n`).incrs,
    ).toHaveLength(1)
    rejects(
      `#${'x'.repeat(1023)}\nfile a.1.incr.aof seq 1 type i\n`,
      /blank line/,
      1,
    )
    // The rest is a comment again when it starts with #, and an entry when it is one.
    expect(
      parse(`#${'x'.repeat(1023)}#\nfile a.1.incr.aof seq 1 type i\n`).incrs,
    ).toHaveLength(1)
    expect(
      parse(`#${'x'.repeat(1023)}file a.1.incr.aof seq 1 type i\n`).incrs,
    ).toEqual([{ name: 'a.1.incr.aof', seq: 1, type: 'incr' }])
  })

  it('treats vertical tab and form feed as blanks only before a token, as sdssplitargs does', () => {
    rejects('file a.1.incr.aof seq 1\vtype i\n', /Invalid AOF manifest/, 1)
    rejects('file a.1.incr.aof seq 1\ftype i\n', /Invalid AOF manifest/, 1)
    expect(
      parse('\vfile a.1.incr.aof seq 1 \v\ftype i\v\n').incrs,
    ).toHaveLength(1)
    expect(parse('file "a.1.incr.aof"\fseq 1 type i\n').incrs[0]?.name).toBe(
      'a.1.incr.aof',
    )
    expect(splitArgs('a\vb \fc')).toEqual(['a\vb', 'c'])
  })

  it('compares keys as C strings: a key ends at an escaped NUL', () => {
    expect(
      parse('"file\\x00zz" a.1.incr.aof seq 1 type i\n').incrs[0]?.name,
    ).toBe('a.1.incr.aof')
  })

  it('rejects names that cannot be a file: empty, . and .., a NUL byte, invalid UTF-8', () => {
    rejects('file "" seq 1 type i\n', /not a file name/, 1)
    rejects('file . seq 1 type i\n', /not a file name/, 1)
    rejects(
      'file .. seq 1 type h\nfile a.1.incr.aof seq 1 type i\n',
      /not a file name/,
      1,
    )
    rejects('file "a.1.incr.aof\\x00x" seq 1 type i\n', /NUL byte/, 1)
    rejects('file "a\\xff.aof" seq 1 type i\n', /UTF-8/, 1)
    rejects(
      Buffer.concat([
        Buffer.from('file a'),
        Buffer.from([0xc3]),
        Buffer.from('.aof seq 1 type i\n'),
      ]),
      /UTF-8/,
      1,
    )
  })

  it('rejects an empty type value and a type starting with a NUL', () => {
    rejects('file a.1.incr.aof seq 1 type ""\n', /type/, 1)
    rejects('file a.1.incr.aof seq 1 type "\\x00i"\n', /type/, 1)
  })
})

describe('quoting', () => {
  const names = [
    'appendonly.aof',
    'my file.aof',
    "it's.aof",
    'quote".aof',
    'tab\tname',
    'new\nline',
    'ünïcødé-状態.aof',
    ' file seq \n\n.aof',
  ]
  it.each(names)('writes %j so that it reads back', (name) => {
    const text = formatManifest({
      base: { name, seq: 2, type: 'base' },
      history: [],
      incrs: [{ name, seq: 3, type: 'incr' }],
    })
    const m = parseManifest(text, 'x')
    expect(m.base?.name).toBe(name)
    expect(m.incrs[0]?.name).toBe(name)
  })

  it('leaves plain names unquoted and quotes like Redis otherwise', () => {
    expect(quoteName('appendonly.aof.1.incr.aof')).toBe(
      'appendonly.aof.1.incr.aof',
    )
    expect(quoteName('a b')).toBe('"a b"')
    expect(quoteName("it's")).toBe('"it\'s"')
    expect(splitArgs("\"a\\x41b\" 'c\\'d'")).toEqual(['aAb', "c'd"])
  })

  it('a store whose fileName needs quoting opens, appends and reopens', async () => {
    const dir = tempDir()
    const fileName = "Bob's state.aof"
    const aof = openAof({ dir, fileName })
    aof.append({ n: 1 })
    await aof.rewrite({ n: 'snap' })
    aof.append({ n: 2 })
    await aof.close()
    expect(read(dir, `${fileName}.manifest`)).toContain(
      `"Bob's state.aof.1.base.aof"`,
    )
    const again = openAof({ dir, fileName })
    expect([...again.records()]).toEqual([{ n: 'snap' }, { n: 2 }])
    again.closeSync()
  })
})

describe('manifest on open', () => {
  it('names a listed file that is missing', () => {
    const dir = tempDir()
    fs.writeFileSync(
      path.join(dir, 'appendonly.aof.manifest'),
      'file appendonly.aof.1.base.aof seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n',
    )
    fs.writeFileSync(path.join(dir, 'appendonly.aof.1.incr.aof'), '')
    expect(() => openAof({ dir })).toThrow(
      expect.objectContaining({
        code: 'AOF_MANIFEST_INVALID',
        message: expect.stringContaining('appendonly.aof.1.base.aof'),
      }),
    )
  })

  it('reports an invalid manifest and leaves every file untouched', () => {
    const dir = tempDir()
    const files = {
      'appendonly.aof.manifest':
        'file appendonly.aof.1.incr.aof seq 1 type q\n',
      'appendonly.aof.1.incr.aof': '{"n":1}\n',
    }
    for (const [n, t] of Object.entries(files))
      fs.writeFileSync(path.join(dir, n), t)
    expect(() => openAof({ dir })).toThrow(/Unknown AOF file type/)
    for (const [n, t] of Object.entries(files)) expect(read(dir, n)).toBe(t)
    expect(fs.existsSync(path.join(dir, 'aof.lock'))).toBe(false)
  })

  it('refuses to start empty over data files when the manifest is missing', () => {
    const dir = tempDir()
    fs.writeFileSync(path.join(dir, 'appendonly.aof.3.incr.aof'), '{"n":1}\n')
    expect(() => openAof({ dir })).toThrow(
      expect.objectContaining({
        code: 'AOF_MANIFEST_INVALID',
        message: expect.stringContaining('holds records'),
      }),
    )
    expect(read(dir, 'appendonly.aof.3.incr.aof')).toBe('{"n":1}\n')
  })

  it('refuses a first incr with seq -1 before touching anything (a rewrite would write seq 0)', () => {
    const dir = tempDir()
    const files = {
      'appendonly.aof.manifest':
        'file appendonly.aof.1.incr.aof seq -1 type i\n',
      'appendonly.aof.1.incr.aof': '{"n":1}\n',
    }
    for (const [n, t] of Object.entries(files))
      fs.writeFileSync(path.join(dir, n), t)
    expect(() => openAof({ dir })).toThrow(
      expect.objectContaining({
        code: 'AOF_MANIFEST_INVALID',
        message: expect.stringContaining('non-monotonic'),
      }),
    )
    for (const [n, t] of Object.entries(files)) expect(read(dir, n)).toBe(t)
  })

  it('deletes history files a crashed rewrite left listed', () => {
    const dir = tempDir()
    fs.writeFileSync(
      path.join(dir, 'appendonly.aof.manifest'),
      'file appendonly.aof.2.base.aof seq 2 type b\nfile appendonly.aof.1.base.aof seq 1 type h\nfile appendonly.aof.3.incr.aof seq 3 type i\n',
    )
    fs.writeFileSync(path.join(dir, 'appendonly.aof.1.base.aof'), '{"old":1}\n')
    fs.writeFileSync(path.join(dir, 'appendonly.aof.2.base.aof'), '{"new":1}\n')
    fs.writeFileSync(path.join(dir, 'appendonly.aof.3.incr.aof'), '')
    const aof = openAof({ dir })
    expect(fs.existsSync(path.join(dir, 'appendonly.aof.1.base.aof'))).toBe(
      false,
    )
    expect(read(dir, 'appendonly.aof.manifest')).not.toContain('type h')
    expect([...aof.records()]).toEqual([{ new: 1 }])
    aof.closeSync()
  })
})
