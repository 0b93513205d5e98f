import { SNAPSHOT_TYPE } from '@aof-persist/core'
import { aof } from '@aof-persist/zustand'
import { afterEach, describe, expect, it } from 'vitest'
import { devtools, redux, subscribeWithSelector } from 'zustand/middleware'
import { immer } from 'zustand/middleware/immer'
import { createStore } from 'zustand/vanilla'
import { autoClose, recordsIn, tempDir } from './helpers.js'

interface Todo {
  id: number
  done: boolean
}
interface Counter {
  n: number
  inc: () => void
}
interface State {
  todos: Todo[]
  add: () => void
  toggle: (id: number) => void
}

const names = (dir: string) =>
  recordsIn(dir)
    .map((r) => (r as { type: string }).type)
    .filter((t) => t !== SNAPSHOT_TYPE)

describe('aof with immer', () => {
  it('logs draft updates as patches under their names, inside immer', async () => {
    const dir = tempDir()
    const make = () =>
      autoClose(
        createStore<State>()(
          aof(
            immer((set) => ({
              todos: [],
              add: () =>
                set(
                  (d) => {
                    d.todos.push({ id: d.todos.length, done: false })
                  },
                  false,
                  'todos/add',
                ),
              toggle: (id) =>
                set(
                  (d) => {
                    d.todos[id]!.done = !d.todos[id]!.done
                  },
                  false,
                  { type: 'todos/toggle' },
                ),
            })),
            { dir },
          ),
        ),
      )
    const store = make()
    store.getState().add()
    store.getState().add()
    store.getState().toggle(1)
    store.setState((d) => {
      d.todos.shift()
    })
    await store.aof.close()
    expect(names(dir)).toEqual([
      'todos/add',
      'todos/add',
      'todos/toggle',
      'setState',
    ])
    expect(make().getState().todos).toEqual([{ id: 1, done: true }])
  })

  it('works with immer outside aof too', async () => {
    const dir = tempDir()
    const make = () =>
      autoClose(
        createStore(
          immer(aof(() => ({ n: 0, list: [] as number[] }), { dir })),
        ),
      )
    const store = make()
    store.setState(
      (d) => {
        d.n = 2
        d.list.push(1, 2)
      },
      false,
      'bump',
    )
    await store.aof.close()
    expect(names(dir)).toEqual(['bump'])
    expect(make().getState()).toEqual({ n: 2, list: [1, 2] })
  })
})

describe('aof with devtools', () => {
  afterEach(() => {
    delete (globalThis as { window?: unknown }).window
  })

  it('passes through without the extension, and the names reach the log', async () => {
    const dir = tempDir()
    const store = autoClose(
      createStore<Counter>()(
        devtools(
          aof(
            (set) => ({
              n: 0,
              inc: () => set((s) => ({ n: s.n + 1 }), false, 'counter/inc'),
            }),
            { dir },
          ),
          { name: 'counter' },
        ),
      ),
    )
    store.getState().inc()
    store.setState({ n: 10 }, false, 'counter/set')
    await store.aof.close()
    expect(names(dir)).toEqual(['counter/inc', 'counter/set'])
  })

  it('with the extension connected outermost, each name reaches both devtools and the log', async () => {
    // Stands in for the browser extension, which Node does not have.
    const sent: unknown[] = []
    ;(globalThis as { window?: unknown }).window = {
      __REDUX_DEVTOOLS_EXTENSION__: {
        connect: () => ({
          init: () => {},
          send: (action: unknown) => sent.push(action),
          subscribe: () => () => {},
        }),
      },
    }
    const dir = tempDir()
    const store = autoClose(
      createStore<Counter>()(
        devtools(
          aof(
            (set) => ({
              n: 0,
              inc: () => set((s) => ({ n: s.n + 1 }), false, 'counter/inc'),
            }),
            { dir },
          ),
          { name: 'counter', enabled: true },
        ),
      ),
    )
    store.getState().inc()
    store.setState({ n: 5 }, false, { type: 'counter/set', by: 'test' })
    await store.aof.close()
    expect(sent).toEqual([
      { type: 'counter/inc' },
      { type: 'counter/set', by: 'test' },
    ])
    expect(names(dir)).toEqual(['counter/inc', 'counter/set'])
  })
})

describe('aof with subscribeWithSelector', () => {
  it('keeps selector subscriptions working on either side of aof', async () => {
    for (const order of ['outside', 'inside'] as const) {
      const dir = tempDir()
      const init = () => ({ a: 0, b: 0 })
      const store =
        order === 'outside'
          ? autoClose(createStore(subscribeWithSelector(aof(init, { dir }))))
          : autoClose(createStore(aof(subscribeWithSelector(init), { dir })))
      const seen: number[] = []
      store.subscribe(
        (s) => s.a,
        (a) => seen.push(a),
      )
      store.setState({ b: 1 })
      store.setState({ a: 1 }, false, 'a/set')
      expect(seen).toEqual([1])
      await store.aof.close()
      expect(names(dir)).toEqual(['setState', 'a/set'])
    }
  })
})

describe('aof with redux', () => {
  it('logs each dispatched action under its type', async () => {
    const dir = tempDir()
    type A = { type: 'inc' } | { type: 'add'; by: number }
    const reducer = (s: { n: number }, a: A) => ({
      n: a.type === 'inc' ? s.n + 1 : s.n + a.by,
    })
    const make = () =>
      autoClose(createStore(aof(redux(reducer, { n: 0 }), { dir })))
    const store = make()
    store.dispatch({ type: 'inc' })
    store.dispatch({ type: 'add', by: 5 })
    await store.aof.close()
    expect(names(dir)).toEqual(['inc', 'add'])
    expect(make().getState().n).toBe(6)
  })
})

describe('aof with everything', () => {
  it('devtools(subscribeWithSelector(aof(immer(...)))) logs, names and replays', async () => {
    const dir = tempDir()
    const make = () =>
      autoClose(
        createStore<State>()(
          devtools(
            subscribeWithSelector(
              aof(
                immer((set) => ({
                  todos: [],
                  add: () =>
                    set(
                      (d) =>
                        void d.todos.push({ id: d.todos.length, done: false }),
                      false,
                      'todos/add',
                    ),
                  toggle: (id) =>
                    set(
                      (d) => void (d.todos[id]!.done = true),
                      false,
                      'todos/toggle',
                    ),
                })),
                { dir },
              ),
            ),
          ),
        ),
      )
    const store = make()
    const seen: number[] = []
    store.subscribe(
      (s) => s.todos.length,
      (n) => seen.push(n),
    )
    store.getState().add()
    store.getState().toggle(0)
    expect(seen).toEqual([1])
    await store.aof.close()
    expect(names(dir)).toEqual(['todos/add', 'todos/toggle'])
    expect(make().getState().todos).toEqual([{ id: 0, done: true }])
  })
})
