import { AofError } from './errors.js'

/** What {@link migrateState} needs to know. */
export interface MigrateStateOptions {
  /** The app's `migrate` option as given (checked to be a function or undefined by the adapter). */
  migrate: ((state: unknown, storedVersion: number) => unknown) | undefined
  /** The state rebuilt from the log, in the stored version's shape. */
  state: unknown
  /** The version the log records. */
  storedVersion: number
  /** The version the store expects. */
  version: number
  /** The store directory, for messages. */
  dir: string
  /** Who took the option, for messages: `'aofPersist()'`, `'aof()'`. */
  caller: string
}

const UNTOUCHED = 'Nothing was written: the files are as they were.'

const isThenable = (v: unknown): v is PromiseLike<unknown> =>
  (typeof v === 'object' || typeof v === 'function') &&
  v !== null &&
  typeof (v as { then?: unknown }).then === 'function'

/**
 * The migration guard both adapters use at start-up: runs the app's `migrate` on the state a log
 * of another version rebuilt, and returns what it returned. Start-up is synchronous and the
 * result becomes the log's new base at once, so anything but a synchronously returned state is
 * refused with `AOF_MIGRATE_FAILED` before a byte is written: no `migrate` for a version change,
 * one that throws, one that returns `undefined` (a forgotten `return`), and one that returns a
 * Promise or any other thenable (what redux-persist's `createMigrate` returns). A returned
 * promise gets a rejection handler first, so its later rejection can never become an unhandled
 * rejection (which ends a Node process by default) in an app that caught the error.
 */
export function migrateState(options: MigrateStateOptions): unknown {
  const { migrate, state, storedVersion, version, dir, caller } = options
  const call = `migrate(state, ${storedVersion})`
  if (migrate === undefined) {
    throw new AofError(
      'AOF_MIGRATE_FAILED',
      `The log in ${dir} holds state of version ${storedVersion} but the store expects version ${version}, and ${caller} has no migrate option. Pass migrate(state, storedVersion) that turns version ${storedVersion} into ${version}, or set version: ${storedVersion}. ${UNTOUCHED}`,
    )
  }
  let migrated: unknown
  try {
    migrated = migrate(state, storedVersion)
  } catch (cause) {
    throw new AofError(
      'AOF_MIGRATE_FAILED',
      `${call} threw while migrating the log in ${dir} to version ${version}: ${messageOf(cause)}. ${UNTOUCHED} Fix migrate and start again.`,
      { cause },
    )
  }
  if (isThenable(migrated)) {
    try {
      // Handled from here on: whatever it settles to, nobody else will look.
      migrated.then(undefined, () => {})
    } catch {
      // A thenable whose then() throws settles nothing; there is nothing left to handle.
    }
    throw new AofError(
      'AOF_MIGRATE_FAILED',
      `${call} returned a Promise (or another thenable) for the log in ${dir}. Migrations run while the store is created, which is synchronous: return the migrated state itself. redux-persist's createMigrate returns a Promise; run the same steps synchronously, for example a map of version → function applied in ascending order. ${UNTOUCHED}`,
    )
  }
  if (migrated === undefined) {
    throw new AofError(
      'AOF_MIGRATE_FAILED',
      `${call} returned undefined for the log in ${dir} (a missing return?). Return the state in the shape of version ${version}; return null explicitly if that is the state. ${UNTOUCHED}`,
    )
  }
  return migrated
}

function messageOf(cause: unknown): string {
  if (cause instanceof Error) return cause.message
  try {
    return String(cause)
  } catch {
    return 'a value that cannot be printed'
  }
}
