import * as path from 'node:path'
import { truncateDurableSync } from './durable.js'
import { AofError, ioError } from './errors.js'
import { DirLock } from './lock.js'
import { checkAof, readAofEntries, readStore } from './reader.js'
import type { AofCut } from './types.js'

interface RepairOptions {
  /** The store directory. */
  dir: string
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

/** Truncates `file` to `size` and makes the new size durable. */
function cut(file: string, size: number): void {
  try {
    truncateDurableSync(file, size)
  } catch (err) {
    throw ioError('Truncating', file, err)
  }
}

/** Runs `fn` holding the store's lock (unless a dry run), so no writer appends meanwhile. */
function withLock<T>(options: RepairOptions, fn: () => T): T {
  if (options.dryRun) {
    DirLock.assertFree(path.resolve(options.dir))
    return fn()
  }
  const lock = DirLock.acquire(path.resolve(options.dir))
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
export function fixAof(options: RepairOptions): AofCut | null {
  return withLock(options, () => {
    const report = checkAof(options)
    if (report.ok || !report.problem) return null
    const p = report.problem
    const last = report.files.at(-1)!
    if (p.file !== last.name) {
      throw new AofError(
        'AOF_REFUSED',
        `Cannot fix ${report.dir}: the damage is in ${p.file} (line ${p.line}, byte offset ${p.offset}), which is not the last file; cutting it would drop every record after it, including later files. Make a backup and repair that line by hand (see docs/reference/file-format.md).`,
        { file: path.join(report.dir, p.file), line: p.line, offset: p.offset },
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
    if (!options.dryRun) cut(last.path, p.offset)
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
export function truncateAofToTimestamp(
  options: RepairOptions & { timestamp: number },
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
  return withLock(options, () => {
    const { files, dir } = readStore(options)
    const last = files.at(-1)
    for (const entry of readAofEntries(options)) {
      if (entry.kind !== 'timestamp' || entry.time <= options.timestamp)
        continue
      if (!last || entry.file !== last.name) {
        throw new AofError(
          'AOF_REFUSED',
          `Cannot truncate ${dir} to timestamp ${options.timestamp}: the first later annotation is in ${entry.file} (line ${entry.line}), which is not the last file. If you insist, delete the files after it from the manifest by hand, then run this again.`,
          {
            file: path.join(dir, entry.file),
            line: entry.line,
            offset: entry.offset,
          },
        )
      }
      if (entry.offset === 0) {
        throw new AofError(
          'AOF_REFUSED',
          `Cannot truncate ${dir} to timestamp ${options.timestamp}: ${entry.file} has nothing before it, and the cut would leave the last file empty.`,
          { file: last.path, line: entry.line, offset: 0 },
        )
      }
      const result: AofCut = {
        file: last.name,
        path: last.path,
        size: last.size,
        newSize: entry.offset,
        line: entry.line,
      }
      checkExpected(options, result)
      if (!options.dryRun) cut(last.path, entry.offset)
      return result
    }
    return null
  })
}
