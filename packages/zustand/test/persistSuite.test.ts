// The scenarios of zustand's own persist tests (tests/persistSync.test.tsx,
// tests/persistAsync.test.tsx, tests/persistMigration.test.ts in pmndrs/zustand), written for
// aof(): each one that applies, with real files and real restarts, and each deliberate
// difference from persist as a test of what aof() does instead (docs/reference/zustand-aof.md).
import { openAof, snapshotAction } from '@aof-persist/core'
import type { AofError } from '@aof-persist/core'
import { aof } from '@aof-persist/zustand'
import { describe, expect, it, vi } from 'vitest'
import { createStore } from 'zustand/vanilla'
import {
  autoClose,
  filesIn,
  hashDir,
  recordsIn,
  tempDir,
  thrown,
} from './helpers.js'

/** A store directory whose log holds `state` at `version`, as an earlier run left it. */
function stored(state: unknown, version = 0): string {
  const dir = tempDir()
  const log = openAof({ dir })
  log.rewriteSync(snapshotAction(state, version, 'zustand'))
  log.closeSync()
  return dir
}

/** Replacer and reviver for Map, the convention of zustand's tests. */
const replacer = (_key: string, value: unknown) =>
  value instanceof Map ? { type: 'Map', value: [...value.entries()] } : value
const reviver = (_key: string, value: unknown) =>
  typeof value === 'object' &&
  value !== null &&
  (value as { type?: unknown }).type === 'Map'
    ? new Map((value as { value: [unknown, unknown][] }).value)
    : value

describe('zustand persist scenarios, with aof()', () => {
  it('can rehydrate state: the store is created holding it', () => {
    const dir = stored({ count: 42, name: 'test-storage' })
    const store = autoClose(
      createStore(aof(() => ({ count: 0, name: 'empty' }), { dir })),
    )
    expect(store.getState()).toEqual({ count: 42, name: 'test-storage' })
  })

  it('can persist state, and a second store on the same directory loads it', async () => {
    const dir = tempDir()
    const make = () =>
      autoClose(createStore(aof(() => ({ count: 0 }), { dir })))
    const first = make()
    expect(first.getState()).toEqual({ count: 0 })
    first.setState({ count: 42 })
    expect(first.getState()).toEqual({ count: 42 })
    await first.aof.close()
    expect(make().getState()).toEqual({ count: 42 })
  })

  it('can migrate persisted state: migrate gets the state and its version, the result is stored with the new version', async () => {
    const dir = stored({ count: 42 }, 12)
    const migrate = vi.fn(() => ({ count: 99 }))
    const store = createStore(
      aof(() => ({ count: 0 }), { dir, version: 13, migrate }),
    )
    expect(store.getState()).toEqual({ count: 99 })
    expect(migrate).toHaveBeenCalledWith({ count: 42 }, 12)
    await store.aof.close()
    expect(recordsIn(dir)).toEqual([
      snapshotAction({ count: 99 }, 13, 'zustand'),
    ])
  })

  it('difference: a missing migrate throws AOF_MIGRATE_FAILED and keeps the stored state (persist logs an error and starts from the initial state)', () => {
    const dir = stored({ count: 42 }, 12)
    const before = hashDir(dir)
    const error = thrown(() =>
      createStore(aof(() => ({ count: 0 }), { dir, version: 13 })),
    )
    expect(error).toMatchObject({ code: 'AOF_MIGRATE_FAILED' })
    expect(hashDir(dir)).toBe(before)
  })

  it('difference: a throwing migrate throws AOF_MIGRATE_FAILED with it as cause (persist reports it to onRehydrateStorage)', () => {
    const dir = stored({}, 12)
    const cause = new Error('migrate error')
    const error = thrown(() =>
      createStore(
        aof(() => ({ count: 0 }), {
          dir,
          version: 13,
          migrate: () => {
            throw cause
          },
        }),
      ),
    )
    expect(error).toMatchObject({ code: 'AOF_MIGRATE_FAILED', cause })
  })

  it('difference: a log it cannot read throws from createStore, files untouched (persist reports getItem errors to onRehydrateStorage)', () => {
    const dir = stored({ count: 1 })
    const log = openAof({ dir })
    log.append({ type: 'x', patches: [{ op: 'replace', path: ['a', 'b'] }] })
    log.closeSync()
    const before = hashDir(dir)
    expect(
      thrown(() => createStore(aof(() => ({ count: 0 }), { dir }))),
    ).toMatchObject({
      code: 'AOF_CORRUPT',
      file: expect.stringMatching(/appendonly\.aof\.2\.incr\.aof$/),
      line: 1,
    })
    expect(hashDir(dir)).toBe(before)
  })

  it('gives the merged state, functions from the initializer, to the store', () => {
    const dir = stored({ count: 1 })
    const unstorableMethod = () => {}
    const store = autoClose(
      createStore(aof(() => ({ count: 0, unstorableMethod }), { dir })),
    )
    expect(store.getState()).toEqual({ count: 1, unstorableMethod })
  })

  it('can custom merge the stored state, even a merge that deletes from what it is given', async () => {
    const dir = stored({ count: 1, actions: {} })
    const unstorableMethod = () => {}
    const make = () =>
      autoClose(
        createStore(
          aof(() => ({ count: 0, actions: { unstorableMethod } }), {
            dir,
            // Nested functions are not JSON: leave them out (see the next test).
            partialize: ({ count }) => ({ count }),
            merge: (persisted, current) => {
              const p = persisted as Record<string, unknown>
              delete p.actions
              return { ...current, ...p }
            },
          }),
        ),
      )
    const store = make()
    expect(store.getState()).toEqual({
      count: 1,
      actions: { unstorableMethod },
    })
    store.setState({ count: 2 })
    await store.aof.close()
    // The log was not changed behind its back: it replays, and the merge runs again.
    expect(make().getState()).toEqual({
      count: 2,
      actions: { unstorableMethod },
    })
  })

  it('difference: a function below the top level is refused in development, naming its path (persist drops it silently)', () => {
    const dir = tempDir()
    const unstorableMethod = () => {}
    const error = thrown(() =>
      createStore(
        aof(() => ({ count: 0, actions: { unstorableMethod } }), { dir }),
      ),
    )
    expect(error).toMatchObject({ code: 'AOF_NOT_SERIALIZABLE' })
    expect((error as Error).message).toMatch(
      /function at actions\.unstorableMethod/,
    )
    expect(recordsIn(dir)).toEqual([]) // nothing was logged
  })

  it('can merge the state when the log records no version (version 0)', () => {
    const dir = tempDir()
    const log = openAof({ dir })
    log.rewriteSync({ type: '@@aof/SNAPSHOT', payload: { count: 1 } })
    log.closeSync()
    const store = autoClose(createStore(aof(() => ({ count: 0 }), { dir })))
    expect(store.getState()).toEqual({ count: 1 })
  })

  it('can filter the persisted value with partialize', async () => {
    const dir = tempDir()
    const store = createStore(
      aof(
        () => ({
          object: { first: '0', second: '1' },
          array: [{ value: '0' }, { value: '1' }, { value: '2' }],
        }),
        {
          dir,
          partialize: (state) => ({
            object: { first: state.object.first },
            array: state.array.filter((e) => e.value !== '1'),
          }),
        },
      ),
    )
    await store.aof.rewrite()
    await store.aof.close()
    expect(recordsIn(dir)).toEqual([
      snapshotAction(
        { object: { first: '0' }, array: [{ value: '0' }, { value: '2' }] },
        0,
        'zustand',
      ),
    ])
  })

  it('difference: hydration is synchronous and done when createStore returns; persist’s hydration API is not offered', () => {
    const dir = stored({ count: 1 })
    const store = autoClose(createStore(aof(() => ({ count: 0 }), { dir })))
    expect(store.getState().count).toBe(1)
    expect(Object.keys(store.aof).sort()).toEqual([
      'close',
      'durable',
      'flush',
      'rewrite',
      'snapshot',
      'stats',
    ])
  })

  it.each([
    ['name', 'dir'],
    ['storage', 'dir'],
    ['getStorage', 'dir'],
    ['onRehydrateStorage', 'createStore() returns'],
    ['skipHydration', 'inside createStore()'],
    ['serialize', 'replacer'],
    ['deserialize', 'reviver'],
  ])(
    'difference: persist’s option "%s" is a TypeError naming the aof() way (%s), before anything is opened',
    (name, instead) => {
      const dir = tempDir()
      const error = thrown(() =>
        createStore(
          aof(() => ({ count: 0 }), { dir, [name]: () => {} } as never),
        ),
      )
      expect(error).toBeInstanceOf(TypeError)
      expect((error as Error).message).toContain(`"${name}"`)
      expect((error as Error).message).toContain(instead)
      expect(filesIn(dir)).toEqual({})
    },
  )

  it('handles a set made right after creation (what onRehydrateStorage callbacks do): it is logged', async () => {
    const dir = stored({ count: 1 })
    const make = () =>
      autoClose(
        createStore<{ count: number; inc: () => void }>()(
          aof(
            (set) => ({
              count: 0,
              inc: () => set((s) => ({ count: s.count + 1 })),
            }),
            { dir },
          ),
        ),
      )
    const store = make()
    store.getState().inc()
    expect(store.getState().count).toBe(2)
    await store.aof.close()
    expect(make().getState().count).toBe(2)
  })

  it('can rehydrate state with a Map through reviver', () => {
    const dir = stored({ map: { type: 'Map', value: [['foo', 'bar']] } })
    const store = autoClose(
      createStore(aof(() => ({ map: new Map() }), { dir, replacer, reviver })),
    )
    expect(store.getState().map).toEqual(new Map([['foo', 'bar']]))
    expect(store.getState().map.get('foo')).toBe('bar')
  })

  it('can persist state with a Map through replacer and reviver, across restarts and rewrites', async () => {
    const dir = tempDir()
    const make = () =>
      autoClose(
        createStore(
          aof(() => ({ map: new Map<string, string>(), n: 0 }), {
            dir,
            replacer,
            reviver,
          }),
        ),
      )
    const first = make()
    first.setState({ map: new Map(first.getState().map).set('foo', 'bar') })
    await first.aof.close()
    expect(recordsIn(dir)[1]).toEqual({
      type: 'setState',
      patches: [
        {
          op: 'replace',
          path: ['map'],
          value: { type: 'Map', value: [['foo', 'bar']] },
        },
      ],
    })
    const second = make()
    expect(second.getState().map.get('foo')).toBe('bar')
    second.setState({ map: new Map(second.getState().map).set('a', 'b') })
    await second.aof.rewrite()
    await second.aof.close()
    expect(make().getState().map).toEqual(
      new Map([
        ['foo', 'bar'],
        ['a', 'b'],
      ]),
    )
  })

  it('difference: a Map changed in place (same reference) is not seen: records follow references, set a new Map', async () => {
    const dir = tempDir()
    const map = new Map<string, string>()
    const store = createStore(aof(() => ({ map }), { dir, replacer, reviver }))
    store.setState({ map: map.set('foo', 'bar') }) // the same Map, mutated
    await store.aof.close()
    const again = autoClose(
      createStore(aof(() => ({ map: new Map() }), { dir, replacer, reviver })),
    )
    expect(again.getState().map.size).toBe(0)
  })

  it.each([
    ['a Map', () => new Map([['a', 1]]), 'Map at map'],
    ['a Set', () => new Set([1]), 'Set at map'],
    ['a Date', () => new Date(0), 'Date at map'],
    ['a class instance', () => new (class Point {})(), 'class Point at map'],
  ])(
    'difference: without a replacer, %s is refused in development with AOF_NOT_SERIALIZABLE naming the path, and the set undone',
    async (_name, value, message) => {
      const dir = tempDir()
      const errors: AofError[] = []
      const store = createStore(
        aof(() => ({ map: null as unknown, n: 0 }), {
          dir,
          onError: (e) => errors.push(e),
        }),
      )
      const listener = vi.fn()
      store.subscribe(listener)
      const error = thrown(() => store.setState({ map: value(), n: 1 }))
      expect(error).toMatchObject({ code: 'AOF_NOT_SERIALIZABLE' })
      expect((error as Error).message).toContain(message)
      expect(store.getState()).toEqual({ map: null, n: 0 })
      store.setState({ n: 2 })
      await store.aof.close()
      const again = autoClose(
        createStore(aof(() => ({ map: null as unknown, n: 0 }), { dir })),
      )
      expect(again.getState()).toEqual({ map: null, n: 2 })
    },
  )

  it('difference: a value JSON cannot hold that a new release brings into an existing store is named when the store is created', async () => {
    const dir = stored({ count: 1 })
    const before = hashDir(dir)
    const error = thrown(() =>
      createStore(aof(() => ({ count: 0, tags: new Map() }), { dir })),
    )
    expect(error).toMatchObject({ code: 'AOF_NOT_SERIALIZABLE' })
    expect((error as Error).message).toContain('Map at tags')
    expect(hashDir(dir)).toBe(before)
  })

  it('says where, inside a changed value, JSON would lose something', () => {
    const dir = tempDir()
    const store = autoClose(
      createStore(aof(() => ({ todos: [] as unknown[] }), { dir })),
    )
    expect(
      thrown(() =>
        store.setState(
          { todos: [{ id: 1, due: new Date(0) }] },
          false,
          'todos/add',
        ),
      ),
    ).toMatchObject({
      code: 'AOF_NOT_SERIALIZABLE',
      message: expect.stringMatching(/"todos\/add": Date at todos\[0\]\.due/),
    })
  })

  it('drops keys set to undefined after a restart, as JSON does (documented)', async () => {
    const dir = tempDir()
    const store = createStore(
      aof(() => ({ a: 1 as number | undefined, b: 2 }), { dir }),
    )
    store.setState({ a: undefined })
    await store.aof.rewrite()
    await store.aof.close()
    const again = autoClose(
      createStore(aof(() => ({ b: 0 }) as { a?: number; b: number }, { dir })),
    )
    expect(again.getState()).toEqual({ b: 2 })
    expect('a' in again.getState()).toBe(false)
  })
})
