import {
  AofError,
  checkKind,
  readSnapshot,
  recordError,
  recordLocator,
  wrongKind,
} from '@aof-persist/core'
import { reviveValue } from './codec.js'
import type { Reviver } from './codec.js'
import { applyPatches, applyPatchesCopying, type Patch } from './patches.js'

/** One logged change: the name of the `set` and the patches (immer's format) it made. */
export interface PatchRecord {
  /** The third argument of `set` (a string, or the `type` of an object), `'setState'` when none. */
  type: string
  /** What changed in the persisted state. */
  patches: Patch[]
}

/** What {@link replayLog} rebuilt. */
export interface ReplayResult<S = unknown> {
  /** The persisted state after the last record, `undefined` for an empty log. */
  state: S
  /** `meta.version` of the last snapshot record, 0 when the log records none. */
  version: number
}

/** What {@link checkRecords} found. */
export interface RecordsCheck {
  /** `'zustand'` when the log records its kind, null for a log written before kinds (0.1). */
  kind: 'zustand' | null
  /** `meta.version` of the last snapshot record, 0 when the log records none. */
  version: number
  /** Records read. */
  records: number
}

/** Options of {@link replayLog}. */
export interface ReplayLogOptions {
  /** The `reviver` the store was created with, so values come back as the store had them. */
  reviver?: Reviver
  /** The store directory, for messages. */
  dir?: string
}

const isPatchRecord = (r: unknown): r is PatchRecord =>
  typeof r === 'object' &&
  r !== null &&
  typeof (r as PatchRecord).type === 'string' &&
  Array.isArray((r as PatchRecord).patches)

const looksLikeAction = (r: unknown): boolean =>
  typeof r === 'object' &&
  r !== null &&
  !Array.isArray(r) &&
  typeof (r as { type?: unknown }).type === 'string'

/** The key a patch's value is stored under, for the reviver: the last step of its path. */
const keyOf = (patch: Patch): string =>
  patch.path.length === 0 ? '' : String(patch.path[patch.path.length - 1])

/**
 * {@link replayLog}, also counting the records and reading the log's kind. Every record is
 * checked the way the store reads it at start-up: a snapshot of another adapter is
 * `AOF_WRONG_KIND`, as is a log that records no kind but holds Redux actions; a record that is
 * not a patch record, or whose patches do not apply, is `AOF_CORRUPT`. Each error names the file
 * and line when `records` is the core's `AofRecords`.
 */
export function replay(
  records: Iterable<unknown>,
  options: ReplayLogOptions = {},
): ReplayResult & { count: number; kind: string | null } {
  const { reviver } = options
  const dir = options.dir ?? '(the store directory)'
  const at = recordLocator(records)
  let state: unknown
  let version = 0
  let count = 0
  let kind: string | null = null
  let judged = false // whether a log without a kind has shown a change record yet
  for (const record of records) {
    count++
    const snapshot = readSnapshot(record)
    if (snapshot) {
      checkKind(snapshot.kind, 'zustand', at(), count, dir)
      if (count === 1) kind = snapshot.kind
      if (kind !== null) judged = true
      state = reviver
        ? reviveValue('', snapshot.payload, reviver)
        : snapshot.payload
      version = snapshot.version
      continue
    }
    if (!isPatchRecord(record)) {
      if (kind === null && !judged && looksLikeAction(record)) {
        throw wrongKind(
          'redux',
          'zustand',
          at(),
          count,
          dir,
          'the log records no kind, and this record is a Redux action rather than a { type, patches } record',
        )
      }
      throw recordError(
        'AOF_CORRUPT',
        at(),
        count,
        `it is neither a snapshot nor a { type, patches } record of @aof-persist/zustand. Nothing was written. Run "aof check ${dir}" for the whole store.`,
      )
    }
    judged = true
    let patches = record.patches
    if (reviver) {
      patches = patches.map((p) =>
        'value' in p
          ? { ...p, value: reviveValue(keyOf(p), p.value, reviver) }
          : p,
      )
    }
    try {
      state = applyPatches(state, patches)
    } catch (cause) {
      throw recordError(
        'AOF_CORRUPT',
        at(),
        count,
        `its patches ("${record.type}") do not apply to the state the records before it build: ${(cause as Error).message}. Nothing was written; make a backup of the directory, then run "aof check ${dir}".`,
        cause,
      )
    }
  }
  return { state, version, count, kind }
}

/**
 * Applies records another tab logged (a log that follows one, `@aof-persist/browser`) to the
 * persisted state `state` without changing it: objects and arrays on a patched path are copied,
 * so the store's current state stays as it is and the result shares the rest with it.
 *
 * @throws AofError `AOF_CORRUPT` when a record is not one of this adapter's or does not apply
 */
export function applyRecords(
  state: unknown,
  records: Iterable<unknown>,
  options: ReplayLogOptions = {},
): unknown {
  const { reviver } = options
  for (const record of records) {
    const snapshot = readSnapshot(record)
    if (snapshot) {
      state = reviver
        ? reviveValue('', snapshot.payload, reviver)
        : snapshot.payload
      continue
    }
    if (!isPatchRecord(record)) {
      throw new AofError(
        'AOF_CORRUPT',
        `A record another tab logged in ${options.dir ?? 'the store'} is neither a snapshot nor a { type, patches } record of @aof-persist/zustand; this tab's store did not apply it. Reload the page to rebuild it from the log.`,
      )
    }
    const patches = reviver
      ? record.patches.map((p) =>
          'value' in p
            ? { ...p, value: reviveValue(keyOf(p), p.value, reviver) }
            : p,
        )
      : record.patches
    state = applyPatchesCopying(state, patches)
  }
  return state
}

/**
 * Rebuilds the persisted state from a log of `@aof-persist/zustand` without any store, action
 * code or initial state: a snapshot record sets the state, a `{ type, patches }` record applies
 * its patches. Used by the CLI's offline `aof rewrite` and `aof export`.
 *
 * Takes ownership of the records: snapshot payloads and patch values become parts of the
 * returned state and are changed in place as later patches apply, which keeps the cost at the
 * size of the log rather than records × state. Pass freshly parsed records, as
 * `aof.records()` and `readAofEntries` give. Runs no `migrate`.
 *
 * @throws AofError `AOF_CORRUPT` when a record is not one of this adapter's or does not apply,
 *   `AOF_WRONG_KIND` for a Redux log; naming file and line when `records` is `aof.records()`.
 * @example
 * const { state, version } = replayLog(aof.records())
 */
export function replayLog(
  records: Iterable<unknown>,
  options?: ReplayLogOptions,
): ReplayResult {
  const { state, version } = replay(records, options)
  return { state, version }
}

/**
 * Checks a store's records the way `aof()` reads them at start-up, by replaying them: the log's
 * kind (a Redux store is `AOF_WRONG_KIND`, also one written before kinds were recorded), that
 * every record is a snapshot or a patch record and that every patch applies (`AOF_CORRUPT`).
 * The errors are the ones the store would throw, with `file`, `line` and `offset` when `records`
 * is the core's `AofRecords`. Used by `aof check`.
 *
 * @throws {AofError} `AOF_WRONG_KIND`, `AOF_CORRUPT`
 * @example
 * const { kind, version, records } = checkRecords(aof.records(), aof.dir)
 */
export function checkRecords(
  records: Iterable<unknown>,
  dir: string,
): RecordsCheck {
  const { version, count, kind } = replay(records, { dir })
  return {
    kind: kind === 'zustand' ? 'zustand' : null,
    version,
    records: count,
  }
}
