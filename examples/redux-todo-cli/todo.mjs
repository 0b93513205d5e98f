#!/usr/bin/env node
// A todo list on Redux Toolkit whose state survives restarts and kill -9: every action is
// appended to an append-only log by @aof-persist/redux, and the store is rebuilt from it
// before configureStore returns.
import { writeSync } from 'node:fs'
import { aofPersist, withAof } from '@aof-persist/redux'
import { configureStore, createSlice } from '@reduxjs/toolkit'

const todos = createSlice({
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
const { added, toggled, removed } = todos.actions

const USAGE = `usage: todo <command> [--dir <path>]

  add "text"     add a todo
  list           show the todos
  toggle <id>    mark a todo done / not done
  remove <id>    delete a todo
  rewrite        compact the log into one snapshot
  stats          show persistence counters

The state lives in --dir, or $TODO_DIR, or ./.todo-state.`

/** Prints synchronously, so a line on stdout means the dispatch before it has returned. */
const say = (line) => writeSync(1, `${line}\n`)

function fail(message) {
  process.stderr.write(`todo: ${message}\n`)
  process.exit(1)
}

function parseArgs(argv) {
  const args = []
  let dir = process.env.TODO_DIR || './.todo-state'
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]
    if (arg === '--dir') {
      dir = argv[++i]
      if (!dir) fail('--dir needs a path')
    } else if (arg.startsWith('--dir=')) dir = arg.slice('--dir='.length)
    else args.push(arg)
  }
  return { dir, command: args[0], rest: args.slice(1) }
}

function idArg(store, value) {
  const id = Number(value)
  if (!Number.isInteger(id))
    fail(`expected a todo id, got ${value ?? 'nothing'}`)
  if (!store.getState().todos.items.some((t) => t.id === id))
    fail(`no todo with id ${id}`)
  return id
}

const { dir, command, rest } = parseArgs(process.argv.slice(2))
if (!command || command === 'help' || command === '--help') {
  say(USAGE)
  process.exit(command ? 0 : 1)
}

// fsync 'always': each command is one short process, and a todo reported as added is on disk.
const persist = aofPersist({ dir, fsync: 'always' })
const store = configureStore({
  reducer: withAof({ todos: todos.reducer }),
  middleware: (getDefaultMiddleware) => getDefaultMiddleware().concat(persist),
})

switch (command) {
  case 'add': {
    const text = rest.join(' ').trim()
    if (!text) fail('add needs a text')
    store.dispatch(added(text))
    say(`added ${store.getState().todos.nextId - 1}`)
    break
  }
  case 'list': {
    const { items } = store.getState().todos
    if (items.length === 0) say('no todos')
    for (const t of items) say(`${t.done ? '[x]' : '[ ]'} ${t.id} ${t.text}`)
    break
  }
  case 'toggle':
    store.dispatch(toggled(idArg(store, rest[0])))
    break
  case 'remove':
    store.dispatch(removed(idArg(store, rest[0])))
    break
  case 'rewrite':
    await persist.rewrite()
    say(`rewritten: ${persist.stats().currentSize} bytes`)
    break
  case 'stats': {
    const s = persist.stats()
    say(`dir            ${dir}`)
    say(`fsync          ${s.fsync}`)
    say(
      `size           ${s.currentSize} bytes (base after last rewrite: ${s.baseSize})`,
    )
    say(`files          ${s.files.map((f) => f.name).join(', ')}`)
    say(`todos          ${store.getState().todos.items.length}`)
    break
  }
  case 'burst': {
    // Hidden, for the crash test: one line per dispatch that has returned (and so, under
    // fsync 'always', is on disk).
    const n = Number(rest[0] ?? 1000)
    for (let i = 0; i < n; i++) {
      store.dispatch(added(`burst ${i}`))
      say(`ok ${store.getState().todos.nextId - 1}`)
    }
    break
  }
  default:
    await persist.close()
    fail(`unknown command "${command}"\n\n${USAGE}`)
}

await persist.close()
