#!/usr/bin/env node
// Notes on a plain zustand/vanilla store whose state survives restarts and kill -9: the aof()
// middleware appends every change to a log in the state directory as a small patch record, and
// the store is created already holding the replayed state.
import { writeSync } from 'node:fs'
import { aof } from '@aof-persist/zustand'
import { createStore } from 'zustand/vanilla'

const USAGE = `usage: notes <command> [--dir <path>]

  add "text"          add a note
  list                show the notes
  edit <id> "text"    change a note's text
  remove <id>         delete a note
  rewrite             compact the log into one snapshot
  stats               show persistence counters

The state lives in --dir, or $NOTES_DIR, or ./.notes-state.`

/** Prints synchronously: a line on stdout means the set before it has returned. */
const say = (line) => writeSync(1, `${line}\n`)

function fail(message) {
  process.stderr.write(`notes: ${message}\n`)
  process.exit(1)
}

function parseArgs(argv) {
  const args = []
  let dir = process.env.NOTES_DIR || './.notes-state'
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

const { dir, command, rest } = parseArgs(process.argv.slice(2))
if (!command || command === 'help' || command === '--help') {
  say(USAGE)
  process.exit(command ? 0 : 1)
}

// fsync 'always': each command is a short process, and a note reported as saved is on disk.
const store = createStore(
  aof(
    (set) => ({
      notes: [],
      nextId: 1,
      add: (text) =>
        set(
          (s) => ({
            notes: [...s.notes, { id: s.nextId, text }],
            nextId: s.nextId + 1,
          }),
          false,
          'notes/add',
        ),
      edit: (id, text) =>
        set(
          (s) => ({
            notes: s.notes.map((n) => (n.id === id ? { ...n, text } : n)),
          }),
          false,
          'notes/edit',
        ),
      remove: (id) =>
        set(
          (s) => ({ notes: s.notes.filter((n) => n.id !== id) }),
          false,
          'notes/remove',
        ),
    }),
    { dir, fsync: 'always' },
  ),
)

function idArg(value) {
  const id = Number(value)
  if (!Number.isInteger(id))
    fail(`expected a note id, got ${value ?? 'nothing'}`)
  if (!store.getState().notes.some((n) => n.id === id))
    fail(`no note with id ${id}`)
  return id
}

function textArg(words) {
  const text = words.join(' ').trim()
  if (!text) fail(`${command} needs a text`)
  return text
}

const { add, edit, remove } = store.getState()
switch (command) {
  case 'add':
    add(textArg(rest))
    say(`added ${store.getState().nextId - 1}`)
    break
  case 'list': {
    const { notes } = store.getState()
    if (notes.length === 0) say('no notes')
    for (const n of notes) say(`${n.id} ${n.text}`)
    break
  }
  case 'edit':
    edit(idArg(rest[0]), textArg(rest.slice(1)))
    break
  case 'remove':
    remove(idArg(rest[0]))
    break
  case 'rewrite':
    await store.aof.rewrite()
    say(`rewritten: ${store.aof.stats().currentSize} bytes`)
    break
  case 'stats': {
    const s = store.aof.stats()
    say(`dir            ${dir}`)
    say(`fsync          ${s.fsync}`)
    say(
      `size           ${s.currentSize} bytes (base after last rewrite: ${s.baseSize})`,
    )
    say(`files          ${s.files.map((f) => f.name).join(', ')}`)
    say(`notes          ${store.getState().notes.length}`)
    break
  }
  case 'burst': {
    // Hidden, for the crash test: one line per add that has returned (and so, under fsync
    // 'always', is on disk).
    const n = Number(rest[0] ?? 1000)
    for (let i = 0; i < n; i++) {
      add(`burst ${i}`)
      say(`ok ${store.getState().nextId - 1}`)
    }
    break
  }
  default:
    await store.aof.close()
    fail(`unknown command "${command}"\n\n${USAGE}`)
}

await store.aof.close()
