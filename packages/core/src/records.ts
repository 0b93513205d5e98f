import { AofError, DOCS } from './errors.js'
import { readLines } from './lineReader.js'
import { parseTimestamp } from './record.js'
import type { StorageFile } from './storage.js'
import type { AofEntry, AofProblem, AofRecords } from './types.js'

/** A base or incr file of a store, open, as the manifest lists it. */
export interface LogFile {
  name: string
  type: 'base' | 'incr'
  seq: number
  /** Bytes to read: the file's size when it was listed (or the writer's offset). */
  size: number
  file: StorageFile
  /** The storage's UTF-8 decoder, when it has a faster one than `TextDecoder`. */
  decode?: ((bytes: Uint8Array) => string) | undefined
}

/** How messages name a store: its location, and the path of one of its files. */
export interface Where {
  location: string
  describe(name: string): string
}

/**
 * Says what is wrong at a bad line. A torn tail is only forgivable in the last file (it is where
 * a crash interrupts a write); anywhere else the same bytes mean lost or damaged records.
 */
export function classify(
  file: LogFile,
  isLast: boolean,
  at: { offset: number; line: number },
  what: 'tail' | 'utf8' | 'json',
  hasNul: boolean,
  where: Where,
): AofProblem {
  const torn = isLast && (what === 'tail' || hasNul)
  const place = `${file.name}, line ${at.line}, byte offset ${at.offset}`
  const dir = where.location
  if (torn) {
    return {
      code: 'AOF_TRUNCATED',
      file: file.name,
      line: at.line,
      offset: at.offset,
      reason:
        'the file ends with a torn record, left by a crash in the middle of a write',
      message: `The last AOF file ends with a torn record (${file.size - at.offset} bytes at ${place}), left by a crash in the middle of a write. Run "aof fix ${dir}" to cut it off; opening the store cuts it too (loadTruncated, on by default).`,
    }
  }
  const reason =
    what === 'tail'
      ? `the file ends in the middle of a record, but it is not the last file`
      : what === 'utf8'
        ? 'the line is not valid UTF-8'
        : hasNul
          ? 'the line holds NUL bytes, but it is not in the last file'
          : 'the line is not valid JSON'
  const kept =
    at.line > 1
      ? `everything from line ${at.line} of ${file.name} on is removed`
      : `all of ${file.name} is emptied`
  const fix = isLast
    ? `Make a backup of the directory, then run "aof fix ${dir}" to cut the file back to the last good record (${kept}), or repair the line by hand.`
    : `The damage is not in the last file, so it cannot be cut off: make a backup of the directory and repair the line by hand (see ${DOCS}file-format.md).`
  return {
    code: 'AOF_CORRUPT',
    file: file.name,
    line: at.line,
    offset: at.offset,
    reason,
    message: `Bad record at ${place}: ${reason}. ${fix}`,
  }
}

export const problemError = (where: Where, p: AofProblem): AofError =>
  new AofError(p.code, p.message, {
    file: where.describe(p.file),
    line: p.line,
    offset: p.offset,
  })

type ScanItem = AofEntry | { kind: 'problem'; problem: AofProblem }

/**
 * Every line of one file as entries (records with their values, `#TS:` annotations), then a
 * `problem` item at the first bad line; nothing after it. Blank lines and other `#` comments
 * are skipped, as Redis skips annotation lines.
 */
export function* scanFile(
  where: Where,
  file: LogFile,
  isLast: boolean,
  onBytes?: (n: number) => void,
): Generator<ScanItem> {
  for (const item of readLines(file.file, file.size, onBytes, file.decode)) {
    if (item.kind === 'bad') {
      yield {
        kind: 'problem',
        problem: classify(file, isLast, item, item.reason, item.hasNul, where),
      }
      return
    }
    const lines = item.lines
    for (let i = 0; i < lines.length; i++) {
      const text = lines[i]!
      const at = item.locate(i)
      if (text.charCodeAt(0) === 35 /* # */) {
        const time = parseTimestamp(text)
        if (time !== null)
          yield { kind: 'timestamp', file: file.name, ...at, time }
        continue
      }
      let value: unknown
      try {
        value = JSON.parse(text)
      } catch {
        if (text.trim() === '') continue
        yield {
          kind: 'problem',
          problem: classify(
            file,
            isLast,
            at,
            'json',
            text.includes('\0'),
            where,
          ),
        }
        return
      }
      yield { kind: 'record', file: file.name, ...at, value }
    }
  }
}

/** Where the record a {@link recordValues} iteration last yielded lies. */
interface RecordCursor {
  file: LogFile | null
  chunk: { locate(i: number): { offset: number; line: number } } | null
  index: number
}

/**
 * The records of `files` in order, parsed: the load path. Positions are not worked out, but
 * `cursor` keeps what is needed to locate the record last yielded, for an error the consumer
 * raises about it. A bad line throws `AOF_CORRUPT` or `AOF_TRUNCATED` naming file, line and
 * byte offset.
 */
function* recordValues(
  where: Where,
  files: LogFile[],
  cursor: RecordCursor,
): Generator<unknown> {
  for (let f = 0; f < files.length; f++) {
    const file = files[f]!
    const isLast = f === files.length - 1
    cursor.file = file
    cursor.chunk = null
    for (const item of readLines(
      file.file,
      file.size,
      undefined,
      file.decode,
    )) {
      if (item.kind === 'bad') {
        throw problemError(
          where,
          classify(file, isLast, item, item.reason, item.hasNul, where),
        )
      }
      cursor.chunk = item
      const lines = item.lines
      for (let i = 0; i < lines.length; i++) {
        const text = lines[i]!
        if (text.charCodeAt(0) === 35 /* # */) continue
        let value: unknown
        try {
          value = JSON.parse(text)
        } catch {
          if (text.trim() === '') continue
          const at = item.locate(i)
          throw problemError(
            where,
            classify(file, isLast, at, 'json', text.includes('\0'), where),
          )
        }
        cursor.index = i
        yield value
      }
    }
  }
}

/**
 * The records of `files` as {@link AofRecords}: each iteration reads the files again (through
 * the open handles, up to the sizes given) and can say where its last record lies.
 */
export function logRecords<A>(where: Where, files: LogFile[]): AofRecords<A> {
  const cursor: RecordCursor = { file: null, chunk: null, index: 0 }
  return {
    [Symbol.iterator]: () => recordValues(where, files, cursor) as Iterator<A>,
    at() {
      if (!cursor.file || !cursor.chunk) return null
      const { line, offset } = cursor.chunk.locate(cursor.index)
      return { file: where.describe(cursor.file.name), line, offset }
    },
  }
}
