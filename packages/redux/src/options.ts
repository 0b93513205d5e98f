import { checkOptionNames, givenLog, OPEN_OPTIONS } from '@aof-persist/core'
import type { Aof } from '@aof-persist/core'
import type { AofPersistOptions } from './types.js'

const KNOWN = new Set<string>([
  'dir',
  'log',
  'onError',
  'filter',
  'partialize',
  'version',
  'migrate',
  'apiSlices',
  ...OPEN_OPTIONS,
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
  checkOptionNames(options, {
    caller: 'aofPersist()',
    notAnObject:
      'aofPersist(options): options must be an object with a store directory { dir } or an open { log }',
    known: KNOWN,
    functions: ['filter', 'partialize', 'migrate', 'onError'],
    peer: "redux-persist's",
    instead: INSTEAD,
  })
  const { version, apiSlices } = options
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
  return { options, log: givenLog(options, 'aofPersist()') }
}
