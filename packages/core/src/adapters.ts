// What the adapters (@aof-persist/redux, @aof-persist/zustand) share about their options and
// about logs that other tabs write into too (@aof-persist/browser): one copy here, so the two
// adapters check the same things with the same words.
import { AofError } from './errors.js'
import type { Aof } from './types.js'

/** The core's options that configure opening a directory: meaningless with a given `log`. */
export const OPEN_OPTIONS = [
  'fileName',
  'fsync',
  'autoRewritePercentage',
  'autoRewriteMinSize',
  'loadTruncated',
  'timestamps',
] as const

/** How an adapter's options are named and checked (see {@link checkOptionNames}). */
export interface AdapterOptionNames {
  /** The function as messages name it: `'aofPersist()'`, `'aof()'`. */
  caller: string
  /** The message when the options are not an object. */
  notAnObject: string
  /** Every option the adapter takes, in the order messages list them. */
  known: ReadonlySet<string>
  /** The options that must be functions when given. */
  functions: readonly string[]
  /** Whose options `instead` lists, as messages say it: `"redux-persist's"`. */
  peer: string
  /** The peer's options that do nothing here, with the adapter's way to the same end. */
  instead: Readonly<Record<string, string>>
}

/**
 * Checks that `options` is an object whose every option the adapter knows (a peer's option
 * gets the adapter's way to the same end) and whose function options are functions: a
 * `TypeError` naming the first that is not.
 */
export function checkOptionNames(
  options: unknown,
  names: AdapterOptionNames,
): void {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(names.notAnObject)
  }
  const { caller, known } = names
  for (const name of Object.keys(options)) {
    if (known.has(name)) continue
    const instead = names.instead[name]
    throw new TypeError(
      instead
        ? `${caller}: option "${name}" is ${names.peer} and does nothing here; instead use ${instead}.`
        : `${caller}: unknown option "${name}". The options are: ${[...known].join(', ')}.`,
    )
  }
  const o = options as Record<string, unknown>
  for (const name of names.functions) {
    if (o[name] !== undefined && typeof o[name] !== 'function') {
      throw new TypeError(
        `${caller}: option "${name}" must be a function, got ${typeof o[name]}`,
      )
    }
  }
}

/**
 * The open log an adapter was given (`options.log`), or null when it opens `options.dir`
 * itself. A `TypeError` when there is neither, when `log` is not a log, or when an option that
 * configures opening a directory comes with a log.
 */
export function givenLog(options: object, caller: string): Aof<unknown> | null {
  const o = options as Record<string, unknown>
  if (o.log === undefined) {
    if (typeof o.dir !== 'string') {
      throw new TypeError(
        `${caller}: option "dir" must be the store directory (a string), got ${typeof o.dir}; or pass an open log as "log"`,
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
      `${caller}: option "log" must be an open log (what openAof() returns)`,
    )
  }
  for (const name of ['dir', ...OPEN_OPTIONS]) {
    if (o[name] !== undefined) {
      throw new TypeError(
        `${caller}: option "${name}" configures opening a directory and cannot be combined with "log"; set it where the log is opened (openAof({ ${name}, ... })).`,
      )
    }
  }
  return log as Aof<unknown>
}

/** What a log that other tabs write into too tells its subscribers. */
export type FollowEvent =
  | { type: 'records'; records: unknown[] }
  | { type: 'reset' }
  | { type: 'role'; role: 'writer' | 'follower' }

/**
 * What a log that other tabs write into too (`@aof-persist/browser`'s `BrowserAof`) adds to
 * {@link Aof}: read by duck typing, so the adapters depend on the core only.
 */
export interface FollowingLog {
  /** `'follower'` while another tab writes the store. */
  readonly role?: 'writer' | 'follower'
  subscribe?(listener: (event: FollowEvent) => void): () => void
}

/** The error reported when records logged by another tab could not be applied to a store. */
export function followFailed(err: unknown): AofError {
  return err instanceof AofError
    ? err
    : new AofError(
        'AOF_REPLAY_FAILED',
        `Records logged by another tab could not be applied to this tab's store: ${(err as Error)?.message ?? String(err)}. Reload the page to rebuild it from the log.`,
        { cause: err },
      )
}
