// The manifest parser held against the real Redis: every manifest here is given to a fresh
// redis-server 7.0 at start-up (its own temp directory, a unix socket, no TCP port) and to
// parseManifest with the same fileName. They must agree, except for the differences listed in
// docs/reference/file-format.md ("Differences from Redis"), which are asserted as differences.
import * as fs from 'node:fs'
import * as os from 'node:os'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { AofError } from '../src/errors.js'
import {
  formatManifest,
  parseManifest,
  type Manifest,
} from '../src/manifest.js'
import {
  REDIS_FILE_NAME,
  findRedisServer,
  mapLimit,
  redisRepr,
  redisStart,
} from './redis.js'

/** Every deliberate difference, by the words that open its entry in file-format.md. */
const DIFFERENCES = {
  finalNewline: { doc: 'A last line without its newline', refusal: null },
  repeatedKey: {
    doc: 'A line that names a key twice',
    refusal: /names the key "[^"]*" twice/,
  },
  bigSeq: {
    doc: 'A seq beyond 2^53 - 1',
    refusal: /is (larger|smaller) than -?9007199254740991 \(2\^53 - 1\)/,
  },
  negativeBase: {
    doc: 'A negative base seq',
    refusal: /a base seq must be positive/,
  },
  notAName: {
    doc: 'A name that cannot be a file',
    refusal:
      /is not a file name|NUL byte, which no file name can|is not valid UTF-8/,
  },
  historyName: {
    doc: 'A history entry that does not name a base or incr file of the store',
    refusal: /History file .* is not a base or incr file of this store/,
  },
  listedTwice: { doc: 'A file listed twice', refusal: /is listed twice/ },
  controlFile: {
    doc: "The store's own files listed as log files",
    refusal: /one of the store's own control files/,
  },
  apostrophe: { doc: 'Names with an apostrophe are quoted', refusal: null },
  symlink: { doc: 'Symbolic links', refusal: null },
} as const
type Difference = keyof typeof DIFFERENCES

/** Files every server directory holds (empty: Redis loads them as empty AOF files). */
const FILES: Buffer[] = [
  ...[
    'redis.aof.1.base.aof',
    'redis.aof.2.base.aof',
    'redis.aof.1.incr.aof',
    'redis.aof.2.incr.aof',
    'redis.aof.3.incr.aof',
    'redis.aof.5.incr.aof',
    'a b.aof',
    "it's.aof",
    'é.aof',
    'tab\tname.aof',
    'v\vname.aof',
    'notes.txt',
    'aof.lock',
  ].map((n) => Buffer.from(n, 'utf8')),
  Buffer.from([0xff, 0x2e, 0x61, 0x6f, 0x66]), // \xff.aof, not UTF-8
]

const B1 = 'file redis.aof.1.base.aof seq 1 type b\n'
const I1 = 'file redis.aof.1.incr.aof seq 1 type i\n'
const I2 = 'file redis.aof.2.incr.aof seq 2 type i\n'
/** A history line: Redis deletes history at start-up and rewrites the manifest, which shows what it parsed. */
const H = 'file redis.aof.9.incr.aof seq 9 type h\n'

interface Case {
  name: string
  text: string | Buffer
  redis: 'starts' | 'refuses'
  /** Set when this library decides otherwise, on purpose. */
  differs?: Difference
}

const cases: Case[] = [
  // Agreements: both load.
  {
    name: 'a store as the writer leaves it',
    text: B1 + H + I1 + I2,
    redis: 'starts',
  },
  { name: 'a base only', text: H + B1, redis: 'starts' },
  { name: 'comments only', text: '# nothing yet\n', redis: 'starts' },
  { name: 'history only', text: H, redis: 'starts' },
  {
    name: 'comments, unknown keys, keys in any case, type by its first letter',
    text: `# hand-written\n${H}FILE redis.aof.1.base.aof Seq 1 TYPE base future yes\nfile redis.aof.3.incr.aof seq 3 type incr\n`,
    redis: 'starts',
  },
  {
    name: 'gaps between incr seqs',
    text: H + I1 + 'file redis.aof.5.incr.aof seq 5 type i\n',
    redis: 'starts',
  },
  {
    name: 'CRLF line ends',
    text: (H + B1 + I1).replace(/\n/g, '\r\n'),
    redis: 'starts',
  },
  {
    name: 'blanks around a line',
    text: `${H}  \t${I1.trimEnd()} \t\r\n`,
    redis: 'starts',
  },
  {
    name: 'quoted names: spaces, escapes, single quotes, UTF-8 bytes',
    text: `${H}file "a b.aof" seq 1 type b\nfile 'it\\'s.aof' seq 1 type i\nfile "\\xc3\\xa9.aof" seq 2 type i\nfile "tab\\tname.aof" seq 3 type i\n`,
    redis: 'starts',
  },
  {
    name: 'a quote opening inside an argument',
    text: `${H}file redis.aof."1.incr.aof" seq 1 type i\n`,
    redis: 'starts',
  },
  {
    name: '\\v and \\f as blanks before an argument',
    text: `\v${H}file redis.aof.1.incr.aof \fseq 1 \v type i\v\n`,
    redis: 'starts',
  },
  {
    name: '\\f after a closing quote',
    text: `${H}file "redis.aof.1.incr.aof"\fseq 1 type i\n`,
    redis: 'starts',
  },
  {
    name: '\\v inside an unquoted name',
    text: `${H}file v\vname.aof seq 1 type i\n`,
    redis: 'starts',
  },
  {
    name: 'seq read like atoll: a sign, trailing text, leading zeros, C blanks',
    text: `${H}file redis.aof.1.base.aof seq +1 type b\nfile redis.aof.1.incr.aof seq 1abc type i\nfile redis.aof.2.incr.aof seq 002 type i\nfile redis.aof.3.incr.aof seq "\\x0b\\x0c 3" type i\n`,
    redis: 'starts',
  },
  {
    name: 'a negative history seq',
    text: `file redis.aof.9.incr.aof seq -4 type h\n${I1}`,
    redis: 'starts',
  },
  {
    name: 'a key ending at an escaped NUL',
    text: `${H}"file\\x00junk" redis.aof.1.incr.aof seq 1 type i\n`,
    redis: 'starts',
  },
  {
    name: 'a line of exactly 1024 bytes',
    text: `${H}${I1.trimEnd()}${' '.repeat(1024 - I1.length)}\n`,
    redis: 'starts',
  },
  {
    name: 'a comment of exactly 1024 bytes',
    text: `#${'x'.repeat(1022)}\n${H}${I1}`,
    redis: 'starts',
  },
  {
    name: 'a long comment whose bytes after the 1024th start with #',
    text: `#${'x'.repeat(1023)}#more\n${H}${I1}`,
    redis: 'starts',
  },
  {
    name: 'a long comment whose bytes after the 1024th are an entry (loaded)',
    text: `#${'x'.repeat(1023)}${I1}${H}`,
    redis: 'starts',
  },
  {
    name: 'a raw NUL in a comment',
    text: `# a \0 here\n${H}${I1}`,
    redis: 'starts',
  },
  { name: 'a history file that does not exist', text: H + I1, redis: 'starts' },

  // Agreements: both refuse.
  { name: 'an empty manifest', text: '', redis: 'refuses' },
  { name: 'a blank line', text: `${I1}\n${I2}`, redis: 'refuses' },
  { name: 'a line of blanks', text: `${I1} \t\r\n`, redis: 'refuses' },
  { name: 'a line of \\v only', text: `${I1}\v\n`, redis: 'refuses' },
  {
    name: 'a space before #',
    text: ` # not a comment\n${I1}`,
    redis: 'refuses',
  },
  {
    name: 'fewer than 6 arguments',
    text: 'file redis.aof.1.incr.aof seq 1\n',
    redis: 'refuses',
  },
  {
    name: 'an odd number of arguments',
    text: `${I1.trimEnd()} extra\n`,
    redis: 'refuses',
  },
  {
    name: 'no file key',
    text: 'name redis.aof.1.incr.aof seq 1 type i\n',
    redis: 'refuses',
  },
  {
    name: 'seq 0',
    text: 'file redis.aof.1.incr.aof seq 0 type i\n',
    redis: 'refuses',
  },
  {
    name: 'seq -0',
    text: 'file redis.aof.1.incr.aof seq -0 type h\n',
    redis: 'refuses',
  },
  {
    name: 'seq not a number',
    text: 'file redis.aof.1.incr.aof seq x type i\n',
    redis: 'refuses',
  },
  {
    name: 'seq in hex',
    text: 'file redis.aof.1.incr.aof seq 0x10 type i\n',
    redis: 'refuses',
  },
  {
    name: 'an empty type',
    text: 'file redis.aof.1.incr.aof seq 1 type ""\n',
    redis: 'refuses',
  },
  {
    name: 'a type starting with a NUL',
    text: 'file redis.aof.1.incr.aof seq 1 type "\\x00i"\n',
    redis: 'refuses',
  },
  {
    name: 'an unknown type',
    text: 'file redis.aof.1.incr.aof seq 1 type x\n',
    redis: 'refuses',
  },
  {
    name: 'an upper-case type',
    text: 'file redis.aof.1.incr.aof seq 1 type I\n',
    redis: 'refuses',
  },
  {
    name: 'two bases',
    text: B1 + 'file redis.aof.2.base.aof seq 2 type b\n',
    redis: 'refuses',
  },
  { name: 'incr seqs going down', text: I2 + I1, redis: 'refuses' },
  {
    name: 'equal incr seqs',
    text: I1 + 'file redis.aof.2.incr.aof seq 1 type i\n',
    redis: 'refuses',
  },
  {
    name: 'a first incr with seq -1',
    text: 'file redis.aof.1.incr.aof seq -1 type i\n',
    redis: 'refuses',
  },
  {
    name: 'an incr seq going negative',
    text: I1 + 'file redis.aof.2.incr.aof seq -2 type i\n',
    redis: 'refuses',
  },
  {
    name: 'a path',
    text: 'file ../redis.aof.1.incr.aof seq 1 type i\n',
    redis: 'refuses',
  },
  {
    name: 'a Windows path',
    text: 'file ..\\redis.aof.1.incr.aof seq 1 type i\n',
    redis: 'refuses',
  },
  {
    name: 'unbalanced double quotes',
    text: 'file "redis.aof.1.incr.aof seq 1 type i\n',
    redis: 'refuses',
  },
  {
    name: 'unbalanced single quotes',
    text: "file 'redis.aof.1.incr.aof seq 1 type i\n",
    redis: 'refuses',
  },
  {
    name: 'a closing quote followed by text',
    text: 'file "redis.aof.1"incr.aof seq 1 type i\n',
    redis: 'refuses',
  },
  {
    name: 'a line of 1025 bytes',
    text: `${I1.trimEnd()}${' '.repeat(1025 - I1.length)}\n`,
    redis: 'refuses',
  },
  {
    name: 'a raw NUL outside quotes',
    text: `${I1.trimEnd()}\0\n`,
    redis: 'refuses',
  },
  {
    name: 'a raw NUL inside quotes',
    text: 'file "redis.aof.1.incr.aof\0" seq 1 type i\n',
    redis: 'refuses',
  },
  { name: 'a raw NUL opening a line', text: `\0${I1}`, redis: 'refuses' },
  {
    name: 'a long comment whose bytes after the 1024th are text',
    text: `#${'x'.repeat(2000)}\n${I1}`,
    redis: 'refuses',
  },
  {
    name: 'a comment of 1025 bytes (its rest is a blank line)',
    text: `#${'x'.repeat(1023)}\n${I1}`,
    redis: 'refuses',
  },
  {
    name: '\\v between arguments without a space',
    text: 'file redis.aof.1.incr.aof seq 1\vtype i\n',
    redis: 'refuses',
  },
  {
    name: '\\f between arguments without a space',
    text: 'file redis.aof.1.incr.aof\fseq 1 type i\n',
    redis: 'refuses',
  },
  {
    name: 'an empty name for the incr',
    text: 'file "" seq 1 type i\n',
    redis: 'refuses',
  },
  { name: '.. as the base', text: 'file .. seq 1 type b\n', redis: 'refuses' },
  {
    // Redis reads the whole file as one line without a newline; the parser, one that names
    // its keys twice.
    name: 'CR-only line ends',
    text: (B1 + I1).replace(/\n/g, '\r'),
    redis: 'refuses',
  },
  {
    name: 'the manifest as the incr',
    text: 'file redis.aof.manifest seq 1 type i\n',
    redis: 'refuses',
  },

  // Deliberate differences.
  {
    name: 'a last line without its newline',
    text: H + I1.trimEnd(),
    redis: 'refuses',
    differs: 'finalNewline',
  },
  {
    name: 'lines ended by \\r, the last by \\n (Redis drops the base and loads the incr)',
    text: (B1 + I1).replace(/\n/g, '\r') + '\n',
    redis: 'starts',
    differs: 'repeatedKey',
  },
  {
    name: 'an unknown key twice',
    text: `${I1.trimEnd()} size 1 size 2\n`,
    redis: 'starts',
    differs: 'repeatedKey',
  },
  {
    name: 'a seq above 2^53 - 1',
    text: 'file redis.aof.1.incr.aof seq 9007199254740993 type i\n',
    redis: 'starts',
    differs: 'bigSeq',
  },
  {
    name: 'a seq above 2^63 - 1',
    text: 'file redis.aof.1.incr.aof seq 99999999999999999999 type i\n',
    redis: 'starts',
    differs: 'bigSeq',
  },
  {
    name: 'a negative base seq',
    text: 'file redis.aof.1.base.aof seq -1 type b\n',
    redis: 'starts',
    differs: 'negativeBase',
  },
  {
    name: 'a name with an escaped NUL (Redis reads the part before it)',
    text: 'file "redis.aof.1.incr.aof\\x00junk" seq 1 type i\n',
    redis: 'starts',
    differs: 'notAName',
  },
  {
    name: 'a name that is not UTF-8',
    text: 'file "\\xff.aof" seq 1 type i\n',
    redis: 'starts',
    differs: 'notAName',
  },
  {
    name: 'an empty history name',
    text: `file "" seq 1 type h\n${I1}`,
    redis: 'starts',
    differs: 'notAName',
  },
  {
    name: "a user's file as history (Redis deletes it)",
    text: `file notes.txt seq 1 type h\n${I1}`,
    redis: 'starts',
    differs: 'historyName',
  },
  {
    name: 'an incr file listed twice (Redis loads it twice)',
    text: I1 + 'file redis.aof.1.incr.aof seq 2 type i\n',
    redis: 'starts',
    differs: 'listedTwice',
  },
  {
    name: 'the base also listed as history (Redis deletes the base)',
    text: B1 + 'file redis.aof.1.base.aof seq 1 type h\n' + I1,
    redis: 'starts',
    differs: 'listedTwice',
  },
  {
    name: 'the lock file as the incr',
    text: 'file aof.lock seq 1 type i\n',
    redis: 'starts',
    differs: 'controlFile',
  },
  {
    name: 'the manifest as history (Redis deletes it)',
    text: `file redis.aof.manifest seq 1 type h\n${I1}`,
    redis: 'starts',
    differs: 'controlFile',
  },
]

type Ours = { ok: true; m: Manifest } | { ok: false; message: string }

/**
 * What opening a store would make of the manifest: parseManifest with the store's fileName,
 * then the last rule of file-format.md, which openAof checks next, as Redis does: every base and
 * incr file listed exists (here: is one of FILES).
 */
function ours(text: Buffer): Ours {
  let m: Manifest
  try {
    m = parseManifest(text, 'redis.aof.manifest', REDIS_FILE_NAME)
  } catch (err) {
    if (err instanceof AofError && err.code === 'AOF_MANIFEST_INVALID')
      return { ok: false, message: err.message }
    throw err
  }
  const missing = [...(m.base ? [m.base] : []), ...m.incrs].find(
    (e) => !FILES.some((f) => f.equals(Buffer.from(e.name, 'utf8'))),
  )
  if (missing) return { ok: false, message: `${missing.name} does not exist` }
  return { ok: true, m }
}

/**
 * The manifest Redis writes when it has loaded `m` and dropped its history: the base and incr
 * lines in its own quoting, plus the incr (and base) files it creates when there are none.
 */
function asRedisWrites(m: Manifest): string {
  const line = (name: string, seq: number, type: string) =>
    `file ${redisRepr(Buffer.from(name, 'utf8'))} seq ${seq} type ${type}\n`
  if (!m.base && m.incrs.length === 0)
    return (
      line(`${REDIS_FILE_NAME}.1.base.rdb`, 1, 'b') +
      line(`${REDIS_FILE_NAME}.1.incr.aof`, 1, 'i')
    )
  return (
    (m.base ? line(m.base.name, m.base.seq, 'b') : '') +
    (m.incrs.length > 0
      ? m.incrs.map((e) => line(e.name, e.seq, 'i')).join('')
      : line(`${REDIS_FILE_NAME}.1.incr.aof`, 1, 'i'))
  )
}

const show = (text: Buffer) => JSON.stringify(text.toString('latin1'))

/** The last lines Redis logged, without their pid and time prefixes: why it stopped. */
const lastWords = (log: string) =>
  log
    .split('\n')
    .map((l) => l.replace(/^\d+:[A-Z] [^#*]*[#*] /, '').trim())
    .filter((l) => l !== '')
    .slice(-3)
    .join(' | ')

type Outcome = 'both load' | 'both refuse' | Difference

/**
 * Starts Redis on every manifest, parses each, and asserts that they agree, or differ in one of
 * the listed ways only: as `differs` says where it is given, else as one of the refusals. When
 * the parser loads what Redis refuses, Redis must load the same text with a final newline.
 * Where Redis rewrote the manifest at start-up, it must list what the parser read.
 */
async function judge(
  bin: string,
  items: readonly { text: Buffer; differs?: Difference }[],
): Promise<Outcome[]> {
  const verdicts = await mapLimit(items, LIMIT, (c) =>
    redisStart(bin, c.text, FILES),
  )
  const outcomes = items.map(({ text, differs }, i): Outcome => {
    const redis = verdicts[i]!
    const us = ours(text)
    const where = `manifest ${show(text)}\nRedis: ${redis.accepted ? 'loads' : 'refuses'}: ${lastWords(redis.log)}\nwe: ${us.ok ? 'load' : us.message}`
    if (redis.accepted && us.ok) {
      if (redis.rewritten)
        expect(redis.rewritten.toString('latin1'), where).toBe(
          asRedisWrites(us.m),
        )
      return 'both load'
    }
    if (!redis.accepted && !us.ok) return 'both refuse'
    if (us.ok) {
      // The one difference that loads what Redis refuses.
      expect(differs ?? 'finalNewline', where).toBe('finalNewline')
      expect(text.at(-1), where).not.toBe(0x0a)
      return 'finalNewline'
    }
    const found = (Object.keys(DIFFERENCES) as Difference[]).find((k) =>
      DIFFERENCES[k].refusal?.test(us.message),
    )
    expect(found, where).toBeDefined()
    if (differs) expect(found, where).toBe(differs)
    return found!
  })
  const withNewline = items.filter((_, i) => outcomes[i] === 'finalNewline')
  const again = await mapLimit(withNewline, LIMIT, (c) =>
    redisStart(bin, Buffer.concat([c.text, Buffer.from('\n')]), FILES),
  )
  withNewline.forEach((c, i) =>
    expect(again[i]!.accepted, `${show(c.text)} with a final newline`).toBe(
      true,
    ),
  )
  return outcomes
}

// ---- generated manifests -------------------------------------------------------------------------

const blank = fc.constantFrom(
  ' ',
  ' ',
  ' ',
  ' ',
  '  ',
  '\t',
  ' \v',
  '\f ',
  '\v',
  '\f',
  '\r',
)
/** Mostly one of `usual`, now and then one of `odd`. */
const mostly = (usual: string[], odd: string[]) =>
  fc.oneof(
    { arbitrary: fc.constantFrom(...usual), weight: 5 },
    { arbitrary: fc.constantFrom(...odd), weight: 1 },
  )
const nameToken = mostly(
  [
    'redis.aof.1.base.aof',
    'redis.aof.2.base.aof',
    'redis.aof.1.incr.aof',
    'redis.aof.2.incr.aof',
    'redis.aof.3.incr.aof',
    'redis.aof.5.incr.aof',
    '"redis.aof.1.incr.aof"',
    "'redis.aof.2.incr.aof'",
    'redis.aof."3.incr.aof"',
    '"a b.aof"',
    "'it\\'s.aof'",
    '"\\xc3\\xa9.aof"',
    '"tab\\tname.aof"',
    'v\vname.aof',
  ],
  [
    '"\\xff.aof"',
    'notes.txt',
    'aof.lock',
    'redis.aof.manifest',
    '""',
    '..',
    'x/y',
    '"redis.aof.1.incr.aof\\x00z"',
    '"unterminated',
    'closed"quote"x',
  ],
)
const seqToken = mostly(
  ['1', '2', '3', '5', '+2', '007', '2abc', '"\\x0b3"'],
  [
    '-1',
    '0',
    '-0',
    'x',
    '-4',
    '""',
    '9007199254740993',
    '99999999999999999999',
  ],
)
const typeToken = mostly(
  ['b', 'i', 'i', 'i', 'h', 'incr', 'base'],
  ['x', 'I', '""', '"\\x00i"'],
)
const key = (k: string) =>
  fc.oneof(
    { arbitrary: fc.constant(k), weight: 20 },
    { arbitrary: fc.constant(k.toUpperCase()), weight: 1 },
    { arbitrary: fc.constant(`"${k}\\x00z"`), weight: 1 },
  )
/** An extra pair (an unknown key, a key again) or a lone token. */
const extra = fc.constantFrom<string[]>(
  ['size', '1'],
  ['file', 'redis.aof.2.incr.aof'],
  ['SEQ', '3'],
  ['type', 'h'],
  ['""', 'x'],
  ['future'],
)
const entry = fc
  .record({
    pairs: fc.tuple(
      fc.tuple(key('file'), nameToken),
      fc.tuple(key('seq'), seqToken),
      fc.tuple(key('type'), typeToken),
    ),
    order: fc.constantFrom(
      [0, 1, 2],
      [0, 1, 2],
      [0, 1, 2],
      [2, 0, 1],
      [1, 2, 0],
    ),
    drop: fc.oneof(
      { arbitrary: fc.constant(-1), weight: 12 },
      { arbitrary: fc.integer({ min: 0, max: 2 }), weight: 1 },
    ),
    more: fc.oneof(
      { arbitrary: fc.constant([]), weight: 3 },
      { arbitrary: extra, weight: 1 },
    ),
    blanks: fc.array(blank, { minLength: 10, maxLength: 10 }),
    lead: fc.constantFrom('', '', '', '', ' ', '\t', '\v'),
    trail: fc.constantFrom('', '', '', '', ' ', '\t', '\v'),
  })
  .map(({ pairs, order, drop, more, blanks, lead, trail }) => {
    const tokens = order
      .filter((k) => k !== drop)
      .flatMap((k) => pairs[k]!)
      .concat(more)
    return (
      lead +
      tokens.map((t, i) => (i > 0 ? blanks[i % 10] : '') + t).join('') +
      trail
    )
  })
const end = fc.oneof(
  { arbitrary: fc.constant('\n'), weight: 8 },
  { arbitrary: fc.constantFrom('\r\n', '\r'), weight: 1 },
)
const line = fc.oneof(
  { arbitrary: fc.tuple(entry, end).map(([e, n]) => e + n), weight: 16 },
  { arbitrary: fc.constant('# a comment\n'), weight: 1 },
  {
    // A comment over 1024 bytes: what follows its 1024th byte is read as a line.
    arbitrary: fc
      .tuple(fc.constantFrom('', '#', 'more words', 'x y z w v u'), entry)
      .chain(([tail, e]) =>
        fc.constantFrom(tail, e).map((t) => `#${'c'.repeat(1023)}${t}\n`),
      ),
    weight: 1,
  },
  { arbitrary: fc.constantFrom('\n', ' \t\n', '\v\n'), weight: 1 },
  {
    arbitrary: fc
      .tuple(entry, fc.nat())
      .map(
        ([e, at]) =>
          `${e.slice(0, at % (e.length + 1))}\0${e.slice(at % (e.length + 1))}\n`,
      ),
    weight: 1,
  },
)
const manifest = fc
  .tuple(
    fc.array(line, { maxLength: 3 }),
    fc.nat(),
    fc.oneof(
      { arbitrary: fc.constant(false), weight: 8 },
      { arbitrary: fc.constant(true), weight: 1 },
    ),
  )
  .map(([lines, at, cut]) => {
    // A history line makes Redis rewrite the manifest at start-up, which shows what it read.
    lines.splice(at % (lines.length + 1), 0, H)
    const text = lines.join('')
    return Buffer.from(cut ? text.replace(/\r?\n$/, '') : text, 'utf8')
  })

const redisServer = findRedisServer()
const LIMIT = Math.max(4, Math.min(16, os.availableParallelism() * 2))
const RUNS = 200

/** The redis-server to run; without one, each test fails with the advice (it is not skipped). */
function redis(): string {
  if (redisServer instanceof Error) throw redisServer
  return redisServer
}

describe('the manifest parser against redis-server 7.0', () => {
  it('agrees with Redis on every crafted manifest, except the deliberate differences', async () => {
    const items = cases.map((c) => ({
      text: typeof c.text === 'string' ? Buffer.from(c.text, 'utf8') : c.text,
      differs: c.differs,
    }))
    const outcomes = await judge(redis(), items)
    const wrong = cases.flatMap((c, i) => {
      const expected =
        c.differs ?? (c.redis === 'starts' ? 'both load' : 'both refuse')
      return outcomes[i] === expected
        ? []
        : [`${c.name}: expected ${expected}, got ${outcomes[i]}`]
    })
    expect(wrong).toEqual([])
  })

  it(`agrees with Redis on ${RUNS} generated manifests, except the deliberate differences`, async () => {
    const texts = fc.sample(manifest, { numRuns: RUNS, seed: 20_110_611 })
    const outcomes = await judge(
      redis(),
      texts.map((text) => ({ text })),
    )
    const count = (o: Outcome) => outcomes.filter((x) => x === o).length
    // The generator reaches both verdicts often, and some of the differences (the table
    // reaches each of them).
    expect(count('both load')).toBeGreaterThan(RUNS / 10)
    expect(count('both refuse')).toBeGreaterThan(RUNS / 10)
    expect(outcomes.filter((o) => o in DIFFERENCES).length).toBeGreaterThan(0)
  })

  it('Redis writes a name with an apostrophe bare and then refuses its own manifest; the writer quotes it', async () => {
    const bin = redis()
    const first = await redisStart(
      bin,
      Buffer.from(`${H}file "it's.aof" seq 1 type i\n`),
      FILES,
    )
    expect(first.rewritten?.toString()).toBe("file it's.aof seq 1 type i\n")
    const again = await redisStart(bin, first.rewritten!, FILES)
    expect(again.accepted).toBe(false)
    const written = Buffer.from(
      formatManifest({
        base: null,
        history: [],
        incrs: [{ name: "it's.aof", seq: 1, type: 'incr' }],
      }),
    )
    expect(written.toString()).toBe('file "it\'s.aof" seq 1 type i\n')
    expect((await redisStart(bin, written, FILES)).accepted).toBe(true)
    expect(ours(written)).toMatchObject({ ok: true })
  })

  it('lists every difference the tests assert in docs/reference/file-format.md', () => {
    const page = fs.readFileSync(
      new URL('../../../docs/reference/file-format.md', import.meta.url),
      'utf8',
    )
    const section =
      page.split(/^## Differences from Redis$/m)[1]?.split(/^## /m)[0] ?? ''
    for (const d of Object.values(DIFFERENCES)) expect(section).toContain(d.doc)
    const used = new Set(cases.map((c) => c.differs))
    for (const k of Object.keys(DIFFERENCES) as Difference[]) {
      if (k !== 'apostrophe' && k !== 'symlink') expect(used).toContain(k)
    }
  })
})
