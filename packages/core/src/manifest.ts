import { readWholeFile, writeFileAtomic } from './durable.js'
import { AofError, DOCS, ioError } from './errors.js'
import type { Step, Storage } from './storage.js'
import type { ManifestEntry } from './types.js'
import {
  atoll,
  cString,
  latin1,
  quoteName,
  splitArgs,
} from './manifestSyntax.js'

export { quoteName, splitArgs }

/**
 * Longest manifest line Redis reads, newline included (`MANIFEST_MAX_LINE`): it reads the
 * manifest with `fgets` into a buffer of this many bytes plus one.
 */
const MAX_LINE = 1024

/** The largest seq: seqs are JS numbers, exact up to 2^53 - 1 (Redis's are 64-bit). */
const MAX_SEQ = Number.MAX_SAFE_INTEGER

/** Where the manifest's rules are written down, for messages. */
const FORMAT_DOC = `${DOCS}file-format.md`

const TYPE_CHAR = { base: 'b', history: 'h', incr: 'i' } as const
const CHAR_TYPE: Record<string, ManifestEntry['type']> = {
  b: 'base',
  h: 'history',
  i: 'incr',
}

/** The parsed manifest: the base (if any), history files and incr files in load order. */
export interface Manifest {
  base: ManifestEntry | null
  /** History entries, newest retired first (Redis's order). */
  history: ManifestEntry[]
  /** Incr entries in ascending seq. */
  incrs: ManifestEntry[]
}

/** Names of a store's files, derived from `fileName` as Redis derives them from `appendfilename`. */
export const fileNames = (fileName: string) => ({
  manifest: `${fileName}.manifest`,
  tempManifest: `temp-${fileName}.manifest`,
  base: (seq: number) => `${fileName}.${seq}.base.aof`,
  incr: (seq: number) => `${fileName}.${seq}.incr.aof`,
  tempRewrite: `temp-${fileName}.rewrite.aof`,
})

/** True when `name` holds a path separator; Redis's `pathIsBaseName` rejects `/` and `\`. */
export const isPath = (name: string): boolean =>
  name.includes('/') || name.includes('\\')

/** The seq a new base or incr file takes: one past the highest of its kind (Redis's counters). */
export function nextSeq(m: Manifest, type: 'base' | 'incr'): number {
  const seq =
    (type === 'base' ? (m.base?.seq ?? 0) : (m.incrs.at(-1)?.seq ?? 0)) + 1
  if (seq > MAX_SEQ) {
    // A manifest with this seq could not be read back: refuse before writing it.
    throw new AofError(
      'AOF_MANIFEST_INVALID',
      `The next ${type} file would take seq ${seq}, beyond the largest this library reads (2^53 - 1). Renumber the files and the manifest by hand (see ${FORMAT_DOC}).`,
    )
  }
  return seq
}

/**
 * Parses manifest text as Redis 7.0's `aofLoadManifestFromFile` does, check for check, and
 * refuses in addition what the list "Differences from Redis" in docs/reference/file-format.md
 * names, each for the reason given there: a line that names a key twice, a name that cannot be
 * a file (empty, `.`, `..`, a NUL byte, not UTF-8), a seq beyond 2^53 - 1, a negative base seq.
 * It accepts a last line without its newline, which Redis reports as too long.
 *
 * With `fileName` (the store's, as when a store is opened or checked) it also refuses what
 * Redis does not check: a file listed twice (its records would load twice, or a base listed as
 * history would be deleted), names the store uses for itself (the manifest, its temp files,
 * the lock), which must never be read as a log or appended to, and history entries that do not
 * name a base or incr file of this store, since opening deletes history files. `file` names the
 * manifest in errors. Throws `AOF_MANIFEST_INVALID` naming the line.
 */
export function parseManifest(
  buf: Uint8Array,
  file: string,
  fileName?: string,
): Manifest {
  // latin1 maps each byte to one char, so lengths are byte lengths and \xHH escapes in quoted
  // names can be turned back into UTF-8 bytes after splitting.
  const text = latin1(buf)
  const m: Manifest = { base: null, history: [], incrs: [] }
  if (text.length === 0)
    throw manifestError(file, 0, '', 'Found an empty AOF manifest')
  const seen = new Set<string>()
  // Redis's `maxseq`: every incr's seq must be above it, so the first one's must be above 0.
  let maxIncrSeq = 0
  let lineNo = 0
  let continued = false
  let pos = 0
  while (pos < text.length) {
    // Redis reads with fgets into MAX_LINE + 1 bytes: a chunk ends after a newline or after
    // MAX_LINE bytes, and each chunk is checked as a line. Messages count lines as editors do.
    const nl = text.indexOf('\n', pos)
    const end = Math.min(nl === -1 ? text.length : nl + 1, pos + MAX_LINE)
    const raw = text.slice(pos, end)
    pos = end
    if (!continued) lineNo++
    const rest = continued
    continued = !raw.endsWith('\n')
    const fail = (reason: string) =>
      manifestError(
        file,
        lineNo,
        raw,
        rest
          ? `${reason} (in the bytes after the first ${MAX_LINE} of a comment line longer than ${MAX_LINE} bytes, which Redis reads as a line of their own: shorten the comment)`
          : reason,
      )
    // A comment is skipped before any other check, the length check included, as in Redis;
    // only a # in the first byte of the chunk makes one.
    if (raw.startsWith('#')) continue
    // Redis looks for the newline with strchr, which stops at a NUL, so it refuses a line
    // holding one (as "too long").
    if (raw.includes('\0')) throw fail('The line holds a NUL byte')
    // A chunk without a newline is a line over MAX_LINE bytes or, shorter, a last line that
    // lacks its newline: Redis refuses both, this library accepts the second (an editor's).
    if (continued && raw.length === MAX_LINE) {
      throw fail(
        `The AOF manifest file contains too long line (over ${MAX_LINE} bytes, newline included)`,
      )
    }
    const line = raw.replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, '')
    if (line.length === 0)
      throw fail('Invalid AOF manifest file format (blank line)')
    const args = splitArgs(line)
    if (args === null) {
      throw fail(
        'Invalid AOF manifest file format (unbalanced quotes, or a closing quote not followed by a blank)',
      )
    }
    if (args.length < 6 || args.length % 2 !== 0) {
      throw fail(
        'Invalid AOF manifest file format (expected "file <name> seq <n> type <b|h|i>")',
      )
    }
    const keys = new Set<string>()
    let name: string | undefined
    let seq: { n: bigint; text: string } | undefined
    let typeChar: string | undefined
    for (let i = 0; i < args.length; i += 2) {
      // strcasecmp: ASCII letters fold, and the key ends at a NUL.
      const key = cString(args[i]!).replace(/[A-Z]/g, (c) => c.toLowerCase())
      const value = args[i + 1]!
      if (keys.has(key)) {
        throw fail(
          `The line names the key ${JSON.stringify(key)} twice; Redis would keep the last value and drop the others without a word. Are the lines of this file ended by a bare \\r? Each line must end with \\n`,
        )
      }
      keys.add(key)
      if (key === 'file') name = entryName(value, fail)
      else if (key === 'seq') seq = atoll(value)
      else if (key === 'type') typeChar = value[0]
      // Other keys are ignored, as in Redis: a later version may add pairs.
    }
    if (name === undefined)
      throw fail('Invalid AOF manifest file format (no file)')
    if (seq === undefined || seq.n === 0n) {
      throw fail(
        'Invalid AOF manifest file format (no seq, or a seq that reads as 0)',
      )
    }
    if (typeChar === undefined || typeChar === '\0')
      throw fail('Invalid AOF manifest file format (no type)')
    if (seq.n > BigInt(MAX_SEQ) || seq.n < -BigInt(MAX_SEQ)) {
      throw fail(
        `seq ${seq.text} is ${seq.n > 0n ? `larger than ${MAX_SEQ}` : `smaller than -${MAX_SEQ}`} (2^53 - 1), the largest seq this library counts exactly (Redis reads up to 2^63 - 1)`,
      )
    }
    const type = CHAR_TYPE[typeChar]
    if (!type) throw fail('Unknown AOF file type')
    const n = Number(seq.n)
    if (type === 'base' && n < 0) {
      throw fail(
        `The base has seq ${n}, but a base seq must be positive: each rewrite numbers its base one above the last, and would reach seq 0, which neither Redis nor this library reads`,
      )
    }
    if (fileName !== undefined) {
      if (seen.has(name)) throw fail(`File ${name} is listed twice`)
      seen.add(name)
      checkStoreName(fail, name, type, fileName)
    }
    const entry: ManifestEntry = { name, seq: n, type }
    if (type === 'base') {
      if (m.base) throw fail('Found duplicate base file information')
      m.base = entry
    } else if (type === 'history') {
      m.history.push(entry)
    } else {
      if (n <= maxIncrSeq) {
        throw fail(
          `Found a non-monotonic sequence number (incr seq ${n} ${m.incrs.length > 0 ? `after incr seq ${maxIncrSeq}` : 'in the first incr line, whose seq must be at least 1'})`,
        )
      }
      maxIncrSeq = n
      m.incrs.push(entry)
    }
  }
  return m
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

/** The value of a `file` key as a name this library can open, or the reason it is not one. */
function entryName(value: string, fail: (reason: string) => AofError): string {
  if (value.includes('\0')) {
    throw fail(
      `File name holds a NUL byte, which no file name can; Redis would use the part before it (${JSON.stringify(cString(value))})`,
    )
  }
  let name: string
  try {
    name = utf8.decode(Uint8Array.from(value, (c) => c.charCodeAt(0)))
  } catch {
    throw fail(
      'File name is not valid UTF-8, and this library names files by their UTF-8 text',
    )
  }
  if (isPath(name)) throw fail("File can't be a path, just a filename")
  if (name === '' || name === '.' || name === '..') {
    throw fail(
      `${JSON.stringify(name)} is not a file name (it names the directory or its parent)`,
    )
  }
  return name
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

/** The store-aware checks of {@link parseManifest}. */
function checkStoreName(
  fail: (reason: string) => AofError,
  name: string,
  type: ManifestEntry['type'],
  fileName: string,
): void {
  const names = fileNames(fileName)
  if (
    name === names.manifest ||
    name === names.tempManifest ||
    name === names.tempRewrite ||
    name === 'aof.lock' ||
    name.startsWith('aof.lock.')
  ) {
    throw fail(
      `File ${name} is one of the store's own control files, not a log file`,
    )
  }
  const ours = new RegExp(
    `^${escapeRegExp(fileName)}\\.\\d+\\.(base|incr)\\.aof$`,
  )
  if (type === 'history' && !ours.test(name)) {
    throw fail(
      `History file ${name} is not a base or incr file of this store (${fileName}.<seq>.base.aof or .incr.aof), and opening deletes history files`,
    )
  }
}

/** How a manifest line is quoted in messages: UTF-8, control bytes escaped, at most 80 chars. */
function showLine(raw: string): string {
  const text = new TextDecoder()
    .decode(Uint8Array.from(raw, (c) => c.charCodeAt(0)))
    .replace(/\r?\n$/, '')
  let out = ''
  for (const c of text) {
    const code = c.codePointAt(0)!
    if (c === '\t') out += '\\t'
    else if (c === '\r') out += '\\r'
    else if (code < 0x20 || code === 0x7f)
      out += '\\x' + code.toString(16).padStart(2, '0')
    else out += c
  }
  return out.length > 80 ? out.slice(0, 80) + '...' : out
}

function manifestError(
  file: string,
  line: number,
  raw: string,
  reason: string,
): AofError {
  const at =
    line > 0 ? `, line ${line}: ${reason}: '${showLine(raw)}'` : `: ${reason}`
  return new AofError(
    'AOF_MANIFEST_INVALID',
    `Invalid AOF manifest ${file}${at}. Fix that line by hand or restore the manifest from a backup (see ${FORMAT_DOC}); the data files were not touched.`,
    { file, line: line > 0 ? line : undefined },
  )
}

/** Formats a manifest in Redis's order: base, history (newest first), incr files by seq. */
export function formatManifest(m: Manifest): Uint8Array {
  const entries = [...(m.base ? [m.base] : []), ...m.history, ...m.incrs]
  const text = entries
    .map(
      (e) =>
        `file ${quoteName(e.name)} seq ${e.seq} type ${TYPE_CHAR[e.type]}\n`,
    )
    .join('')
  return new TextEncoder().encode(text)
}

/** Every entry of a manifest in file order (base, history, incr). */
export const manifestEntries = (m: Manifest): ManifestEntry[] => [
  ...(m.base ? [m.base] : []),
  ...m.history,
  ...m.incrs,
]

/**
 * Reads and validates the store's manifest; null when there is none. Throws
 * `AOF_MANIFEST_INVALID` naming the line, or `AOF_IO`.
 */
export function* readManifest(
  storage: Storage,
  fileName: string,
): Step<Manifest | null> {
  const name = fileNames(fileName).manifest
  const bytes = yield* readWholeFile(storage, name, 'Reading the AOF manifest')
  if (bytes === null) return null
  return parseManifest(bytes, storage.describe(name), fileName)
}

/**
 * Writes the manifest atomically (temp file, fdatasync, rename, directory sync): a crash
 * leaves either the old manifest or the new one, never a mix.
 */
export function* persistManifest(
  storage: Storage,
  fileName: string,
  m: Manifest,
): Step<void> {
  const names = fileNames(fileName)
  try {
    yield* writeFileAtomic(
      storage,
      names.manifest,
      names.tempManifest,
      formatManifest(m),
    )
  } catch (err) {
    throw ioError(
      'Writing the manifest',
      storage.describe(names.manifest),
      err,
      'The previous manifest is still in place.',
    )
  }
}
