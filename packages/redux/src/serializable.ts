import { findUnserializable } from '@aof-persist/core'
import type { Unserializable } from '@aof-persist/core'

/** Splits a `findUnserializable` path (`payload.items[3]["a b"]`) into keys and indexes. */
function parsePath(path: string): (string | number)[] | null {
  const keys: (string | number)[] = []
  const token = /\.?([A-Za-z_$][\w$]*)|\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\]/y
  while (token.lastIndex < path.length) {
    const m = token.exec(path)
    if (!m) return null // a path this parser does not know: report the value as it is
    keys.push(
      m[1] ??
        (m[2] !== undefined ? Number(m[2]) : (JSON.parse(m[3]!) as string)),
    )
  }
  return keys
}

/** A copy of `value` without the object property at `keys`, copying only along the path. */
function without(value: unknown, keys: (string | number)[]): unknown {
  const [key, ...rest] = keys
  if (key === undefined) return value
  const container = value as Record<string | number, unknown>
  const copy = (Array.isArray(value) ? [...value] : { ...container }) as Record<
    string | number,
    unknown
  >
  if (rest.length === 0) delete copy[key]
  else copy[key] = without(container[key], rest)
  return copy
}

/**
 * The first value of an action that a JSON round trip would not reproduce, like the core's
 * `findUnserializable`, except that object properties holding `undefined` are allowed: JSON
 * drops them and reducers read a missing property as `undefined` too (Redux Toolkit's action
 * creators called without an argument carry `payload: undefined`). `undefined` in an array
 * still counts: it comes back as `null`.
 */
export function findUnloggable(action: unknown): Unserializable | null {
  let value = action
  for (;;) {
    const found = findUnserializable(value)
    if (!found || found.reason !== 'undefined' || found.path === '')
      return found
    const keys = parsePath(found.path)
    if (keys === null || typeof keys[keys.length - 1] === 'number') return found
    value = without(value, keys)
  }
}
