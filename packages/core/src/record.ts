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
 * Which adapter wrote a log. Recorded in the snapshot action's `meta.kind`, so an adapter can
 * refuse a store written by the other one before it writes anything.
 */
export type AofKind = 'redux' | 'zustand'

/**
 * The snapshot action: the whole (persisted) state as one record. `meta.version` records the
 * state's schema version so a later start can tell whether it must migrate; `meta.kind` names
 * the adapter that wrote it (absent in logs written by 0.1 or by the core alone).
 */
export interface SnapshotAction<S = unknown> {
  type: typeof SNAPSHOT_TYPE
  payload: S
  meta: { version: number; kind?: AofKind }
}

/** Builds the snapshot action for `state` at schema `version`, written by the adapter `kind`. */
export function snapshotAction<S>(
  state: S,
  version = 0,
  kind?: AofKind,
): SnapshotAction<S> {
  return {
    type: SNAPSHOT_TYPE,
    payload: state,
    meta: kind === undefined ? { version } : { version, kind },
  }
}

/** What {@link readSnapshot} found in a snapshot action. */
export interface SnapshotInfo {
  /** The state the snapshot carries. */
  payload: unknown
  /** `meta.version`, 0 when the record names none. */
  version: number
  /** `meta.kind` as written (any string, so an unknown writer can be named), null when absent. */
  kind: string | null
}

/**
 * Returns the snapshot carried by `record` with its version (0 when the record names none) and
 * the kind of log it belongs to, or null when `record` is not a snapshot action.
 */
export function readSnapshot(record: unknown): SnapshotInfo | null {
  if (typeof record !== 'object' || record === null) return null
  const r = record as {
    type?: unknown
    payload?: unknown
    meta?: { version?: unknown; kind?: unknown } | null
  }
  if (r.type !== SNAPSHOT_TYPE) return null
  const meta = typeof r.meta === 'object' && r.meta !== null ? r.meta : {}
  const v = meta.version
  return {
    payload: r.payload,
    version: typeof v === 'number' && Number.isInteger(v) ? v : 0,
    kind: typeof meta.kind === 'string' ? meta.kind : null,
  }
}

/** Where a value would not survive a JSON round trip, and why. */
export interface Unserializable {
  /** Path of the value from the root, e.g. `payload.items[3].due`; empty for the root itself. */
  path: string
  /** What the value is: `BigInt`, `function`, `symbol`, `undefined`, `NaN`, `Infinity`, `Map`, `Set`, `Date`, `class Foo`, `cycle`. */
  reason: string
}

/**
 * An object literal or `Object.create(null)`, from any realm (an iframe, a vm context, a worker's
 * structured clone): its prototype is null or the end of its own chain (that realm's
 * `Object.prototype`). A class instance has its class's prototype in between.
 */
const isPlainObject = (v: object): boolean => {
  const proto = Object.getPrototypeOf(v) as object | null
  return proto === null || Object.getPrototypeOf(proto) === null
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
    /**
     * Paths (in the notation of {@link Unserializable.path}, e.g. `meta.arg`) whose value is not
     * examined, nor anything below it. Redux Toolkit's own check skips `meta.arg` and
     * `meta.baseQueryMeta` of actions: values there are for middleware, not for reducers.
     * @default []
     */
    ignoredPaths?: readonly string[]
  } = {},
): Unserializable | null {
  const ancestors = new Set<object>()
  const ignored =
    options.ignoredPaths && options.ignoredPaths.length > 0
      ? new Set(options.ignoredPaths)
      : null
  const walk = (v: unknown, path: string): Unserializable | null => {
    if (ignored?.has(path)) return null
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

/**
 * The bytes of `s` in UTF-8, without allocating, counted as `TextEncoder` and Node's fs encode
 * it: a lone surrogate (possible in `appendJson`'s text) becomes U+FFFD, 3 bytes.
 */
export function utf8Length(s: string): number {
  let n = s.length
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c < 0x80) continue
    if (c < 0x800) n += 1
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1)
      if (d >= 0xdc00 && d <= 0xdfff) {
        n += 2 // a surrogate pair: 4 bytes for 2 units
        i++
      } else n += 2
    } else n += 2
  }
  return n
}
