import { SNAPSHOT_TYPE, readSnapshot } from '@aof-persist/core'
import { combineReducers } from 'redux'
import type {
  Action,
  ActionFromReducersMapObject,
  PreloadedStateShapeFromReducersMapObject,
  Reducer,
  StateFromReducersMapObject,
} from 'redux'
import {
  INIT_TYPE,
  REPLAY_REQUEST,
  REPLAY_TYPE,
  fold,
  inflight,
  mergeSnapshot,
  migrateState,
} from './replay.js'
import type { ReplayRequest } from './replay.js'

type AnyReducer = (state: any, action: Action) => any

/** Marks a wrapped reducer with the reducer it wraps, so wrapping twice is harmless. */
const WRAPPED = Symbol.for('@aof-persist/redux/withAof')

/**
 * The reducer `combineReducers(reducers)` returns for a slice map `M`, typed as redux types it
 * (the same conditional type, which keeps inference working inside `configureStore({ ... })`).
 */
export type CombinedReducer<M> = M[keyof M] extends
  Reducer<any, any, any> | undefined
  ? Reducer<
      StateFromReducersMapObject<M>,
      ActionFromReducersMapObject<M>,
      Partial<PreloadedStateShapeFromReducersMapObject<M>>
    >
  : never

/** The reducer a root reducer or slice map stands for, unwrapped. */
export function innerReducer(reducer: unknown, caller: string): AnyReducer {
  if (typeof reducer === 'function') {
    return ((reducer as { [WRAPPED]?: AnyReducer })[WRAPPED] ??
      reducer) as AnyReducer
  }
  if (typeof reducer === 'object' && reducer !== null) {
    return combineReducers(reducer as Record<string, AnyReducer>) as AnyReducer
  }
  throw new TypeError(
    `${caller}: expected a reducer function or an object of slice reducers, got ${reducer === null ? 'null' : typeof reducer}`,
  )
}

/**
 * Wraps the root reducer so the store can be rebuilt from the log: it handles the replay that
 * `aofPersist` starts when the store is created (folding every logged action through
 * `reducer` in one dispatch) and the snapshot action `{ type: '@@aof/SNAPSHOT', payload }` that
 * rewrites write as the log's base. Every other action goes to `reducer` unchanged.
 *
 * Accepts a reducer function or, as Redux Toolkit's `configureStore` does, an object of slice
 * reducers (combined with redux's `combineReducers`). The state type is preserved.
 *
 * @example
 * const store = configureStore({
 *   reducer: withAof({ todos: todosSlice.reducer, ui: uiSlice.reducer }),
 *   middleware: (gDM) => gDM().concat(persist),
 * })
 */
// The overloads return the reducer's own type (a function) or combineReducers' type (a slice
// map): signatures built from Reducer<S, A, P> lose the state type when configureStore also
// receives a middleware callback.
export function withAof<R extends Reducer<any, any, any>>(reducer: R): R
export function withAof<M>(reducers: M): CombinedReducer<M>
export function withAof(reducer: unknown): AnyReducer {
  const inner = innerReducer(reducer, 'withAof')
  let initial: { state: unknown } | null = null
  // The reducers' own initial state, for snapshots outside a replay (dispatched by hand).
  const initialState = (): unknown =>
    (initial ??= { state: inner(undefined, { type: INIT_TYPE }) }).state

  const wrapped = (state: unknown, action: Action): unknown => {
    if (action.type === REPLAY_TYPE) {
      const request = (action as { [REPLAY_REQUEST]?: ReplayRequest })[
        REPLAY_REQUEST
      ]
      if (request) return replay(inner, state, request)
    } else if (action.type === SNAPSHOT_TYPE) {
      const next = mergeSnapshot(initialState(), readSnapshot(action)?.payload)
      markReduced(action)
      return next
    }
    const next: unknown = inner(state, action)
    markReduced(action)
    return next
  }
  Object.defineProperty(wrapped, WRAPPED, { value: inner })
  return wrapped
}

function markReduced(action: Action): void {
  if (inflight.size === 0) return
  const entry = inflight.get(action)
  if (entry) entry.reduced = true
}

/**
 * Rebuilds the state from the request's records in this one reducer call, so subscribers hear
 * of it once and no middleware sees the logged actions again. Starts from the store's current
 * (initial or preloaded) state; a snapshot record replaces it with that state merged with the
 * snapshot's payload.
 */
function replay(
  inner: AnyReducer,
  state: unknown,
  request: ReplayRequest,
): unknown {
  const start =
    state === undefined ? inner(undefined, { type: INIT_TYPE }) : state
  const rebuilt = fold(inner, start, request.records, () => start)
  request.count = rebuilt.count
  request.storedVersion = rebuilt.version
  let next = rebuilt.state
  // An empty log has nothing to migrate: the middleware records the version in it instead.
  if (rebuilt.count > 0 && rebuilt.version !== request.version) {
    next = migrateState(request, next)
    request.migrated = true
  }
  request.done = true
  return next
}
