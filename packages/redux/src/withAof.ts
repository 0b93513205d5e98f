import { SNAPSHOT_TYPE, migrateState, readSnapshot } from '@aof-persist/core'
import { combineReducers, isPlainObject } from 'redux'
import type {
  Action,
  ActionFromReducersMapObject,
  PreloadedStateShapeFromReducersMapObject,
  Reducer,
  StateFromReducersMapObject,
} from 'redux'
import { isInjectable, lazySlicesOf } from './lazySlices.js'
import type { LazySlices } from './lazySlices.js'
import {
  INIT_TYPE,
  REPLAY_REQUEST,
  REPLAY_TYPE,
  fold,
  holdUnknownKeys,
  mergeSnapshot,
  reduction,
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
  const lazy = isInjectable(inner) ? lazySlicesOf(inner) : null
  // The reducers' own initial state, for snapshots dispatched by hand. Not cached for a
  // combineSlices root: injected slices add keys to it.
  let initial: { state: unknown } | null = null
  const initialState = (): unknown =>
    lazy
      ? inner(undefined, { type: INIT_TYPE })
      : (initial ??= { state: inner(undefined, { type: INIT_TYPE }) }).state

  const wrapped = (state: unknown, action: Action): unknown => {
    // A slice injected since the last action gets the state the log holds for it.
    if (lazy !== null && lazy.arrived.size !== 0) state = lazy.handOver(state)
    if (action.type === REPLAY_TYPE) {
      const request = (action as { [REPLAY_REQUEST]?: ReplayRequest })[
        REPLAY_REQUEST
      ]
      if (request) return replay(inner, lazy, state, request)
    } else if (action.type === SNAPSHOT_TYPE) {
      const next = mergeSnapshot(initialState(), readSnapshot(action)?.payload)
      logReduced(action)
      return next
    }
    const next: unknown = inner(state, action)
    logReduced(action)
    return next
  }
  Object.defineProperty(wrapped, WRAPPED, { value: inner })
  return wrapped
}

/** Hands `action`, just reduced, to the middleware that passed it on (see `reduction`). */
function logReduced(action: Action): void {
  const write = reduction.writer
  if (write !== null) {
    reduction.writer = null
    write(action)
  }
}

/**
 * Rebuilds the state from the request's records in this one reducer call, so subscribers hear
 * of it once and no middleware sees the logged actions again. Starts from the store's current
 * (initial or preloaded) state; a snapshot record replaces it with that state merged with the
 * snapshot's payload. A log of another version goes through the core's migration guard.
 */
function replay(
  inner: AnyReducer,
  lazy: LazySlices | null,
  state: unknown,
  request: ReplayRequest,
): unknown {
  const initial: unknown = inner(undefined, { type: INIT_TYPE })
  if (request.follow === 'apply') {
    // Records another tab logged: on top of this tab's state, as the writer reduced them.
    const rebuilt = fold(request.records, state, {
      reduce: inner,
      base: () => initial,
      lazy: lazy
        ? {
            slices: lazy,
            produced: new Set(
              isPlainObject(initial) ? Object.keys(initial as object) : [],
            ),
          }
        : null,
      dir: request.dir,
    })
    request.count = rebuilt.count
    request.lazy = lazy
    request.done = true
    return rebuilt.state
  }
  const start =
    state === undefined || request.follow === 'reset' ? initial : state
  lazy?.reset()
  const held = lazy
    ? {
        slices: lazy,
        produced: new Set(
          isPlainObject(initial) ? Object.keys(initial as object) : [],
        ),
      }
    : null
  const rebuilt = fold(request.records, start, {
    reduce: inner,
    base: () => start,
    lazy: held,
    dir: request.dir,
  })
  request.count = rebuilt.count
  request.storedVersion = rebuilt.version
  let next = rebuilt.state
  // An empty log has nothing to migrate: the middleware writes its first base instead.
  if (rebuilt.count > 0 && rebuilt.version !== request.version) {
    // migrate sees everything the log holds, the slices not injected yet included.
    const full = lazy ? lazy.withHeld(next) : next
    lazy?.held.clear()
    next = migrateState({
      migrate: request.migrate,
      state: full,
      storedVersion: rebuilt.version,
      version: request.version,
      dir: request.dir,
      caller: 'aofPersist()',
    })
    if (held) next = holdUnknownKeys(next, held)
    request.migrated = true
  }
  request.lazy = lazy
  request.done = true
  return next
}
