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

/**
 * Rebuilds a state offline, the way a store with `withAof(reducer)` does at start-up: folds
 * `records` (for example from `readAofEntries`) through the reducer, starting from its initial
 * state. Runs no middleware and no migration. Used by `aof rewrite --reducer` and `aof export`.
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
  const { state, version } = fold(inner, initial, records, () => initial)
  return { state, version }
}
