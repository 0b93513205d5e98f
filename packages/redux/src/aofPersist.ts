import { AofError, openAof, snapshotAction } from '@aof-persist/core'
import type { Aof } from '@aof-persist/core'
import { isPlainObject } from 'redux'
import type { Middleware, UnknownAction } from 'redux'
import { REPLAY_REQUEST, REPLAY_TYPE, inflight } from './replay.js'
import type { ReplayRequest } from './replay.js'
import { findUnloggable } from './serializable.js'
import type {
  AofPersistMiddleware,
  AofPersistOptions,
  NoDispatchExtension,
} from './types.js'

interface Entry {
  readonly action: UnknownAction
  reduced: boolean
  appended: boolean
}

/**
 * Creates the Redux middleware that persists a store as an append-only log of its actions.
 *
 * Opens (and locks) `options.dir` at once. When the middleware is applied, the store's state is
 * rebuilt from the log in one dispatch, so `createStore` / `configureStore` returns a store that
 * already holds it. From then on every plain action that reaches the reducers (and passes
 * `filter`) is appended after the reducers ran. Put it last among the middlewares
 * (`getDefaultMiddleware().concat(persist)`), so the actions it logs are the ones the reducers
 * see; the root reducer must be wrapped with {@link withAof}. One middleware per store.
 *
 * @throws {AofError} `AOF_LOCKED` and the core's load errors here; `AOF_SETUP`,
 * `AOF_MIGRATE_FAILED` and load errors when the store is created.
 * @example
 * const persist = aofPersist({ dir: './state', fsync: 'everysec' })
 * const store = createStore(withAof(rootReducer), applyMiddleware(thunk, persist))
 */
export function aofPersist<S = any>(
  options: AofPersistOptions<S>,
): AofPersistMiddleware<S> {
  const {
    filter,
    partialize,
    migrate,
    version = 0,
    ...coreOptions
  } = checkOptions(options)
  const persisted = (state: S): unknown =>
    partialize ? partialize(state) : state
  let getState: (() => S) | null = null
  const currentSnapshot = () => {
    if (!getState) {
      throw new AofError(
        'AOF_SETUP',
        'aofPersist(): the middleware is not applied to a store yet, so there is no state to snapshot.',
      )
    }
    return snapshotAction(persisted(getState()), version)
  }
  const aof: Aof<unknown> = openAof<unknown>({
    ...coreOptions,
    snapshot: currentSnapshot,
  })
  const dev = process.env.NODE_ENV !== 'production'
  let applied = false

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
      getState = api.getState
      return logging(aof, next, filter, dev)
    }
  }
  return Object.assign(apply, {
    flush: () => aof.flush(),
    rewrite: async () => aof.rewrite(currentSnapshot()),
    close: () => aof.close(),
    stats: () => aof.stats(),
  })

  /**
   * Rebuilds the store's state through `next`, the dispatch below this middleware. Any failure
   * releases the directory (closing writes nothing when nothing was appended), so the files
   * are as they were and the app may open them again.
   */
  function replay(
    next: (action: unknown) => unknown,
    storeState: () => S,
  ): void {
    const request: ReplayRequest = {
      records: aof.records(),
      version,
      migrate,
      dir: aof.dir,
      done: false,
      count: 0,
      storedVersion: 0,
      migrated: false,
    }
    try {
      next({ type: REPLAY_TYPE, [REPLAY_REQUEST]: request })
      if (!request.done) {
        throw new AofError(
          'AOF_SETUP',
          `aofPersist(): the root reducer is not wrapped with withAof(...), so the log in ${aof.dir} cannot be replayed into the store. Create the store with createStore(withAof(rootReducer), ...) or configureStore({ reducer: withAof(rootReducer) }). If it is wrapped, a middleware after aofPersist swallowed the replay: put aofPersist last (getDefaultMiddleware().concat(persist)).`,
        )
      }
      if (request.migrated) {
        // Durable before the store is handed out: a crash before this returns leaves the old
        // log, which is migrated again at the next start; after it, the migrated base.
        aof.rewriteSync(snapshotAction(persisted(storeState()), version))
      } else if (request.count === 0 && version !== 0) {
        // The first record of an empty log carries the state, so the log is self-contained
        // and records its version.
        aof.append(snapshotAction(persisted(storeState()), version))
      }
    } catch (err) {
      aof.closeSync()
      throw err
    }
  }
}

/**
 * The dispatch function of the middleware: appends every plain action (that `filter` keeps)
 * once the reducers ran for it, in the order the reducers ran.
 */
function logging(
  aof: Aof<unknown>,
  next: (action: unknown) => unknown,
  filter: ((action: UnknownAction) => boolean) | undefined,
  dev: boolean,
): (action: unknown) => unknown {
  // Actions below this middleware's call to next(): more than one when a subscriber dispatches
  // while the reducers' result is being announced.
  const stack: Entry[] = []
  const append = (entry: Entry) => {
    aof.append(entry.action)
    entry.appended = true
  }
  // A dispatch that arrives while another is in flight comes from a subscriber (this middleware
  // being last), after the reducers ran for the outer action: log the outer one first, so the
  // log keeps the order in which the reducers saw the actions.
  const appendReduced = () => {
    for (const entry of stack)
      if (entry.reduced && !entry.appended) append(entry)
  }
  return (action) => {
    if (!isPlainObject(action)) return next(action) // thunks, promises: never logged
    const a = action as UnknownAction
    if (a.type === REPLAY_TYPE || (filter && !filter(a))) {
      if (stack.length !== 0) appendReduced()
      return next(action)
    }
    if (aof.status === 'closed') {
      // Reducing without logging would let the state run ahead of the files.
      throw new AofError(
        'AOF_CLOSED',
        `Cannot dispatch "${String(a.type)}": the log in ${aof.dir} is closed (persist.close() was called), so the action could not be persisted. Nothing was reduced.`,
      )
    }
    if (dev) {
      const found = findUnloggable(a)
      if (found) {
        throw new AofError(
          'AOF_NOT_SERIALIZABLE',
          `Cannot log action "${String(a.type)}": ${found.reason} at ${found.path} would not survive JSON, so replaying the log would not rebuild this state. Nothing was reduced or written. Dispatch plain JSON values (e.g. a Date as an ISO string, a Map as an object), or leave the action out of the log with filter.`,
        )
      }
    }
    if (stack.length !== 0) appendReduced()
    const entry: Entry = { action: a, reduced: false, appended: false }
    const outer = inflight.get(a)
    inflight.set(a, entry)
    stack.push(entry)
    let result: unknown
    try {
      result = next(action)
    } catch (err) {
      // The reducers ran and a subscriber threw: the state changed, so the action is logged.
      if (entry.reduced && !entry.appended) append(entry)
      throw err
    } finally {
      stack.pop()
      if (outer) inflight.set(a, outer)
      else inflight.delete(a)
    }
    if (!entry.appended) append(entry)
    return result
  }
}

/** Misuse is a TypeError naming the option; the core checks its own options. */
function checkOptions<S>(options: AofPersistOptions<S>): AofPersistOptions<S> {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(
      'aofPersist(options): options must be an object with at least { dir }',
    )
  }
  for (const name of ['filter', 'partialize', 'migrate'] as const) {
    if (options[name] !== undefined && typeof options[name] !== 'function') {
      throw new TypeError(
        `aofPersist(): option "${name}" must be a function, got ${typeof options[name]}`,
      )
    }
  }
  const { version } = options
  if (
    version !== undefined &&
    !(Number.isSafeInteger(version) && version >= 0)
  ) {
    throw new TypeError(
      `aofPersist(): option "version" must be a non-negative integer, got ${String(version)}`,
    )
  }
  return options
}
