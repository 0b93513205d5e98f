import * as fs from 'node:fs'
import * as path from 'node:path'
import { AofError } from './errors.js'
import { readLines } from './loader.js'
import { parseTimestamp } from './record.js'
import {
  fileNames,
  manifestEntries,
  readManifest,
  type Manifest,
} from './manifest.js'
import type {
  AofEntry,
  AofRecords,
  AofFileReport,
  AofProblem,
  AofReport,
  ReadAofOptions,
} from './types.js'

/** A base or incr file of a store, as the manifest lists it. */
export interface StoreFile {
  name: string
  path: string
  type: 'base' | 'incr'
  seq: number
  size: number
}

export const DEFAULT_FILE_NAME = 'appendonly.aof'

/**
 * The base and incr files the manifest lists, in load order, with their sizes. A listed file
 * that does not exist is `AOF_MANIFEST_INVALID` (Redis refuses to start then, too), and so is
 * one that is not a regular file: a directory cannot be read as a log, and a symbolic link
 * would send appends and tail cuts to a file outside the store.
 */
export function listFiles(
  dir: string,
  fileName: string,
  m: Manifest,
): StoreFile[] {
  const manifestPath = path.join(dir, fileNames(fileName).manifest)
  return [...(m.base ? [m.base] : []), ...m.incrs].map((e) => {
    const p = path.join(dir, e.name)
    let size: number
    try {
      const st = fs.lstatSync(p)
      if (!st.isFile()) {
        const what = st.isSymbolicLink()
          ? 'a symbolic link'
          : st.isDirectory()
            ? 'a directory'
            : 'not a regular file'
        throw new AofError(
          'AOF_MANIFEST_INVALID',
          `The AOF manifest ${manifestPath} lists ${e.name} (seq ${e.seq}, ${e.type}), which is ${what}: the log files must be regular files inside the store directory. Fix that line of the manifest by hand (see docs/reference/file-format.md).`,
          { file: manifestPath },
        )
      }
      size = st.size
    } catch (err) {
      if (err instanceof AofError) throw err
      throw new AofError(
        'AOF_MANIFEST_INVALID',
        `The AOF manifest ${manifestPath} lists ${e.name} (seq ${e.seq}, ${e.type}), which cannot be read: ${(err as NodeJS.ErrnoException).code}. Restore that file, or remove its line from the manifest by hand if its records are lost (see docs/reference/file-format.md).`,
        { file: manifestPath, cause: err },
      )
    }
    return {
      name: e.name,
      path: p,
      type: e.type === 'base' ? 'base' : 'incr',
      seq: e.seq,
      size,
    }
  })
}

/**
 * Says what is wrong at a bad line. A torn tail is only forgivable in the last file (it is where
 * a crash interrupts a write); anywhere else the same bytes mean lost or damaged records.
 */
export function classify(
  file: StoreFile,
  isLast: boolean,
  at: { offset: number; line: number },
  what: 'tail' | 'utf8' | 'json',
  hasNul: boolean,
  dir: string,
): AofProblem {
  const torn = isLast && (what === 'tail' || hasNul)
  const where = `${file.name}, line ${at.line}, byte offset ${at.offset}`
  const bytes = file.size - at.offset
  if (torn) {
    return {
      code: 'AOF_TRUNCATED',
      file: file.name,
      line: at.line,
      offset: at.offset,
      message: `The last AOF file ends with a torn record (${bytes} bytes at ${where}), left by a crash in the middle of a write. Run "aof fix ${dir}" to cut it off, or open the store with loadTruncated: true.`,
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
  const fix = isLast
    ? `Make a backup of the directory, then run "aof fix ${dir}" to cut the file back to the last good record (everything after line ${at.line - 1} of ${file.name} is removed), or repair the line by hand.`
    : `The damage is not in the last file, so it cannot be cut off: make a backup of the directory and repair the line by hand (see docs/reference/file-format.md).`
  return {
    code: 'AOF_CORRUPT',
    file: file.name,
    line: at.line,
    offset: at.offset,
    message: `Bad record at ${where}: ${reason}. ${fix}`,
  }
}

export const problemError = (dir: string, p: AofProblem): AofError =>
  new AofError(p.code, p.message, {
    file: path.join(dir, p.file),
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
  dir: string,
  file: StoreFile,
  isLast: boolean,
  onBytes?: (n: number) => void,
): Generator<ScanItem> {
  for (const item of readLines(file.path, onBytes)) {
    if (item.kind === 'bad') {
      yield {
        kind: 'problem',
        problem: classify(file, isLast, item, item.reason, item.hasNul, dir),
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
          problem: classify(file, isLast, at, 'json', text.includes('\0'), dir),
        }
        return
      }
      yield { kind: 'record', file: file.name, ...at, value }
    }
  }
}

/** Where the record a {@link RecordCursor} last yielded lies. */
export interface RecordCursor {
  file: StoreFile | null
  chunk: { locate(i: number): { offset: number; line: number } } | null
  index: number
}

/**
 * The records of `files` in order, parsed: the load path. Positions are not worked out, but
 * `cursor` (when given) keeps what is needed to locate the record last yielded, for an error
 * the consumer raises about it. A bad line throws `AOF_CORRUPT` or `AOF_TRUNCATED` naming file,
 * line and byte offset.
 */
export function* recordValues(
  dir: string,
  files: StoreFile[],
  cursor?: RecordCursor,
): Generator<unknown> {
  for (let f = 0; f < files.length; f++) {
    const file = files[f]!
    const isLast = f === files.length - 1
    if (cursor) cursor.file = file
    for (const item of readLines(file.path)) {
      if (item.kind === 'bad') {
        throw problemError(
          dir,
          classify(file, isLast, item, item.reason, item.hasNul, dir),
        )
      }
      if (cursor) cursor.chunk = item
      const lines = item.lines
      for (let i = 0; i < lines.length; i++) {
        const text = lines[i]!
        if (text.charCodeAt(0) === 35 /* # */) continue
        let value: unknown
        try {
          value = JSON.parse(text)
        } catch {
          if (text.trim() === '') continue
          throw problemError(
            dir,
            classify(
              file,
              isLast,
              item.locate(i),
              'json',
              text.includes('\0'),
              dir,
            ),
          )
        }
        if (cursor) cursor.index = i
        yield value
      }
    }
  }
}

/** The records of a store as {@link AofRecords}: iterable once per call, locatable. */
export function storeRecords<A>(
  dir: string,
  files: StoreFile[],
): AofRecords<A> {
  const cursor: RecordCursor = { file: null, chunk: null, index: 0 }
  return {
    [Symbol.iterator]: () => recordValues(dir, files, cursor) as Iterator<A>,
    at() {
      if (!cursor.file || !cursor.chunk) return null
      const { line, offset } = cursor.chunk.locate(cursor.index)
      return { file: cursor.file.path, line, offset }
    },
  }
}

/** Opens a store's manifest for the read-only tools; a missing one is `AOF_MANIFEST_INVALID`. */
export function readStore(options: ReadAofOptions): {
  dir: string
  fileName: string
  manifestPath: string
  manifest: Manifest
  files: StoreFile[]
} {
  if (typeof options?.dir !== 'string' || options.dir === '') {
    throw new TypeError('aof-persist: option "dir" must be a non-empty string')
  }
  const dir = path.resolve(options.dir)
  const fileName = options.fileName ?? DEFAULT_FILE_NAME
  const manifestPath = path.join(dir, fileNames(fileName).manifest)
  const manifest = readManifest(dir, fileName)
  if (manifest === null) {
    throw new AofError(
      'AOF_MANIFEST_INVALID',
      `No AOF manifest at ${manifestPath}: ${dir} is not an aof-persist store (or its fileName is not "${fileName}").`,
      { file: manifestPath },
    )
  }
  return {
    dir,
    fileName,
    manifestPath,
    manifest,
    files: listFiles(dir, fileName, manifest),
  }
}

/** Turns bytes read into `onProgress(done, total)` calls over all of `files`. */
function progress(
  options: ReadAofOptions,
  files: StoreFile[],
): ((n: number) => void) | undefined {
  const onProgress = options.onProgress
  if (!onProgress) return undefined
  const total = files.reduce((n, f) => n + f.size, 0)
  let done = 0
  return (n) => onProgress((done += n), total)
}

/**
 * Validates a store directory without writing anything, without taking its lock and without
 * repairing: the manifest, then every base and incr file, line by line. Reports per file the
 * records, the last good offset and line, and the first problem. Throws `AOF_MANIFEST_INVALID`
 * when the manifest is missing or invalid or lists a missing file.
 */
export function checkAof(options: ReadAofOptions): AofReport {
  const store = readStore(options)
  const onBytes = progress(options, store.files)
  const files: AofFileReport[] = store.files.map((file, i) => {
    const report: AofFileReport = {
      ...file,
      records: 0,
      timestamps: 0,
      lastGoodOffset: 0,
      lastGoodLine: 0,
      problem: null,
    }
    for (const item of scanFile(
      store.dir,
      file,
      i === store.files.length - 1,
      onBytes,
    )) {
      if (item.kind === 'problem') {
        report.problem = item.problem
        break
      }
      if (item.kind === 'record') report.records++
      else report.timestamps++
      report.lastGoodOffset = item.offset + item.length
      report.lastGoodLine = item.line
    }
    if (!report.problem) report.lastGoodOffset = file.size
    return report
  })
  const problem = files.find((f) => f.problem)?.problem ?? null
  return {
    dir: store.dir,
    fileName: store.fileName,
    manifestPath: store.manifestPath,
    manifest: manifestEntries(store.manifest),
    files,
    ok: problem === null,
    problem,
  }
}

/**
 * Every record and `#TS:` annotation of a store in load order, with file, line, byte offset
 * and length: read-only, no lock, no repair. Throws `AOF_CORRUPT` or `AOF_TRUNCATED` when it
 * reaches a bad line (after yielding everything before it).
 */
export function* readAofEntries(options: ReadAofOptions): Generator<AofEntry> {
  const store = readStore(options)
  const onBytes = progress(options, store.files)
  for (let i = 0; i < store.files.length; i++) {
    for (const item of scanFile(
      store.dir,
      store.files[i]!,
      i === store.files.length - 1,
      onBytes,
    )) {
      if (item.kind === 'problem') throw problemError(store.dir, item.problem)
      yield item
    }
  }
}
