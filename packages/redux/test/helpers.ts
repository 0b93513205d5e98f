import {
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openAof } from '@aof-persist/core'
import { combineReducers, createSlice } from '@reduxjs/toolkit'
import type { PayloadAction } from '@reduxjs/toolkit'
import { afterEach } from 'vitest'

const dirs: string[] = []

/** A fresh temp directory, removed after the test. */
export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'aof-redux-'))
  dirs.push(dir)
  return dir
}

afterEach(() => {
  for (const dir of dirs.splice(0))
    rmSync(dir, { recursive: true, force: true })
})

/** Every file under `dir` (relative path → bytes), to compare a directory before and after. */
export function filesOf(dir: string): Record<string, string> {
  const out: Record<string, string> = {}
  const walk = (sub: string) => {
    for (const name of readdirSync(join(dir, sub)).sort()) {
      const rel = sub ? join(sub, name) : name
      if (statSync(join(dir, rel)).isDirectory()) walk(rel)
      else out[rel] = readFileSync(join(dir, rel)).toString('base64')
    }
  }
  walk('')
  return out
}

/** All text of the files under `dir`, to check what reached the disk. */
export function textOf(dir: string): string {
  return Object.values(filesOf(dir))
    .map((b64) => Buffer.from(b64, 'base64').toString('utf8'))
    .join('\n')
}

/** The records of a closed store directory, read through the core's public API. */
export function recordsOf(dir: string): unknown[] {
  const aof = openAof({ dir, autoRewritePercentage: 0 })
  try {
    return [...aof.records()]
  } finally {
    aof.closeSync()
  }
}

/** The `type` of every record of a closed store directory. */
export function typesOf(dir: string): string[] {
  return recordsOf(dir).map((r) => (r as { type: string }).type)
}

export interface Todo {
  id: number
  text: string
  done: boolean
}

export const todosSlice = createSlice({
  name: 'todos',
  initialState: { items: [] as Todo[], nextId: 1 },
  reducers: {
    added(state, action: PayloadAction<string>) {
      state.items.push({
        id: state.nextId++,
        text: action.payload,
        done: false,
      })
    },
    addedMany(state, action: PayloadAction<string[]>) {
      for (const text of action.payload)
        state.items.push({ id: state.nextId++, text, done: false })
    },
    toggled(state, action: PayloadAction<number>) {
      const todo = state.items.find((t) => t.id === action.payload)
      if (todo) todo.done = !todo.done
    },
    cleared(state) {
      state.items = []
    },
    exploded() {
      throw new Error('boom')
    },
  },
})

export const uiSlice = createSlice({
  name: 'ui',
  initialState: {
    filter: 'all' as 'all' | 'done' | 'open',
    selected: null as number | null,
  },
  reducers: {
    filterSet(state, action: PayloadAction<'all' | 'done' | 'open'>) {
      state.filter = action.payload
    },
    selected(state, action: PayloadAction<number | null>) {
      state.selected = action.payload
    },
  },
})

export const { added, addedMany, toggled, cleared, exploded } =
  todosSlice.actions
export const { filterSet, selected } = uiSlice.actions

export const slices = { todos: todosSlice.reducer, ui: uiSlice.reducer }

const rootReducer = combineReducers(slices)
export type RootState = ReturnType<typeof rootReducer>

/** A plain (non-RTK) counter reducer with a non-object state. */
export function counter(
  state = 0,
  action: { type: string; by?: number },
): number {
  switch (action.type) {
    case 'inc':
      return state + (action.by ?? 1)
    case 'throw':
      throw new Error('reducer failed')
    default:
      return state
  }
}
