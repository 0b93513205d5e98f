/* global crypto */
import { openBrowserAof } from '@aof-persist/browser'
import { aof } from '@aof-persist/zustand'
import { createStore } from 'zustand/vanilla'
import { mountView } from './view.js'

// The one await: the worker opens the store (or follows the tab that has it open).
const log = await openBrowserAof({
  name: 'todos-zustand',
  follow: true,
})
const store = createStore(
  aof(
    (set) => ({
      todos: [],
      add: (text) =>
        set((s) => ({
          todos: [...s.todos, { id: crypto.randomUUID(), text, done: false }],
        })),
      toggle: (id) =>
        set((s) => ({
          todos: s.todos.map((t) =>
            t.id === id ? { ...t, done: !t.done } : t,
          ),
        })),
    }),
    { log },
  ),
)

mountView({
  log,
  getTodos: () => store.getState().todos,
  subscribe: (fn) => store.subscribe(fn),
  add: (text) => {
    store.getState().add(text)
    return log.durable()
  },
  toggle: (id) => {
    store.getState().toggle(id)
    return log.durable()
  },
})
// For the tests that drive this page.
globalThis.example = { store, log }
