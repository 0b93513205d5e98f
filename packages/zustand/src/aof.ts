import { AofError, openAof, snapshotAction } from '@aof-persist/core'
import type { StateCreator, StoreApi } from 'zustand/vanilla'
import { diff } from './diff.js'
import { replay } from './replayLog.js'
import type { AofMiddleware, AofStoreApi, ZustandAofOptions } from './types.js'

type AnyState = Record<string, unknown>
type AnySet = (...args: unknown[]) => unknown

const isObject = (v: unknown): v is AnyState =>
  typeof v === 'object' && v !== null

const withoutFunctions = (state: unknown): unknown => {
  if (!isObject(state) || Array.isArray(state)) return state
  const out: AnyState = {}
  for (const key of Object.keys(state)) {
    const v = state[key]
    if (typeof v !== 'function')
      Object.defineProperty(out, key, {
        value: v,
        enumerable: true,
        writable: true,
        configurable: true,
      })
  }
  return out
}

const shallowMerge = (persisted: unknown, current: unknown): unknown => {
  if (!isObject(current)) return persisted
  const out: AnyState = {
    ...current,
    ...(isObject(persisted) ? persisted : {}),
  }
  // Functions always come from the code, never from disk.
  for (const key of Object.keys(current))
    if (typeof current[key] === 'function') out[key] = current[key]
  return out
}

const nameOf = (action: unknown): string =>
  typeof action === 'string'
    ? action
    : isObject(action) && typeof action.type === 'string'
      ? action.type
      : 'setState'

function checkOptions(o: ZustandAofOptions<unknown, unknown>): void {
  if (!isObject(o))
    throw new TypeError(
      'aof-persist: aof(initializer, options) needs an options object with "dir"',
    )
  for (const name of ['partialize', 'merge', 'migrate'] as const) {
    if (o[name] !== undefined && typeof o[name] !== 'function') {
      throw new TypeError(
        `aof-persist: option "${name}" must be a function, got ${typeof o[name]}`,
      )
    }
  }
  if (o.version !== undefined && !Number.isInteger(o.version)) {
    throw new TypeError(
      `aof-persist: option "version" must be an integer, got ${String(o.version)}`,
    )
  }
}

/** Runs `migrate`, turning a missing, throwing or asynchronous one into `AOF_MIGRATE_FAILED`. */
function migrateState(
  o: ZustandAofOptions<unknown, unknown>,
  dir: string,
  state: unknown,
  stored: number,
  version: number,
): unknown {
  const untouched = 'The files were not changed.'
  if (!o.migrate) {
    throw new AofError(
      'AOF_MIGRATE_FAILED',
      `The log in ${dir} holds state of version ${stored} but the store expects version ${version}, and aof() has no migrate option. Pass migrate(state, storedVersion) to turn version ${stored} into ${version}, or set version: ${stored}. ${untouched}`,
    )
  }
  let migrated: unknown
  try {
    migrated = o.migrate(state, stored)
  } catch (cause) {
    throw new AofError(
      'AOF_MIGRATE_FAILED',
      `migrate(state, ${stored}) threw while migrating the log in ${dir} to version ${version}: ${(cause as Error | undefined)?.message ?? String(cause)}. ${untouched} Fix migrate and start again.`,
      { cause },
    )
  }
  if (
    migrated === undefined ||
    typeof (migrated as PromiseLike<unknown> | null)?.then === 'function'
  ) {
    throw new AofError(
      'AOF_MIGRATE_FAILED',
      `migrate(state, ${stored}) returned ${migrated === undefined ? 'undefined' : 'a promise'} for the log in ${dir}; it must return the migrated state synchronously. ${untouched}`,
    )
  }
  return migrated
}

const aofImpl =
  (
    initializer: StateCreator<unknown>,
    options: ZustandAofOptions<unknown, unknown>,
  ) =>
  (
    set: AnySet,
    get: () => unknown,
    api: StoreApi<unknown> & { aof?: AofStoreApi },
  ): unknown => {
    checkOptions(options)
    const partialize = options.partialize ?? withoutFunctions
    const merge = options.merge ?? shallowMerge
    const version = options.version ?? 0

    // The persisted state exactly as the log replays it: the base of the next diff and the
    // snapshot of every rewrite. It is what was logged, not the store's current state, so a
    // rewrite never includes a change whose record will follow it (an `add` applied twice).
    let persisted: unknown
    let ready = false

    const log = openAof<unknown>({
      dir: options.dir,
      fileName: options.fileName,
      fsync: options.fsync,
      autoRewritePercentage: options.autoRewritePercentage,
      autoRewriteMinSize: options.autoRewriteMinSize,
      loadTruncated: options.loadTruncated,
      timestamps: options.timestamps,
      onError: options.onError,
      // Called by the core right after a new incr file starts, never inside one of our appends.
      snapshot: () => snapshotAction(persisted, version),
    })

    /**
     * Logs the difference between the last logged state and the store's state. Runs after the
     * inner `set` returned (its listeners included), so a change made by a nested `set` inside a
     * listener is logged under the nested name. If the append throws, `persisted` stays: the
     * next successful record carries the change.
     */
    const record = (action: unknown): void => {
      if (!ready) return
      const next = partialize(api.getState())
      const patches = diff(persisted, next)
      if (patches.length > 0) log.append({ type: nameOf(action), patches })
      persisted = next
    }

    const savedSetState = api.setState as AnySet
    api.setState = ((...args: unknown[]) => {
      const result = savedSetState(...args)
      record(args[2])
      return result
    }) as typeof api.setState
    const loggedSet: AnySet = (...args) => {
      const result = set(...args)
      record(args[2])
      return result
    }
    api.aof = {
      // A change that reached the store without going through this middleware's set (an outer
      // middleware calling the original setState) is logged here at the latest.
      flush: () => {
        record(undefined)
        log.flush()
      },
      rewrite: async () => {
        record(undefined)
        await log.rewrite(snapshotAction(persisted, version))
      },
      stats: () => log.stats(),
      close: async () => {
        if (log.status === 'open') record(undefined)
        await log.close()
      },
    }

    try {
      const {
        state: stored,
        version: storedVersion,
        count,
      } = replay(log.records())
      const initialState = initializer(
        loggedSet as never,
        get as never,
        api as never,
      )
      api.getInitialState = () => initialState
      let state: unknown
      if (count === 0) {
        // Self-contained log: the first record carries the whole persisted state, so replay
        // never needs this release's initial state or action code. It is written as the base
        // (as a rewrite would), so a large initial state is the growth reference of automatic
        // rewrites instead of triggering one at once.
        persisted = partialize(initialState)
        log.rewriteSync(snapshotAction(persisted, version))
        state = initialState
      } else {
        persisted = stored
        if (storedVersion !== version) {
          persisted = migrateState(
            options,
            log.dir,
            stored,
            storedVersion,
            version,
          )
          // Durable before the store exists: a crash now must not replay the old version again
          // under the new code.
          log.rewriteSync(snapshotAction(persisted, version))
        }
        state = merge(persisted, initialState)
      }
      ready = true
      return state
    } catch (err) {
      // Release the lock; nothing was written, so the files stay as they were.
      log.closeSync()
      throw err
    }
  }

/**
 * Zustand middleware that persists the store in an append-only file (Redis's AOF), shaped like
 * zustand's `persist`. The store is created already holding the replayed state. Each `set` and
 * `setState` appends one record `{ type, patches }`: `type` is the third argument of `set` (a
 * string or an object's `type`, as zustand's devtools reads it; `'setState'` when none), and
 * `patches` (immer's format) hold only what changed in the persisted state, found by comparing
 * references. Rewrites compact the log into one snapshot record. Adds `store.aof`.
 *
 * @throws AofError at creation: `AOF_LOCKED`, `AOF_CORRUPT`, `AOF_MIGRATE_FAILED`, ... (the
 *   files are left as they were)
 * @example
 * const store = createStore(aof((set) => ({
 *   todos: [] as Todo[],
 *   add: (todo: Todo) => set((s) => ({ todos: [...s.todos, todo] }), false, 'todos/add'),
 * }), { dir: './state' }))
 */
export const aof = aofImpl as unknown as AofMiddleware
