// RTK Query api slices, found by their state rather than by importing RTK Query: an api's reducer
// keeps `config.reducerPath` equal to the key it is mounted under, and every action of its own
// has a type starting with `${reducerPath}/` (or `__rtkq/` for focus and network events).

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null

/** True when `value`, found at `state[key]`, is the state of an RTK Query api slice. */
export function isApiSliceState(key: string, value: unknown): boolean {
  return (
    isObject(value) &&
    isObject(value.config) &&
    value.config.reducerPath === key &&
    isObject(value.queries) &&
    isObject(value.mutations)
  )
}

/** The top-level keys of `state` that hold RTK Query api slices. */
export function findApiSlices(state: unknown, into: Set<string>): void {
  if (!isObject(state) || Array.isArray(state)) return
  for (const key of Object.keys(state)) {
    if (isApiSliceState(key, state[key])) into.add(key)
  }
}

/** True for an action of one of the api slices `paths` (or RTK Query's shared events). */
export function isApiAction(type: string, paths: ReadonlySet<string>): boolean {
  const slash = type.indexOf('/')
  if (slash <= 0) return false
  const prefix = type.slice(0, slash)
  return prefix === '__rtkq' || paths.has(prefix)
}

/** `state` without the keys `paths` (a copy when one is there). */
export function withoutKeys(
  state: unknown,
  paths: ReadonlySet<string>,
): unknown {
  if (paths.size === 0 || !isObject(state) || Array.isArray(state)) return state
  let out: Record<string, unknown> | null = null
  for (const key of paths) {
    if (!(key in state)) continue
    out ??= { ...state }
    delete out[key]
  }
  return out ?? state
}
