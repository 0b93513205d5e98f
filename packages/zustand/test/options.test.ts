import { openAof, readAofEntries } from '@aof-persist/core'
import type { FsyncPolicy } from '@aof-persist/core'
import { aof } from '@aof-persist/zustand'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { createStore } from 'zustand/vanilla'
import { autoClose, recordsIn, tempDir } from './helpers.js'

interface Todos {
  todos: { id: number; text: string }[]
}

describe('merge gets a copy', () => {
  it('keeps the log and the store in step whatever merge does to the persisted state', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.string({ maxLength: 3 }), { minLength: 2, maxLength: 6 }),
        fc.constantFrom('splice', 'push', 'reverse', 'delete', 'rename'),
        fc.array(fc.nat(5), { maxLength: 4 }),
        async (texts, edit, removals) => {
          const dir = tempDir()
          const first = createStore(aof((): Todos => ({ todos: [] }), { dir }))
          first.setState({ todos: texts.map((text, id) => ({ id, text })) })
          await first.aof.close()

          // A merge that edits what it is given, in place.
          const merge = (persisted: unknown, current: Todos): Todos => {
            const p = persisted as Todos
            if (edit === 'splice') p.todos.splice(0, 1)
            if (edit === 'push') p.todos.push({ id: 99, text: 'merged' })
            if (edit === 'reverse') p.todos.reverse()
            if (edit === 'delete') delete (p as Partial<Todos>).todos
            if (edit === 'rename') p.todos[0]!.text = 'renamed'
            return { ...current, ...p }
          }
          const second = createStore(
            aof((): Todos => ({ todos: [] }), { dir, merge }),
          )
          for (const r of removals) {
            second.setState((s) => ({
              todos: s.todos.filter((_, i) => i !== r % (s.todos.length + 1)),
            }))
          }
          const expected = second.getState().todos
          await second.aof.close()
          // Replayed without the merge: exactly the store's state, not what the file had.
          const third = createStore(aof((): Todos => ({ todos: [] }), { dir }))
          expect(third.getState().todos).toEqual(expected)
          await third.aof.close()
        },
      ),
      { numRuns: 40 },
    )
  })
})

describe('an open log instead of a directory', () => {
  it('replays it, appends to it, and closes it in store.aof.close()', async () => {
    const dir = tempDir()
    const log = openAof({ dir, fsync: 'always' })
    const store = createStore(aof(() => ({ n: 0 }), { log }))
    store.setState({ n: 1 })
    expect(store.aof.stats().fsync).toBe('always')
    await store.aof.close()
    expect(log.status).toBe('closed')
    const again = autoClose(
      createStore(aof(() => ({ n: 0 }), { log: openAof({ dir }) })),
    )
    expect(again.getState().n).toBe(1)
  })

  it('leaves the app’s log open when the store cannot be created', () => {
    const dir = tempDir()
    const log = openAof({ dir })
    log.append({ type: 'todos/added', payload: 1 })
    expect(() => createStore(aof(() => ({ n: 0 }), { log }))).toThrow(
      expect.objectContaining({ code: 'AOF_WRONG_KIND' }),
    )
    expect(log.status).toBe('open')
    log.closeSync()
  })

  it("attaches the store's snapshot to an open log: its automatic rewrites work without a snapshot option", async () => {
    const dir = tempDir()
    // The log is opened before the store exists, without a snapshot of its own.
    const log = openAof({ dir, autoRewriteMinSize: 1024 })
    const s = createStore(aof(() => ({ items: [] as string[] }), { log }))
    const first = s.aof.stats().rewrites
    for (let i = 0; i < 200 && s.aof.stats().rewrites === first; i++) {
      s.setState((st) => ({ items: [...st.items, `item number ${i}`] }))
      await new Promise((resolve) => setImmediate(resolve))
    }
    while (s.aof.stats().rewriteInProgress)
      await new Promise((resolve) => setImmediate(resolve))
    expect(s.aof.stats().rewrites).toBeGreaterThan(first)
    const live = s.getState().items
    await s.aof.close()
    expect(recordsIn(dir)[0]).toMatchObject({ meta: { kind: 'zustand' } })
    const again = autoClose(
      createStore(aof(() => ({ items: [] as string[] }), { dir })),
    )
    expect(again.getState().items).toEqual(live)
  })

  it.each(['dir', 'fileName', 'fsync', 'loadTruncated'])(
    'refuses "%s" together with "log", naming it',
    (name) => {
      const log = openAof({ dir: tempDir() })
      try {
        expect(() =>
          createStore(
            aof(() => ({}), {
              log,
              [name]: name === 'dir' ? tempDir() : 'x',
            } as never),
          ),
        ).toThrow(new RegExp(`"${name}" configures opening a directory`))
      } finally {
        log.closeSync()
      }
    },
  )

  it('refuses an unknown option, listing the options', () => {
    expect(() =>
      createStore(aof(() => ({}), { dir: tempDir(), versoin: 2 } as never)),
    ).toThrow(/unknown option "versoin"\. The options are: dir, log, version/)
  })
})

describe('store.aof.durable()', () => {
  it.each(['always', 'everysec', 'no'] as FsyncPolicy[])(
    'resolves under fsync %s once every set before it is fdatasync’d',
    async (fsync) => {
      const dir = tempDir()
      const store = createStore(aof(() => ({ n: 0 }), { dir, fsync }))
      const before = store.aof.stats().lastFsyncAt
      await new Promise((resolve) => setTimeout(resolve, 5))
      store.setState({ n: 1 }, false, 'saved')
      await store.aof.durable()
      const stats = store.aof.stats()
      expect(stats.bufferLength).toBe(0)
      expect(stats.lastFsyncAt).toBeGreaterThan(before)
      expect(
        [...readAofEntries({ dir })].some(
          (e) =>
            e.kind === 'record' &&
            (e.value as { type?: string }).type === 'saved',
        ),
      ).toBe(true)
      await store.aof.close()
      await expect(store.aof.durable()).rejects.toMatchObject({
        code: 'AOF_CLOSED',
      })
    },
  )
})
