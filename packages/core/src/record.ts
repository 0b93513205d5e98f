import { AofError } from './errors.js'

/**
 * The `#TS:<unix seconds>` annotation line (without its newline) that `timestamps: true`
 * writes before the first record of each second, as Redis's `aof-timestamp-enabled` does.
 */
export const timestampLine = (unixSeconds: number): string =>
  `#TS:${unixSeconds}`

/** Parses a `#TS:<unix seconds>` annotation; null for any other line. */
export function parseTimestamp(line: string): number | null {
  if (!line.startsWith('#TS:')) return null
  const digits = line.slice(4).trimEnd()
  return /^\d+$/.test(digits) ? Number(digits) : null
}

/** The `type` of the snapshot action a rewrite writes as the new base. */
export const SNAPSHOT_TYPE = '@@aof/SNAPSHOT'

/**
 * The snapshot action: the whole (persisted) state as one record. `meta.version` records the
 * state's schema version so a later start can tell whether it must migrate.
 */
export interface SnapshotAction<S = unknown> {
  type: typeof SNAPSHOT_TYPE
  payload: S
  meta: { version: number }
}

/** Builds the snapshot action for `state` at schema `version`. */
export function snapshotAction<S>(state: S, version = 0): SnapshotAction<S> {
  return { type: SNAPSHOT_TYPE, payload: state, meta: { version } }
}

/**
 * Returns the snapshot carried by `record` with its version (0 when the record names none),
 * or null when `record` is not a snapshot action.
 */
export function readSnapshot(
  record: unknown,
): { payload: unknown; version: number } | null {
  if (typeof record !== 'object' || record === null) return null
  const r = record as {
    type?: unknown
    payload?: unknown
    meta?: { version?: unknown }
  }
  if (r.type !== SNAPSHOT_TYPE) return null
  const v = r.meta?.version
  return {
    payload: r.payload,
    version: typeof v === 'number' && Number.isInteger(v) ? v : 0,
  }
}

/** Where a value would not survive a JSON round trip, and why. */
export interface Unserializable {
  /** Path of the value from the root, e.g. `payload.items[3].due`; empty for the root itself. */
  path: string
  /** What the value is: `BigInt`, `function`, `symbol`, `undefined`, `NaN`, `Infinity`, `Map`, `Set`, `Date`, `class Foo`, `cycle`. */
  reason: string
}

const isPlainObject = (v: object): boolean => {
  const proto = Object.getPrototypeOf(v) as unknown
  return proto === Object.prototype || proto === null
}

const describe = (v: unknown): string | null => {
  switch (typeof v) {
    case 'bigint':
      return 'BigInt'
    case 'function':
      return 'function'
    case 'symbol':
      return 'symbol'
    case 'undefined':
      return 'undefined'
    case 'number':
      return Number.isFinite(v) ? null : String(v)
    case 'object': {
      if (v === null || Array.isArray(v) || isPlainObject(v)) return null
      if (v instanceof Map) return 'Map'
      if (v instanceof Set) return 'Set'
      if (v instanceof Date) return 'Date'
      const name = (v as { constructor?: { name?: string } }).constructor?.name
      return name ? `class ${name}` : 'object with a prototype'
    }
    default:
      return null
  }
}

const childPath = (path: string, key: string | number): string =>
  typeof key === 'number'
    ? `${path}[${key}]`
    : /^[A-Za-z_$][\w$]*$/.test(key)
      ? path
        ? `${path}.${key}`
        : key
      : `${path}[${JSON.stringify(key)}]`

/**
 * Finds the first value in `value` whose JSON round trip would differ from the value itself:
 * BigInt and cycles (JSON.stringify throws), functions, symbols and `undefined` (dropped),
 * NaN and ±Infinity (become null), Map, Set, Date and class instances (lose their type).
 * Returns null when `value` round-trips exactly. Use it to reject such actions with a message
 * that names the path, before anything is written.
 */
export function findUnserializable(
  value: unknown,
  options: {
    /**
     * Accept object properties whose value is `undefined`: JSON drops them, so `{ payload:
     * undefined }` comes back as `{}`, which most code reads the same (Redux Toolkit's action
     * creators called without an argument make such actions). `undefined` in arrays is still
     * reported (it would come back as null).
     * @default false
     */
    allowUndefinedProperties?: boolean
  } = {},
): Unserializable | null {
  const ancestors = new Set<object>()
  const walk = (v: unknown, path: string): Unserializable | null => {
    const reason = describe(v)
    if (reason) return { path, reason }
    if (typeof v !== 'object' || v === null) return null
    if (ancestors.has(v)) return { path, reason: 'cycle' }
    ancestors.add(v)
    try {
      if (Array.isArray(v)) {
        for (let i = 0; i < v.length; i++) {
          const found = walk(v[i], childPath(path, i))
          if (found) return found
        }
      } else {
        for (const key of Object.keys(v)) {
          const child = (v as Record<string, unknown>)[key]
          if (child === undefined && options.allowUndefinedProperties) continue
          const found = walk(child, childPath(path, key))
          if (found) return found
        }
      }
      return null
    } finally {
      ancestors.delete(v)
    }
  }
  return walk(value, '')
}

/**
 * Serializes one record as a log line (JSON + newline). JSON text never holds a raw newline,
 * so one record is always exactly one line. Throws `AOF_NOT_SERIALIZABLE` for values JSON
 * cannot hold (cycles, BigInt, a top-level function or undefined); nothing is written then.
 */
export function encodeRecord(record: unknown): string {
  return encodeJson(record) + '\n'
}

/** {@link encodeRecord} without the newline. */
export function encodeJson(record: unknown): string {
  let json: string | undefined
  try {
    json = JSON.stringify(record)
  } catch (cause) {
    throw notSerializable(record, cause)
  }
  if (json === undefined) throw notSerializable(record, undefined)
  return json
}

function notSerializable(record: unknown, cause: unknown): AofError {
  // A value nested deeper than the stack allows makes JSON.stringify throw a RangeError, and
  // walking it to find the culprit would overflow too: say so instead.
  let found: Unserializable | null = null
  let deep = cause instanceof RangeError
  if (!deep) {
    try {
      found = findUnserializable(record)
    } catch (err) {
      if (!(err instanceof RangeError)) throw err
      deep = true
    }
  }
  const where = deep
    ? ' (nested too deeply for JSON.stringify)'
    : found
      ? ` (${found.reason} at ${found.path || 'the root'})`
      : ''
  const type = (record as { type?: unknown } | null)?.type
  const named = typeof type === 'string' ? ` "${type}"` : ''
  return new AofError(
    'AOF_NOT_SERIALIZABLE',
    `Cannot append record${named}: JSON cannot hold it${where}. Nothing was written; append plain JSON values only.`,
    { cause },
  )
}
