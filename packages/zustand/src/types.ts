import type { Aof, AofError, AofOptions, AofStats } from '@aof-persist/core'
import type { StateCreator, StoreMutatorIdentifier } from 'zustand/vanilla'

/** The options of {@link aof} that every store has, whichever way the log is given. */
export interface ZustandAofCommonOptions<S, P = S> {
  /**
   * Receives errors that happen off the caller's stack: the log's own (background writes,
   * fsyncs, rewrites) when `aof()` opened it, and the adapter's (a `set` after `close()`, which
   * changes the state but is not logged: `AOF_CLOSED`).
   */
  onError?: (err: AofError) => void
  /**
   * Picks the part of the state that is persisted. Keys it leaves out are neither logged nor
   * restored: they start from the initializer's state. Called after every `set`; return the
   * same references for what did not change (a plain projection does), since records are
   * computed by comparing references.
   * @default the state without its top-level functions
   */
  partialize?: (state: S) => P
  /**
   * Combines the persisted state (replayed from the log, migrated if needed) with the
   * initializer's state into the store's initial state. It receives a copy of the persisted
   * state: whatever it changes in its arguments, the log keeps what it holds, and the next
   * `set` logs how the store differs from it.
   * @default (persisted, current) => ({ ...current, ...persisted }), keeping current's functions
   */
  merge?: (persistedState: unknown, currentState: S) => S
  /**
   * The version of the persisted state's shape, stored with the log. When the log holds another
   * version, `migrate` turns its state into this one at start-up.
   * @default 0
   */
  version?: number
  /**
   * Turns a persisted state of an older `version` into the current shape. Synchronous: the store
   * is created holding the migrated state, which is made durable (as the new base) before the
   * store is returned. Without it, or when it throws, returns `undefined` or returns a Promise,
   * creating the store throws `AOF_MIGRATE_FAILED` and the files are left untouched.
   * @default undefined (a log of another version is an error)
   */
  migrate?: (persistedState: unknown, version: number) => P
  /**
   * Turns values JSON cannot hold into ones it can, as `JSON.stringify`'s replacer (what
   * zustand's `createJSONStorage` takes): called for every value that changed and each value
   * inside it, with its key, and for the snapshot of a rewrite. Pair it with `reviver`. Without
   * it, a Map, Set, Date, class instance or nested function in the persisted state is refused
   * in development (`AOF_NOT_SERIALIZABLE` naming the path).
   * @example (key, value) => value instanceof Map ? { dataType: 'Map', entries: [...value] } : value
   */
  replacer?: (this: unknown, key: string, value: unknown) => unknown
  /**
   * Rebuilds what `replacer` encoded, as `JSON.parse`'s reviver: called for every value the log
   * replays, innermost first.
   * @example (key, value) => value?.dataType === 'Map' ? new Map(value.entries) : value
   */
  reviver?: (this: unknown, key: string, value: unknown) => unknown
}

/** Options of {@link aof} when it opens (and locks) the store directory itself. */
export interface ZustandAofDirOptions<S, P = S>
  extends
    ZustandAofCommonOptions<S, P>,
    Pick<
      AofOptions,
      | 'dir'
      | 'fileName'
      | 'fsync'
      | 'autoRewritePercentage'
      | 'autoRewriteMinSize'
      | 'loadTruncated'
      | 'timestamps'
    > {
  log?: never
}

/**
 * Options of {@link aof} with a log the app opened itself (`openAof`, or a log of another
 * storage): the store replays it, appends to it, and `store.aof.close()` closes it.
 */
export interface ZustandAofLogOptions<S, P = S> extends ZustandAofCommonOptions<
  S,
  P
> {
  /** An open log. `store.aof.close()` closes it; a failure at creation leaves it open. */
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
 * Options of {@link aof}: a directory to open (`dir`, with the core's options named after
 * redis.conf) or an open `log`. `partialize`, `merge`, `version` and `migrate` mean what they
 * mean for zustand's `persist`, except that `migrate` is synchronous and a failed migration
 * never lets the initial state replace what is on disk.
 */
export type ZustandAofOptions<S, P = S> =
  ZustandAofDirOptions<S, P> | ZustandAofLogOptions<S, P>

/** {@link AofStoreApi.stats}: the log's counters and the adapter's. */
export interface AofStoreStats extends AofStats {
  /**
   * Sets that changed the persisted state after the log was closed and were therefore not
   * logged (each was also reported to `onError` as `AOF_CLOSED`). They are not in the files.
   */
  droppedAfterClose: number
}

/** What {@link aof} adds to the store as `store.aof`. */
export interface AofStoreApi {
  /** Writes what is buffered and fdatasyncs now. */
  flush(): void
  /**
   * Resolves once every set logged before the call is on disk (fdatasync'd), under every fsync
   * policy: await it before telling a user "saved". Rejects with `AOF_IO` when the write or
   * fsync fails and with `AOF_CLOSED` after `close()`.
   */
  durable(): Promise<void>
  /**
   * Compacts the log into one snapshot record of the persisted state (a background rewrite);
   * sets made while it runs are kept. Rejects with `AOF_REWRITE_IN_PROGRESS` when one runs.
   */
  rewrite(): Promise<void>
  /**
   * The snapshot record a rewrite would write now. With a `log` the app opened itself, pass
   * `snapshot: () => store.aof.snapshot()` to `openAof` so automatic rewrites have it.
   */
  snapshot(): unknown
  /** Persistence counters of the log, like Redis's `INFO persistence`. */
  stats(): AofStoreStats
  /**
   * Waits for a running rewrite, flushes, fdatasyncs and releases the directory's lock. A `set`
   * after it still changes the state in memory; it is not logged, and is reported to `onError`
   * and counted in `stats().droppedAfterClose`.
   */
  close(): Promise<void>
}

/** The name a `set` gives its change: a string, or an action object whose `type` is used. */
export type AofActionName =
  string | { type: string; [key: string | number | symbol]: unknown }

type Write<T, U> = Omit<T, keyof U> & U

// The first two parameters of setState (the update and `replace`), whatever inner middlewares
// appended after them.
type FirstTwo<T> = T extends [infer A, infer B, ...unknown[]]
  ? [A, B]
  : T extends [infer A, (infer B)?, ...unknown[]]
    ? [A, B?]
    : T extends [(infer A)?, (infer B)?, ...unknown[]]
      ? [A?, B?]
      : never

type StoreAof<S> = S extends {
  setState: {
    (...args: infer Sa1): infer Sr1
    (...args: infer Sa2): infer Sr2
  }
}
  ? {
      setState(...args: [...FirstTwo<Sa1>, action?: AofActionName]): Sr1
      setState(...args: [...FirstTwo<Sa2>, action?: AofActionName]): Sr2
      aof: AofStoreApi
    }
  : never

type WithAof<S> = Write<S, StoreAof<S>>

declare module 'zustand/vanilla' {
  // eslint-disable-next-line @typescript-eslint/no-unused-vars
  interface StoreMutators<S, A> {
    '@aof-persist/zustand': WithAof<S>
  }
}

/** The type of {@link aof}, written like zustand's own middlewares (see `StoreMutators`). */
export type AofMiddleware = <
  T,
  Mps extends [StoreMutatorIdentifier, unknown][] = [],
  Mcs extends [StoreMutatorIdentifier, unknown][] = [],
  P = T,
>(
  initializer: StateCreator<
    T,
    [...Mps, ['@aof-persist/zustand', unknown]],
    Mcs
  >,
  options: ZustandAofOptions<T, P>,
) => StateCreator<T, Mps, [['@aof-persist/zustand', P], ...Mcs]>
