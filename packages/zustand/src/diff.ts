import type { Patch } from './patches.js'

type Path = (string | number)[]
type Obj = Record<string, unknown>

/** Most edits a single array diff looks for before it settles for a coarser patch. */
const MAX_EDITS = 128

// An object literal from any realm (its prototype is null or the end of its own chain).
const isPlainObject = (v: unknown): v is Obj => {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false
  const proto = Object.getPrototypeOf(v) as object | null
  return proto === null || Object.getPrototypeOf(proto) === null
}

// NaN is the one value not equal to itself; without this a NaN would be re-logged on every set.
const same = (a: unknown, b: unknown): boolean =>
  a === b || (a !== a && b !== b)

/**
 * The patches (immer's format) that turn `prev` into `next`. Subtrees that are the same
 * reference are skipped, so the cost follows what changed as long as updates keep the
 * references of what they did not change, as immutable updates do. Recurses into plain objects
 * and arrays; anything else (Date, Map, class instances, primitives) is replaced as a whole
 * when it is not the same value. Keys whose value is `undefined` count as absent, as in JSON.
 *
 * Arrays: the common prefix and suffix are skipped by reference; what remains is aligned with a
 * bounded Myers diff by reference, so an insert, a remove or a single moved item anywhere is
 * one or two patches, and changed items at the same place are diffed into each other (toggling
 * one todo is one `replace` of its `done`). Failing that (many scattered edits, a sort), items
 * are diffed by position, or the array is replaced when that is smaller.
 */
export function diff(
  prev: unknown,
  next: unknown,
  skipRootFunctions = false,
): Patch[] {
  const out: Patch[] = []
  if (skipRootFunctions && isPlainObject(prev) && isPlainObject(next)) {
    if (prev !== next) diffObject(prev, next, [], out, true)
  } else diffValue(prev, next, [], out)
  return out
}

function diffValue(a: unknown, b: unknown, path: Path, out: Patch[]): void {
  if (same(a, b)) return
  if (Array.isArray(a) && Array.isArray(b)) diffArray(a, b, path, out)
  else if (isPlainObject(a) && isPlainObject(b)) diffObject(a, b, path, out)
  else out.push({ op: 'replace', path: path.slice(), value: b })
}

/**
 * With `skipFunctions` (the root of a store's whole state, for the default `partialize`), keys
 * holding functions count as absent, without a copy of the state per set. Walks keys with
 * for...in: no array of keys is allocated per set.
 */
function diffObject(
  a: Obj,
  b: Obj,
  path: Path,
  out: Patch[],
  skipFunctions = false,
): void {
  for (const key in a) {
    if (!Object.hasOwn(a, key)) continue
    const av = a[key]
    if (av === undefined || (skipFunctions && typeof av === 'function'))
      continue
    const bv = Object.hasOwn(b, key) ? b[key] : undefined
    if (bv === undefined || (skipFunctions && typeof bv === 'function'))
      out.push({ op: 'remove', path: [...path, key] })
  }
  for (const key in b) {
    if (!Object.hasOwn(b, key)) continue
    const bv = b[key]
    if (bv === undefined || (skipFunctions && typeof bv === 'function'))
      continue
    let av = Object.hasOwn(a, key) ? a[key] : undefined
    if (skipFunctions && typeof av === 'function') av = undefined
    if (av === undefined) {
      out.push({ op: 'add', path: [...path, key], value: bv })
    } else if (!same(av, bv)) {
      path.push(key)
      diffValue(av, bv, path, out)
      path.pop()
    }
  }
}

function diffArray(a: unknown[], b: unknown[], path: Path, out: Patch[]): void {
  let start = 0
  const min = Math.min(a.length, b.length)
  while (start < min && same(a[start], b[start])) start++
  let end = 0
  while (
    end < min - start &&
    same(a[a.length - 1 - end], b[b.length - 1 - end])
  )
    end++
  const m = a.length - start - end
  const n = b.length - start - end

  const local: Patch[] = []
  // More patches than half the items: one `replace` of the whole array is smaller and simpler.
  const tooMany = () => local.length > 1 && 2 * local.length > b.length
  const at = (i: number) => [...path, i]

  if (m === 0 || n === 0) {
    // Remove from the back so every index is the item's index at the moment it is removed.
    for (let i = start + m - 1; i >= start; i--)
      local.push({ op: 'remove', path: at(i) })
    for (let i = start; i < start + n; i++)
      local.push({ op: 'add', path: at(i), value: b[i] })
  } else {
    const script = editScript(a, b, start, m, n)
    if (script) {
      emitScript(script, a, b, start, path, local)
    } else if (m === n) {
      for (let i = start; i < start + m && !tooMany(); i++) {
        path.push(i)
        diffValue(a[i], b[i], path, local)
        path.pop()
      }
    } else {
      out.push({ op: 'replace', path: path.slice(), value: b })
      return
    }
  }

  if (tooMany()) out.push({ op: 'replace', path: path.slice(), value: b })
  else for (const p of local) out.push(p)
}

// One step of an edit script: keep a[x] (it equals b[y]), delete a[x], or insert b[y].
const KEEP = 0
const DEL = 1
const INS = 2

/**
 * Myers' O((m+n)·D) shortest edit script between a[start, start+m) and b[start, start+n),
 * comparing by reference. Returns null when it needs more than MAX_EDITS edits or too much work,
 * so a large shuffle costs a bounded amount before the caller falls back.
 */
function editScript(
  a: unknown[],
  b: unknown[],
  start: number,
  m: number,
  n: number,
): Uint8Array | null {
  const max = Math.min(m + n, MAX_EDITS)
  const off = max + 1
  let v = new Int32Array(2 * max + 3)
  const trace: Int32Array[] = []
  let budget = 4 * (m + n) + MAX_EDITS * MAX_EDITS
  for (let d = 0; d <= max; d++) {
    trace.push(v)
    v = v.slice()
    for (let k = -d; k <= d; k += 2) {
      const down = k === -d || (k !== d && v[off + k - 1]! < v[off + k + 1]!)
      let x = down ? v[off + k + 1]! : v[off + k - 1]! + 1
      let y = x - k
      while (x < m && y < n && same(a[start + x], b[start + y])) {
        x++
        y++
        if (--budget < 0) return null
      }
      v[off + k] = x
      if (x >= m && y >= n) return backtrack(trace, m, n, off)
    }
    budget -= d
    if (budget < 0) return null
  }
  return null
}

function backtrack(
  trace: Int32Array[],
  m: number,
  n: number,
  off: number,
): Uint8Array {
  const ops: number[] = []
  let x = m
  let y = n
  for (let d = trace.length - 1; d >= 0; d--) {
    const v = trace[d]!
    const k = x - y
    const down = k === -d || (k !== d && v[off + k - 1]! < v[off + k + 1]!)
    const prevK = down ? k + 1 : k - 1
    const prevX = d === 0 ? 0 : v[off + prevK]!
    const prevY = d === 0 ? 0 : prevX - prevK
    while (x > prevX && y > prevY) {
      ops.push(KEEP)
      x--
      y--
    }
    if (d > 0) {
      ops.push(down ? INS : DEL)
      x = prevX
      y = prevY
    }
  }
  return Uint8Array.from(ops.reverse())
}

/**
 * Turns an edit script into patches. Each run of deletions and insertions between two kept items
 * replaces a[i, i+r) with b[j, j+s): the first min(r, s) pairs are diffed into each other (a
 * changed item stays in place), the rest are removed or added.
 */
function emitScript(
  script: Uint8Array,
  a: unknown[],
  b: unknown[],
  start: number,
  path: Path,
  out: Patch[],
): void {
  let ai = start
  let bi = start
  let idx = start // the index in the array as the patches so far have left it
  let s = 0
  while (s < script.length) {
    if (script[s] === KEEP) {
      ai++
      bi++
      idx++
      s++
      continue
    }
    let dels = 0
    let ins = 0
    for (; s < script.length && script[s] !== KEEP; s++) {
      if (script[s] === DEL) dels++
      else ins++
    }
    const pairs = Math.min(dels, ins)
    for (let p = 0; p < pairs; p++) {
      path.push(idx)
      diffValue(a[ai + p], b[bi + p], path, out)
      path.pop()
      idx++
    }
    for (let p = pairs; p < dels; p++)
      out.push({ op: 'remove', path: [...path, idx] })
    for (let p = pairs; p < ins; p++) {
      out.push({ op: 'add', path: [...path, idx], value: b[bi + p] })
      idx++
    }
    ai += dels
    bi += ins
  }
}
