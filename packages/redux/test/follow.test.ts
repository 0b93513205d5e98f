// The hook a log that other tabs write into offers (@aof-persist/browser's BrowserAof, with
// follow: true): `role` and `subscribe`. BrowserAof runs only in a browser (its tests drive
// these adapters in Chromium: examples/browser-todo); here a real core log carries the two
// members, so the adapter's side of the contract is checked under Node.
import { openAof } from '@aof-persist/core'
import type { Aof, FollowEvent as Event } from '@aof-persist/core'
import { configureStore, createSlice } from '@reduxjs/toolkit'
import { describe, expect, it } from 'vitest'
import { aofPersist, withAof } from '../src/index.js'
import { recordsOf, tempDir } from './helpers.js'

/** A core log with the two members a following log adds; `emit` plays the other tab. */
function followingLog(dir: string) {
  const log = openAof({ dir, fsync: 'always' })
  const listeners = new Set<(e: Event) => void>()
  const following = {
    role: 'writer' as 'writer' | 'follower',
    subscribe(listener: (e: Event) => void) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
    emit: (e: Event) => listeners.forEach((l) => l(e)),
  }
  const aof = new Proxy(log, {
    get(target, key) {
      if (key in following) return following[key as keyof typeof following]
      const v = Reflect.get(target, key, target) as unknown
      return typeof v === 'function' ? v.bind(target) : v
    },
    set(_, key, value) {
      ;(following as Record<string | symbol, unknown>)[key] = value
      return true
    },
  }) as Aof<unknown> & typeof following
  return aof
}

const todos = createSlice({
  name: 'todos',
  initialState: [] as string[],
  reducers: {
    added: (state, action: { payload: string }) => {
      state.push(action.payload)
    },
  },
})
const { added } = todos.actions

function storeOn(log: ReturnType<typeof followingLog>) {
  const persist = aofPersist({ log })
  const store = configureStore({
    reducer: withAof({ todos: todos.reducer }),
    middleware: (gDM) => gDM().concat(persist),
  })
  return { persist, store }
}

describe('a log other tabs write into', () => {
  it('reduces the records another tab logged, without appending them', async () => {
    const dir = tempDir()
    const log = followingLog(dir)
    const { persist, store } = storeOn(log)
    store.dispatch(added('mine'))
    let notified = 0
    store.subscribe(() => notified++)
    log.emit({ type: 'records', records: [added('x'), added('y')] })
    expect(store.getState().todos).toEqual(['mine', 'x', 'y'])
    expect(notified).toBe(1)
    await persist.close()
    expect(recordsOf(dir)).toEqual([added('mine')])
  })

  it('in a follower, sends a dispatched action to the log without reducing it, and reduces it when it comes back', async () => {
    const dir = tempDir()
    const log = followingLog(dir)
    const { persist, store } = storeOn(log)
    log.role = 'follower'
    const returned = store.dispatch(added('sent'))
    expect(returned).toEqual(added('sent'))
    expect(store.getState().todos).toEqual([])
    log.emit({ type: 'records', records: [added('sent')] })
    expect(store.getState().todos).toEqual(['sent'])
    await persist.close()
    expect(recordsOf(dir)).toEqual([added('sent')])
  })

  it('rebuilds the state from the whole log on reset, from the initial state', async () => {
    const dir = tempDir()
    const log = followingLog(dir)
    const { persist, store } = storeOn(log)
    store.dispatch(added('logged'))
    log.emit({ type: 'records', records: [added('seen only here')] })
    expect(store.getState().todos).toEqual(['logged', 'seen only here'])
    log.emit({ type: 'reset' })
    expect(store.getState().todos).toEqual(['logged'])
    log.emit({ type: 'role', role: 'writer' })
    expect(store.getState().todos).toEqual(['logged'])
    await persist.close()
  })

  it('reports a record that does not reduce to onError and keeps the state', async () => {
    const dir = tempDir()
    const errors: string[] = []
    const log = followingLog(dir)
    const persist = aofPersist({ log, onError: (e) => errors.push(e.code) })
    const store = configureStore({
      reducer: withAof({ todos: todos.reducer }),
      middleware: (gDM) => gDM().concat(persist),
    })
    log.emit({ type: 'records', records: ['not an action'] })
    expect(errors).toEqual(['AOF_CORRUPT'])
    expect(store.getState().todos).toEqual([])
    await persist.close()
  })

  it('stops listening when closed', async () => {
    const dir = tempDir()
    const log = followingLog(dir)
    const { persist, store } = storeOn(log)
    await persist.close()
    log.emit({ type: 'records', records: [added('late')] })
    expect(store.getState().todos).toEqual([])
  })
})
