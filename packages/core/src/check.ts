import { AofError } from './errors.js'
import { checkListed } from './loader.js'
import {
  fileNames,
  manifestEntries,
  readManifest,
  type Manifest,
} from './manifest.js'
import { DEFAULT_FILE_NAME } from './options.js'
import { problemError, scanFile, type LogFile, type Where } from './records.js'
import { io, runSync, type Step, type Storage } from './storage.js'
import type {
  AofEntry,
  AofFileReport,
  AofReport,
  ReadAofOptions,
} from './types.js'

/** The storage a read-only tool or a repair works on: `storage`, or the default for `dir`. */
export function storageOf(
  options: { dir?: string; storage?: Storage },
  defaultStorage: ((dir: string) => Storage) | undefined,
): Storage {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(
      'aof-persist: options must be an object with "dir" (or "storage")',
    )
  }
  if (options.storage !== undefined) {
    if (options.dir !== undefined) {
      throw new TypeError(
        'aof-persist: give either "dir" or "storage", not both',
      )
    }
    return options.storage
  }
  if (typeof options.dir !== 'string' || options.dir === '') {
    throw new TypeError('aof-persist: option "dir" must be a non-empty string')
  }
  if (!defaultStorage) {
    throw new TypeError(
      'aof-persist: "dir" needs Node\'s file system; on this platform pass "storage" instead',
    )
  }
  return defaultStorage(options.dir)
}

/** A store opened for reading: its manifest and its base and incr files, open. */
export interface ReadableStore extends Where {
  storage: Storage
  fileName: string
  manifestPath: string
  manifest: Manifest
  files: LogFile[]
  close(): void
}

/**
 * Opens a store's files for reading, without its lock; a missing manifest is
 * `AOF_MANIFEST_INVALID`. The caller closes it.
 */
export function* openForReading(
  storage: Storage,
  fileName: string,
): Step<ReadableStore> {
  const manifestPath = storage.describe(fileNames(fileName).manifest)
  const manifest = yield* readManifest(storage, fileName)
  if (manifest === null) {
    throw new AofError(
      'AOF_MANIFEST_INVALID',
      `No AOF manifest at ${manifestPath}: ${storage.location} is not an aof-persist store (or its fileName is not "${fileName}").`,
      { file: manifestPath },
    )
  }
  const files: LogFile[] = []
  const close = () => {
    for (const f of files) f.file.close()
  }
  try {
    for (const e of [
      ...(manifest.base ? [manifest.base] : []),
      ...manifest.incrs,
    ]) {
      yield* checkListed(storage, fileName, e)
      const file = yield* io(
        storage.open(e.name, { write: false, create: false }),
      )
      files.push({
        name: e.name,
        type: e.type === 'base' ? 'base' : 'incr',
        seq: e.seq,
        size: file.size(),
        file,
        decode: storage.decodeText,
      })
    }
  } catch (err) {
    close()
    throw err
  }
  return {
    storage,
    location: storage.location,
    describe: (n) => storage.describe(n),
    fileName,
    manifestPath,
    manifest,
    files,
    close,
  }
}

/** {@link openForReading} on a synchronous storage, from the tools' options. */
export function readStore(
  options: ReadAofOptions,
  defaultStorage: ((dir: string) => Storage) | undefined,
): ReadableStore {
  const storage = storageOf(options, defaultStorage)
  return runSync(openForReading(storage, options.fileName ?? DEFAULT_FILE_NAME))
}

/** Turns bytes read into `onProgress(done, total)` calls over all of `files`. */
function progress(
  options: ReadAofOptions,
  files: LogFile[],
): ((n: number) => void) | undefined {
  const onProgress = options.onProgress
  if (!onProgress) return undefined
  const total = files.reduce((n, f) => n + f.size, 0)
  let done = 0
  return (n) => onProgress((done += n), total)
}

/**
 * Validates a store without writing anything, without taking its lock and without
 * repairing: the manifest, then every base and incr file, line by line. Reports per file the
 * records, the last good offset and line, and the first problem. Throws `AOF_MANIFEST_INVALID`
 * when the manifest is missing or invalid or lists a missing file.
 */
export function checkAofOn(
  options: ReadAofOptions,
  defaultStorage?: (dir: string) => Storage,
): AofReport {
  const store = readStore(options, defaultStorage)
  try {
    const onBytes = progress(options, store.files)
    const files: AofFileReport[] = store.files.map((file, i) => {
      const report: AofFileReport = {
        name: file.name,
        path: store.describe(file.name),
        type: file.type,
        seq: file.seq,
        size: file.size,
        records: 0,
        timestamps: 0,
        lastGoodOffset: 0,
        lastGoodLine: 0,
        problem: null,
      }
      const isLast = i === store.files.length - 1
      for (const item of scanFile(store, file, isLast, onBytes)) {
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
      dir: store.location,
      fileName: store.fileName,
      manifestPath: store.manifestPath,
      manifest: manifestEntries(store.manifest),
      files,
      ok: problem === null,
      problem,
    }
  } finally {
    store.close()
  }
}

/**
 * Every record and `#TS:` annotation of a store in load order, with file, line, byte offset
 * and length: read-only, no lock, no repair. Throws `AOF_CORRUPT` or `AOF_TRUNCATED` when it
 * reaches a bad line (after yielding everything before it).
 */
export function* readAofEntriesOn(
  options: ReadAofOptions,
  defaultStorage?: (dir: string) => Storage,
): Generator<AofEntry> {
  const store = readStore(options, defaultStorage)
  try {
    const onBytes = progress(options, store.files)
    for (let i = 0; i < store.files.length; i++) {
      const isLast = i === store.files.length - 1
      for (const item of scanFile(store, store.files[i]!, isLast, onBytes)) {
        if (item.kind === 'problem') throw problemError(store, item.problem)
        yield item
      }
    }
  } finally {
    store.close()
  }
}
