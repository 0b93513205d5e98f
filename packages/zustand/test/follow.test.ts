// The hook a log that other tabs write into offers (@aof-persist/browser's BrowserAof, with
// follow: true): `role` and `subscribe`. BrowserAof runs only in a browser (its tests drive
// this adapter in Chromium: examples/browser-todo); here a real core log carries the two
// members, so the adapter's side of the contract is checked under Node.
import { openAof, readAofEntries } from '@aof-persist/core'
import type { Aof, FollowEvent as Event } from '@aof-persist/core'
import { aof } from '@aof-persist/zustand'
import { describe, expect, it } from 'vitest'
import { createStore } from 'zustand/vanilla'
import { tempDir } from './helpers.js'

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
  return new Proxy(log, {
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
}

type Todos = {
  todos: string[]
  count: number
  add: (text: string) => void
}

const storeOn = (log: ReturnType<typeof followingLog>) =>
  createStore<Todos>()(
    aof(
      (set) => ({
        todos: [],
        count: 0,
        add: (text) =>
          set((s) => ({ todos: [...s.todos, text] }), false, 'todos/add'),
      }),
      { log },
    ),
  )

const changes = (dir: string) =>
  [...readAofEntries({ dir })]
    .filter((e) => e.kind === 'record')
    .map((e) => (e as { value: unknown }).value)
    .slice(1) // the base the store starts its log with

describe('a log other tabs write into', () => {
  it('applies the records another tab logged, without appending them, and diffs against them after', async () => {
    const dir = tempDir()
    const log = followingLog(dir)
    const store = storeOn(log)
    const before = store.getState().todos
    log.emit({
      type: 'records',
      records: [
        {
          type: 'todos/add',
          patches: [{ op: 'add', path: ['todos', 0], value: 'theirs' }],
        },
      ],
    })
    expect(store.getState().todos).toEqual(['theirs'])
    // The state the store held is not changed in place: a new array, the old one as it was.
    expect(before).toEqual([])
    store.getState().add('mine')
    await store.aof.close()
    expect(changes(dir)).toEqual([
      {
        type: 'todos/add',
        patches: [{ op: 'add', path: ['todos', 1], value: 'mine' }],
      },
    ])
  })

  it("in a follower, keeps a set applied, sends it as whole top-level keys, and holds the log's value once its own records are back", async () => {
    const dir = tempDir()
    const log = followingLog(dir)
    const store = storeOn(log)
    log.role = 'follower'
    store.getState().add('one')
    store.getState().add('two')
    expect(store.getState().todos).toEqual(['one', 'two'])
    const sent = changes(dir)
    // Each record carries the whole list as this tab has it: the second holds the first too.
    expect(sent).toEqual([
      {
        type: 'todos/add',
        patches: [{ op: 'replace', path: ['todos'], value: ['one'] }],
      },
      {
        type: 'todos/add',
        patches: [{ op: 'replace', path: ['todos'], value: ['one', 'two'] }],
      },
    ])
    // The writer logged a change of its own first: this tab keeps its list until its own
    // records are back, and then holds what the log holds.
    const theirs = {
      type: 'todos/add',
      patches: [{ op: 'add', path: ['todos', 0], value: 'theirs' }],
    }
    log.emit({ type: 'records', records: [theirs] })
    expect(store.getState().todos).toEqual(['one', 'two'])
    log.emit({ type: 'records', records: sent.slice(0, 1) })
    expect(store.getState().todos).toEqual(['one', 'two'])
    log.emit({ type: 'records', records: sent.slice(1) })
    expect(store.getState().todos).toEqual(['one', 'two'])
    // Its own are back: what the writer logs next shows again.
    log.emit({ type: 'records', records: [theirs] })
    expect(store.getState().todos).toEqual(['theirs', 'one', 'two'])
    await store.aof.close()
  })

  it('logs what it still holds of its own sets when it takes over', async () => {
    const dir = tempDir()
    const log = followingLog(dir)
    const store = storeOn(log)
    log.role = 'follower'
    // The writer dies before it logs what this tab sent: here, the append goes nowhere.
    const append = log.append
    log.append = () => {}
    store.getState().add('sent, never logged')
    log.append = append
    expect(changes(dir)).toEqual([])
    log.role = 'writer'
    log.emit({ type: 'role', role: 'writer' })
    expect(changes(dir)).toEqual([
      {
        type: 'setState',
        patches: [
          { op: 'add', path: ['todos', 0], value: 'sent, never logged' },
        ],
      },
    ])
    await store.aof.close()
  })

  it('rebuilds from the whole log on reset', async () => {
    const dir = tempDir()
    const log = followingLog(dir)
    const store = storeOn(log)
    store.getState().add('logged')
    log.emit({
      type: 'records',
      records: [
        { type: 'x', patches: [{ op: 'replace', path: ['count'], value: 7 }] },
      ],
    })
    expect(store.getState().count).toBe(7)
    log.emit({ type: 'reset' })
    expect(store.getState()).toMatchObject({ todos: ['logged'], count: 0 })
    expect(typeof store.getState().add).toBe('function')
    await store.aof.close()
  })

  it('reports a record that is not its own to onError and keeps the state', async () => {
    const dir = tempDir()
    const errors: string[] = []
    const log = followingLog(dir)
    const store = createStore<Todos>()(
      aof((): Todos => ({ todos: [], count: 0, add: () => {} }), {
        log,
        onError: (e) => errors.push(e.code),
      }),
    )
    log.emit({ type: 'records', records: [{ type: 'redux/action' }] })
    expect(errors).toEqual(['AOF_CORRUPT'])
    expect(store.getState().todos).toEqual([])
    await store.aof.close()
  })
})
