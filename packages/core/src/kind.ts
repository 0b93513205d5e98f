import { AofError } from './errors.js'
import type { AofErrorCode } from './errors.js'
import type { AofKind } from './record.js'
import type { AofEntry, AofRecords } from './types.js'

// The rules every adapter applies to the records it reads: which adapter a log belongs to, and
// errors that say where the offending record lies.

/** Where a record lies in a store: what `AofRecords.at()` returns. */
export interface RecordLocation {
  /** Absolute path of the file. */
  file: string
  /** 1-based line number. */
  line: number
  /** Byte offset of the line. */
  offset: number
}

/** The package a kind of log belongs to, for messages. */
const PACKAGE: Record<AofKind, string> = {
  redux: '@aof-persist/redux',
  zustand: '@aof-persist/zustand',
}

/**
 * Reads where the record an iteration of `records` last yielded lies: `records.at()` when the
 * iterable is the core's `AofRecords` (or anything else with such an `at`), otherwise nothing.
 */
export function recordLocator(
  records: Iterable<unknown>,
): () => RecordLocation | null {
  // An array has an at() too (Array.prototype.at), which means something else.
  const at = Array.isArray(records)
    ? undefined
    : (records as { at?: unknown }).at
  if (typeof at !== 'function') return () => null
  return () => {
    const loc = (at as () => unknown).call(records) as RecordLocation | null
    return loc !== null &&
      typeof loc === 'object' &&
      typeof loc.file === 'string' &&
      typeof loc.line === 'number'
      ? loc
      : null
  }
}

/**
 * `the record at line 3 of /data/appendonly.aof.1.incr.aof`, or `record 7 of the log` when the
 * location is unknown (records that did not come from a store).
 */
export function describeRecord(
  loc: RecordLocation | null,
  index: number,
): string {
  return loc
    ? `the record at line ${loc.line} of ${loc.file}`
    : `record ${index} of the log`
}

/**
 * An error about one record: the message starts by naming where it lies, and the error carries
 * `file`, `line` and `offset` when they are known.
 */
export function recordError(
  code: AofErrorCode,
  loc: RecordLocation | null,
  index: number,
  message: string,
  cause?: unknown,
): AofError {
  const where = describeRecord(loc, index)
  return new AofError(
    code,
    `${where[0]!.toUpperCase()}${where.slice(1)}: ${message}`,
    {
      ...(loc ?? {}),
      ...(cause === undefined ? {} : { cause }),
    },
  )
}

/**
 * `AOF_WRONG_KIND`: the store was written by another adapter than `expected`. `found` is the
 * kind the log records (any string: a writer this version does not know is named as it is) or,
 * for a log that records none, the kind its records look like. The message names both and
 * says that nothing was written.
 */
export function wrongKind(
  found: string,
  expected: AofKind,
  loc: RecordLocation | null,
  index: number,
  dir: string,
  evidence: string,
): AofError {
  const writer =
    found in PACKAGE ? PACKAGE[found as AofKind] : `a writer of kind "${found}"`
  return recordError(
    'AOF_WRONG_KIND',
    loc,
    index,
    `the store in ${dir} is a ${found} log (${evidence}), written by ${writer}, but it was opened by ${PACKAGE[expected]}, which reads ${expected} logs. Open it with the adapter that wrote it, or give this store a directory of its own. Nothing was written.`,
  )
}

/**
 * Refuses a snapshot record whose `meta.kind` names another adapter than `expected` with
 * {@link wrongKind}. A snapshot without a kind (a log written by 0.1 or by the core alone)
 * passes: the adapter then judges the records themselves.
 */
export function checkKind(
  found: string | null,
  expected: AofKind,
  loc: RecordLocation | null,
  index: number,
  dir: string,
): void {
  if (found !== null && found !== expected) {
    throw wrongKind(
      found,
      expected,
      loc,
      index,
      dir,
      `its snapshot record says kind "${found}"`,
    )
  }
}

/**
 * The records of `readAofEntries` (which reads without taking the lock) as an iterable that,
 * like `Aof.records()`, can say where the record last yielded lies: what a read-only checker
 * (`aof check`) hands to the adapters' `checkRecords`. `#TS:` annotations are skipped. `dir`
 * makes the file names absolute, as `Aof.records()` reports them.
 */
export function locatedRecords(
  entries: Iterable<AofEntry>,
  dir?: string,
): AofRecords<unknown> {
  let last: RecordLocation | null = null
  const resolve = (name: string) =>
    dir === undefined
      ? name
      : dir.endsWith('/') || dir.endsWith('\\')
        ? dir + name
        : `${dir}/${name}`
  return {
    *[Symbol.iterator]() {
      for (const entry of entries) {
        if (entry.kind !== 'record') continue
        last = {
          file: resolve(entry.file),
          line: entry.line,
          offset: entry.offset,
        }
        yield entry.value
      }
    },
    at: () => last,
  }
}
