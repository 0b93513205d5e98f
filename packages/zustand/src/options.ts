import type { Aof } from '@aof-persist/core'
import type { ZustandAofOptions } from './types.js'

/** The core's options that configure opening a directory: meaningless with a given `log`. */
const DIR_ONLY = [
  'fileName',
  'fsync',
  'autoRewritePercentage',
  'autoRewriteMinSize',
  'loadTruncated',
  'timestamps',
] as const

const FUNCTIONS = [
  'partialize',
  'merge',
  'migrate',
  'onError',
  'replacer',
  'reviver',
] as const

const KNOWN = new Set<string>([
  'dir',
  'log',
  'version',
  ...FUNCTIONS,
  ...DIR_ONLY,
])

const CODEC =
  'replacer and reviver (the JSON.stringify / JSON.parse signatures that createJSONStorage takes)'

/** zustand persist's options, with the aof() way to the same end. */
const INSTEAD: Record<string, string> = {
  name: 'dir: the directory is the store, one directory per store',
  storage: `dir (a directory aof() opens) or log (a log you opened yourself); for createJSONStorage's options, ${CODEC}`,
  getStorage:
    'dir (a directory aof() opens) or log (a log you opened yourself)',
  serialize: CODEC,
  deserialize: CODEC,
  onRehydrateStorage:
    'nothing: the store is hydrated when createStore() returns, so run that code right after it; a failed hydration throws from createStore() and writes nothing',
  skipHydration:
    'nothing: hydration happens inside createStore() and is synchronous; create the store when it should hold the persisted state',
  snapshot:
    'nothing: the snapshots come from the store; with a log you opened, pass snapshot: () => store.aof.snapshot() to openAof',
}

/** The options, checked: misuse is a TypeError naming the option. */
export function checkOptions(
  o: ZustandAofOptions<unknown, unknown>,
): Aof<unknown> | null {
  if (typeof o !== 'object' || o === null) {
    throw new TypeError(
      'aof(initializer, options): options must be an object with a store directory { dir } or an open { log }',
    )
  }
  for (const name of Object.keys(o)) {
    if (KNOWN.has(name)) continue
    const instead = INSTEAD[name]
    throw new TypeError(
      instead
        ? `aof(): option "${name}" is zustand persist's and does nothing here; instead use ${instead}.`
        : `aof(): unknown option "${name}". The options are: ${[...KNOWN].join(', ')}.`,
    )
  }
  for (const name of FUNCTIONS) {
    if (o[name] !== undefined && typeof o[name] !== 'function') {
      throw new TypeError(
        `aof(): option "${name}" must be a function, got ${typeof o[name]}`,
      )
    }
  }
  if (o.version !== undefined && !Number.isSafeInteger(o.version)) {
    throw new TypeError(
      `aof(): option "version" must be an integer, got ${String(o.version)}`,
    )
  }
  if (o.log === undefined) {
    if (typeof o.dir !== 'string') {
      throw new TypeError(
        `aof(): option "dir" must be the store directory (a string), got ${typeof (o as { dir?: unknown }).dir}; or pass an open log as "log"`,
      )
    }
    return null
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
      'aof(): option "log" must be an open log (what openAof() returns)',
    )
  }
  const given = o as unknown as Record<string, unknown>
  for (const name of ['dir', ...DIR_ONLY]) {
    if (given[name] !== undefined) {
      throw new TypeError(
        `aof(): option "${name}" configures opening a directory and cannot be combined with "log"; set it where the log is opened (openAof({ ${name}, ... })).`,
      )
    }
  }
  return log as Aof<unknown>
}
