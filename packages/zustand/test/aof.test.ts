import * as path from 'node:path'
import {
  isAofError,
  openAof,
  readAofEntries,
  snapshotAction,
  SNAPSHOT_TYPE,
} from '@aof-persist/core'
import type { AofError } from '@aof-persist/core'
import { aof, replayLog, type ZustandAofDirOptions } from '@aof-persist/zustand'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { createStore } from 'zustand/vanilla'
import { autoClose, filesIn, nextTurn, recordsIn, tempDir } from './helpers.js'

interface Todo {
  id: number
  text: string
  done: boolean
}
interface TodoState {
  todos: Todo[]
  filter: 'all' | 'open' | 'done'
  add: (text: string) => void
  toggle: (id: number) => void
  remove: (id: number) => void
}

const makeTodos = (n: number): Todo[] =>
  Array.from({ length: n }, (_, i) => ({
    id: i,
    text: `todo ${i}`,
    done: false,
  }))

function todoStore(
  dir: string,
  options: Partial<ZustandAofDirOptions<TodoState, unknown>> = {},
  initial: Todo[] = [],
) {
  return autoClose(
    createStore<TodoState>()(
      aof(
        (set) => ({
          todos: initial,
          filter: 'all',
          add: (text) =>
            set(
              (s) => ({
                todos: [...s.todos, { id: s.todos.length, text, done: false }],
              }),
              false,
              'todos/add',
            ),
          toggle: (id) =>
            set(
              (s) => ({
                todos: s.todos.map((t) =>
                  t.id === id ? { ...t, done: !t.done } : t,
                ),
              }),
              false,
              { type: 'todos/toggle', id },
            ),
          remove: (id) =>
            set(
              (s) => ({ todos: s.todos.filter((t) => t.id !== id) }),
              false,
              'todos/remove',
            ),
        }),
        { dir, ...options },
      ),
    ),
  )
}

const patchRecords = (dir: string) =>
  recordsIn(dir).filter(
    (r) => (r as { type: string }).type !== SNAPSHOT_TYPE,
  ) as { type: string; patches: unknown[] }[]

describe('aof: start-up', () => {
  it('creates the store already holding the replayed state, with the initializer’s functions', async () => {
    const dir = tempDir()
    const a = todoStore(dir)
    a.getState().add('milk')
    a.getState().add('eggs')
    a.getState().toggle(0)
    a.setState({ filter: 'done' })
    await a.aof.close()

    const b = todoStore(dir)
    expect(b.getState()).toMatchObject({
      filter: 'done',
      todos: [
        { id: 0, text: 'milk', done: true },
        { id: 1, text: 'eggs', done: false },
      ],
    })
    b.getState().add('bread')
    expect(b.getState().todos).toHaveLength(3)
    expect(b.getInitialState().todos).toEqual([]) // the initializer's state, as with persist
  })

  it('starts an empty log with a snapshot record of the persisted state and the version, as the base', async () => {
    const dir = tempDir()
    const store = todoStore(dir, { version: 3 }, makeTodos(2))
    // Durable before the store is returned, and the growth reference of automatic rewrites.
    expect(store.aof.stats().files.map((f) => f.type)).toEqual(['base', 'incr'])
    expect(store.aof.stats().baseSize).toBeGreaterThan(100)
    expect(recordsIn(dir)).toEqual([
      {
        type: SNAPSHOT_TYPE,
        payload: { todos: makeTodos(2), filter: 'all' },
        meta: { version: 3, kind: 'zustand' },
      },
    ])
    await store.aof.close()
  })

  it('replays old logs the same after a release changes the initial state (the log is self-contained)', async () => {
    const dir = tempDir()
    const v1 = todoStore(dir, {}, makeTodos(2))
    v1.getState().add('from v1')
    await v1.aof.close()

    // The next release ships other seed todos and a new key.
    const v2 = autoClose(
      createStore(
        aof(
          () => ({
            todos: [{ id: 99, text: 'new seed', done: true }],
            filter: 'open',
            theme: 'dark',
          }),
          { dir },
        ),
      ),
    )
    expect(v2.getState()).toEqual({
      todos: [...makeTodos(2), { id: 2, text: 'from v1', done: false }],
      filter: 'all',
      theme: 'dark',
    })
  })

  it('throws AOF_LOCKED while another store holds the directory', () => {
    const dir = tempDir()
    todoStore(dir)
    expect(() => todoStore(dir)).toThrow(
      expect.objectContaining({ code: 'AOF_LOCKED' }),
    )
  })

  it('rejects options of the wrong type with a TypeError naming the option', () => {
    const dir = tempDir()
    expect(() => todoStore(dir, { partialize: 'x' as never })).toThrow(
      /option "partialize"/,
    )
    expect(() => todoStore(dir, { version: 1.5 })).toThrow(/option "version"/)
    expect(() => todoStore(dir, { fsync: 'sometimes' as never })).toThrow(
      /option "fsync"/,
    )
  })
})

describe('aof: records', () => {
  it('logs each set as { type, patches }, named by the third argument of set', async () => {
    const dir = tempDir()
    const store = todoStore(dir)
    store.getState().add('milk') // a string name
    store.getState().toggle(0) // an action object: its type
    store.setState({ filter: 'open' }) // no name
    await store.aof.close()
    expect(patchRecords(dir)).toEqual([
      {
        type: 'todos/add',
        patches: [
          {
            op: 'add',
            path: ['todos', 0],
            value: { id: 0, text: 'milk', done: false },
          },
        ],
      },
      {
        type: 'todos/toggle',
        patches: [{ op: 'replace', path: ['todos', 0, 'done'], value: true }],
      },
      {
        type: 'setState',
        patches: [{ op: 'replace', path: ['filter'], value: 'open' }],
      },
    ])
  })

  it('logs nothing for a set that changes nothing persisted', async () => {
    const dir = tempDir()
    const store = todoStore(dir, { partialize: (s) => ({ todos: s.todos }) })
    store.setState({ filter: 'done' }) // not persisted
    store.setState((s) => ({ todos: s.todos })) // same reference
    store.setState({ todos: [] }) // a new but equal array
    expect(store.aof.stats().appended).toBe(0)
    await store.aof.close()
    expect(patchRecords(dir)).toEqual([])
  })

  it('toggling one of 100k todos appends one record well under 1 KB', async () => {
    const dir = tempDir()
    const store = todoStore(dir, {}, makeTodos(100_000))
    const before = store.aof.stats().currentSize
    store.getState().toggle(77_777)
    const bytes = store.aof.stats().currentSize - before
    expect(bytes).toBeGreaterThan(0)
    expect(bytes).toBeLessThan(200)
    await store.aof.close()
    expect(patchRecords(dir)).toEqual([
      {
        type: 'todos/toggle',
        patches: [
          { op: 'replace', path: ['todos', 77_777, 'done'], value: true },
        ],
      },
    ])
  })

  it('replays inserts, removes and reorders exactly after a restart', async () => {
    const dir = tempDir()
    const store = todoStore(dir, {}, makeTodos(50))
    const edits: ((t: Todo[]) => Todo[])[] = [
      (t) => [{ id: 100, text: 'first', done: false }, ...t], // insert at the head
      (t) => t.filter((_, i) => i !== 25), // remove in the middle
      (t) => [...t.slice(0, 10), ...t.slice(11, 30), t[10]!, ...t.slice(30)], // move one item
      (t) => [...t].reverse(), // reorder everything
      (t) => [...t].sort((a, b) => (a.id % 7) - (b.id % 7)), // a shuffle
      (t) => t.map((x, i) => (i % 9 === 0 ? { ...x, done: true } : x)), // scattered toggles
      (t) => [
        ...t.slice(0, 5),
        { id: 200, text: 'mid', done: true },
        ...t.slice(8),
      ], // replace a run
    ]
    for (const edit of edits) store.setState((s) => ({ todos: edit(s.todos) }))
    const expected = structuredClone(store.getState().todos)
    await store.aof.close()
    expect(todoStore(dir).getState().todos).toEqual(expected)
  })

  it('replays random sequences of sets exactly (property, through real stores)', async () => {
    const edit = fc.record({
      kind: fc.nat(5),
      i: fc.nat(),
      j: fc.nat(),
      v: fc.oneof(fc.string(), fc.integer(), fc.constant(null)),
    })
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(edit, { maxLength: 3 }), { maxLength: 15 }),
        async (sets) => {
          const dir = tempDir()
          type S = {
            list: { k: number; v: unknown }[]
            obj: Record<string, unknown>
          }
          const make = () =>
            autoClose(
              createStore<S>()(aof((_set) => ({ list: [], obj: {} }), { dir })),
            )
          const store = make()
          for (const edits of sets) {
            store.setState((s) => {
              let { list, obj } = s
              for (const e of edits) {
                const n = list.length
                if (e.kind === 0)
                  list = [
                    ...list.slice(0, e.i % (n + 1)),
                    { k: e.j, v: e.v },
                    ...list.slice(e.i % (n + 1)),
                  ]
                else if (e.kind === 1 && n)
                  list = list.filter((_, x) => x !== e.i % n)
                else if (e.kind === 2 && n)
                  list = list.map((x, y) =>
                    y === e.i % n ? { ...x, v: e.v } : x,
                  )
                else if (e.kind === 3)
                  list = [...list].sort(
                    (a, b) => ((a.k * e.i) % 5) - ((b.k * e.i) % 5),
                  )
                else if (e.kind === 4) obj = { ...obj, [`k${e.i % 4}`]: e.v }
                else {
                  const { [`k${e.i % 4}`]: _, ...rest } = obj
                  obj = rest
                }
              }
              return { list, obj }
            }, false)
          }
          const expected = JSON.parse(JSON.stringify(store.getState()))
          await store.aof.close()
          const again = make()
          expect(again.getState()).toEqual(expected)
          await again.aof.close()
        },
      ),
      { numRuns: 40 },
    )
  })

  it('logs a change made around the middleware at the next flush at the latest', async () => {
    const dir = tempDir()
    let rawSet: ((p: Partial<TodoState>) => void) | undefined
    // An outer middleware that keeps the original setState, as devtools' time travel does.
    const outer =
      (fn: typeof inner) => (set: never, get: never, api: never) => {
        rawSet = set
        return fn(set, get, api)
      }
    const inner = aof<{ n: number }>(() => ({ n: 0 }), { dir })
    const store = autoClose(createStore(outer(inner) as typeof inner))
    rawSet!({ n: 5 } as never)
    expect(store.getState().n).toBe(5)
    store.aof.flush()
    await store.aof.close()
    expect(
      autoClose(createStore(aof(() => ({ n: 0 }), { dir }))).getState().n,
    ).toBe(5)
  })

  it('after close() a set still changes the state, is not logged, and is reported to onError and stats()', async () => {
    const dir = tempDir()
    const errors: AofError[] = []
    const store = todoStore(dir, { onError: (err) => errors.push(err) })
    store.getState().add('before')
    await store.aof.close()
    const files = filesIn(dir)
    expect(() => store.getState().add('late')).not.toThrow()
    expect(() => store.setState({ filter: 'done' })).not.toThrow()
    store.setState({}) // changes nothing persisted: nothing to report
    expect(store.getState().todos.map((t) => t.text)).toEqual([
      'before',
      'late',
    ])
    expect(errors.map((e) => e.code)).toEqual(['AOF_CLOSED', 'AOF_CLOSED'])
    expect(errors[0]!.message).toMatch(/"todos\/add".*not logged/)
    expect(store.aof.stats().droppedAfterClose).toBe(2)
    expect(filesIn(dir)).toEqual(files)
    const again = todoStore(dir)
    expect(again.getState().todos.map((t) => t.text)).toEqual(['before'])
  })

  it('throws AOF_NOT_SERIALIZABLE from a set whose change JSON cannot hold, and logs it once fixed', async () => {
    const dir = tempDir()
    const store = autoClose(
      createStore<{ n: unknown }>()(aof((_set) => ({ n: 0 }), { dir })),
    )
    expect(() => store.setState({ n: 1n })).toThrow(
      expect.objectContaining({ code: 'AOF_NOT_SERIALIZABLE' }),
    )
    store.setState({ n: 2 })
    await store.aof.close()
    expect(
      autoClose(createStore(aof(() => ({ n: 0 }), { dir }))).getState().n,
    ).toBe(2)
  })
})

describe('aof: partialize and merge', () => {
  it('neither logs nor restores the keys partialize leaves out', async () => {
    const dir = tempDir()
    const store = todoStore(dir, { partialize: (s) => ({ todos: s.todos }) })
    store.getState().add('milk')
    store.setState({ filter: 'done' })
    await store.aof.close()
    expect(JSON.stringify(recordsIn(dir))).not.toContain('filter')
    const again = todoStore(dir, { partialize: (s) => ({ todos: s.todos }) })
    expect(again.getState().filter).toBe('all')
    expect(again.getState().todos).toEqual([
      { id: 0, text: 'milk', done: false },
    ])
  })

  it('merges shallowly by default: persisted keys win, new initializer keys and functions stay', async () => {
    const dir = tempDir()
    const a = autoClose(
      createStore(aof(() => ({ prefs: { a: 1, b: 2 }, n: 1 }), { dir })),
    )
    a.setState({ prefs: { a: 5, b: 2 } })
    await a.aof.close()
    const b = autoClose(
      createStore(
        aof(
          () => ({
            prefs: { a: 0, b: 0, c: 0 },
            n: 0,
            extra: true,
            inc: () => {},
          }),
          { dir },
        ),
      ),
    )
    expect(b.getState()).toMatchObject({
      prefs: { a: 5, b: 2 },
      n: 1,
      extra: true,
    })
    expect(typeof b.getState().inc).toBe('function')
  })

  it('never takes a function key from disk, even when the log has data under that name', async () => {
    const dir = tempDir()
    const a = autoClose(
      createStore(aof(() => ({ inc: 1 as unknown }), { dir })),
    )
    await a.aof.close()
    const b = autoClose(createStore(aof(() => ({ inc: () => 42 }), { dir })))
    expect(b.getState().inc()).toBe(42)
  })

  it('passes the persisted and the current state to a custom merge', async () => {
    const dir = tempDir()
    const a = autoClose(
      createStore(
        aof(() => ({ prefs: { a: 1 } as Record<string, number> }), { dir }),
      ),
    )
    a.setState({ prefs: { a: 2 } })
    await a.aof.close()
    let seen: unknown[] = []
    const b = autoClose(
      createStore(
        aof(() => ({ prefs: { a: 0, z: 9 } as Record<string, number> }), {
          dir,
          merge: (persisted, current) => {
            seen = [persisted, current]
            const p = persisted as typeof current
            return { ...current, prefs: { ...current.prefs, ...p.prefs } }
          },
        }),
      ),
    )
    expect(seen).toEqual([{ prefs: { a: 2 } }, { prefs: { a: 0, z: 9 } }])
    expect(b.getState().prefs).toEqual({ a: 2, z: 9 })
  })
})

describe('aof: rewrite', () => {
  it('store.aof.rewrite() compacts the log into one snapshot of the persisted state', async () => {
    const dir = tempDir()
    const store = todoStore(dir, {
      version: 2,
      partialize: (s) => ({ todos: s.todos }),
    })
    for (let i = 0; i < 20; i++) store.getState().add(`t${i}`)
    store.getState().remove(3)
    await store.aof.rewrite()
    expect(recordsIn(dir)).toEqual([
      {
        type: SNAPSHOT_TYPE,
        payload: { todos: store.getState().todos },
        meta: { version: 2, kind: 'zustand' },
      },
    ])
    await store.aof.close()
    expect(todoStore(dir, { version: 2 }).getState().todos).toHaveLength(19)
  })

  it('keeps the sets made while a rewrite runs', async () => {
    const dir = tempDir()
    const store = todoStore(dir, {}, makeTodos(20_000))
    const running = store.aof.rewrite()
    expect(store.aof.stats().rewriteInProgress).toBe(true)
    store.getState().add('during 1') // array inserts: applied twice if the snapshot included them
    store.setState((s) => ({
      todos: [{ id: -1, text: 'head', done: false }, ...s.todos],
    }))
    store.getState().toggle(5)
    await running
    const expected = structuredClone(store.getState().todos)
    await store.aof.close()
    expect(todoStore(dir).getState().todos).toEqual(expected)
  })

  it('rewrites automatically from the last logged state, and replays the same afterwards', async () => {
    const dir = tempDir()
    const store = todoStore(dir, {
      autoRewriteMinSize: 2048,
      autoRewritePercentage: 50,
    })
    for (let i = 0; i < 300; i++) {
      store.setState(
        (s) => ({
          todos: [
            { id: i, text: `item ${i}`, done: false },
            ...s.todos.slice(0, 30),
          ],
        }),
        false,
      )
      if (i % 7 === 0) store.getState().toggle(i - 1)
      await nextTurn() // the core checks for an automatic rewrite at the end of a turn
    }
    while (store.aof.stats().rewriteInProgress) await nextTurn()
    expect(store.aof.stats().rewrites).toBeGreaterThan(0)
    expect(store.aof.stats().lastRewriteStatus).toBe('ok')
    const expected = structuredClone(store.getState().todos)
    await store.aof.close()
    expect(todoStore(dir).getState().todos).toEqual(expected)
  })
})

describe('aof: versions and migrate', () => {
  async function writeVersion1(dir: string) {
    const store = autoClose(
      createStore(aof(() => ({ count: 1 }), { dir, version: 1 })),
    )
    store.setState({ count: 7 })
    await store.aof.close()
  }

  it('throws AOF_MIGRATE_FAILED without migrate, naming both versions, and leaves the files untouched', async () => {
    const dir = tempDir()
    await writeVersion1(dir)
    const before = filesIn(dir)
    let error: unknown
    try {
      createStore(aof(() => ({ total: 0 }), { dir, version: 2 }))
    } catch (err) {
      error = err
    }
    expect(isAofError(error, 'AOF_MIGRATE_FAILED')).toBe(true)
    expect((error as Error).message).toMatch(/version 1.*version 2.*migrate/)
    expect(filesIn(dir)).toEqual(before)
    // The lock was released and the old state is intact.
    expect(
      autoClose(
        createStore(aof(() => ({ count: 0 }), { dir, version: 1 })),
      ).getState().count,
    ).toBe(7)
  })

  it('throws AOF_MIGRATE_FAILED when migrate throws, with its error as cause, files untouched', async () => {
    const dir = tempDir()
    await writeVersion1(dir)
    const before = filesIn(dir)
    const boom = new Error('boom')
    expect(() =>
      createStore(
        aof(() => ({ total: 0 }), {
          dir,
          version: 2,
          migrate: () => {
            throw boom
          },
        }),
      ),
    ).toThrow(
      expect.objectContaining({ code: 'AOF_MIGRATE_FAILED', cause: boom }),
    )
    expect(filesIn(dir)).toEqual(before)
  })

  it('migrates the stored state and makes it durable (a new base) before the store is returned', async () => {
    const dir = tempDir()
    await writeVersion1(dir)
    const calls: unknown[] = []
    const store = autoClose(
      createStore(
        aof(() => ({ total: 0, label: 'new' }), {
          dir,
          version: 2,
          migrate: (persisted, from) => {
            calls.push([persisted, from])
            return { total: (persisted as { count: number }).count * 10 }
          },
        }),
      ),
    )
    expect(calls).toEqual([[{ count: 7 }, 1]])
    expect(store.getState()).toEqual({ total: 70, label: 'new' })
    // On disk before any further call: the migrated snapshot is the base.
    const first = [...readAofEntries({ dir })].find((e) => e.kind === 'record')!
    expect(first.file).toMatch(/\.base\.aof$/)
    expect(recordsIn(dir)).toEqual([
      {
        type: SNAPSHOT_TYPE,
        payload: { total: 70 },
        meta: { version: 2, kind: 'zustand' },
      },
    ])
    await store.aof.close()
    // The next start finds version 2 and needs no migrate.
    expect(
      autoClose(
        createStore(aof(() => ({ total: 0 }), { dir, version: 2 })),
      ).getState().total,
    ).toBe(70)
  })

  it('treats a log without a snapshot version as version 0', () => {
    expect(
      replayLog([
        {
          type: 'setState',
          patches: [{ op: 'replace', path: [], value: { a: 1 } }],
        },
      ]),
    ).toEqual({
      state: { a: 1 },
      version: 0,
    })
  })
})

describe('replayLog', () => {
  it('rebuilds the persisted state and version from the records, without a store', async () => {
    const dir = tempDir()
    const store = todoStore(dir, { version: 4 }, makeTodos(3))
    store.getState().add('x')
    store.getState().remove(1)
    store.getState().toggle(2)
    const { add, toggle, remove, ...expected } = store.getState()
    await store.aof.close()
    const log = openAof({ dir })
    try {
      expect(replayLog(log.records())).toEqual({ state: expected, version: 4 })
    } finally {
      log.closeSync()
    }
  })

  it('throws AOF_CORRUPT naming file and line for a record that is not one of this adapter’s, and creation leaves the files', () => {
    const dir = tempDir()
    const log = openAof({ dir })
    log.append(snapshotAction({ todos: [] }, 0, 'zustand'))
    log.append({ type: 'todos/added', payload: { id: 1 } }) // not a patch record
    log.closeSync()
    const before = filesIn(dir)
    let error: unknown
    try {
      createStore(aof(() => ({ todos: [] }), { dir }))
    } catch (err) {
      error = err
    }
    expect(error).toMatchObject({
      code: 'AOF_CORRUPT',
      file: path.join(dir, 'appendonly.aof.1.incr.aof'),
      line: 2,
      message: expect.stringMatching(
        /^The record at line 2 of .*appendonly\.aof\.1\.incr\.aof: /,
      ),
    })
    expect(filesIn(dir)).toEqual(before)
  })

  it('throws AOF_CORRUPT naming the record whose patches do not apply', () => {
    const records = [
      { type: SNAPSHOT_TYPE, payload: { list: [] }, meta: { version: 0 } },
      { type: 'list/remove', patches: [{ op: 'remove', path: ['list', 4] }] },
    ]
    expect(() => replayLog(records)).toThrow(
      /^Record 2 of the log: its patches \("list\/remove"\) do not apply/,
    )
  })
})
