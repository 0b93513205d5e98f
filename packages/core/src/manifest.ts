import { readWholeFile, writeFileAtomic } from './durable.js'
import { AofError, DOCS, ioError } from './errors.js'
import type { Step, Storage } from './storage.js'
import type { ManifestEntry } from './types.js'

/** Longest manifest line Redis reads, newline included (`MANIFEST_MAX_LINE`). */
const MAX_LINE = 1024

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
  if (type === 'base') return (m.base?.seq ?? 0) + 1
  return (m.incrs.at(-1)?.seq ?? 0) + 1
}

/**
 * Parses manifest text with every check Redis's `aofLoadManifestFromFile` makes, in its order.
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
  let lineNo = 0
  let pos = 0
  while (pos < text.length) {
    lineNo++
    const nl = text.indexOf('\n', pos)
    const end = nl === -1 ? text.length : nl + 1
    const raw = text.slice(pos, end)
    pos = end
    // Comments are skipped before the length check, as in Redis.
    if (raw.startsWith('#')) continue
    if (raw.length > MAX_LINE) {
      throw manifestError(
        file,
        lineNo,
        raw,
        'The AOF manifest file contains too long line',
      )
    }
    const line = raw.replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, '')
    if (line.length === 0) {
      throw manifestError(
        file,
        lineNo,
        raw,
        'Invalid AOF manifest file format (blank line)',
      )
    }
    const args = splitArgs(line)
    if (args === null) {
      throw manifestError(
        file,
        lineNo,
        raw,
        'Invalid AOF manifest file format (unbalanced quotes)',
      )
    }
    if (args.length < 6 || args.length % 2 !== 0) {
      throw manifestError(
        file,
        lineNo,
        raw,
        'Invalid AOF manifest file format (expected "file <name> seq <n> type <b|h|i>")',
      )
    }
    let name: string | undefined
    let seq = 0
    let typeChar: string | undefined
    for (let i = 0; i < args.length; i += 2) {
      const key = args[i]!.toLowerCase()
      const value = args[i + 1]!
      if (key === 'file') {
        name = utf8.decode(Uint8Array.from(value, (c) => c.charCodeAt(0)))
        if (isPath(name)) {
          throw manifestError(
            file,
            lineNo,
            raw,
            "File can't be a path, just a filename",
          )
        }
      } else if (key === 'seq') {
        // atoll: leading integer, anything else reads as 0 and is rejected below.
        const match = /^[ \t]*([+-]?\d+)/.exec(value)
        seq = match ? Number(match[1]) : 0
      } else if (key === 'type') {
        typeChar = value[0]
      }
      // Unknown keys are ignored for forward compatibility, as Redis does.
    }
    if (
      !name ||
      seq === 0 ||
      !Number.isSafeInteger(seq) ||
      typeChar === undefined
    ) {
      throw manifestError(
        file,
        lineNo,
        raw,
        'Invalid AOF manifest file format (missing file, seq or type)',
      )
    }
    const type = CHAR_TYPE[typeChar]
    if (!type) throw manifestError(file, lineNo, raw, 'Unknown AOF file type')
    if (fileName !== undefined) {
      if (seen.has(name))
        throw manifestError(file, lineNo, raw, `File ${name} is listed twice`)
      seen.add(name)
      checkStoreName(file, lineNo, raw, name, type, fileName)
    }
    const entry: ManifestEntry = { name, seq, type }
    if (type === 'base') {
      if (m.base)
        throw manifestError(
          file,
          lineNo,
          raw,
          'Found duplicate base file information',
        )
      m.base = entry
    } else if (type === 'history') {
      m.history.push(entry)
    } else {
      const last = m.incrs.at(-1)
      if (last && seq <= last.seq) {
        throw manifestError(
          file,
          lineNo,
          raw,
          'Found a non-monotonic sequence number',
        )
      }
      m.incrs.push(entry)
    }
  }
  return m
}

/** Bytes as a string of the same length, one char per byte (ISO-8859-1). */
function latin1(bytes: Uint8Array): string {
  let out = ''
  for (let i = 0; i < bytes.length; i += 8192) {
    out += String.fromCharCode(...bytes.subarray(i, i + 8192))
  }
  return out
}

// Not fatal: a name that is not valid UTF-8 is still a name; it fails later as a missing file.
const utf8 = new TextDecoder()

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

/** The store-aware checks of {@link parseManifest}. */
function checkStoreName(
  file: string,
  lineNo: number,
  raw: string,
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
    throw manifestError(
      file,
      lineNo,
      raw,
      `File ${name} is one of the store's own control files, not a log file`,
    )
  }
  const ours = new RegExp(
    `^${escapeRegExp(fileName)}\\.\\d+\\.(base|incr)\\.aof$`,
  )
  if (type === 'history' && !ours.test(name)) {
    throw manifestError(
      file,
      lineNo,
      raw,
      `History file ${name} is not a base or incr file of this store (${fileName}.<seq>.base.aof or .incr.aof), and opening deletes history files`,
    )
  }
}

function manifestError(
  file: string,
  line: number,
  raw: string,
  reason: string,
): AofError {
  const shown = raw.replace(/\r?\n$/, '')
  const at =
    line > 0
      ? `, line ${line}: ${reason}: '${shown.length > 80 ? shown.slice(0, 80) + '...' : shown}'`
      : `: ${reason}`
  return new AofError(
    'AOF_MANIFEST_INVALID',
    `Invalid AOF manifest ${file}${at}. Fix that line by hand or restore the manifest from a backup (see ${DOCS}file-format.md); the data files were not touched.`,
    { file, line: line > 0 ? line : undefined },
  )
}

const ESCAPES: Record<string, string> = {
  n: '\n',
  r: '\r',
  t: '\t',
  b: '\b',
  a: '\x07',
}

/**
 * Splits a line into arguments the way Redis's `sdssplitargs` does: whitespace separates,
 * "double quotes" take C escapes (\n \r \t \b \a \xHH \\ \"), 'single quotes' take only \',
 * a closing quote must be followed by whitespace or the end. Returns null on a syntax error.
 */
export function splitArgs(line: string): string[] | null {
  const args: string[] = []
  let i = 0
  const isSpace = (c: string | undefined) =>
    c === ' ' || c === '\t' || c === '\n' || c === '\r'
  while (true) {
    while (i < line.length && isSpace(line[i])) i++
    if (i >= line.length) return args
    let cur = ''
    let inDq = false
    let inSq = false
    for (;;) {
      const c = line[i]
      if (inDq) {
        if (c === undefined) return null
        if (
          c === '\\' &&
          line[i + 1] === 'x' &&
          /^[0-9a-fA-F]{2}$/.test(line.slice(i + 2, i + 4))
        ) {
          cur += String.fromCharCode(parseInt(line.slice(i + 2, i + 4), 16))
          i += 3
        } else if (c === '\\' && line[i + 1] !== undefined) {
          const n = line[++i]!
          cur += ESCAPES[n] ?? n
        } else if (c === '"') {
          if (line[i + 1] !== undefined && !isSpace(line[i + 1])) return null
          i++
          break
        } else {
          cur += c
        }
      } else if (inSq) {
        if (c === undefined) return null
        if (c === '\\' && line[i + 1] === "'") {
          cur += "'"
          i++
        } else if (c === "'") {
          if (line[i + 1] !== undefined && !isSpace(line[i + 1])) return null
          i++
          break
        } else {
          cur += c
        }
      } else if (c === undefined || isSpace(c)) {
        break
      } else if (c === '"') {
        inDq = true
      } else if (c === "'") {
        inSq = true
      } else {
        cur += c
      }
      i++
    }
    args.push(cur)
  }
}

/**
 * Quotes a file name when Redis would (`sdsneedsrepr`: backslash, quotes, whitespace,
 * control or non-ASCII bytes), and also when it holds an apostrophe, which `sdssplitargs`
 * would otherwise read as the start of a single-quoted section. Non-ASCII bytes become \xHH.
 */
export function quoteName(name: string): string {
  const bytes = new TextEncoder().encode(name)
  let needs = false
  for (const b of bytes) {
    if (b <= 0x20 || b >= 0x7f || b === 0x5c || b === 0x22 || b === 0x27)
      needs = true
  }
  if (!needs) return name
  let out = '"'
  for (const b of bytes) {
    if (b === 0x5c) out += '\\\\'
    else if (b === 0x22) out += '\\"'
    else if (b === 0x0a) out += '\\n'
    else if (b === 0x0d) out += '\\r'
    else if (b === 0x09) out += '\\t'
    else if (b === 0x07) out += '\\a'
    else if (b === 0x08) out += '\\b'
    else if (b < 0x20 || b >= 0x7f)
      out += '\\x' + b.toString(16).padStart(2, '0')
    else out += String.fromCharCode(b)
  }
  return out + '"'
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
