import type { AofError, AofStats } from '@aof-persist/core'
import { aofPersist, replayLog, withAof } from '@aof-persist/redux'
import type {
  AofPersistMiddleware,
  AofPersistOptions,
  AofPersistStats,
} from '@aof-persist/redux'
import {
  combineReducers,
  configureStore,
  createListenerMiddleware,
} from '@reduxjs/toolkit'
import type { Reducer, UnknownAction } from 'redux'
import { applyMiddleware, legacy_createStore as createStore } from 'redux'
import { thunk } from 'redux-thunk'
import { describe, expectTypeOf, it } from 'vitest'
import { counter, slices, tempDir } from './helpers.js'
import type { RootState } from './helpers.js'

/** The same store without persistence: the types to preserve. */
function plainStore() {
  return configureStore({ reducer: slices })
}

describe('types', () => {
  it('keep configureStore state and thunk dispatch through withAof(slices) and concat(persist)', async () => {
    const persist = aofPersist({ dir: tempDir() })
    const store = configureStore({
      reducer: withAof(slices),
      middleware: (gDM) => gDM().concat(persist),
    })
    expectTypeOf(store.getState()).toEqualTypeOf<RootState>()
    expectTypeOf(store.dispatch).toEqualTypeOf<
      ReturnType<typeof plainStore>['dispatch']
    >()
    expectTypeOf(
      store.dispatch((_dispatch, getState) => getState().todos.nextId),
    ).toEqualTypeOf<number>()
    await persist.close()
  })

  it('keep them with a root reducer function, a typed aofPersist and a prepended listener', async () => {
    const listener = createListenerMiddleware()
    const persist = aofPersist<RootState>({
      dir: tempDir(),
      partialize: (state) => ({ todos: state.todos }),
    })
    const store = configureStore({
      reducer: withAof(combineReducers(slices)),
      middleware: (gDM) => gDM().prepend(listener.middleware).concat(persist),
    })
    expectTypeOf(store.getState()).toEqualTypeOf<RootState>()
    expectTypeOf(
      store.dispatch(() => 'thunk result' as const),
    ).toEqualTypeOf<'thunk result'>()
    await persist.close()
  })

  it('keep them with a root reducer function and an untyped aofPersist', async () => {
    const persist = aofPersist({ dir: tempDir() })
    const store = configureStore({
      reducer: withAof(combineReducers(slices)),
      middleware: (gDM) => gDM().concat(persist),
    })
    expectTypeOf(store.getState()).toEqualTypeOf<RootState>()
    expectTypeOf(store.dispatch).toEqualTypeOf<
      ReturnType<typeof plainStore>['dispatch']
    >()
    await persist.close()
  })

  it('keep legacy createStore types with applyMiddleware(thunk, persist)', async () => {
    const persist = aofPersist<number>({ dir: tempDir() })
    const store = createStore(withAof(counter), applyMiddleware(thunk, persist))
    expectTypeOf(store.getState()).toEqualTypeOf<number>()
    await persist.close()
  })

  it('give withAof the type of the reducer or of combineReducers', () => {
    expectTypeOf(withAof(counter)).toEqualTypeOf<typeof counter>()
    const root = combineReducers(slices)
    expectTypeOf(withAof(slices)).toEqualTypeOf<typeof root>()
    expectTypeOf(withAof(slices)).toExtend<
      Reducer<RootState, UnknownAction, Partial<RootState>>
    >()
  })

  it('type the options and the middleware controls', () => {
    expectTypeOf<AofPersistOptions<RootState>['partialize']>().toEqualTypeOf<
      ((state: RootState) => Partial<RootState>) | undefined
    >()
    expectTypeOf<AofPersistOptions<RootState>['migrate']>().toEqualTypeOf<
      ((state: unknown, storedVersion: number) => RootState) | undefined
    >()
    expectTypeOf<AofPersistOptions['filter']>().toEqualTypeOf<
      ((action: UnknownAction) => boolean) | undefined
    >()
    expectTypeOf<AofPersistOptions['onError']>().toEqualTypeOf<
      ((err: AofError) => void) | undefined
    >()
    expectTypeOf<AofPersistMiddleware['rewrite']>().returns.toEqualTypeOf<
      Promise<void>
    >()
    expectTypeOf<AofPersistMiddleware['close']>().returns.toEqualTypeOf<
      Promise<void>
    >()
    expectTypeOf<
      AofPersistMiddleware['stats']
    >().returns.toEqualTypeOf<AofPersistStats>()
    expectTypeOf<AofPersistStats>().toExtend<AofStats>()
    expectTypeOf<AofPersistMiddleware['flush']>().returns.toEqualTypeOf<void>()
    // @ts-expect-error version is a number
    expectTypeOf<AofPersistOptions>().toExtend<{ version: string }>()
  })

  it('type what replayLog rebuilds', () => {
    expectTypeOf(replayLog([], slices).state).toEqualTypeOf<RootState>()
    expectTypeOf(replayLog([], counter)).toEqualTypeOf<{
      state: number
      version: number
    }>()
  })
})
