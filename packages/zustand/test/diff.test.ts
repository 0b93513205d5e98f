import fc from 'fast-check'
import { applyPatches as immerApplyPatches, enablePatches } from 'immer'
import { describe, expect, it } from 'vitest'
import { diff } from '../src/diff.js'
import { applyPatches, type Patch } from '../src/patches.js'

enablePatches()

type Json = unknown
const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T
// What reaches the disk: the patches as JSON, parsed again at replay.
const viaDisk = (patches: Patch[]): Patch[] => clone(patches)

const todos = (n: number) =>
  Array.from({ length: n }, (_, i) => ({
    id: i,
    text: `todo ${i}`,
    done: false,
  }))

describe('diff', () => {
  it('returns no patches when nothing changed, even for new objects with the same content', () => {
    const s = { a: 1, b: { c: [1, 2, { d: 'x' }] }, n: null }
    expect(diff(s, s)).toEqual([])
    expect(diff(s, clone(s))).toEqual([])
  })

  it('toggling one todo among 100k is one tiny replace at its path', () => {
    const prev = { todos: todos(100_000), filter: 'all' }
    const next = {
      ...prev,
      todos: prev.todos.map((t, i) =>
        i === 54_321 ? { ...t, done: true } : t,
      ),
    }
    const patches = diff(prev, next)
    expect(patches).toEqual([
      { op: 'replace', path: ['todos', 54_321, 'done'], value: true },
    ])
    expect(JSON.stringify(patches).length).toBeLessThan(100)
  })

  it('a field beside a large unchanged array is one patch and never looks into the array', () => {
    const items = todos(100_000)
    const patches = diff({ items, count: 1 }, { items, count: 2 })
    expect(patches).toEqual([{ op: 'replace', path: ['count'], value: 2 }])
  })

  it('an insert anywhere in an array is one add patch', () => {
    const prev = todos(1000)
    for (const at of [0, 500, 1000]) {
      const item = { id: -1, text: 'new', done: false }
      const next = [...prev.slice(0, at), item, ...prev.slice(at)]
      expect(diff(prev, next)).toEqual([{ op: 'add', path: [at], value: item }])
    }
  })

  it('a remove anywhere in an array is one remove patch', () => {
    const prev = todos(1000)
    for (const at of [0, 500, 999]) {
      const next = prev.filter((_, i) => i !== at)
      expect(diff(prev, next)).toEqual([{ op: 'remove', path: [at] }])
    }
  })

  it('a single moved item is one remove and one add', () => {
    const prev = todos(1000)
    const next = [...prev]
    const [moved] = next.splice(10, 1)
    next.splice(900, 0, moved!)
    const patches = diff(prev, next)
    expect(patches).toHaveLength(2)
    expect(applyPatches(clone(prev), viaDisk(patches))).toEqual(next)
  })

  it('an insert and a toggle in one update are two patches', () => {
    const prev = todos(1000)
    const next = [{ id: -1, text: 'new', done: false }, ...prev]
    next[700] = { ...next[700]!, done: true }
    const patches = diff({ todos: prev }, { todos: next })
    expect(patches).toEqual([
      { op: 'add', path: ['todos', 0], value: next[0] },
      { op: 'replace', path: ['todos', 700, 'done'], value: true },
    ])
  })

  it('removing a run of items is one remove per item, from the back', () => {
    const prev = todos(1000)
    const next = [...prev.slice(0, 10), ...prev.slice(13)]
    const patches = diff(prev, next)
    expect(patches).toEqual(
      [12, 11, 10].map((i) => ({ op: 'remove', path: [i] })),
    )
    expect(applyPatches(clone(prev), viaDisk(patches))).toEqual(next)
  })

  it('clearing a large array is one replace, not one remove per item', () => {
    const patches = diff({ todos: todos(10_000) }, { todos: [] })
    expect(patches).toEqual([{ op: 'replace', path: ['todos'], value: [] }])
  })

  it('reversing an array replays exactly', () => {
    const prev = todos(500)
    const next = [...prev].reverse()
    expect(applyPatches(clone(prev), viaDisk(diff(prev, next)))).toEqual(next)
  })

  it('deleted keys and keys set to undefined become remove patches', () => {
    expect(diff({ a: 1, b: 2, c: 3 }, { a: 1, c: undefined })).toEqual([
      { op: 'remove', path: ['b'] },
      { op: 'remove', path: ['c'] },
    ])
    expect(diff({ a: 1 }, { a: 1, b: undefined })).toEqual([])
  })

  it('replaces values of a different kind whole, including the root', () => {
    expect(diff({ a: [1] }, { a: { 0: 1 } })).toEqual([
      { op: 'replace', path: ['a'], value: { 0: 1 } },
    ])
    expect(diff([1], 'x')).toEqual([{ op: 'replace', path: [], value: 'x' }])
    const d1 = new Date(0)
    const d2 = new Date(0)
    expect(diff({ d: d1 }, { d: d2 })).toEqual([
      { op: 'replace', path: ['d'], value: d2 },
    ])
  })

  it('does not log NaN again when it stays NaN', () => {
    expect(diff({ x: NaN }, { x: NaN })).toEqual([])
  })
})

describe('applyPatches', () => {
  it('mutates in place and returns the same root', () => {
    const state = { todos: [{ done: false }] }
    const out = applyPatches(state, [
      { op: 'replace', path: ['todos', 0, 'done'], value: true },
    ])
    expect(out).toBe(state)
    expect(state.todos[0]!.done).toBe(true)
  })

  it('sets a "__proto__" key as a plain key, never as the prototype', () => {
    const state: Record<string, unknown> = {}
    applyPatches(
      state,
      clone([{ op: 'add', path: ['__proto__'], value: { polluted: true } }]),
    )
    expect(Object.getPrototypeOf(state)).toBe(Object.prototype)
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
    expect(Object.keys(state)).toEqual(['__proto__'])
  })

  it('throws, naming the patch, when its path does not exist', () => {
    expect(() =>
      applyPatches({ a: 1 }, [{ op: 'replace', path: ['b', 'c'], value: 1 }]),
    ).toThrow(/replace at \["b","c"\]/)
    expect(() =>
      applyPatches({ a: [] }, [{ op: 'remove', path: ['a', 3] }]),
    ).toThrow(/out of range/)
    expect(() =>
      applyPatches({ a: [] }, [{ op: 'add', path: ['a', 'x'], value: 1 }]),
    ).toThrow(/not an array index/)
  })
})

// ---- property tests: random immutable edits, replayed from their patches ----

type Edit = {
  kind: number
  pick: number
  i: number
  j: number
  key: string
  value: Json
}

const keyArb = fc.constantFrom(
  'a',
  'b',
  'c',
  'done',
  'text',
  'items',
  '0',
  '__proto__',
)
const valueArb: fc.Arbitrary<Json> = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  fc.constantFrom(null, '', 0, 1, 'x', true),
  fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 6 }),
  fc.array(fc.record({ id: fc.nat(9), done: fc.boolean() }), { maxLength: 5 }),
)
const editArb: fc.Arbitrary<Edit> = fc.record({
  kind: fc.nat(17),
  pick: fc.nat(),
  i: fc.nat(),
  j: fc.nat(),
  key: keyArb,
  value: valueArb,
})
const stateArb = fc.record({
  // long enough that a few edits stay below the "replace the whole array" threshold
  todos: fc.array(
    fc.record({
      id: fc.nat(),
      text: fc.string({ maxLength: 4 }),
      done: fc.boolean(),
    }),
    { maxLength: 40 },
  ),
  nums: fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 40 }),
  meta: fc.jsonValue({ maxDepth: 3 }),
  nested: fc.record({
    deep: fc.record({
      list: fc.array(fc.string({ maxLength: 2 }), { maxLength: 6 }),
    }),
  }),
})

type Container = Record<string, Json> | Json[]
const isContainer = (v: Json): v is Container =>
  typeof v === 'object' && v !== null

function containerPaths(
  v: Json,
  path: (string | number)[] = [],
  out: (string | number)[][] = [],
) {
  if (!isContainer(v)) return out
  out.push(path)
  if (Array.isArray(v))
    v.forEach((x, i) => containerPaths(x, [...path, i], out))
  else for (const k of Object.keys(v)) containerPaths(v[k], [...path, k], out)
  return out
}

// Copies only the containers on `path`, like an immutable update: everything else keeps its reference.
function updateAt(
  root: Json,
  path: (string | number)[],
  fn: (c: Container) => Json,
): Json {
  if (path.length === 0)
    return fn(Array.isArray(root) ? [...root] : { ...(root as object) })
  const [head, ...rest] = path
  const copy = (
    Array.isArray(root) ? [...root] : { ...(root as object) }
  ) as Record<string | number, Json>
  copy[head!] = updateAt(copy[head!], rest, fn)
  return copy
}

function applyEdit(state: Json, e: Edit): Json {
  const paths = containerPaths(state)
  if (paths.length === 0) return e.value // the root became a primitive: replace it again
  const path = paths[e.pick % paths.length]!
  return updateAt(state, path, (c) => {
    if (Array.isArray(c)) {
      const n = c.length
      switch (e.kind % 9) {
        case 7: {
          // remove a run of items and insert a few in their place
          const at = e.i % (n + 1)
          c.splice(
            at,
            e.j % 5,
            ...Array.from({ length: e.j % 3 }, (_, k) => ({
              id: k,
              v: e.value,
            })),
          )
          return c
        }
        case 8:
          if (n) c[e.i % n] = { ...(c[e.i % n] as object), done: e.j % 2 === 0 }
          return c
        case 0:
          c.splice(e.i % (n + 1), 0, e.value)
          return c
        case 1:
          if (n) c.splice(e.i % n, 1)
          return c
        case 2: {
          if (n < 2) return c
          const [x] = c.splice(e.i % n, 1)
          c.splice(e.j % n, 0, x)
          return c
        }
        case 3:
          return c.reverse()
        case 4: {
          // a shuffle driven by the edit's numbers
          return c
            .map((x, k) => ({ x, r: (k * 7919 + e.i) % (e.j % 13 || 1) }))
            .sort((p, q) => p.r - q.r)
            .map((p) => p.x)
        }
        case 5:
          if (n) c[e.i % n] = e.value
          return c
        default:
          return e.value
      }
    }
    switch (e.kind % 4) {
      case 0:
        delete c[e.key]
        return c
      case 1:
      case 2:
        Object.defineProperty(c, e.key, {
          value: e.value,
          enumerable: true,
          writable: true,
          configurable: true,
        })
        return c
      default:
        return e.value
    }
  })
}

/** The shape of a patch: its op, what it targets, and for a replace what kind of value it sets. */
function shapeOf(p: Patch): string {
  const last = p.path[p.path.length - 1]
  const target =
    p.path.length === 0 ? 'root' : typeof last === 'number' ? 'index' : 'key'
  if (p.op !== 'replace') return `${p.op} ${target}`
  const kind = Array.isArray(p.value)
    ? 'array'
    : typeof p.value === 'object' && p.value !== null
      ? 'object'
      : 'primitive'
  return `replace ${target} with ${kind}`
}

/**
 * Every shape of patch diff emits (it never adds or removes the root): the property below must
 * meet each one, so both appliers are compared on all of them.
 */
const SHAPES = [
  'add index',
  'add key',
  'remove index',
  'remove key',
  'replace index with array',
  'replace index with object',
  'replace index with primitive',
  'replace key with array', // a whole array replaced (a shuffle, a clear)
  'replace key with object',
  'replace key with primitive',
  'replace root with array',
  'replace root with object',
  'replace root with primitive',
]

describe('diff + applyPatches (property)', () => {
  it('replaying the patches of random edits reproduces the state exactly, with our applier and with immer’s, for every shape of patch', () => {
    const seen = new Set<string>()
    fc.assert(
      fc.property(
        stateArb,
        fc.array(fc.array(editArb, { minLength: 1, maxLength: 3 }), {
          maxLength: 12,
        }),
        (initial, sets) => {
          let live: Json = initial
          let replayed: Json = clone(initial)
          let viaImmer: Json = clone(initial)
          for (const edits of sets) {
            let next = live
            for (const e of edits) next = applyEdit(next, e)
            const patches = viaDisk(diff(live, next))
            for (const p of patches) seen.add(shapeOf(p))
            replayed = applyPatches(replayed, patches)
            live = next
            expect(replayed).toEqual(clone(live))
            // The records are in immer's format: immer's own applyPatches agrees (it refuses
            // "__proto__" paths by design, so those runs check our applier only).
            if (!JSON.stringify(patches).includes('"__proto__"')) {
              viaImmer = immerApplyPatches(
                viaImmer as object,
                clone(patches) as never,
              )
              expect(viaImmer).toEqual(clone(live))
            } else viaImmer = clone(live)
          }
        },
      ),
      { numRuns: 400 },
    )
    expect([...seen].sort()).toEqual(SHAPES)
  })

  it('random arrays of small integers (many duplicates) replay exactly', () => {
    const arr = fc.array(fc.integer({ min: 0, max: 2 }), { maxLength: 40 })
    fc.assert(
      fc.property(arr, arr, (a, b) => {
        expect(applyPatches(clone(a), viaDisk(diff(a, b)))).toEqual(b)
      }),
      { numRuns: 1000 },
    )
  })
})
