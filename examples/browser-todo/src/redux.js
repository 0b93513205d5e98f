/* global crypto */
import { openBrowserAof } from '@aof-persist/browser'
import { aofPersist, withAof } from '@aof-persist/redux'
import { configureStore, createSlice } from '@reduxjs/toolkit'
import { mountView } from './view.js'

const todos = createSlice({
  name: 'todos',
  initialState: [],
  reducers: {
    added: (state, action) => {
      state.push({
        id: action.payload.id,
        text: action.payload.text,
        done: false,
      })
    },
    toggled: (state, action) => {
      const todo = state.find((t) => t.id === action.payload)
      if (todo) todo.done = !todo.done
    },
  },
})

// The one await: the worker opens the store (or follows the tab that has it open).
const log = await openBrowserAof({
  name: 'todos-redux',
  follow: true,
})
const persist = aofPersist({ log })
const store = configureStore({
  reducer: withAof({ todos: todos.reducer }),
  middleware: (getDefaultMiddleware) => getDefaultMiddleware().concat(persist),
})

mountView({
  log,
  getTodos: () => store.getState().todos,
  subscribe: (fn) => store.subscribe(fn),
  add: (text) => {
    store.dispatch(todos.actions.added({ id: crypto.randomUUID(), text }))
    return log.durable()
  },
  toggle: (id) => {
    store.dispatch(todos.actions.toggled(id))
    return log.durable()
  },
})
// For the tests that drive this page.
globalThis.example = { store, log }
