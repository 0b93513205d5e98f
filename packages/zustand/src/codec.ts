// The `replacer` / `reviver` options, applied where the core cannot: the core writes records with
// a plain JSON.stringify and reads them with a plain JSON.parse, so the adapter turns values into
// JSON before it appends them, and back after it reads them.

/** `JSON.stringify`'s replacer signature. */
export type Replacer = (this: unknown, key: string, value: unknown) => unknown
/** `JSON.parse`'s reviver signature. */
export type Reviver = (this: unknown, key: string, value: unknown) => unknown

/**
 * `value`, stored under `key`, as `JSON.stringify` with `replacer` would write it, parsed back:
 * plain JSON the core can write as it is. The replacer is called with the value's own key and,
 * as `this`, an object holding it there, so the usual `this[key] instanceof Date` test works.
 */
export function encodeValue(
  key: string,
  value: unknown,
  replacer: Replacer,
): unknown {
  const json = JSON.stringify({ [key]: value }, replacer)
  return json === undefined
    ? undefined
    : (JSON.parse(json) as Record<string, unknown>)[key]
}

/**
 * Runs `reviver` over a freshly parsed `value` stored under `key`, innermost values first, as
 * `JSON.parse` does (its InternalizeJSONProperty), and returns the result. Changes `value` in
 * place: it must be the caller's own (just read from the log).
 */
export function reviveValue(
  key: string,
  value: unknown,
  reviver: Reviver,
): unknown {
  return internalize({ [key]: value }, key, reviver)
}

function internalize(
  holder: Record<string, unknown>,
  key: string,
  reviver: Reviver,
): unknown {
  const value = holder[key]
  if (typeof value === 'object' && value !== null) {
    const obj = value as Record<string, unknown>
    const keys = Array.isArray(value)
      ? Array.from({ length: value.length }, (_, i) => String(i))
      : Object.keys(obj)
    for (const k of keys) {
      const revived = internalize(obj, k, reviver)
      if (revived === undefined) delete obj[k]
      // JSON.parse makes "__proto__" an own key; plain assignment would set the prototype.
      else if (k === '__proto__')
        Object.defineProperty(obj, k, {
          value: revived,
          writable: true,
          enumerable: true,
          configurable: true,
        })
      else obj[k] = revived
    }
  }
  return reviver.call(holder, key, value)
}
