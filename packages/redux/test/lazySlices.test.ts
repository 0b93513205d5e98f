// A test app with RTK 2's code splitting: combineSlices(...).withLazyLoadedSlices() and
// inject(slice) after the store exists, restarted on the same directory, with rewrites between.
import { aofPersist, withAof } from '@aof-persist/redux'
import {
  combineSlices,
  configureStore,
  createSlice,
  type PayloadAction,
} from '@reduxjs/toolkit'
import { describe, expect, it } from 'vitest'
import { added, allRecordsOf, tempDir, todosSlice } from './helpers.js'

const notesSlice = createSlice({
  name: 'notes',
  initialState: { list: [] as string[] },
  reducers: {
    noted(state, action: PayloadAction<string>) {
      state.list.push(action.payload)
    },
  },
})
const settingsSlice = createSlice({
  name: 'settings',
  initialState: { theme: 'light' },
  reducers: {
    themed(state, action: PayloadAction<string>) {
      state.theme = action.payload
    },
  },
})
const { noted } = notesSlice.actions
const { themed } = settingsSlice.actions

interface Lazy {
  notes: ReturnType<typeof notesSlice.reducer>
  settings: ReturnType<typeof settingsSlice.reducer>
}

/** One run of the app: a fresh root reducer (a new process), todos eager, the rest lazy. */
function start(dir: string, autoRewriteMinSize?: number) {
  const rootReducer = combineSlices(todosSlice).withLazyLoadedSlices<Lazy>()
  const persist = aofPersist({
    dir,
    ...(autoRewriteMinSize === undefined
      ? {}
      : { autoRewriteMinSize, autoRewritePercentage: 10 }),
  })
  const store = configureStore({
    reducer: withAof(rootReducer),
    middleware: (gDM) => gDM().concat(persist),
  })
  return {
    store,
    persist,
    rootReducer,
    notes: () => store.getState().notes?.list,
    theme: () => store.getState().settings?.theme,
  }
}

describe('slices injected after the store exists (combineSlices)', () => {
  it('get back the state they had before the restart as soon as they are injected', async () => {
    const dir = tempDir()
    const a = start(dir)
    a.store.dispatch(added('eager'))
    a.rootReducer.inject(notesSlice)
    a.store.dispatch(noted('one'))
    a.store.dispatch(noted('two'))
    await a.persist.close()

    const b = start(dir)
    expect(b.store.getState().todos.items).toHaveLength(1)
    expect(b.notes()).toBeUndefined() // not injected yet
    b.rootReducer.inject(notesSlice)
    expect(b.notes()).toEqual(['one', 'two']) // at once, not at the next action
    b.store.dispatch(noted('three'))
    expect(b.notes()).toEqual(['one', 'two', 'three'])
    await b.persist.close()

    const c = start(dir)
    notesSlice.injectInto(c.rootReducer)
    expect(c.notes()).toEqual(['one', 'two', 'three'])
    await c.persist.close()
  })

  it('keep their state through rewrites made while they are not injected', async () => {
    const dir = tempDir()
    const a = start(dir)
    a.rootReducer.inject(notesSlice)
    a.rootReducer.inject(settingsSlice)
    a.store.dispatch(noted('kept'))
    a.store.dispatch(themed('dark'))
    await a.persist.close()

    // A run that never loads the lazy parts, and compacts the log.
    const b = start(dir)
    b.store.dispatch(added('x'))
    await b.persist.rewrite()
    await b.persist.close()
    expect(allRecordsOf(dir)).toEqual([
      expect.objectContaining({
        type: '@@aof/SNAPSHOT',
        payload: expect.objectContaining({
          notes: { list: ['kept'] },
          settings: { theme: 'dark' },
        }),
      }),
    ])

    const c = start(dir)
    c.rootReducer.inject(settingsSlice)
    expect(c.theme()).toBe('dark')
    c.store.dispatch(themed('blue'))
    // A rewrite with one slice injected and one not: both kept.
    await c.persist.rewrite()
    await c.persist.close()

    const d = start(dir)
    d.rootReducer.inject(notesSlice)
    d.rootReducer.inject(settingsSlice)
    expect(d.notes()).toEqual(['kept'])
    expect(d.theme()).toBe('blue')
    expect(d.store.getState().todos.items.map((t) => t.text)).toEqual(['x'])
    await d.persist.close()
  })

  it('keep their state through automatic rewrites, and replay exactly', async () => {
    const dir = tempDir()
    const a = start(dir, 2048)
    a.rootReducer.inject(notesSlice)
    const first = a.persist.stats().rewrites
    for (let i = 0; i < 200; i++) {
      a.store.dispatch(noted(`note ${i}`))
      a.store.dispatch(added(`todo ${i}`))
      await new Promise((resolve) => setImmediate(resolve))
    }
    while (a.persist.stats().rewriteInProgress)
      await new Promise((resolve) => setImmediate(resolve))
    expect(a.persist.stats().rewrites).toBeGreaterThan(first)
    const live = a.store.getState()
    await a.persist.close()

    const b = start(dir)
    b.rootReducer.inject(notesSlice)
    expect(b.store.getState()).toEqual(live)
    await b.persist.close()
  })

  it('are not persisted when partialize leaves them out', async () => {
    const dir = tempDir()
    const run = () => {
      const rootReducer = combineSlices(todosSlice).withLazyLoadedSlices<Lazy>()
      const persist = aofPersist<any>({
        dir,
        partialize: (state) => ({ todos: state.todos }),
      })
      const store = configureStore({
        reducer: withAof(rootReducer),
        middleware: (gDM) => gDM().concat(persist),
      })
      return { rootReducer, persist, store }
    }
    const a = run()
    a.rootReducer.inject(notesSlice)
    a.store.dispatch(noted('not kept'))
    a.store.dispatch(added('kept'))
    await a.persist.rewrite()
    await a.persist.close()
    expect(JSON.stringify(allRecordsOf(dir))).not.toContain('not kept')
    const b = run()
    b.rootReducer.inject(notesSlice)
    expect(b.store.getState().notes).toEqual({ list: [] })
    expect(b.store.getState().todos.items.map((t) => t.text)).toEqual(['kept'])
    await b.persist.close()
  })

  it('start from their initial state when the log holds nothing for them', async () => {
    const dir = tempDir()
    const a = start(dir)
    a.store.dispatch(added('only todos'))
    await a.persist.close()
    const b = start(dir)
    b.rootReducer.inject(settingsSlice)
    expect(b.theme()).toBe('light')
    await b.persist.close()
  })
})
