import type { Reducer } from 'redux'
import { INIT_TYPE, fold } from './replay.js'
import { innerReducer } from './withAof.js'
import type { CombinedReducer } from './withAof.js'

/** What {@link replayLog} rebuilt. */
export interface ReplayResult<S> {
  /** The state after the last record. */
  state: S
  /** `meta.version` of the last snapshot record, 0 when the log records none. */
  version: number
}

/** What {@link checkRecords} found. */
export interface RecordsCheck {
  /** `'redux'` when the log records its kind, null for a log written before kinds (0.1). */
  kind: 'redux' | null
  /** `meta.version` of the last snapshot record, 0 when the log records none. */
  version: number
  /** Records read. */
  records: number
}

/**
 * Rebuilds a state offline, the way a store with `withAof(reducer)` does at start-up: folds
 * `records` (for example `aof.records()`) through the reducer, starting from its initial state.
 * Runs no middleware and no migration. Throws the errors the store would throw at start-up,
 * naming file and line when `records` can say where they are (the core's `AofRecords`). Used by
 * `aof rewrite --reducer` and `aof export`.
 *
 * @example
 * const { state, version } = replayLog(aof.records(), rootReducer)
 */
export function replayLog<R extends Reducer<any, any, any>>(
  records: Iterable<unknown>,
  reducer: R,
): ReplayResult<ReturnType<R>>
export function replayLog<M>(
  records: Iterable<unknown>,
  reducers: M,
): ReplayResult<ReturnType<CombinedReducer<M>>>
export function replayLog(
  records: Iterable<unknown>,
  reducer: unknown,
): ReplayResult<unknown> {
  const inner = innerReducer(reducer, 'replayLog')
  const initial: unknown = inner(undefined, { type: INIT_TYPE })
  const { state, version } = fold(records, initial, {
    reduce: inner,
    base: () => initial,
    lazy: null,
    dir: '(the store directory)',
  })
  return { state, version }
}

/**
 * Checks a store's records the way `aofPersist` reads them at start-up, without the app's
 * reducer: the log's kind (a Zustand store is `AOF_WRONG_KIND`, also one written before kinds
 * were recorded), and that every record is a snapshot or a Redux action (`AOF_CORRUPT`). The
 * errors are the ones the store would throw, with `file`, `line` and `offset` when `records` is
 * the core's `AofRecords`. What it cannot check is the reducers themselves. Used by `aof check`.
 *
 * @throws {AofError} `AOF_WRONG_KIND`, `AOF_CORRUPT`
 * @example
 * const { kind, version, records } = checkRecords(aof.records(), aof.dir)
 */
export function checkRecords(
  records: Iterable<unknown>,
  dir: string,
): RecordsCheck {
  const { version, count, kind } = fold(records, undefined, {
    reduce: null,
    base: () => undefined,
    lazy: null,
    dir,
  })
  return { kind: kind === 'redux' ? 'redux' : null, version, records: count }
}
