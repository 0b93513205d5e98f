/**
 * One change to a JSON value, in immer's patch format: `path` leads from the root through object
 * keys (strings) and array indices (numbers). On an array, `add` inserts at the index (shifting
 * later items), `remove` deletes the item at the index, `replace` overwrites it. On an object,
 * `add` and `replace` set the key and `remove` deletes it. An empty path means the root.
 */
export interface Patch {
  op: 'replace' | 'add' | 'remove'
  path: (string | number)[]
  value?: unknown
}

type Container = Record<string, unknown> | unknown[]

const describe = (patch: Patch): string =>
  `${patch.op} at ${JSON.stringify(patch.path)}`

const isContainer = (v: unknown): v is Container =>
  typeof v === 'object' && v !== null

// An array index from a path: numbers from our own diff, canonical digit strings from other
// writers of immer-format patches.
function toIndex(key: string | number, patch: Patch): number {
  const n =
    typeof key === 'number'
      ? key
      : /^(0|[1-9]\d*)$/.test(key)
        ? Number(key)
        : NaN
  if (!Number.isInteger(n) || n < 0) {
    throw new Error(
      `Patch ${describe(patch)}: "${String(key)}" is not an array index`,
    )
  }
  return n
}

// `obj.__proto__ = v` would change the prototype instead of setting a key; JSON.parse creates
// such keys as own data properties, and so must we.
function setKey(
  obj: Record<string, unknown>,
  key: string,
  value: unknown,
): void {
  if (key === '__proto__') {
    Object.defineProperty(obj, key, {
      value,
      writable: true,
      enumerable: true,
      configurable: true,
    })
  } else {
    obj[key] = value
  }
}

/**
 * Applies `patches` to `root` IN PLACE and returns the new root (a different value only when a
 * patch targets the root itself). Patch values are inserted by reference, so later patches may
 * change them too: the caller must own both `root` and the patches, as it does with values just
 * parsed from JSON. The cost is the size of the patches plus the array shifting they cause,
 * never a copy of the state. Throws an `Error` naming the patch when its path does not exist.
 */
export function applyPatches(
  root: unknown,
  patches: readonly Patch[],
): unknown {
  for (const patch of patches) {
    if (
      !isContainer(patch) ||
      !Array.isArray(patch.path) ||
      (patch.op !== 'replace' && patch.op !== 'add' && patch.op !== 'remove')
    ) {
      throw new Error(`Not a patch: ${JSON.stringify(patch)}`)
    }
    const { op, path } = patch
    if (path.length === 0) {
      root = op === 'remove' ? undefined : patch.value
      continue
    }
    let parent: unknown = root
    for (let i = 0; i < path.length - 1; i++) {
      if (!isContainer(parent)) break
      const key = path[i]!
      parent = Array.isArray(parent)
        ? parent[toIndex(key, patch)]
        : Object.hasOwn(parent, key)
          ? parent[key]
          : undefined
    }
    if (!isContainer(parent)) {
      throw new Error(
        `Patch ${describe(patch)}: the parent of the target is not an object or array`,
      )
    }
    const key = path[path.length - 1]!
    if (Array.isArray(parent)) {
      // JSON turns undefined inside arrays into null; do the same so replay matches a snapshot.
      const value = patch.value === undefined ? null : patch.value
      if (op === 'add' && key === '-') {
        parent.push(value)
        continue
      }
      if (op === 'replace' && key === 'length') {
        parent.length = toIndex(value as number, patch)
        continue
      }
      const index = toIndex(key, patch)
      const max = op === 'add' ? parent.length : parent.length - 1
      if (index > max) {
        throw new Error(
          `Patch ${describe(patch)}: index ${index} is out of range (length ${parent.length})`,
        )
      }
      if (op === 'add') parent.splice(index, 0, value)
      else if (op === 'remove') parent.splice(index, 1)
      else parent[index] = value
    } else {
      const name = String(key)
      // A missing value is how JSON writes `undefined`: the key is absent, as in a snapshot.
      if (op === 'remove' || patch.value === undefined) delete parent[name]
      else setKey(parent, name, patch.value)
    }
  }
  return root
}

/**
 * {@link applyPatches} without changing `root`: every object and array on a patched path is
 * copied first (once per call), so a state the store holds stays as it was and the result
 * shares everything else with it. Patch values are inserted by reference, as there.
 */
export function applyPatchesCopying(
  root: unknown,
  patches: readonly Patch[],
): unknown {
  const copies = new WeakSet<object>()
  const copy = <T extends Container>(c: T): T => {
    if (copies.has(c)) return c
    const out = (Array.isArray(c) ? c.slice() : { ...c }) as T
    copies.add(out)
    return out
  }
  for (const patch of patches) {
    const path =
      isContainer(patch) && Array.isArray(patch.path) ? patch.path : []
    if (path.length === 0 || !isContainer(root)) {
      root = applyPatches(root, [patch])
      continue
    }
    root = copy(root)
    let parent = root as Container
    for (let i = 0; i < path.length - 1; i++) {
      const key = path[i]!
      const child: unknown = Array.isArray(parent)
        ? parent[toIndex(key, patch)]
        : Object.hasOwn(parent, key)
          ? parent[key]
          : undefined
      if (!isContainer(child)) break
      const copied = copy(child)
      if (Array.isArray(parent)) parent[toIndex(key, patch)] = copied
      else setKey(parent, String(key), copied)
      parent = copied
    }
    root = applyPatches(root, [patch])
  }
  return root
}
