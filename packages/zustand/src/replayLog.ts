import { AofError, readSnapshot } from '@aof-persist/core'
import { applyPatches, type Patch } from './patches.js'

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

const isPatchRecord = (r: unknown): r is PatchRecord =>
  typeof r === 'object' &&
  r !== null &&
  typeof (r as PatchRecord).type === 'string' &&
  Array.isArray((r as PatchRecord).patches)

/** {@link replayLog}, also counting the records. */
export function replay(
  records: Iterable<unknown>,
): ReplayResult & { count: number } {
  let state: unknown
  let version = 0
  let count = 0
  for (const record of records) {
    count++
    const snapshot = readSnapshot(record)
    if (snapshot) {
      state = snapshot.payload
      version = snapshot.version
      continue
    }
    if (!isPatchRecord(record)) {
      throw new AofError(
        'AOF_CORRUPT',
        `Record ${count} of the log is neither a snapshot nor a {type, patches} record of @aof-persist/zustand: was the directory written by another adapter? Run "aof check <dir>" to locate it.`,
      )
    }
    try {
      state = applyPatches(state, record.patches)
    } catch (cause) {
      throw new AofError(
        'AOF_CORRUPT',
        `Record ${count} of the log ("${record.type}") does not apply to the state the records before it build: ${(cause as Error).message}. The files were not changed; run "aof check <dir>" and make a backup before "aof fix".`,
        { cause },
      )
    }
  }
  return { state, version, count }
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
 * @throws AofError `AOF_CORRUPT` when a record is not one of this adapter's or does not apply.
 * @example
 * const { state, version } = replayLog(aof.records())
 */
export function replayLog(records: Iterable<unknown>): ReplayResult {
  const { state, version } = replay(records)
  return { state, version }
}
