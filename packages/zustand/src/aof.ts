import {
  AofError,
  findUnserializable,
  followFailed,
  migrateState,
  notify,
  openAof,
  snapshotAction,
} from '@aof-persist/core'
import type { Aof, FollowingLog } from '@aof-persist/core'
import type { StateCreator, StoreApi } from 'zustand/vanilla'
import { encodeValue, reviveValue } from './codec.js'
import { diff } from './diff.js'
import { checkOptions } from './options.js'
import type { Patch } from './patches.js'
import { applyRecords, replay } from './replayLog.js'
import type { AofMiddleware, AofStoreApi, ZustandAofOptions } from './types.js'

type AnyState = Record<string, unknown>

type AnySet = (...args: unknown[]) => unknown

const isObject = (v: unknown): v is AnyState =>
  typeof v === 'object' && v !== null

/**
 * Development checks run unless `NODE_ENV` is `'production'`, read as Redux Toolkit reads it:
 * guarded, since a browser page loaded without a bundler has no `process`.
 */
const isDevelopment = (): boolean =>
  !(
    typeof process !== 'undefined' &&
    typeof process.env === 'object' &&
    process.env.NODE_ENV === 'production'
  )

const withoutFunctions = (state: unknown): unknown => {
  if (!isObject(state) || Array.isArray(state)) return state
  const out: AnyState = {}
  for (const key of Object.keys(state)) {
    const v = state[key]
    if (typeof v === 'function') continue
    // "__proto__" is a key of the state, not the copy's prototype.
    if (key === '__proto__')
      Object.defineProperty(out, key, {
        value: v,
        enumerable: true,
        writable: true,
        configurable: true,
      })
    else out[key] = v
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

/** `todos[3].done` for a patch path, in the notation of `findUnserializable`. */
function pathText(path: readonly (string | number)[], inner: string): string {
  let out = ''
  for (const key of path)
    out +=
      typeof key === 'number'
        ? `[${key}]`
        : /^[A-Za-z_$][\w$]*$/.test(key)
          ? out
            ? `.${key}`
            : key
          : `[${JSON.stringify(key)}]`
  if (!inner) return out || 'the root'
  return inner.startsWith('[') || !out ? out + inner : `${out}.${inner}`
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
    const given = checkOptions(options)
    // With the default partialize the log follows the state itself, its top-level functions
    // left out by diff and by snapshots: no copy of the state per set.
    const ownPartialize = options.partialize === undefined
    const partialize = options.partialize ?? ((state: unknown) => state)
    /** The persisted state as JSON would hold it: without top-level functions by default. */
    const view = (p: unknown): unknown =>
      ownPartialize ? withoutFunctions(p) : p
    const merge = options.merge ?? shallowMerge
    const version = options.version ?? 0
    const { replacer, reviver, onError } = options
    // Without a replacer, a value JSON cannot hold would be changed silently on disk: refuse
    // it in development. With one, the app decides what its values become.
    const checkValues = !replacer && isDevelopment()

    // The persisted state exactly as the log replays it: the base of the next diff and the
    // snapshot of every rewrite. It is what was logged, not the store's current state, so a
    // rewrite never includes a change whose record will follow it (an `add` applied twice).
    let persisted: unknown
    let ready = false
    let dropped = 0

    const encode = (key: string, value: unknown): unknown =>
      replacer ? encodeValue(key, value, replacer) : value
    const currentSnapshot = () =>
      snapshotAction(encode('', view(persisted)), version, 'zustand')

    const log: Aof<unknown> =
      given ??
      openAof<unknown>({
        dir: options.dir!,
        fileName: options.fileName,
        fsync: options.fsync,
        autoRewritePercentage: options.autoRewritePercentage,
        autoRewriteMinSize: options.autoRewriteMinSize,
        loadTruncated: options.loadTruncated,
        timestamps: options.timestamps,
        onError,
        // Called by the core right after a new incr file starts, never inside one of our appends.
        snapshot: currentSnapshot,
      })
    // A log the app opened gets the store's snapshot for its automatic rewrites.
    if (given) given.setSnapshot(currentSnapshot)

    const following = log as Aof<unknown> & FollowingLog
    let unfollow: (() => void) | null = null
    /** A follower's top-level keys sent to the writer and not back yet: their JSON as sent. */
    const sent = new Map<string, string>()

    const report = (err: AofError) => notify(onError, err)

    /** The first value in `patches` that JSON would not give back, as an error; or null. */
    const unserializable = (
      patches: readonly Patch[],
      type: string,
    ): AofError | null => {
      for (const patch of patches) {
        if (!('value' in patch)) continue
        const found = findUnserializable(patch.value, {
          allowUndefinedProperties: true,
        })
        if (found)
          return notSerializable(
            type,
            pathText(patch.path, found.path),
            found.reason,
          )
      }
      return null
    }

    /** The record of a set: its name and patches, values through `replacer` when given. */
    const patchRecord = (type: string, patches: readonly Patch[]) => ({
      type,
      patches: replacer
        ? patches.map((p) =>
            'value' in p
              ? { ...p, value: encode(String(p.path.at(-1) ?? ''), p.value) }
              : p,
          )
        : patches,
    })

    /**
     * Logs the difference between the last logged state and the store's state. Runs after the
     * inner `set` returned (its listeners included), so a change made by a nested `set` inside a
     * listener is logged under the nested name. If the append throws, `persisted` stays: the
     * next successful record carries the change. `undo` puts the previous state back when the
     * change is refused.
     */
    const record = (action: unknown, undo: (() => void) | null): void => {
      // A follower's own changes are forwarded by its sets; its state is the log's otherwise.
      if (!ready || following.role === 'follower') return
      const next = partialize(api.getState())
      const patches = diff(persisted, next, ownPartialize)
      if (patches.length === 0) {
        persisted = next
        return
      }
      const type = nameOf(action)
      if (log.status === 'closed') {
        // Timers and listeners set state after an app's shutdown code ran: throwing here would
        // crash where nothing can catch it. The state moves on in memory, the files do not.
        dropped++
        persisted = next
        report(
          new AofError(
            'AOF_CLOSED',
            `The set "${type}" changed the state but was not logged: the log in ${log.dir} is closed (store.aof.close() was called), so this change will not be there after a restart. ${dropped} set(s) dropped so far (stats().droppedAfterClose).`,
          ),
        )
        return
      }
      if (checkValues) {
        const refused = unserializable(patches, type)
        if (refused) {
          undo?.()
          throw refused
        }
      }
      log.append(patchRecord(type, patches))
      persisted = next
    }

    /**
     * A follower's set: it stays applied here, and its change (against what the log holds) goes
     * to the tab that writes the store as whole top-level keys, which the writer logs after
     * whatever it logged meanwhile. The record comes back through subscribe and sets the same
     * values again; a record the writer logged before it overrides this tab's change until this
     * tab's own record follows. `persisted` moves only with the log.
     */
    const forward = (action: unknown): void => {
      if (!ready) return
      const next = partialize(api.getState())
      const patches = topLevel(diff(persisted, next, ownPartialize), next)
      if (patches.length === 0) return
      for (const p of patches)
        sent.set(
          String(p.path[0]),
          jsonOf((next as AnyState)[String(p.path[0])]),
        )
      const type = nameOf(action)
      if (checkValues) {
        const refused = unserializable(patches, type)
        if (refused) throw refused
      }
      log.append(patchRecord(type, patches))
    }

    const savedSetState = api.setState as AnySet
    // Plain functions forwarding `arguments`: whatever inner middlewares add after the name
    // passes through, with no array allocated per set.
    api.setState = function (this: unknown) {
      // eslint-disable-next-line prefer-rest-params
      const args = arguments as unknown as unknown[]
      const before = checkValues ? api.getState() : undefined
      const result = savedSetState.apply(this, args)
      if (following.role === 'follower') forward(args[2])
      else
        record(args[2], checkValues ? () => savedSetState(before, true) : null)
      return result
    } as typeof api.setState
    const loggedSet = function (this: unknown) {
      // eslint-disable-next-line prefer-rest-params
      const args = arguments as unknown as unknown[]
      const before = checkValues ? api.getState() : undefined
      const result = set.apply(this, args)
      if (following.role === 'follower') forward(args[2])
      else record(args[2], checkValues ? () => set(before, true) : null)
      return result
    } as AnySet
    api.aof = {
      // A change that reached the store without going through this middleware's set (an outer
      // middleware calling the original setState) is logged here at the latest.
      flush: () => {
        record(undefined, null)
        log.flush()
      },
      durable: () => {
        try {
          record(undefined, null)
        } catch (err) {
          return Promise.reject(err)
        }
        return log.durable()
      },
      rewrite: async () => {
        record(undefined, null)
        await log.rewrite(currentSnapshot())
      },
      snapshot: currentSnapshot,
      stats: () => ({ ...log.stats(), droppedAfterClose: dropped }),
      close: async () => {
        unfollow?.()
        if (log.status === 'open' && following.role !== 'follower')
          record(undefined, null)
        await log.close()
      },
    }

    try {
      const {
        state: stored,
        version: storedVersion,
        count,
      } = replay(log.records(), { reviver, dir: log.dir })
      const initialState = initializer(
        loggedSet as never,
        get as never,
        api as never,
      )
      api.getInitialState = () => initialState
      let state: unknown
      if (count === 0) {
        persisted = partialize(initialState)
        if (checkValues) {
          const found = findUnserializable(view(persisted), {
            allowUndefinedProperties: true,
          })
          if (found)
            throw notSerializable(
              'the initial state',
              pathText([], found.path),
              found.reason,
            )
        }
        // Self-contained log: the first record carries the whole persisted state and says it is
        // a Zustand log, so replay never needs this release's initial state or action code. It
        // is written as the base (as a rewrite would), so a large initial state is the growth
        // reference of automatic rewrites instead of triggering one at once.
        log.rewriteSync(currentSnapshot())
        state = initialState
      } else {
        persisted = stored
        if (storedVersion !== version) {
          persisted = migrateState({
            migrate: options.migrate,
            state: stored,
            storedVersion,
            version,
            dir: log.dir,
            caller: 'aof()',
          })
          // Durable before the store exists: a crash now must not replay the old version again
          // under the new code.
          log.rewriteSync(currentSnapshot())
        }
        // merge gets a copy: whatever it does to its arguments, `persisted` stays what the log
        // holds, and the next set logs how the store differs from it.
        state = merge(
          options.merge
            ? copyOf(view(persisted), replacer, reviver)
            : persisted,
          initialState,
        )
        // What the next set will log: a value JSON cannot hold is named now, not by a set
        // that did not bring it in.
        if (checkValues) {
          const found = findUnserializable(view(partialize(state)), {
            allowUndefinedProperties: true,
          })
          if (found)
            throw notSerializable(
              'the initial state',
              pathText([], found.path),
              found.reason,
            )
        }
      }
      ready = true
      if (typeof following.subscribe === 'function') {
        // Records another tab logged: applied to what the log holds and to the store, never
        // appended again.
        unfollow = following.subscribe((event) => {
          if (event.type === 'role') {
            // A follower that took over logs what it still holds of its own sets: records it
            // sent that the old writer never wrote are logged now.
            sent.clear()
            if (event.role === 'writer') record(undefined, null)
            return
          }
          try {
            if (event.type === 'records') {
              persisted = applyRecords(persisted, event.records, {
                reviver,
                dir: log.dir,
              })
              // A key whose last sent value is back in the log is this tab's again.
              for (const [key, json] of sent)
                if (jsonOf((persisted as AnyState)?.[key]) === json)
                  sent.delete(key)
            } else {
              sent.clear()
              persisted = replay(log.records(), { reviver, dir: log.dir }).state
            }
            const current = api.getState()
            const next = merge(
              options.merge
                ? copyOf(view(persisted), replacer, reviver)
                : persisted,
              current,
            )
            // Keys this tab changed and sent keep its value until its own record is back.
            if (sent.size !== 0 && isObject(next) && isObject(current))
              for (const key of sent.keys()) next[key] = current[key]
            savedSetState(next, true)
          } catch (err) {
            report(followFailed(err))
          }
        })
      }
      return state
    } catch (err) {
      // Release the lock of a directory we opened; nothing was written, so the files stay as
      // they were. A log the app gave stays open: it is the app's.
      if (!given) log.closeSync()
      throw err
    }
  }

/**
 * A follower's patches as whole top-level keys: the writer logs them after whatever it logged
 * meanwhile, and a patch deeper in (an index into an array) computed against this tab's state
 * might not apply to the log's. Setting or removing a top-level key always applies.
 */
function topLevel(patches: Patch[], next: unknown): Patch[] {
  if (patches.some((p) => p.path.length === 0) || !isObject(next))
    return patches
  const keys = new Set(patches.map((p) => String(p.path[0])))
  return [...keys].map((key) =>
    Object.hasOwn(next, key)
      ? { op: 'replace' as const, path: [key], value: next[key] }
      : { op: 'remove' as const, path: [key] },
  )
}

/** A value as the log holds it, to tell a follower's own record when it comes back. */
const jsonOf = (value: unknown): string => JSON.stringify(value) ?? ''

function notSerializable(type: string, path: string, reason: string): AofError {
  return new AofError(
    'AOF_NOT_SERIALIZABLE',
    `Cannot log "${type}": ${reason} at ${path} would not survive JSON, so the store would come back different after a restart. The change was undone and nothing was written. Store plain JSON values (a Date as an ISO string or a number, a Map as an object or an array of entries), leave the key out with partialize, or give aof() a replacer and a reviver that encode it.`,
  )
}

/** A deep copy of the persisted state, made as the log would give it back. */
function copyOf(
  value: unknown,
  replacer: ZustandAofOptions<unknown>['replacer'],
  reviver: ZustandAofOptions<unknown>['reviver'],
): unknown {
  if (value === undefined) return undefined
  const json = JSON.stringify(value, replacer)
  if (json === undefined) return undefined
  const parsed: unknown = JSON.parse(json)
  return reviver ? reviveValue('', parsed, reviver) : parsed
}

/**
 * Zustand middleware that persists the store in an append-only file (Redis's AOF), shaped like
 * zustand's `persist`. The store is created already holding the replayed state. Each `set` and
 * `setState` appends one record `{ type, patches }`: `type` is the third argument of `set` (a
 * string or an object's `type`, as zustand's devtools reads it; `'setState'` when none), and
 * `patches` (immer's format) hold only what changed in the persisted state, found by comparing
 * references. Rewrites compact the log into one snapshot record. Adds `store.aof`.
 *
 * @throws AofError at creation: `AOF_LOCKED`, `AOF_CORRUPT`, `AOF_WRONG_KIND`,
 *   `AOF_MIGRATE_FAILED`, ... (the files are left as they were)
 * @example
 * const store = createStore(aof((set) => ({
 *   todos: [] as Todo[],
 *   add: (todo: Todo) => set((s) => ({ todos: [...s.todos, todo] }), false, 'todos/add'),
 * }), { dir: './state' }))
 */
export const aof = aofImpl as unknown as AofMiddleware
