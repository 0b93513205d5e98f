import { checkOptionNames, givenLog, OPEN_OPTIONS } from '@aof-persist/core'
import type { Aof } from '@aof-persist/core'
import type { ZustandAofOptions } from './types.js'

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
  ...OPEN_OPTIONS,
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
  checkOptionNames(o, {
    caller: 'aof()',
    notAnObject:
      'aof(initializer, options): options must be an object with a store directory { dir } or an open { log }',
    known: KNOWN,
    functions: FUNCTIONS,
    peer: "zustand persist's",
    instead: INSTEAD,
  })
  if (o.version !== undefined && !Number.isSafeInteger(o.version)) {
    throw new TypeError(
      `aof(): option "version" must be an integer, got ${String(o.version)}`,
    )
  }
  return givenLog(o, 'aof()')
}
