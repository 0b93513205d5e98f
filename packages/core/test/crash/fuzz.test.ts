// Property-based fuzzing of the loader and the manifest parser (fast-check). Valid stores of
// several shapes are damaged by random byte mutations and truncations; then checkAof and
// readAofEntries (read-only) and openAof + records() (which may repair) must each end in a
// load or an AofError with a code, never another exception; the read-only tools must change
// nothing; opening may change files only in the documented ways: cut a torn tail off the last
// incr file, delete the files listed as history (dropping them from the manifest), remove temp
// files, start an empty incr file. A store damaged only by a cut of its last incr file must
// load as a prefix of its records.
import { createHash } from 'node:crypto'
import * as fs from 'node:fs'
import * as path from 'node:path'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  AofError,
  checkAof,
  openAof,
  readAofEntries,
  snapshotAction,
} from '../../src/index.js'
import { parseManifest } from '../../src/manifest.js'
import { scratchDir, SEED, tally } from './env.js'

const RUNS = Number(process.env.AOF_FUZZ_RUNS ?? 500)
const LOAD_CODES = ['AOF_MANIFEST_INVALID', 'AOF_CORRUPT', 'AOF_TRUNCATED']
const counts: Record<string, number> = {}
const count = (k: string) => (counts[k] = (counts[k] ?? 0) + 1)

afterAll(() => tally('fuzz', counts))

const MANIFEST = 'appendonly.aof.manifest'
const records = [
  { type: 'add', text: 'plain' },
  { type: 'add', text: 'ünïcødé 状態 🙂', n: -1.5e-7 },
  {
    type: 'esc',
    text: 'quote " backslash \\ newline \n tab \t nul \u0000 ls \u2028',
  },
  { type: 'nest', deep: { a: [1, [2, [3, { b: null }]]], t: true } },
  { type: 'big', list: Array.from({ length: 50 }, (_, k) => k * k) },
]
const recordAt = (k: number) => ({ ...records[k % records.length]!, k })

type Files = Map<string, Buffer>
interface Shape {
  name: string
  files: Files
  /** The records the undamaged store loads. */
  loaded: unknown[]
}
const shapes: Shape[] = []

const readDir = (dir: string): Files => {
  const out: Files = new Map()
  for (const name of fs.readdirSync(dir).sort()) {
    if (name !== 'aof.lock')
      out.set(name, fs.readFileSync(path.join(dir, name)))
  }
  return out
}
const writeDir = (dir: string, files: Files) => {
  fs.mkdirSync(dir, { recursive: true })
  for (const [name, data] of files) fs.writeFileSync(path.join(dir, name), data)
}

beforeAll(async () => {
  const build = async (
    name: string,
    fill: (dir: string) => Promise<void> | void,
  ) => {
    const dir = path.join(scratchDir('aof-fuzz-shape-', true), 'store')
    await fill(dir)
    const files = readDir(dir)
    const aof = openAof({ dir })
    const loaded = [...aof.records()]
    aof.closeSync()
    shapes.push({ name, files, loaded })
  }
  await build('incr only', (dir) => {
    const aof = openAof({ dir })
    for (let k = 0; k < 30; k++) aof.append(recordAt(k))
    aof.closeSync()
  })
  await build('base + incr, timestamps', async (dir) => {
    const aof = openAof({ dir, timestamps: true })
    for (let k = 0; k < 10; k++) aof.append(recordAt(k))
    await aof.rewrite(snapshotAction({ upTo: 10, items: records }))
    for (let k = 10; k < 25; k++) aof.append(recordAt(k))
    aof.closeSync()
  })
  await build(
    'base + two incr files + history (a rewrite interrupted after its switch)',
    (dir) => {
      writeDir(dir, new Map())
      const line = (k: number) => JSON.stringify(recordAt(k)) + '\n'
      fs.writeFileSync(
        path.join(dir, 'appendonly.aof.2.base.aof'),
        JSON.stringify(snapshotAction({ upTo: 5 })) + '\n',
      )
      fs.writeFileSync(
        path.join(dir, 'appendonly.aof.1.base.aof'),
        JSON.stringify(snapshotAction({ old: true })) + '\n',
      )
      fs.writeFileSync(
        path.join(dir, 'appendonly.aof.3.incr.aof'),
        [5, 6, 7, 8].map(line).join(''),
      )
      fs.writeFileSync(
        path.join(dir, 'appendonly.aof.4.incr.aof'),
        [9, 10, 11, 12, 13].map(line).join(''),
      )
      fs.writeFileSync(
        path.join(dir, MANIFEST),
        'file appendonly.aof.2.base.aof seq 2 type b\nfile appendonly.aof.1.base.aof seq 1 type h\nfile appendonly.aof.3.incr.aof seq 3 type i\nfile appendonly.aof.4.incr.aof seq 4 type i\n',
      )
    },
  )
})

// ---- mutations ---------------------------------------------------------------------------------

const anyFile = fc.nat()
const anyPos = fc.nat()
const interesting = fc.oneof(
  fc.constantFrom(
    0,
    10,
    13,
    32,
    34,
    35,
    44,
    58,
    91,
    92,
    93,
    123,
    125,
    0x80,
    0xc3,
    0xed,
    0xff,
  ),
  fc.integer({ min: 0, max: 255 }),
)
const mutation = fc.oneof(
  fc.record({
    kind: fc.constant('flip' as const),
    file: anyFile,
    pos: anyPos,
    bit: fc.integer({ min: 0, max: 7 }),
  }),
  fc.record({
    kind: fc.constant('set' as const),
    file: anyFile,
    pos: anyPos,
    byte: interesting,
  }),
  fc.record({
    kind: fc.constant('insert' as const),
    file: anyFile,
    pos: anyPos,
    bytes: fc.uint8Array({ minLength: 1, maxLength: 24 }),
  }),
  fc.record({
    kind: fc.constant('delete' as const),
    file: anyFile,
    pos: anyPos,
    len: fc.integer({ min: 1, max: 80 }),
  }),
  fc.record({
    kind: fc.constant('truncate' as const),
    file: anyFile,
    pos: anyPos,
  }),
  fc.record({
    kind: fc.constant('append' as const),
    file: anyFile,
    bytes: fc.uint8Array({ minLength: 1, maxLength: 40 }),
  }),
  fc.record({
    kind: fc.constant('dupLine' as const),
    file: anyFile,
    line: fc.nat(),
  }),
  fc.record({
    kind: fc.constant('replace' as const),
    file: anyFile,
    bytes: fc.uint8Array({ maxLength: 300 }),
  }),
  fc.record({ kind: fc.constant('remove' as const), file: anyFile }),
)
type Mutation = typeof mutation extends fc.Arbitrary<infer M> ? M : never

function mutate(files: Files, m: Mutation): string {
  // Three damages in ten hit the manifest, the rest the log files.
  const data = [...files.keys()].filter((n) => n !== MANIFEST)
  const name =
    m.file % 10 < 3 || data.length === 0
      ? MANIFEST
      : data[Math.floor(m.file / 10) % data.length]!
  if (!files.has(name)) return name
  const buf = files.get(name)!
  const at = (p: number) => p % (buf.length + 1)
  switch (m.kind) {
    case 'flip': {
      if (buf.length === 0) break
      const b = Buffer.from(buf)
      b[m.pos % b.length]! ^= 1 << m.bit
      files.set(name, b)
      break
    }
    case 'set': {
      if (buf.length === 0) break
      const b = Buffer.from(buf)
      b[m.pos % b.length] = m.byte
      files.set(name, b)
      break
    }
    case 'insert':
      files.set(
        name,
        Buffer.concat([
          buf.subarray(0, at(m.pos)),
          m.bytes,
          buf.subarray(at(m.pos)),
        ]),
      )
      break
    case 'delete':
      files.set(
        name,
        Buffer.concat([
          buf.subarray(0, at(m.pos)),
          buf.subarray(at(m.pos) + m.len),
        ]),
      )
      break
    case 'truncate':
      files.set(name, buf.subarray(0, at(m.pos)))
      break
    case 'append':
      files.set(name, Buffer.concat([buf, m.bytes]))
      break
    case 'dupLine': {
      const lines = buf.toString('latin1').split(/(?<=\n)/)
      const k = m.line % Math.max(lines.length, 1)
      lines.splice(k, 0, lines[k] ?? '')
      files.set(name, Buffer.from(lines.join(''), 'latin1'))
      break
    }
    case 'replace':
      files.set(name, Buffer.from(m.bytes))
      break
    case 'remove':
      files.delete(name)
      break
  }
  return name
}

// ---- what may change ---------------------------------------------------------------------------

const sha = (b: Buffer) => createHash('sha1').update(b).digest('hex')

/** The manifest's entries as the store sees them, or null when it does not parse. */
function entries(
  buf: Buffer | undefined,
): { base: string | null; incrs: string[]; history: string[] } | null {
  if (!buf) return null
  try {
    const m = parseManifest(buf, MANIFEST, 'appendonly.aof')
    return {
      base: m.base?.name ?? null,
      incrs: m.incrs.map((e) => e.name),
      history: m.history.map((e) => e.name),
    }
  } catch {
    return null
  }
}

/** Says how opening changed the files in a way it may not, or returns null. */
function illegalChange(before: Files, after: Files): string | null {
  const m = entries(before.get(MANIFEST))
  const lastIncr = m?.incrs.at(-1)
  for (const [name, data] of before) {
    const now = after.get(name)
    if (now && sha(now) === sha(data)) continue
    if (name.startsWith('temp-') && !now) continue // leftover temp files are removed
    if (m && !now && m.history.includes(name)) continue // history is deleted
    if (name === MANIFEST && m && now) {
      // Rewritten only to drop history or to list a new (empty) incr file.
      const n = entries(now)
      if (
        n &&
        n.base === m.base &&
        n.history.length === 0 &&
        (n.incrs.join() === m.incrs.join() ||
          (m.incrs.length === 0 && n.incrs.length === 1))
      )
        continue
      return `the manifest changed from ${JSON.stringify(data.toString('latin1'))} to ${JSON.stringify(now.toString('latin1'))}`
    }
    if (
      name === lastIncr &&
      now &&
      now.length < data.length &&
      data.subarray(0, now.length).equals(now) &&
      (now.length === 0 || now[now.length - 1] === 10)
    ) {
      continue // a torn tail cut at a line start
    }
    return `${name} ${now ? `changed (${data.length} -> ${now.length} bytes)` : 'was deleted'}`
  }
  for (const [name, data] of after) {
    if (before.has(name)) continue
    if (/^appendonly\.aof\.\d+\.incr\.aof$/.test(name) && data.length === 0)
      continue
    // No manifest before: a new store, allowed only when no store file held records.
    const held = [...before].some(
      ([n, d]) =>
        /^appendonly\.aof\.\d+\.(base|incr)\.aof$/.test(n) && d.length > 0,
    )
    if (name === MANIFEST && !held) continue
    // Lines after a zero-filled region of the last incr file are cut, but saved first: the
    // copy must hold exactly the bytes that were cut, from the offset its name gives.
    const cut = lastIncr
      ? new RegExp(`^${lastIncr.replace(/\./g, '\\.')}\\.cut-(\\d+)$`).exec(
          name,
        )
      : null
    const original = lastIncr ? before.get(lastIncr) : undefined
    if (
      cut &&
      original &&
      original.subarray(Number(cut[1])).equals(data) &&
      after.get(lastIncr!)?.length === Number(cut[1])
    )
      continue
    return `${name} was created (${data.length} bytes)`
  }
  return null
}

/** Runs `fn`; an AofError becomes its code, anything else is rethrown as a finding. */
function outcome(what: string, fn: () => void): string {
  try {
    fn()
    return 'ok'
  } catch (err) {
    if (err instanceof AofError) return err.code
    throw new Error(
      `${what} threw ${(err as Error)?.name}: ${(err as Error)?.message}`,
      { cause: err },
    )
  }
}

describe('fuzzing the loader', () => {
  it(
    `${RUNS} random damages per store shape: a load or an AofError, read-only tools change nothing, opening only as documented`,
    { timeout: 300_000 },
    () => {
      const root = scratchDir('aof-fuzz-', true)
      let k = 0
      for (const [s, shape] of shapes.entries()) {
        fc.assert(
          fc.property(
            fc.array(mutation, { minLength: 1, maxLength: 3 }),
            (ms) => {
              const files: Files = new Map(shape.files)
              const touched = ms.map((m) => mutate(files, m))
              const dir = path.join(root, `c${k++}`)
              writeDir(dir, files)
              try {
                const before = readDir(dir)
                const checked = outcome(
                  'checkAof',
                  () => void checkAof({ dir }),
                )
                outcome('readAofEntries', () => {
                  for (const _ of readAofEntries({ dir })) void _
                })
                // The read-only tools changed nothing at all.
                const same = (a: Files, b: Files) =>
                  a.size === b.size &&
                  [...a].every(
                    ([n, d]) => b.has(n) && sha(b.get(n)!) === sha(d),
                  )
                expect(same(before, readDir(dir))).toBe(true)
                let loaded: unknown[] = []
                const opened = outcome('openAof + records()', () => {
                  const aof = openAof({ dir })
                  try {
                    loaded = [...aof.records()]
                  } finally {
                    aof.closeSync()
                  }
                })
                count(`checkAof ${checked}`)
                count(`open ${opened}`)
                if (opened !== 'ok') expect(LOAD_CODES).toContain(opened)
                expect(illegalChange(before, readDir(dir))).toBeNull()
                expect(fs.existsSync(path.join(dir, 'aof.lock'))).toBe(false)
                // Damage that only cut the last incr file short: a prefix of the records.
                const last = entries(shape.files.get(MANIFEST))?.incrs.at(-1)
                if (
                  ms.every((m) => m.kind === 'truncate') &&
                  touched.every((n) => n === last)
                ) {
                  count('tail cuts checked as prefixes')
                  expect(opened).toBe('ok')
                  expect(loaded).toEqual(shape.loaded.slice(0, loaded.length))
                }
              } finally {
                fs.rmSync(dir, { recursive: true, force: true })
              }
            },
          ),
          { numRuns: RUNS, seed: SEED + s },
        )
        count('cases')
        counts['cases']! += RUNS - 1
      }
    },
  )

  it('every cut of the last incr file, at every byte, loads as a prefix (all shapes)', () => {
    const root = scratchDir('aof-cuts-', true)
    const recordLines = (b: Buffer) =>
      b
        .toString('utf8')
        .split('\n')
        .slice(0, -1)
        .filter((l) => !l.startsWith('#')).length
    for (const shape of shapes) {
      const last = entries(shape.files.get(MANIFEST))!.incrs.at(-1)!
      const full = shape.files.get(last)!
      const earlier = shape.loaded.length - recordLines(full)
      for (let cut = 0; cut <= full.length; cut++) {
        const dir = path.join(root, `c${cut}`)
        writeDir(dir, new Map([...shape.files, [last, full.subarray(0, cut)]]))
        const aof = openAof({ dir })
        const got = [...aof.records()]
        aof.closeSync()
        expect(got).toEqual(
          shape.loaded.slice(0, earlier + recordLines(full.subarray(0, cut))),
        )
        fs.rmSync(dir, { recursive: true, force: true })
        count('exhaustive tail cuts')
      }
    }
  })
})

describe('fuzzing the manifest parser', () => {
  const token = fc.oneof(
    fc.constantFrom(
      'file',
      'seq',
      'type',
      'b',
      'h',
      'i',
      'x',
      '1',
      '0',
      '-1',
      '99999999999999999999',
      'appendonly.aof.1.incr.aof',
      '..',
      '.',
      '/',
      '"',
      "'",
      '\\',
      '\\x00',
      '\\x2f',
      '"a b"',
      "'c\\'d'",
      '#',
      ' ',
      '\t',
      '\r',
      '\n',
    ),
    fc.string({ maxLength: 8 }),
  )
  // Lines shaped like manifest lines, with any token in any place, and free token soups.
  const mostly = <T>(valid: fc.Arbitrary<T>) =>
    fc.oneof({ arbitrary: valid, weight: 5 }, { arbitrary: token, weight: 1 })
  const line = fc.oneof(
    fc
      .tuple(
        mostly(fc.constantFrom('file', 'FILE')),
        mostly(
          fc.constantFrom(
            'appendonly.aof.1.base.aof',
            'appendonly.aof.2.base.aof',
            'appendonly.aof.1.incr.aof',
            'appendonly.aof.2.incr.aof',
            '"appendonly.aof.3.incr.aof"',
            'other.aof',
          ),
        ),
        mostly(fc.constant('seq')),
        mostly(fc.integer({ min: 1, max: 4 }).map(String)),
        mostly(fc.constant('type')),
        mostly(fc.constantFrom('b', 'h', 'i', 'base', 'incr')),
      )
      .map((t) => t.join(' ') + '\n'),
    fc.array(token, { maxLength: 12 }).map((ts) => ts.join(' ') + '\n'),
  )
  const text = fc.array(line, { maxLength: 6 }).map((ls) => ls.join(''))
  const bytes = fc.uint8Array({ maxLength: 400 })

  it(`${RUNS * 4} token soups and ${RUNS * 4} byte strings: a manifest or AOF_MANIFEST_INVALID, nothing else`, () => {
    const parse = (buf: Buffer) => {
      for (const fileName of [undefined, 'appendonly.aof']) {
        try {
          const m = parseManifest(buf, MANIFEST, fileName)
          // Whatever parses names no path and no file twice (with fileName).
          for (const e of [
            ...(m.base ? [m.base] : []),
            ...m.history,
            ...m.incrs,
          ]) {
            expect(e.name).not.toMatch(/[/\\]/)
            expect(Number.isSafeInteger(e.seq) && e.seq !== 0).toBe(true)
          }
          count('manifests parsed')
        } catch (err) {
          if (!(err instanceof AofError) || err.code !== 'AOF_MANIFEST_INVALID')
            throw err
          count('manifests refused')
        }
      }
    }
    fc.assert(
      fc.property(text, (t) => parse(Buffer.from(t, 'utf8'))),
      { numRuns: RUNS * 4, seed: SEED },
    )
    fc.assert(
      fc.property(bytes, (b) => parse(Buffer.from(b))),
      { numRuns: RUNS * 4, seed: SEED + 1 },
    )
    counts['manifest cases'] = RUNS * 8
  })
})
