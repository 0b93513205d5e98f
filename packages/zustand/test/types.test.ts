import type { AofStats } from '@aof-persist/core'
import {
  aof,
  replayLog,
  type AofStoreApi,
  type AofStoreStats,
  type ReplayResult,
  type ZustandAofOptions,
} from '@aof-persist/zustand'
import { describe, expectTypeOf, it } from 'vitest'
import { devtools, subscribeWithSelector } from 'zustand/middleware'
import { immer } from 'zustand/middleware/immer'
import { createStore } from 'zustand/vanilla'

// These tests are checked by `tsc -p tsconfig.json` (the package's typecheck); at run time the
// stores are never created (`dir` would be needed), only their types are inspected.
const dir = 'never-opened'

interface State {
  todos: { id: number; done: boolean }[]
  add: () => void
}

describe('types', () => {
  it('types store.aof', () => {
    const make = () =>
      createStore<State>()(
        aof((set) => ({ todos: [], add: () => set({ todos: [] }) }), { dir }),
      )
    type Store = ReturnType<typeof make>
    expectTypeOf<Store['aof']>().toEqualTypeOf<AofStoreApi>()
    expectTypeOf<Store['aof']['rewrite']>().returns.toEqualTypeOf<
      Promise<void>
    >()
    expectTypeOf<Store['aof']['close']>().returns.toEqualTypeOf<Promise<void>>()
    expectTypeOf<Store['aof']['flush']>().returns.toEqualTypeOf<void>()
    expectTypeOf<Store['aof']['stats']>().returns.toEqualTypeOf<AofStoreStats>()
    expectTypeOf<AofStoreStats>().toExtend<AofStats>()
    expectTypeOf<Store['getState']>().returns.toEqualTypeOf<State>()
  })

  it('lets set and setState take a name as third argument, a string or { type }', () => {
    const make = () =>
      createStore<State>()(
        aof(
          (set, _get, api) => ({
            todos: [],
            add: () => {
              set(
                (s) => ({ todos: [...s.todos, { id: 1, done: false }] }),
                false,
                'todos/add',
              )
              set({ todos: [] }, false, { type: 'todos/clear', reason: 'test' })
              set((s) => s, true, 'replace')
              api.setState({ todos: [] }, undefined, 'x')
              // @ts-expect-error a name is a string or an object with a string type
              set({ todos: [] }, false, 42)
              // @ts-expect-error only known keys of the state
              set({ nope: 1 }, false, 'x')
            },
          }),
          { dir },
        ),
      )
    type Store = ReturnType<typeof make>
    expectTypeOf<Store['setState']>().toBeCallableWith(
      { todos: [] },
      false,
      'name',
    )
    expectTypeOf<Store['setState']>().toBeCallableWith({ todos: [] }, false, {
      type: 'name',
    })
  })

  it('types partialize, merge and migrate against the state', () => {
    const make = () =>
      createStore<State>()(
        aof((set) => ({ todos: [], add: () => set({ todos: [] }) }), {
          dir,
          partialize: (s) => ({ todos: s.todos }),
          migrate: (persisted, version) => {
            expectTypeOf(persisted).toEqualTypeOf<unknown>()
            expectTypeOf(version).toEqualTypeOf<number>()
            return { todos: [] }
          },
          merge: (persisted, current) => {
            expectTypeOf(current).toEqualTypeOf<State>()
            return { ...current, ...(persisted as Partial<State>) }
          },
        }),
      )
    void make
    const options: ZustandAofOptions<State, Pick<State, 'todos'>> = {
      dir,
      partialize: (s) => ({ todos: s.todos }),
      // @ts-expect-error migrate must return what partialize returns
      migrate: () => ({ other: true }),
    }
    void options
  })

  it('composes with immer, devtools and subscribeWithSelector', () => {
    const make = () =>
      createStore<State>()(
        devtools(
          subscribeWithSelector(
            aof(
              immer((set) => ({
                todos: [],
                add: () =>
                  set(
                    (draft) => {
                      draft.todos.push({ id: 1, done: false })
                    },
                    false,
                    'todos/add',
                  ),
              })),
              { dir },
            ),
          ),
        ),
      )
    type Store = ReturnType<typeof make>
    expectTypeOf<Store['aof']>().toEqualTypeOf<AofStoreApi>()
    expectTypeOf<Store['devtools']['cleanup']>().toEqualTypeOf<() => void>()
    // immer's draft updater and the name both reach setState from outside
    expectTypeOf<Store['setState']>().toBeCallableWith(
      (d: State) => void d.todos.pop(),
      false,
      'todos/pop',
    )
    // subscribeWithSelector's selector form
    const subscribe = (store: Store) =>
      store.subscribe(
        (s) => s.todos.length,
        (n) => expectTypeOf(n).toEqualTypeOf<number>(),
      )
    void subscribe
  })

  it('types replayLog', () => {
    expectTypeOf(replayLog).parameter(0).toEqualTypeOf<Iterable<unknown>>()
    expectTypeOf(replayLog).returns.toEqualTypeOf<ReplayResult>()
    expectTypeOf<ReplayResult['version']>().toEqualTypeOf<number>()
  })
})
