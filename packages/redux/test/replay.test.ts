import { isAofError } from '@aof-persist/core'
import { aofPersist, replayLog, withAof } from '@aof-persist/redux'
import type { AofPersistDirOptions } from '@aof-persist/redux'
import { configureStore, createListenerMiddleware } from '@reduxjs/toolkit'
import {
  applyMiddleware,
  combineReducers,
  legacy_createStore as createStore,
} from 'redux'
import { thunk } from 'redux-thunk'
import { describe, expect, it } from 'vitest'
import {
  added,
  counter,
  filesOf,
  filterSet,
  recordsOf,
  slices,
  tempDir,
  toggled,
  typesOf,
} from './helpers.js'
import type { RootState } from './helpers.js'

function rtkStore(
  dir: string,
  extra: Partial<AofPersistDirOptions<RootState>> = {},
) {
  const persist = aofPersist<RootState>({ ...extra, dir })
  const store = configureStore({
    reducer: withAof(slices),
    middleware: (gDM) => gDM().concat(persist),
  })
  return { store, persist }
}

describe('replay at start-up', () => {
  it('hands out a configureStore store that already holds the state rebuilt from the log', async () => {
    const dir = tempDir()
    const first = rtkStore(dir)
    first.store.dispatch(added('milk'))
    first.store.dispatch(added('eggs'))
    first.store.dispatch(toggled(1))
    first.store.dispatch(filterSet('done'))
    const expected = first.store.getState()
    await first.persist.close()

    const second = rtkStore(dir)
    expect(second.store.getState()).toEqual(expected)
    expect(second.store.getState().todos.items[0]).toEqual({
      id: 1,
      text: 'milk',
      done: true,
    })
    await second.persist.close()
  })

  it('rebuilds a legacy createStore store with a non-object state and thunk before it', async () => {
    const dir = tempDir()
    const persist = aofPersist<number>({ dir })
    const store = createStore(withAof(counter), applyMiddleware(thunk, persist))
    store.dispatch({ type: 'inc' })
    store.dispatch({ type: 'inc', by: 41 })
    await persist.close()

    const again = aofPersist<number>({ dir })
    const store2 = createStore(withAof(counter), applyMiddleware(thunk, again))
    expect(store2.getState()).toBe(42)
    await again.close()
  })

  it('accepts withAof of a combineReducers result as well as of a slice map', async () => {
    const dir = tempDir()
    const first = rtkStore(dir)
    first.store.dispatch(added('a'))
    await first.persist.close()

    const persist = aofPersist({ dir })
    const store = createStore(
      withAof(combineReducers(slices)),
      applyMiddleware(persist),
    )
    expect(store.getState().todos.items).toHaveLength(1)
    await persist.close()
  })

  it('notifies subscribers once for the whole replay, not once per logged action', async () => {
    const dir = tempDir()
    const first = rtkStore(dir)
    for (let i = 0; i < 50; i++) first.store.dispatch(added(`t${i}`))
    await first.persist.close()

    // A store enhancer sees every dispatch that reaches the base store, the replay included,
    // and can subscribe before the replay runs.
    let baseDispatches = 0
    let notified = 0
    const persist = aofPersist({ dir })
    const store = configureStore({
      reducer: withAof(slices),
      middleware: (gDM) => gDM().concat(persist),
      enhancers: (gDE) =>
        gDE().concat((next) => (...args) => {
          const base = next(...args)
          base.subscribe(() => void notified++)
          const dispatch: typeof base.dispatch = (action) => {
            baseDispatches++
            return base.dispatch(action)
          }
          return { ...base, dispatch }
        }),
    })
    expect(store.getState().todos.items).toHaveLength(50)
    expect(baseDispatches).toBe(1)
    expect(notified).toBe(1)
    await persist.close()
  })

  it('does not re-run thunks or listener middleware effects during replay', async () => {
    const dir = tempDir()
    let effects = 0
    const listener = createListenerMiddleware()
    listener.startListening({
      actionCreator: added,
      effect: () => void effects++,
    })
    const make = () => {
      const persist = aofPersist({ dir })
      const store = configureStore({
        reducer: withAof(slices),
        middleware: (gDM) => gDM().prepend(listener.middleware).concat(persist),
      })
      return { persist, store }
    }
    const first = make()
    let thunkRuns = 0
    first.store.dispatch((dispatch) => {
      thunkRuns++
      dispatch(added('from thunk'))
    })
    first.store.dispatch(added('direct'))
    expect([effects, thunkRuns]).toEqual([2, 1])
    await first.persist.close()
    expect(typesOf(dir)).toEqual(['todos/added', 'todos/added'])

    const second = make()
    expect(second.store.getState().todos.items.map((t) => t.text)).toEqual([
      'from thunk',
      'direct',
    ])
    expect([effects, thunkRuns]).toEqual([2, 1])
    await second.persist.close()
  })

  it('starts from the reducers initial state when the log is empty', async () => {
    const { store, persist } = rtkStore(tempDir())
    expect(store.getState()).toEqual({
      todos: { items: [], nextId: 1 },
      ui: { filter: 'all', selected: null },
    })
    await persist.close()
  })
})

describe('setup errors', () => {
  it('throws AOF_SETUP at store creation when the root reducer is not wrapped, with no log yet', async () => {
    const dir = tempDir()
    const persist = aofPersist({ dir })
    let error: unknown
    try {
      configureStore({
        reducer: slices,
        middleware: (gDM) => gDM().concat(persist),
      })
    } catch (err) {
      error = err
    }
    expect(isAofError(error, 'AOF_SETUP')).toBe(true)
    expect(String(error)).toMatch(/withAof/)
    // The directory was released: it opens again.
    const { persist: again } = rtkStore(dir)
    await again.close()
  })

  it('throws AOF_SETUP instead of an empty state when a log exists and withAof is missing', async () => {
    const dir = tempDir()
    const first = rtkStore(dir)
    first.store.dispatch(added('keep me'))
    await first.persist.close()
    const before = filesOf(dir)

    const persist = aofPersist({ dir })
    expect(() =>
      createStore(combineReducers(slices), applyMiddleware(persist)),
    ).toThrow(expect.objectContaining({ code: 'AOF_SETUP' }))
    expect(filesOf(dir)).toEqual(before)
    expect(recordsOf(dir)).toEqual([added('keep me')])
  })

  it('throws AOF_SETUP when one middleware is applied to a second store', async () => {
    const dir = tempDir()
    const { persist } = rtkStore(dir)
    expect(() =>
      createStore(withAof(slices), applyMiddleware(persist)),
    ).toThrow(expect.objectContaining({ code: 'AOF_SETUP' }))
    await persist.close()
  })

  it('throws AOF_SETUP when a middleware after it swallows the replay', async () => {
    const dir = tempDir()
    const persist = aofPersist({ dir })
    const swallow = () => () => () => undefined
    expect(() =>
      createStore(withAof(slices), applyMiddleware(persist, swallow)),
    ).toThrow(
      expect.objectContaining({
        code: 'AOF_SETUP',
        message: expect.stringMatching(/last/),
      }),
    )
  })

  it('rejects wrong option types with a TypeError naming the option', () => {
    const dir = tempDir()
    expect(() => aofPersist({ dir, version: 1.5 })).toThrow(/"version"/)
    expect(() => aofPersist({ dir, filter: 'x' as never })).toThrow(TypeError)
  })
})

describe('replayLog', () => {
  it('folds records through the reducer from its initial state, snapshots included', () => {
    const records = [
      added('a'),
      {
        type: '@@aof/SNAPSHOT',
        payload: { todos: { items: [], nextId: 7 } },
        meta: { version: 3 },
      },
      added('b'),
      toggled(7),
    ]
    const { state, version } = replayLog(records, slices)
    expect(version).toBe(3)
    expect(state.todos).toEqual({
      items: [{ id: 7, text: 'b', done: true }],
      nextId: 8,
    })
    // The snapshot left ui out: it comes from the reducers' initial state.
    expect(state.ui).toEqual({ filter: 'all', selected: null })
  })

  it('reports version 0 for a log without a snapshot and works with a reducer function', () => {
    expect(
      replayLog([{ type: 'inc' }, { type: 'inc', by: 2 }], counter),
    ).toEqual({
      state: 3,
      version: 0,
    })
  })

  it('throws AOF_CORRUPT for a record that is not an action', () => {
    expect(() => replayLog([{ type: 'inc' }, 42], counter)).toThrow(
      expect.objectContaining({
        code: 'AOF_CORRUPT',
        message: expect.stringMatching(
          /^Record 2 of the log: it is not a Redux action/,
        ),
      }),
    )
  })
})
