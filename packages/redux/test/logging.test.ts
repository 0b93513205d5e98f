import { aofPersist, withAof } from '@aof-persist/redux'
import type { AofPersistDirOptions } from '@aof-persist/redux'
import { configureStore } from '@reduxjs/toolkit'
import { applyMiddleware, legacy_createStore as createStore } from 'redux'
import { thunk } from 'redux-thunk'
import type { AofError } from '@aof-persist/core'
import { afterEach, describe, expect, it, vi } from 'vitest'
import {
  added,
  cleared,
  exploded,
  filesOf,
  filterSet,
  recordsOf,
  selected,
  slices,
  tempDir,
  textOf,
  toggled,
  typesOf,
} from './helpers.js'
import type { RootState, Todo } from './helpers.js'

function open(
  dir: string,
  options: Partial<AofPersistDirOptions<RootState>> = {},
) {
  const persist = aofPersist<RootState>({ dir, ...options })
  const store = createStore(withAof(slices), applyMiddleware(thunk, persist))
  return { store, persist }
}

describe('what is logged', () => {
  it('logs plain actions in dispatch order and never thunks', async () => {
    const dir = tempDir()
    const { store, persist } = open(dir)
    store.dispatch(added('a'))
    store.dispatch(((dispatch: (a: unknown) => void) =>
      dispatch(toggled(1))) as never)
    store.dispatch(cleared())
    await persist.close()
    expect(recordsOf(dir)).toEqual([
      added('a'),
      toggled(1),
      { type: 'todos/cleared' },
    ])
  })

  it('logs nothing for an action whose reducer throws, and the state stays as it was', async () => {
    const dir = tempDir()
    const { store, persist } = open(dir)
    store.dispatch(added('a'))
    const before = store.getState()
    expect(() => store.dispatch(exploded())).toThrow('boom')
    expect(store.getState()).toBe(before)
    store.dispatch(added('b'))
    await persist.close()
    expect(typesOf(dir)).toEqual(['todos/added', 'todos/added'])
  })

  it('logs an action whose reducers ran even when a subscriber then throws', async () => {
    const dir = tempDir()
    const { store, persist } = open(dir)
    store.subscribe(() => {
      if (store.getState().todos.items.length === 1)
        throw new Error('listener failed')
    })
    expect(() => store.dispatch(added('a'))).toThrow('listener failed')
    await persist.close()
    expect(typesOf(dir)).toEqual(['todos/added'])
  })

  it('keeps the log in reducer order when a subscriber dispatches during a dispatch', async () => {
    const dir = tempDir()
    const { store, persist } = open(dir)
    store.subscribe(() => {
      const items: Todo[] = store.getState().todos.items
      const last = items[items.length - 1]
      if (last?.text === 'auto-done' && !last.done)
        store.dispatch(toggled(last.id))
    })
    store.dispatch(added('auto-done'))
    const live = store.getState()
    expect(live.todos.items[0]?.done).toBe(true)
    await persist.close()
    expect(typesOf(dir)).toEqual(['todos/added', 'todos/toggled'])

    const again = open(dir)
    expect(again.store.getState()).toEqual(live)
    await again.persist.close()
  })

  it('logs the outer action and not a nested one whose reducer throws', async () => {
    const dir = tempDir()
    const { store, persist } = open(dir)
    let nested = false
    store.subscribe(() => {
      if (nested) return
      nested = true
      store.dispatch(exploded())
    })
    expect(() => store.dispatch(added('a'))).toThrow('boom')
    expect(store.getState().todos.items.map((t) => t.text)).toEqual(['a'])
    store.dispatch(added('b'))
    await persist.close()
    expect(typesOf(dir)).toEqual(['todos/added', 'todos/added'])
    const again = open(dir)
    expect(again.store.getState().todos.items.map((t) => t.text)).toEqual([
      'a',
      'b',
    ])
    await again.persist.close()
  })

  it('logs in each store what its reducers ran when a subscriber of one dispatches to another and then throws', async () => {
    const dirOne = tempDir()
    const dirTwo = tempDir()
    const one = open(dirOne)
    const two = open(dirTwo)
    one.store.subscribe(() => {
      // The second store's reduction happens inside the first store's dispatch.
      two.store.dispatch(added('in two'))
      throw new Error('listener failed')
    })
    expect(() => one.store.dispatch(added('in one'))).toThrow('listener failed')
    expect(() => two.store.dispatch(exploded())).toThrow('boom')
    await one.persist.close()
    await two.persist.close()
    expect(recordsOf(dirOne)).toEqual([added('in one')])
    expect(recordsOf(dirTwo)).toEqual([added('in two')])
  })

  it('leaves actions rejected by filter out of the log while the reducers still see them', async () => {
    const dir = tempDir()
    const filter = (a: { type: string }) => !a.type.startsWith('ui/')
    const { store, persist } = open(dir, { filter })
    store.dispatch(added('a'))
    store.dispatch(filterSet('done'))
    expect(store.getState().ui.filter).toBe('done')
    await persist.close()
    expect(typesOf(dir)).toEqual(['todos/added'])

    const again = open(dir, { filter })
    expect(again.store.getState().ui.filter).toBe('all')
    expect(again.store.getState().todos.items).toHaveLength(1)
    await again.persist.close()
  })

  it('after close() reduces every action, logs none, and reports the dropped ones to onError and stats()', async () => {
    const dir = tempDir()
    const errors: AofError[] = []
    const { store, persist } = open(dir, {
      filter: (a) => a.type !== 'ui/selected',
      onError: (err) => errors.push(err),
    })
    store.dispatch(added('before'))
    await persist.close()
    const files = filesOf(dir)
    // A library timer dispatching after the app's shutdown code: no throw.
    expect(() => store.dispatch(added('late'))).not.toThrow()
    expect(store.getState().todos.items.map((t) => t.text)).toEqual([
      'before',
      'late',
    ])
    // An action the log would not keep anyway is not reported.
    store.dispatch(selected(3))
    expect(store.getState().ui.selected).toBe(3)
    store.dispatch(toggled(1))
    expect(errors.map((e) => e.code)).toEqual(['AOF_CLOSED', 'AOF_CLOSED'])
    expect(errors[0]!.message).toMatch(/"todos\/added".*not logged/)
    expect(persist.stats().droppedAfterClose).toBe(2)
    expect(filesOf(dir)).toEqual(files)
    expect(typesOf(dir)).toEqual(['todos/added'])
  })

  it('after close() an onError that dispatches is called once the dispatch returned, outside the reducers', async () => {
    const dir = tempDir()
    const seen: string[] = []
    const opened = open(dir, {
      onError: (err) => {
        seen.push(err.code)
        // Redux refuses a dispatch from inside a reducer: this one must not be. (Once: the
        // action it dispatches is dropped and reported too.)
        if (seen.length === 1) opened.store.dispatch(selected(7))
      },
    })
    const { store } = opened
    await opened.persist.close()
    expect(() => store.dispatch(added('late'))).not.toThrow()
    expect(store.getState().ui.selected).toBe(7)
    expect(store.getState().todos.items.map((t) => t.text)).toEqual(['late'])
    // The action onError dispatched was dropped too, and reported in its turn.
    expect(seen).toEqual(['AOF_CLOSED', 'AOF_CLOSED'])
    expect(opened.persist.stats().droppedAfterClose).toBe(2)
  })

  it('after close() a throwing onError surfaces outside dispatch, which still returns', async () => {
    const dir = tempDir()
    const { store, persist } = open(dir, {
      onError: () => {
        throw new Error('onError failed')
      },
    })
    await persist.close()
    const uncaught = new Promise<unknown>((resolve) =>
      process.once('uncaughtException', resolve),
    )
    expect(store.dispatch(added('late'))).toEqual(added('late'))
    expect(await uncaught).toMatchObject({ message: 'onError failed' })
  })
})

describe('partialize', () => {
  it('leaves keys out of snapshots; they come back from the initial state', async () => {
    const dir = tempDir()
    const partialize = (s: RootState) => ({ todos: s.todos })
    const { store, persist } = open(dir, { partialize })
    store.dispatch(added('a'))
    store.dispatch(filterSet('open'))
    await persist.rewrite()
    store.dispatch(added('b'))
    await persist.close()

    const again = open(dir, { partialize })
    expect(again.store.getState().todos.items.map((t) => t.text)).toEqual([
      'a',
      'b',
    ])
    expect(again.store.getState().ui.filter).toBe('all')
    await again.persist.close()
  })

  it('with filter keeps UI-only state out of the files entirely', async () => {
    const dir = tempDir()
    const options: Partial<AofPersistDirOptions<RootState>> = {
      filter: (a) => !a.type.startsWith('ui/'),
      partialize: (s) => ({ todos: s.todos }),
    }
    const { store, persist } = open(dir, options)
    store.dispatch(selected(424242))
    store.dispatch(added('a'))
    await persist.rewrite()
    store.dispatch(selected(434343))
    store.dispatch(added('b'))
    expect(store.getState().ui.selected).toBe(434343)
    await persist.close()
    const text = textOf(dir)
    expect(text).toContain('"a"')
    expect(text).not.toMatch(/424242|434343|ui\/|"ui"|selected/)
  })
})

describe('unserializable actions', () => {
  it.each([
    ['a Date', { when: new Date(0) }, 'Date', 'payload.when'],
    ['a Map', { items: [{ tags: new Map() }] }, 'Map', 'payload.items[0].tags'],
    ['a function', { cb: () => 1 }, 'function', 'payload.cb'],
    ['NaN', { n: Number.NaN }, 'NaN', 'payload.n'],
    ['a BigInt', { n: 1n }, 'BigInt', 'payload.n'],
    ['undefined in an array', [1, undefined], 'undefined', 'payload[1]'],
    [
      'a class instance',
      { x: new (class Point {})() },
      'class Point',
      'payload.x',
    ],
  ])(
    'rejects %s naming the type and path, reducing and writing nothing',
    async (_, payload, reason, path) => {
      const dir = tempDir()
      const { store, persist } = open(dir)
      const before = store.getState()
      let error: unknown
      try {
        store.dispatch({ type: 'todos/added', payload })
      } catch (err) {
        error = err
      }
      expect(error).toMatchObject({ code: 'AOF_NOT_SERIALIZABLE' })
      const message = (error as Error).message
      expect(message).toContain('"todos/added"')
      expect(message).toContain(`${reason} at ${path}`)
      expect(store.getState()).toBe(before)
      await persist.close()
      expect(recordsOf(dir)).toEqual([])
    },
  )

  it('rejects a cycle', async () => {
    const { store, persist } = open(tempDir())
    const payload: Record<string, unknown> = {}
    payload.self = payload
    expect(() => store.dispatch({ type: 'x', payload })).toThrow(
      /cycle at payload\.self/,
    )
    await persist.close()
  })

  it('accepts properties holding undefined (RTK action creators without an argument)', async () => {
    const dir = tempDir()
    const { store, persist } = open(dir)
    store.dispatch(cleared())
    store.dispatch({
      type: 'x',
      payload: { a: undefined, b: [{ c: undefined }] },
    })
    // ...but still finds a problem behind them.
    expect(() =>
      store.dispatch({
        type: 'y',
        payload: { a: undefined, b: [{ c: undefined, d: new Set() }] },
      }),
    ).toThrow(/Set at payload\.b\[0\]\.d/)
    expect(() =>
      store.dispatch({
        type: 'z',
        payload: { 'a b': undefined, '0': undefined, é: { d: new Date(0) } },
      }),
    ).toThrow(/Date at payload\["é"\]\.d/)
    await persist.close()
    expect(typesOf(dir)).toEqual(['todos/cleared', 'x'])
  })

  describe('in production', () => {
    afterEach(() => vi.unstubAllEnvs())

    it('still rejects a BigInt (the core cannot write it)', async () => {
      vi.stubEnv('NODE_ENV', 'production')
      const dir = tempDir()
      const { store, persist } = open(dir)
      const before = store.getState()
      const heard = vi.fn()
      store.subscribe(heard)
      expect(() =>
        store.dispatch({ ...added('big'), payload: { text: 1n } }),
      ).toThrow(expect.objectContaining({ code: 'AOF_NOT_SERIALIZABLE' }))
      // The write fails as the reducers return: the store keeps the state the log describes.
      expect(store.getState()).toBe(before)
      expect(heard).not.toHaveBeenCalled()
      await persist.close()
      expect(recordsOf(dir)).toEqual([])
    })
  })
})

describe('with Redux Toolkit', () => {
  it('logs the actions RTK dispatches, after its own middlewares', async () => {
    const dir = tempDir()
    const persist = aofPersist({ dir })
    const store = configureStore({
      reducer: withAof(slices),
      middleware: (gDM) => gDM().concat(persist),
    })
    await store.dispatch(async (dispatch) => {
      await Promise.resolve()
      dispatch(added('async'))
    })
    await persist.close()
    expect(recordsOf(dir)).toEqual([added('async')])
  })
})
