import {
  AofError,
  findUnserializable,
  followFailed,
  isAofError,
  notify,
  openAof,
  snapshotAction,
} from '@aof-persist/core'
import type { Aof, FollowingLog } from '@aof-persist/core'
import { isPlainObject } from 'redux'
import type { Action, Middleware, UnknownAction } from 'redux'
import {
  findApiSlices,
  isApiAction,
  isApiSliceState,
  withoutKeys,
} from './apiSlices.js'
import type { LazySlices } from './lazySlices.js'
import { checkOptions } from './options.js'
import {
  INJECT_TYPE,
  REPLAY_REQUEST,
  REPLAY_TYPE,
  SLICE_TYPE,
  reduction,
} from './replay.js'
import type { ReplayRequest } from './replay.js'
import type {
  AofPersistMiddleware,
  AofPersistOptions,
  NoDispatchExtension,
} from './types.js'

/**
 * Paths of an action that the development check leaves alone, as Redux Toolkit's own
 * serializability check does: what a thunk was called with and what a base query returned
 * (`Request`/`Response` objects under RTK Query) are for middleware, not for reducers.
 */
const IGNORED_PATHS = ['meta.arg', 'meta.baseQueryMeta']

/**
 * Development checks run unless `NODE_ENV` is `'production'`. Read the way Redux Toolkit does
 * it, guarded: in a browser page loaded without a bundler there is no `process` at all.
 */
const isDevelopment = (): boolean =>
  !(
    typeof process !== 'undefined' &&
    typeof process.env === 'object' &&
    process.env.NODE_ENV === 'production'
  )

/**
 * Creates the Redux middleware that persists a store as an append-only log of its actions.
 *
 * Opens (and locks) `options.dir` at once, or takes the open `options.log`. When the middleware
 * is applied, the store's state is rebuilt from the log in one dispatch, so `createStore` /
 * `configureStore` returns a store that already holds it; a new log starts with a base that
 * records its version and that it is a Redux log. From then on every plain action that reaches
 * the reducers (and passes `filter`) is appended after the reducers ran. Put it last among the
 * middlewares (`getDefaultMiddleware().concat(persist)`), so the actions it logs are the ones
 * the reducers see; the root reducer must be wrapped with {@link withAof}. One middleware per
 * store.
 *
 * @throws {AofError} `AOF_LOCKED` and the core's load errors here; `AOF_SETUP`,
 * `AOF_MIGRATE_FAILED`, `AOF_WRONG_KIND`, `AOF_CORRUPT` and `AOF_REPLAY_FAILED` (naming file
 * and line) when the store is created, before anything is written.
 * @example
 * const persist = aofPersist({ dir: './state', fsync: 'everysec' })
 * const store = createStore(withAof(rootReducer), applyMiddleware(thunk, persist))
 */
export function aofPersist<S = any>(
  options: AofPersistOptions<S>,
): AofPersistMiddleware<S> {
  const { options: o, log: given } = checkOptions(options)
  const {
    filter,
    partialize,
    migrate,
    version = 0,
    apiSlices = 'skip',
    log: _log,
    ...coreOptions
  } = o
  const onError = o.onError
  const skipApi = apiSlices === 'skip'
  const dev = isDevelopment()
  /** Keys of RTK Query api slices, left out of the log under `apiSlices: 'skip'`. */
  const apiPaths = new Set<string>()
  /** Whether an action's type must be checked against `apiPaths` (read per action). */
  let checkApi = false
  let lazy: LazySlices | null = null
  let getState: (() => S) | null = null
  let dropped = 0
  let applied = false
  let unfollow: (() => void) | null = null

  const persistedState = (): unknown => {
    if (!getState) {
      throw new AofError(
        'AOF_SETUP',
        'aofPersist(): the middleware is not applied to a store yet, so there is no state to snapshot.',
      )
    }
    let state: unknown = getState()
    if (lazy) state = lazy.withHeld(state)
    let persisted = partialize ? partialize(state as S) : state
    if (skipApi) persisted = withoutKeys(persisted, apiPaths)
    return persisted
  }
  const currentSnapshot = () =>
    snapshotAction(persistedState(), version, 'redux')

  const log: Aof<unknown> =
    given ??
    openAof<unknown>({
      ...(coreOptions as Omit<typeof coreOptions, 'dir'> & { dir: string }),
      snapshot: currentSnapshot,
    })
  // A log the app opened gets the store's snapshot for its automatic rewrites.
  if (given) given.setSnapshot(currentSnapshot)
  const following = log as Aof<unknown> & FollowingLog
  /** A log that can follow another tab's writer (the browser's); a Node log never does. */
  const followable = typeof following.subscribe === 'function'

  /** Reports an error of the adapter's own; a throwing onError surfaces outside dispatch. */
  const report = (err: AofError) => notify(onError, err)

  const apply: Middleware<NoDispatchExtension, S> = (api) => {
    if (applied) {
      throw new AofError(
        'AOF_SETUP',
        `aofPersist(): this middleware is already applied to a store. Each store needs its own aofPersist() with its own dir (a directory is locked by one log).`,
      )
    }
    applied = true
    return (next) => {
      replay(next, api.getState)
      follow(next)
      return logging(next, api.getState)
    }
  }
  return Object.assign(apply, {
    flush: () => log.flush(),
    durable: () => log.durable(),
    rewrite: async () => log.rewrite(currentSnapshot()),
    snapshot: currentSnapshot,
    close: () => {
      unfollow?.()
      return log.close()
    },
    stats: () => ({ ...log.stats(), droppedAfterClose: dropped }),
  })

  /** What `withAof`'s reducer is asked to fold into the state: `records`, from this log. */
  function replayRequest(
    records: Iterable<unknown>,
    follow?: ReplayRequest['follow'],
  ): ReplayRequest {
    return {
      records,
      dir: log.dir,
      version,
      migrate,
      done: false,
      count: 0,
      storedVersion: 0,
      migrated: false,
      lazy: null,
      ...(follow && { follow }),
    }
  }

  /**
   * A log that other tabs write into too (`@aof-persist/browser` with `follow: true`) announces
   * the records they logged: they are reduced here through `next`, below this middleware, so
   * they are never appended again and no other middleware sees them twice.
   */
  function follow(next: (action: unknown) => unknown) {
    if (!followable) return
    unfollow = following.subscribe!((event) => {
      if (event.type === 'role') return
      const request =
        event.type === 'records'
          ? replayRequest(event.records, 'apply')
          : replayRequest(log.records(), 'reset')
      try {
        next({ type: REPLAY_TYPE, [REPLAY_REQUEST]: request })
      } catch (err) {
        report(followFailed(err))
      }
    })
  }

  /**
   * Rebuilds the store's state through `next`, the dispatch below this middleware, and writes
   * the first base of a new log or the migrated state. Any failure releases a directory this
   * middleware opened (closing writes nothing when nothing was appended), so the files are as
   * they were and the app may open them again; a log the app gave stays open.
   */
  function replay(next: (action: unknown) => unknown, storeState: () => S) {
    const request = replayRequest(log.records())
    try {
      next({ type: REPLAY_TYPE, [REPLAY_REQUEST]: request })
      if (!request.done) {
        throw new AofError(
          'AOF_SETUP',
          `aofPersist(): the root reducer is not wrapped with withAof(...), so the log in ${log.dir} cannot be replayed into the store. Create the store with createStore(withAof(rootReducer), ...) or configureStore({ reducer: withAof(rootReducer) }). If it is wrapped, a middleware after aofPersist swallowed the replay: put aofPersist last (getDefaultMiddleware().concat(persist)).`,
        )
      }
      lazy = request.lazy
      getState = storeState
      if (skipApi) findApiSlices(storeState(), apiPaths)
      checkApi = skipApi && apiPaths.size !== 0
      if (request.migrated || request.count === 0) {
        // Durable before the store is handed out. Migrated: a crash before this returns leaves
        // the old log, which is migrated again at the next start. New: the log starts with a
        // base that says what it is (a Redux log of this version), like a rewrite's.
        log.rewriteSync(currentSnapshot())
      }
    } catch (err) {
      getState = null
      lazy = null
      if (!given) log.closeSync()
      throw err
    }
    if (lazy) {
      lazy.created = true
      const slices = lazy
      slices.onInject = (key) => {
        // The slice gets the state the log holds for it now, not at the next action.
        next({ type: INJECT_TYPE, payload: key })
        const state = storeState() as Record<string, unknown>
        if (skipApi && isApiSliceState(key, state[key])) {
          apiPaths.add(key)
          checkApi = true
        }
        // partialize decides once, here, whether the slice is persisted at all.
        if (partialize) {
          const kept = partialize(state as S) as unknown
          if (!isPlainObject(kept) || !(key in (kept as object)))
            slices.late.delete(key)
        }
      }
    }
  }

  /**
   * The dispatch function of the middleware: appends every plain action (that `filter` keeps)
   * once the reducers ran for it, in the order the reducers ran.
   */
  function logging(
    next: (action: unknown) => unknown,
    storeState: () => S,
  ): (action: unknown) => unknown {
    /** An action the log was closed for, to report once its dispatch returns. */
    let droppedAction: UnknownAction | null = null
    /**
     * Appends `a`, called by withAof's reducer once the reducers returned for it (see
     * `reduction`). After close() it is counted and reported instead, once the dispatch
     * returns (never from inside a reducer, where onError could not dispatch): library timers
     * (RTK Query's cleanup, a debounced save) dispatch after an app's shutdown code ran, and
     * throwing then would crash where nothing can catch it. The state moves on in memory, the
     * files do not. (Asking the log whether it is closed before every action costs more than
     * this try.)
     */
    const write = (a: Action) => {
      try {
        log.append(a)
      } catch (err) {
        if (!isAofError(err) || err.code !== 'AOF_CLOSED') throw err
        dropped++
        droppedAction = a as UnknownAction
      }
    }
    const reportDropped = (a: UnknownAction) => {
      droppedAction = null
      report(
        new AofError(
          'AOF_CLOSED',
          `Action "${String(a.type)}" reached the reducers but was not logged: the log in ${log.dir} is closed (persist.close() was called), so this change will not be there after a restart. ${dropped} action(s) dropped so far (stats().droppedAfterClose).`,
        ),
      )
    }
    /** Logs the state of slices injected after creation that changed since last logged. */
    const appendLateSlices = (late: LazySlices) => {
      if (log.status === 'closed') return // the action's write reported it
      const state = storeState() as Record<string, unknown>
      for (const key of late.late) {
        if (skipApi && apiPaths.has(key)) continue
        const value = state[key]
        if (value === undefined || value === late.logged.get(key)) continue
        log.append({ type: SLICE_TYPE, payload: { [key]: value } })
        late.logged.set(key, value)
      }
    }
    return (action) => {
      if (!isPlain(action)) return next(action) // thunks, promises: never logged
      const a = action as UnknownAction
      const type = a.type
      if (
        type === REPLAY_TYPE ||
        type === INJECT_TYPE ||
        (checkApi && typeof type === 'string' && isApiAction(type, apiPaths)) ||
        (filter !== undefined && !filter(a))
      ) {
        return next(action)
      }
      if (dev && log.status !== 'closed') {
        const found = findUnserializable(a, {
          allowUndefinedProperties: true,
          ignoredPaths: IGNORED_PATHS,
        })
        if (found) {
          throw new AofError(
            'AOF_NOT_SERIALIZABLE',
            `Cannot log action "${String(type)}": ${found.reason} at ${found.path || 'the root'} would not survive JSON, so replaying the log would not rebuild this state. Nothing was reduced or written. Dispatch plain JSON values (e.g. a Date as an ISO string, a Map as an object), or leave the action out of the log with filter.`,
          )
        }
      }
      if (
        followable &&
        following.role === 'follower' &&
        log.status !== 'closed'
      ) {
        // Another tab writes the store: the action goes to it, which logs it in its order and
        // sends it back through subscribe, to be reduced then, in every tab in the same order.
        // Reducing it now too would apply it twice.
        log.append(a)
        return a
      }
      // withAof's reducer appends the action as the reducers return for it, so the log has
      // the reducers' order even when a subscriber dispatches while this one is announced, a
      // reducer that throws logs nothing, and a subscriber that throws after the state
      // changed leaves the action logged.
      const outer = reduction.writer
      reduction.writer = write
      let result: unknown
      try {
        result = next(action)
      } finally {
        reduction.writer = outer
        if (droppedAction !== null) reportDropped(droppedAction)
      }
      if (lazy !== null && lazy.late.size !== 0) appendLateSlices(lazy)
      return result
    }
  }
}

/** A plain object action (from any realm): the only kind that is logged. */
function isPlain(action: unknown): boolean {
  if (typeof action !== 'object' || action === null) return false
  const proto = Object.getPrototypeOf(action) as unknown
  return proto === Object.prototype || proto === null || isPlainObject(action)
}
