import type { Aof } from '@aof-persist/core'
import type { AofPersistOptions } from './types.js'

/** The core's options that configure opening a directory: meaningless with a given `log`. */
const DIR_ONLY = [
  'fileName',
  'fsync',
  'autoRewritePercentage',
  'autoRewriteMinSize',
  'loadTruncated',
  'timestamps',
] as const

const KNOWN = new Set<string>([
  'dir',
  'log',
  'onError',
  'filter',
  'partialize',
  'version',
  'migrate',
  'apiSlices',
  ...DIR_ONLY,
])

const FILTERING =
  'partialize (what snapshots keep) with filter (which actions are logged)'

/** redux-persist's options (and a few of its engines'), with the aofPersist() way to the same end. */
const INSTEAD: Record<string, string> = {
  key: 'dir: the directory is the store, one directory per store',
  keyPrefix: 'fileName',
  storage:
    'dir (a directory aofPersist() opens) or log (a log you opened yourself)',
  whitelist: FILTERING,
  blacklist: FILTERING,
  transforms: `${FILTERING}, and migrate to reshape stored state`,
  throttle:
    'nothing: each action is one small append, written by the end of the event-loop turn; choose durability with fsync',
  debounce: 'nothing: each action is one small append; see fsync',
  timeout:
    'nothing: the state is replayed synchronously while the store is created, nothing to wait for',
  stateReconciler:
    'partialize: a snapshot is merged shallowly onto the initial state, so keys it leaves out keep their initial value',
  serialize:
    'nothing: records are JSON; dispatch JSON values (development builds name the path of any other value)',
  deserialize:
    'nothing: records are JSON; dispatch JSON values (development builds name the path of any other value)',
  writeFailHandler: 'onError',
  debug: 'stats()',
  getStoredState: 'replayLog(records, reducer), which rebuilds a state offline',
  manualPersist:
    'nothing: create the middleware (and the store) when persistence should start',
  snapshot:
    'nothing: the snapshots come from the store; with a log you opened, pass snapshot: () => persist.snapshot() to openAof',
}

/** The options, checked: misuse is a TypeError naming the option. */
export interface CheckedOptions<S> {
  options: AofPersistOptions<S>
  /** The app's own log, or null when aofPersist() opens `dir`. */
  log: Aof<unknown> | null
}

export function checkOptions<S>(
  options: AofPersistOptions<S>,
): CheckedOptions<S> {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(
      'aofPersist(options): options must be an object with a store directory { dir } or an open { log }',
    )
  }
  for (const name of Object.keys(options)) {
    if (KNOWN.has(name)) continue
    const instead = INSTEAD[name]
    throw new TypeError(
      instead
        ? `aofPersist(): option "${name}" is redux-persist's and does nothing here; instead use ${instead}.`
        : `aofPersist(): unknown option "${name}". The options are: ${[...KNOWN].join(', ')}.`,
    )
  }
  const o = options as AofPersistOptions<S> & Record<string, unknown>
  for (const name of ['filter', 'partialize', 'migrate', 'onError'] as const) {
    if (o[name] !== undefined && typeof o[name] !== 'function') {
      throw new TypeError(
        `aofPersist(): option "${name}" must be a function, got ${typeof o[name]}`,
      )
    }
  }
  const { version, apiSlices } = o
  if (
    version !== undefined &&
    !(Number.isSafeInteger(version) && version >= 0)
  ) {
    throw new TypeError(
      `aofPersist(): option "version" must be a non-negative integer, got ${String(version)}`,
    )
  }
  if (
    apiSlices !== undefined &&
    apiSlices !== 'skip' &&
    apiSlices !== 'persist'
  ) {
    throw new TypeError(
      `aofPersist(): option "apiSlices" must be 'skip' or 'persist', got ${String(apiSlices)}`,
    )
  }
  if (o.log === undefined) {
    if (typeof o.dir !== 'string') {
      throw new TypeError(
        `aofPersist(): option "dir" must be the store directory (a string), got ${typeof (o as { dir?: unknown }).dir}; or pass an open log as "log"`,
      )
    }
    return { options, log: null }
  }
  const log = o.log as Partial<Aof<unknown>> | null
  if (
    typeof log !== 'object' ||
    log === null ||
    typeof log.append !== 'function' ||
    typeof log.records !== 'function' ||
    typeof log.rewriteSync !== 'function'
  ) {
    throw new TypeError(
      'aofPersist(): option "log" must be an open log (what openAof() returns)',
    )
  }
  for (const name of ['dir', ...DIR_ONLY] as const) {
    if (o[name] !== undefined) {
      throw new TypeError(
        `aofPersist(): option "${name}" configures opening a directory and cannot be combined with "log"; set it where the log is opened (openAof({ ${name}, ... })).`,
      )
    }
  }
  return { options, log: log as Aof<unknown> }
}
