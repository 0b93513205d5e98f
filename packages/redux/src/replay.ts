import {
  checkKind,
  readSnapshot,
  recordError,
  recordLocator,
  wrongKind,
} from '@aof-persist/core'
import { isPlainObject } from 'redux'
import type { Action } from 'redux'
import type { LazySlices } from './lazySlices.js'

/** The internal action that carries a replay request from the middleware to `withAof`. */
export const REPLAY_TYPE = '@@aof/REPLAY'

/** The action used to ask the inner reducers for their initial state. */
export const INIT_TYPE = '@@aof/INIT'

/** The internal action that hands a slice injected after creation the state the log holds. */
export const INJECT_TYPE = '@@aof/INJECT'

/**
 * The record that carries the state of slices injected after the store was created
 * (`{ type, payload: { [key]: state } }`): a replay sets those keys to it without running their
 * reducers, which may not be loaded yet.
 */
export const SLICE_TYPE = '@@aof/SLICE'

/**
 * The request rides under a registered symbol rather than in `payload`: the action stays JSON
 * (devtools, serializability checks) and a CJS `withAof` still finds an ESM middleware's request.
 */
export const REPLAY_REQUEST = Symbol.for('@aof-persist/redux/replay')

/** Filled in by `withAof` while it handles the replay action. */
export interface ReplayRequest {
  /** The logged records, in order (the core's `AofRecords`, which can say where each lies). */
  readonly records: Iterable<unknown>
  /** The store directory, for messages. */
  readonly dir: string
  /** The version the store expects. */
  readonly version: number
  /** The app's `migrate` option. */
  readonly migrate:
    ((state: unknown, storedVersion: number) => unknown) | undefined
  /** Set by `withAof`: a missing mark means the root reducer is not wrapped. */
  done: boolean
  /** Records replayed. */
  count: number
  /** `meta.version` of the last snapshot replayed, 0 when none. */
  storedVersion: number
  /** True when the rebuilt state went through `migrate`. */
  migrated: boolean
  /** The slices of a `combineSlices` root reducer that may arrive later, or null. */
  lazy: LazySlices | null
  /**
   * Records logged by another tab, for a log that follows one (`@aof-persist/browser`):
   * `'apply'` folds them onto the current state (they are of the store's version: no
   * migration); `'reset'` rebuilds the state from the whole log, from the initial state.
   * Absent at start-up.
   */
  follow?: 'apply' | 'reset'
}

/**
 * Where withAof's reducer hands an action once the reducers returned for it: set by the
 * aofPersist middleware (to its own append) while it passes an action on, taken (and cleared) by
 * the reducer, so the action is written as it is reduced: in the reducers' order whatever
 * subscribers dispatch while one is announced, never when a reducer throws, always once the
 * state changed. The reduction right after the middleware passes an action on is that action's:
 * the middleware is last and reducers cannot dispatch; the middleware puts back what was there
 * when its dispatch returns. Shared by every store of this module, like the reducers' call stack
 * it mirrors.
 */
export const reduction: { writer: ((action: Action) => void) | null } = {
  writer: null,
}

export type AnyReducer = (state: any, action: Action) => any

/** The state a snapshot replaces: `base` shallow-merged with the payload for object states. */
export function mergeSnapshot(base: unknown, payload: unknown): unknown {
  return isPlainObject(base) && isPlainObject(payload)
    ? { ...base, ...payload }
    : payload
}

const isPatch = (p: unknown): boolean =>
  isPlainObject(p) &&
  ((p as { op?: unknown }).op === 'add' ||
    (p as { op?: unknown }).op === 'replace' ||
    (p as { op?: unknown }).op === 'remove') &&
  Array.isArray((p as { path?: unknown }).path)

/**
 * True for a record of `@aof-persist/zustand`: exactly `{ type, patches }` with a non-empty
 * array of immer patches. A Redux action of exactly that shape is possible but unlikely; only
 * the first non-snapshot record of a log that records no kind is judged by it.
 */
export function isPatchRecord(record: unknown): boolean {
  if (!isPlainObject(record)) return false
  const r = record as { type?: unknown; patches?: unknown }
  return (
    typeof r.type === 'string' &&
    Array.isArray(r.patches) &&
    r.patches.length > 0 &&
    Object.keys(record as object).length === 2 &&
    r.patches.every(isPatch)
  )
}

/** How {@link fold} treats the records. */
export interface FoldOptions {
  /** The reducer the actions go through; null only checks the records (`aof check`). */
  reduce: AnyReducer | null
  /** The state a snapshot's payload is merged onto: the reducers' initial state. */
  base: () => unknown
  /** Keys of held slices (`combineSlices` roots): the keys the reducer produces now. */
  lazy: { slices: LazySlices; produced: ReadonlySet<string> } | null
  /** The store directory, for messages. */
  dir: string
}

/** What {@link fold} rebuilt. */
export interface Folded {
  state: unknown
  /** `meta.version` of the last snapshot, 0 when none. */
  version: number
  /** Records read. */
  count: number
  /** `meta.kind` of the first record, null for a log that records none. */
  kind: string | null
}

/**
 * Folds `records` through the reducer, from `start`, checking each record the way the adapter
 * reads it: a snapshot of another adapter is `AOF_WRONG_KIND`; a record that is not an action is
 * `AOF_CORRUPT`; a reducer that throws is `AOF_REPLAY_FAILED`; every one of them names the file
 * and line. A snapshot sets the state to `base()` merged with its payload, so keys a
 * `partialize` left out come from the initial state. A log without a kind whose first record
 * after its snapshots is a Zustand patch record is `AOF_WRONG_KIND` before any of it is reduced.
 */
export function fold(
  records: Iterable<unknown>,
  start: unknown,
  options: FoldOptions,
): Folded {
  const { reduce, base, lazy, dir } = options
  const at = recordLocator(records)
  let state = start
  let version = 0
  let count = 0
  let kind: string | null = null
  let judged = false // whether a log without a kind has shown an action yet
  for (const record of records) {
    count++
    const snapshot = readSnapshot(record)
    if (snapshot) {
      checkKind(snapshot.kind, 'redux', at(), count, dir)
      if (count === 1) {
        kind = snapshot.kind
        judged = kind !== null
      }
      state = mergeSnapshot(base(), snapshot.payload)
      if (lazy) state = holdUnknownKeys(state, lazy)
      version = snapshot.version
      continue
    }
    if (
      !isPlainObject(record) ||
      typeof (record as { type?: unknown }).type !== 'string'
    ) {
      throw recordError(
        'AOF_CORRUPT',
        at(),
        count,
        `it is not a Redux action (a plain object with a string "type"), so @aof-persist/redux cannot replay it. Nothing was written. Run "aof check ${dir}" for the whole store.`,
      )
    }
    if (!judged) {
      judged = true
      if (isPatchRecord(record)) {
        throw wrongKind(
          'zustand',
          'redux',
          at(),
          count,
          dir,
          'the log records no kind, and its first record after the snapshots is a { type, patches } record of @aof-persist/zustand',
        )
      }
    }
    const action = record as Action
    if (action.type === SLICE_TYPE) {
      state = setSlices(state, (record as { payload?: unknown }).payload, lazy)
      continue
    }
    if (!reduce) continue
    try {
      state = reduce(state, action)
    } catch (cause) {
      throw recordError(
        'AOF_REPLAY_FAILED',
        at(),
        count,
        `the reducer threw while replaying "${action.type}": ${messageOf(cause)}. The reducers must handle every action the log holds, as they did when it was dispatched. Nothing was written; fix the reducer, or inspect the record with "aof inspect ${dir}".`,
        cause,
      )
    }
  }
  return { state, version, count, kind }
}

/** Moves the keys of `state` that no reducer produces into the held slices. */
export function holdUnknownKeys(
  state: unknown,
  lazy: NonNullable<FoldOptions['lazy']>,
): unknown {
  if (!isPlainObject(state)) return state
  let out = state as Record<string, unknown>
  for (const key of Object.keys(out)) {
    if (lazy.produced.has(key)) continue
    if (out === state) out = { ...out }
    lazy.slices.held.set(key, out[key])
    delete out[key]
  }
  return out
}

/** A slice record: its keys take the logged state, or are held while no reducer has them. */
function setSlices(
  state: unknown,
  payload: unknown,
  lazy: FoldOptions['lazy'],
): unknown {
  if (!isPlainObject(payload) || !isPlainObject(state)) return state
  let out = state as Record<string, unknown>
  for (const [key, value] of Object.entries(payload as object)) {
    if (lazy && !lazy.produced.has(key)) {
      lazy.slices.held.set(key, value)
      continue
    }
    if (out === state) out = { ...out }
    out[key] = value
  }
  return out
}

function messageOf(cause: unknown): string {
  return cause instanceof Error ? cause.message : String(cause)
}
