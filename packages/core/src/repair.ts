import { checkAofOn, readAofEntriesOn, readStore, storageOf } from './check.js'
import { cutDurably } from './durable.js'
import { AofError, DOCS, ioError } from './errors.js'
import { io, runSync, type Storage } from './storage.js'
import type { AofCut } from './types.js'

/** Options of {@link fixAof} and {@link truncateAofToTimestamp}. */
export interface RepairOptions {
  /** The store directory (Node). */
  dir?: string
  /** The store's storage, instead of `dir` (a synchronous one). */
  storage?: Storage
  /** @default 'appendonly.aof' */
  fileName?: string
  /**
   * Work out what would be cut and change nothing. Takes no lock, but still throws
   * `AOF_LOCKED` when a writer holds the store, since the real run would be refused.
   */
  dryRun?: boolean
  /**
   * The cut a dry run announced. When given, the repair refuses (`AOF_REFUSED`) unless it
   * would cut exactly that: the file must not have changed between asking and cutting.
   */
  expect?: { size: number; newSize: number }
  /** Called as the files are read to find the cut: bytes done and bytes in all files. */
  onProgress?: (done: number, total: number) => void
}

/** Refuses a cut that differs from the one announced to the user. */
function checkExpected(options: RepairOptions, result: AofCut): void {
  const e = options.expect
  if (e && (e.size !== result.size || e.newSize !== result.newSize)) {
    throw new AofError(
      'AOF_REFUSED',
      `${result.path} changed since the cut was worked out (expected ${e.size} -> ${e.newSize} bytes, now ${result.size} -> ${result.newSize}); nothing was cut. Check the store again.`,
      { file: result.path },
    )
  }
}

/** Cuts the store's file `name` to `size` and makes the new size durable. */
function cut(storage: Storage, name: string, size: number): void {
  try {
    const file = runSync(io(storage.open(name, { write: true, create: false })))
    try {
      cutDurably(file, size)
    } finally {
      file.close()
    }
  } catch (err) {
    throw ioError('Truncating', storage.describe(name), err)
  }
}

/** Runs `fn` holding the store's lock (unless a dry run), so no writer appends meanwhile. */
function withLock<T>(
  storage: Storage,
  dryRun: boolean | undefined,
  fn: () => T,
): T {
  if (dryRun) {
    if (storage.probeLock) runSync(io(storage.probeLock()))
    return fn()
  }
  const lock = runSync(io(storage.lock()))
  try {
    return fn()
  } finally {
    lock.release()
  }
}

/**
 * Repairs a store the way `redis-check-aof --fix` does: cuts the last incr file back to the
 * start of its first bad record (a torn tail, or a damaged record), keeping every record before
 * it. Returns what was cut (with `dryRun`, what would be), or null when the store is valid.
 * Takes the store's lock (`AOF_LOCKED` when a writer holds it). Refuses with `AOF_REFUSED` when
 * the damage is not in the last file: cutting there would drop every later file's records.
 */
export function fixAofOn(
  options: RepairOptions,
  defaultStorage?: (dir: string) => Storage,
): AofCut | null {
  const storage = storageOf(options, defaultStorage)
  const on = {
    fileName: options.fileName,
    storage,
    onProgress: options.onProgress,
  }
  return withLock(storage, options.dryRun, () => {
    const report = checkAofOn(on)
    if (report.ok || !report.problem) return null
    const p = report.problem
    const last = report.files.at(-1)!
    if (p.file !== last.name) {
      throw new AofError(
        'AOF_REFUSED',
        `Cannot fix ${report.dir}: the damage is in ${p.file} (line ${p.line}, byte offset ${p.offset}), which is not the last file; cutting it would drop every record after it, including later files. Make a backup and repair that line by hand (see ${DOCS}file-format.md).`,
        { file: storage.describe(p.file), line: p.line, offset: p.offset },
      )
    }
    const result: AofCut = {
      file: last.name,
      path: last.path,
      size: last.size,
      newSize: p.offset,
      line: p.line,
    }
    checkExpected(options, result)
    if (!options.dryRun) cut(storage, last.name, p.offset)
    return result
  })
}

/**
 * Point-in-time recovery with `redis-check-aof --truncate-to-timestamp` semantics: cuts the last
 * file at the first `#TS:` annotation later than `timestamp` (unix seconds). Returns what was
 * cut, or null when no annotation is later. Refuses (`AOF_REFUSED`) when that annotation is
 * not in the last file, or when the cut would leave the last file empty (offset 0).
 * Needs a store written with `timestamps: true`. Takes the lock unless `dryRun`.
 */
export function truncateAofToTimestampOn(
  options: RepairOptions & { timestamp: number },
  defaultStorage?: (dir: string) => Storage,
): AofCut | null {
  if (
    typeof options.timestamp !== 'number' ||
    !Number.isInteger(options.timestamp) ||
    options.timestamp < 0
  ) {
    throw new TypeError(
      `aof-persist: option "timestamp" must be unix seconds (an integer >= 0), got ${String(options.timestamp)}`,
    )
  }
  const storage = storageOf(options, defaultStorage)
  const on = {
    fileName: options.fileName,
    storage,
    onProgress: options.onProgress,
  }
  return withLock(storage, options.dryRun, () => {
    const store = readStore(on, undefined)
    store.close()
    const last = store.files.at(-1)
    const dir = store.location
    for (const entry of readAofEntriesOn(on)) {
      if (entry.kind !== 'timestamp' || entry.time <= options.timestamp)
        continue
      if (!last || entry.file !== last.name) {
        throw new AofError(
          'AOF_REFUSED',
          `Cannot truncate ${dir} to timestamp ${options.timestamp}: the first later annotation is in ${entry.file} (line ${entry.line}), which is not the last file. If you insist, delete the files after it from the manifest by hand, then run this again.`,
          {
            file: storage.describe(entry.file),
            line: entry.line,
            offset: entry.offset,
          },
        )
      }
      if (entry.offset === 0) {
        throw new AofError(
          'AOF_REFUSED',
          `Cannot truncate ${dir} to timestamp ${options.timestamp}: ${entry.file} has nothing before it, and the cut would leave the last file empty.`,
          { file: storage.describe(last.name), line: entry.line, offset: 0 },
        )
      }
      const result: AofCut = {
        file: last.name,
        path: storage.describe(last.name),
        size: last.size,
        newSize: entry.offset,
        line: entry.line,
      }
      checkExpected(options, result)
      if (!options.dryRun) cut(storage, last.name, entry.offset)
      return result
    }
    return null
  })
}
