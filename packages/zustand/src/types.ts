import type { AofOptions, AofStats } from '@aof-persist/core'
import type { StateCreator, StoreMutatorIdentifier } from 'zustand/vanilla'

/**
 * Options of {@link aof}. The core's options keep their meaning (see `AofOptions` of
 * `@aof-persist/core`); `partialize`, `merge`, `version` and `migrate` mean what they mean for
 * zustand's `persist`, except that `migrate` is synchronous and a failed migration never lets
 * the initial state replace what is on disk.
 */
export interface ZustandAofOptions<S, P = S> extends Pick<
  AofOptions,
  | 'dir'
  | 'fileName'
  | 'fsync'
  | 'autoRewritePercentage'
  | 'autoRewriteMinSize'
  | 'loadTruncated'
  | 'timestamps'
  | 'onError'
> {
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
   * initializer's state into the store's initial state.
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
   * store is returned. Without it, or when it throws, creating the store throws
   * `AOF_MIGRATE_FAILED` and the files are left untouched.
   * @default undefined (a log of another version is an error)
   */
  migrate?: (persistedState: unknown, version: number) => P
}

/** What {@link aof} adds to the store as `store.aof`. */
export interface AofStoreApi {
  /** Writes what is buffered and fdatasyncs now. */
  flush(): void
  /**
   * Compacts the log into one snapshot record of the persisted state (a background rewrite);
   * sets made while it runs are kept. Rejects with `AOF_REWRITE_IN_PROGRESS` when one runs.
   */
  rewrite(): Promise<void>
  /** Persistence counters of the log, like Redis's `INFO persistence`. */
  stats(): AofStats
  /**
   * Waits for a running rewrite, flushes, fdatasyncs and releases the directory's lock. A `set`
   * after it still changes the state in memory, then throws `AOF_CLOSED`.
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
