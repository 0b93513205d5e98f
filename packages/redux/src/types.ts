import type { AofOptions, AofStats } from '@aof-persist/core'
import type { Middleware, UnknownAction } from 'redux'

/**
 * Options of {@link aofPersist}: the core's options (named after redis.conf) plus what a Redux
 * store needs. The core's fields keep the documentation and defaults of `openAof`'s options.
 */
export interface AofPersistOptions<S = any> extends Omit<
  AofOptions<unknown>,
  'snapshot'
> {
  /**
   * Decides which plain actions are logged. Actions it rejects still reach the reducers but are
   * never written, so replay does not see them: use it with `partialize` to keep UI-only state
   * out of the files entirely.
   * @default every plain action is logged
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
   * start-up, before `createStore` / `configureStore` returns; the result is made durable as a
   * new base recording `version` before the store is handed out. Must not throw for a version
   * it can handle: a throw (or a missing `migrate`) is `AOF_MIGRATE_FAILED` and leaves the files
   * untouched.
   * @default none: a differing stored version is an error
   */
  migrate?: (state: unknown, storedVersion: number) => S
}

/** The middleware adds nothing to `dispatch`'s type (`{}` in redux's own typings). */
export type NoDispatchExtension = Record<never, never>

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
   * Compacts the log into one snapshot action of the current (partialized) state without
   * blocking the event loop. Actions dispatched while it runs are kept.
   */
  rewrite(): Promise<void>
  /**
   * Waits for a running rewrite, writes and fdatasyncs what is buffered, closes the files and
   * releases the directory lock. Logged actions dispatched afterwards throw `AOF_CLOSED`.
   */
  close(): Promise<void>
  /** Persistence counters, like Redis's `INFO persistence`. */
  stats(): AofStats
}
