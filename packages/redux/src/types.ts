import type { Aof, AofError, AofOptions, AofStats } from '@aof-persist/core'
import type { Middleware, UnknownAction } from 'redux'

/** The options of {@link aofPersist} that every store has, whichever way the log is given. */
export interface AofPersistCommonOptions<S = any> {
  /**
   * Receives errors that happen off the caller's stack: the log's own (background writes,
   * fsyncs, rewrites) when `aofPersist` opened it, and the adapter's (an action dispatched after
   * `close()`, which reaches the reducers but is not logged: `AOF_CLOSED`).
   */
  onError?: (err: AofError) => void
  /**
   * Decides which plain actions are logged. Actions it rejects still reach the reducers but are
   * never written, so replay does not see them: use it with `partialize` to keep UI-only state
   * out of the files entirely.
   * @default every plain action is logged (but RTK Query's, see `apiSlices`)
   */
  filter?: (action: UnknownAction) => boolean
  /**
   * What a snapshot (a rewrite's base) keeps of the state. Top-level keys left out come back
   * from the store's initial state when the snapshot is replayed.
   * @default the whole state
   */
  partialize?: (state: S) => Partial<S>
  /**
   * The schema version of the persisted state, stored with every snapshot. A log that records
   * none is version 0. When the stored version differs, `migrate` runs at start-up.
   * @default 0
   */
  version?: number
  /**
   * Turns the state rebuilt from a log of another version into the current shape. Runs once at
   * start-up, before `createStore` / `configureStore` returns, and must return the new state
   * synchronously; the result is made durable as a new base recording `version` before the
   * store is handed out. A missing `migrate`, one that throws, returns `undefined` or returns a
   * Promise is `AOF_MIGRATE_FAILED`, and the files are left untouched.
   * @default none: a differing stored version is an error
   */
  migrate?: (state: unknown, storedVersion: number) => S
  /**
   * What is persisted of RTK Query api slices (found by their state: `state[reducerPath]` with
   * `config.reducerPath`). `'skip'`: their actions are not logged and their state is left out of
   * snapshots, so the cache, which the server owns, starts empty at every start, as redux-persist
   * users get by blacklisting the api reducer. `'persist'`: treated as any other slice.
   * @default 'skip'
   */
  apiSlices?: 'skip' | 'persist'
}

/** Options of {@link aofPersist} when it opens (and locks) the store directory itself. */
export interface AofPersistDirOptions<S = any>
  extends
    AofPersistCommonOptions<S>,
    Omit<AofOptions<unknown>, 'snapshot' | 'onError'> {
  log?: never
}

/**
 * Options of {@link aofPersist} with a log the app opened itself (`openAof`, or a log of another
 * storage): the adapter replays it, appends to it and closes it in `close()`. The options that
 * configure opening a directory do not apply.
 */
export interface AofPersistLogOptions<
  S = any,
> extends AofPersistCommonOptions<S> {
  /** An open log. `persist.close()` closes it; a failure at store creation leaves it open. */
  log: Aof<unknown>
  dir?: never
  fileName?: never
  fsync?: never
  autoRewritePercentage?: never
  autoRewriteMinSize?: never
  loadTruncated?: never
  timestamps?: never
}

/**
 * Options of {@link aofPersist}: a directory to open (`dir`, with the core's options named
 * after redis.conf) or an open `log`, plus what a Redux store needs.
 */
export type AofPersistOptions<S = any> =
  AofPersistDirOptions<S> | AofPersistLogOptions<S>

/** The middleware adds nothing to `dispatch`'s type (`{}` in redux's own typings). */
export type NoDispatchExtension = Record<never, never>

/** {@link AofPersistMiddleware.stats}: the log's counters and the adapter's. */
export interface AofPersistStats extends AofStats {
  /**
   * Actions that reached the reducers after the log was closed and were therefore not logged
   * (each was also reported to `onError` as `AOF_CLOSED`). They are not in the files.
   */
  droppedAfterClose: number
}

/**
 * The middleware {@link aofPersist} returns: a Redux middleware for one store, carrying the
 * log's controls.
 */
export interface AofPersistMiddleware<S = any> extends Middleware<
  NoDispatchExtension,
  S
> {
  /** Writes what is buffered and fdatasyncs now. */
  flush(): void
  /**
   * Resolves once every action logged before the call is on disk (fdatasync'd), under every
   * fsync policy: await it before telling a user "saved". Rejects with `AOF_IO` when the write
   * or fsync fails and with `AOF_CLOSED` after `close()`.
   */
  durable(): Promise<void>
  /**
   * Compacts the log into one snapshot action of the current (partialized) state without
   * blocking the event loop. Actions dispatched while it runs are kept.
   */
  rewrite(): Promise<void>
  /**
   * The snapshot action a rewrite would write now. With a `log` the app opened itself, pass
   * `snapshot: () => persist.snapshot()` to `openAof` so automatic rewrites have it.
   */
  snapshot(): unknown
  /**
   * Waits for a running rewrite, writes and fdatasyncs what is buffered, closes the files and
   * releases the directory lock. Actions dispatched afterwards still reach the reducers; they
   * are not logged, and are reported to `onError` and counted in `stats().droppedAfterClose`.
   */
  close(): Promise<void>
  /** Persistence counters, like Redis's `INFO persistence`. */
  stats(): AofPersistStats
}
