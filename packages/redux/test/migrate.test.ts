import { aofPersist, withAof } from '@aof-persist/redux'
import type { AofPersistDirOptions } from '@aof-persist/redux'
import { applyMiddleware, legacy_createStore as createStore } from 'redux'
import { describe, expect, it, vi } from 'vitest'
import {
  added,
  counter,
  filesOf,
  allRecordsOf,
  recordsOf,
  slices,
  tempDir,
  textOf,
} from './helpers.js'
import type { RootState } from './helpers.js'

function openCounter(
  dir: string,
  options: Partial<AofPersistDirOptions<number>> = {},
) {
  const persist = aofPersist<number>({ dir, ...options })
  const store = createStore(withAof(counter), applyMiddleware(persist))
  return { store, persist }
}

/** A log at version 0 (it records none) whose state is 3. */
async function versionZeroLog(): Promise<string> {
  const dir = tempDir()
  const { store, persist } = openCounter(dir)
  store.dispatch({ type: 'inc' })
  store.dispatch({ type: 'inc', by: 2 })
  await persist.close()
  return dir
}

describe('versions', () => {
  it('throws AOF_MIGRATE_FAILED naming both versions when migrate is missing, files untouched', async () => {
    const dir = await versionZeroLog()
    const before = filesOf(dir)
    let error: unknown
    try {
      openCounter(dir, { version: 2 })
    } catch (err) {
      error = err
    }
    expect(error).toMatchObject({ code: 'AOF_MIGRATE_FAILED' })
    expect((error as Error).message).toMatch(/version 0.*version 2/)
    expect((error as Error).message).toMatch(/migrate/)
    expect(filesOf(dir)).toEqual(before)
    // The directory was released and still opens at its own version.
    const same = openCounter(dir)
    expect(same.store.getState()).toBe(3)
    await same.persist.close()
  })

  it('throws AOF_MIGRATE_FAILED with the cause when migrate throws, files untouched', async () => {
    const dir = await versionZeroLog()
    const before = filesOf(dir)
    const cause = new Error('cannot migrate this')
    let error: unknown
    try {
      openCounter(dir, {
        version: 1,
        migrate: () => {
          throw cause
        },
      })
    } catch (err) {
      error = err
    }
    expect(error).toMatchObject({ code: 'AOF_MIGRATE_FAILED', cause })
    expect(filesOf(dir)).toEqual(before)
    expect(recordsOf(dir)).toEqual([{ type: 'inc' }, { type: 'inc', by: 2 }])
  })

  it('hands out the migrated state, already durable as a base that records the new version', async () => {
    const dir = await versionZeroLog()
    const migrate = vi.fn(
      (state: unknown, from: number) => (state as number) * 100 + from,
    )
    const { store, persist } = openCounter(dir, { version: 1, migrate })
    expect(migrate).toHaveBeenCalledWith(3, 0)
    expect(store.getState()).toBe(300)
    // Durable before anything else: no close, no flush.
    expect(textOf(dir)).toContain(
      '{"type":"@@aof/SNAPSHOT","payload":300,"meta":{"version":1,"kind":"redux"}}',
    )
    const stats = persist.stats()
    expect(stats.files.map((f) => f.type)).toEqual(['base', 'incr'])
    store.dispatch({ type: 'inc' })
    await persist.close()

    expect(allRecordsOf(dir)).toEqual([
      {
        type: '@@aof/SNAPSHOT',
        payload: 300,
        meta: { version: 1, kind: 'redux' },
      },
      { type: 'inc' },
    ])
    const again = openCounter(dir, { version: 1, migrate })
    expect(again.store.getState()).toBe(301)
    expect(migrate).toHaveBeenCalledTimes(1)
    await again.persist.close()
  })

  it('migrates from the version of the last snapshot, and partialized keys come from the initial state', async () => {
    const dir = tempDir()
    const v1 = aofPersist<RootState>({
      dir,
      version: 1,
      partialize: (s) => ({ todos: s.todos }),
    })
    const s1 = createStore(withAof(slices), applyMiddleware(v1))
    s1.dispatch(added('a'))
    await v1.rewrite()
    s1.dispatch(added('b'))
    await v1.close()

    const migrate = vi.fn((state: unknown) => {
      const s = state as RootState
      return {
        ...s,
        todos: {
          ...s.todos,
          items: s.todos.items.map((t) => ({
            ...t,
            text: t.text.toUpperCase(),
          })),
        },
      }
    })
    const v2 = aofPersist<RootState>({
      dir,
      version: 2,
      migrate,
      partialize: (s) => ({ todos: s.todos }),
    })
    const s2 = createStore(withAof(slices), applyMiddleware(v2))
    expect(migrate).toHaveBeenCalledWith(expect.anything(), 1)
    expect(s2.getState().todos.items.map((t) => t.text)).toEqual(['A', 'B'])
    expect(s2.getState().ui).toEqual({ filter: 'all', selected: null })
    await v2.close()
    expect(allRecordsOf(dir)).toEqual([
      {
        type: '@@aof/SNAPSHOT',
        payload: { todos: s2.getState().todos },
        meta: { version: 2, kind: 'redux' },
      },
    ])
  })

  it('starts a new log with a base that records the version and the kind', async () => {
    const dir = tempDir()
    const first = openCounter(dir, { version: 2 })
    expect(first.store.getState()).toBe(0)
    first.store.dispatch({ type: 'inc' })
    await first.persist.close()
    expect(allRecordsOf(dir)).toEqual([
      {
        type: '@@aof/SNAPSHOT',
        payload: 0,
        meta: { version: 2, kind: 'redux' },
      },
      { type: 'inc' },
    ])

    // Same version: no migration needed.
    const same = openCounter(dir, { version: 2 })
    expect(same.store.getState()).toBe(1)
    await same.persist.close()
    // A later version sees version 2 stored.
    expect(() => openCounter(dir, { version: 3 })).toThrow(
      /version 2.*version 3/,
    )
  })

  it('does not ask for migrate on an empty log', async () => {
    const dir = tempDir()
    const { persist } = openCounter(dir, { version: 5 })
    await persist.close()
    expect(allRecordsOf(dir)).toHaveLength(1)
  })
})
