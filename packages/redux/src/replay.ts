import { AofError, readSnapshot } from '@aof-persist/core'
import { isPlainObject } from 'redux'
import type { Action } from 'redux'

/** The internal action that carries a replay request from the middleware to `withAof`. */
export const REPLAY_TYPE = '@@aof/REPLAY'

/** The action used to ask the inner reducers for their initial state. */
export const INIT_TYPE = '@@aof/INIT'

/**
 * The request rides under a registered symbol rather than in `payload`: the action stays JSON
 * (devtools, serializability checks) and a CJS `withAof` still finds an ESM middleware's request.
 */
export const REPLAY_REQUEST = Symbol.for('@aof-persist/redux/replay')

/** Filled in by `withAof` while it handles the replay action. */
export interface ReplayRequest {
  /** The logged records, in order. */
  readonly records: Iterable<unknown>
  /** The version the store expects. */
  readonly version: number
  readonly migrate:
    ((state: unknown, storedVersion: number) => unknown) | undefined
  /** The store directory, for messages. */
  readonly dir: string
  /** Set by `withAof`: a missing mark means the root reducer is not wrapped. */
  done: boolean
  /** Records replayed. */
  count: number
  /** `meta.version` of the last snapshot replayed, 0 when none. */
  storedVersion: number
  /** True when the rebuilt state went through `migrate`. */
  migrated: boolean
}

/**
 * Actions the middleware has passed on and not finished yet. `withAof` marks an entry once the
 * inner reducers returned for it, so the middleware can tell a reducer that threw (log nothing)
 * from a subscriber that threw after the state changed (log it), and can log an action before
 * one that a subscriber dispatches while it is still in flight. Keyed by the action object:
 * shared by every store of this module, entries never outlive their dispatch.
 */
export const inflight = new Map<object, { reduced: boolean }>()

type AnyReducer = (state: any, action: Action) => any

/** The state a snapshot replaces: `base` shallow-merged with the payload for object states. */
export function mergeSnapshot(base: unknown, payload: unknown): unknown {
  return isPlainObject(base) && isPlainObject(payload)
    ? { ...base, ...payload }
    : payload
}

/**
 * Folds `records` through `inner`, from `start`. A snapshot record sets the state to `base()`
 * merged with its payload, so keys a `partialize` left out come from the initial state.
 */
export function fold(
  inner: AnyReducer,
  start: unknown,
  records: Iterable<unknown>,
  base: () => unknown,
): { state: unknown; version: number; count: number } {
  let state = start
  let version = 0
  let count = 0
  for (const record of records) {
    count++
    const snapshot = readSnapshot(record)
    if (snapshot) {
      state = mergeSnapshot(base(), snapshot.payload)
      version = snapshot.version
    } else if (
      isPlainObject(record) &&
      typeof (record as { type?: unknown }).type === 'string'
    ) {
      state = inner(state, record as Action)
    } else {
      throw new AofError(
        'AOF_CORRUPT',
        `Record ${count} of the log is not a Redux action (no string "type"). Run "aof check <dir>" to locate it.`,
      )
    }
  }
  return { state, version, count }
}

/** Runs the user's `migrate`, turning a missing or throwing one into `AOF_MIGRATE_FAILED`. */
export function migrateState(request: ReplayRequest, state: unknown): unknown {
  const { dir, version, storedVersion, migrate } = request
  if (!migrate) {
    throw new AofError(
      'AOF_MIGRATE_FAILED',
      `The log in ${dir} holds state of version ${storedVersion} but the store expects version ${version}, and aofPersist() has no migrate option. Pass migrate(state, storedVersion) to turn version ${storedVersion} into ${version}, or set version: ${storedVersion}. The files were not changed.`,
    )
  }
  try {
    return migrate(state, storedVersion)
  } catch (cause) {
    throw new AofError(
      'AOF_MIGRATE_FAILED',
      `migrate(state, ${storedVersion}) threw while migrating the log in ${dir} to version ${version}: ${String((cause as Error | undefined)?.message ?? cause)}. The files were not changed; fix migrate and start again.`,
      { cause },
    )
  }
}
