// The state, shared by the main process (which owns it) and the renderers (which mirror it by
// applying the same actions). Plain ESM, no build step.
import { createSlice } from '@reduxjs/toolkit'

export const todos = createSlice({
  name: 'todos',
  initialState: { items: [], nextId: 1 },
  reducers: {
    added(state, action) {
      state.items.push({
        id: state.nextId++,
        text: action.payload,
        done: false,
      })
    },
    toggled(state, action) {
      const todo = state.items.find((t) => t.id === action.payload)
      if (todo) todo.done = !todo.done
    },
    removed(state, action) {
      state.items = state.items.filter((t) => t.id !== action.payload)
    },
  },
})

/** The action types a renderer may dispatch: everything else is refused at the IPC boundary. */
export const RENDERER_ACTIONS = new Set(
  Object.values(todos.actions).map((creator) => creator.type),
)
