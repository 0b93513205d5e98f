import { aofPersist, withAof } from '@aof-persist/redux'
import type { AofPersistDirOptions } from '@aof-persist/redux'
import { applyMiddleware, legacy_createStore as createStore } from 'redux'
import { describe, expect, it } from 'vitest'
import {
  added,
  addedMany,
  allRecordsOf,
  filterSet,
  slices,
  tempDir,
  textOf,
  toggled,
} from './helpers.js'
import type { RootState } from './helpers.js'

function open(
  dir: string,
  options: Partial<AofPersistDirOptions<RootState>> = {},
) {
  const persist = aofPersist<RootState>({
    dir,
    autoRewritePercentage: 0,
    ...options,
  })
  const store = createStore(withAof(slices), applyMiddleware(persist))
  return { store, persist }
}

const turn = () => new Promise<void>((resolve) => setImmediate(resolve))

describe('rewrite()', () => {
  it('turns the log into one snapshot action of the current state', async () => {
    const dir = tempDir()
    const { store, persist } = open(dir)
    for (let i = 0; i < 20; i++) store.dispatch(added(`t${i}`))
    store.dispatch(toggled(3))
    // The store started with a base of its own (a rewrite of the empty log).
    expect(persist.stats().rewrites).toBe(1)
    await persist.rewrite()
    expect(persist.stats().rewrites).toBe(2)
    const live = store.getState()
    await persist.close()

    expect(allRecordsOf(dir)).toEqual([
      {
        type: '@@aof/SNAPSHOT',
        payload: live,
        meta: { version: 0, kind: 'redux' },
      },
    ])
    const again = open(dir)
    expect(again.store.getState()).toEqual(live)
    await again.persist.close()
  })

  it('keeps the actions dispatched while the rewrite runs', async () => {
    const dir = tempDir()
    const { store, persist } = open(dir)
    // A state large enough that the base is written over several turns.
    store.dispatch(
      addedMany(Array.from({ length: 20_000 }, (_, i) => `todo number ${i}`)),
    )
    const rewriting = persist.rewrite()
    let during = 0
    let done = false
    void rewriting.then(() => (done = true))
    store.dispatch(added('right after rewrite()'))
    during++
    for (let i = 0; !done && i < 100_000; i++) {
      await turn()
      if (!done) {
        store.dispatch(toggled((i % 20_000) + 1))
        during++
      }
    }
    await rewriting
    store.dispatch(added('after the rewrite'))
    const live = store.getState()
    await persist.close()

    const types = allRecordsOf(dir).map((r) => (r as { type: string }).type)
    expect(types[0]).toBe('@@aof/SNAPSHOT')
    expect(types.slice(1)).toHaveLength(during + 1)
    const again = open(dir)
    expect(again.store.getState()).toEqual(live)
    await again.persist.close()
  })

  it('rejects when the store is not created yet', async () => {
    const persist = aofPersist({ dir: tempDir() })
    await expect(persist.rewrite()).rejects.toMatchObject({ code: 'AOF_SETUP' })
    await persist.close()
  })
})

describe('automatic rewrite', () => {
  it('writes a partialized snapshot once the log passes autoRewriteMinSize, losing nothing', async () => {
    const dir = tempDir()
    const options: Partial<AofPersistDirOptions<RootState>> = {
      autoRewritePercentage: 100,
      autoRewriteMinSize: 4096,
      partialize: (s) => ({ todos: s.todos }),
      filter: (a) => !a.type.startsWith('ui/'),
    }
    const { store, persist } = open(dir, options)
    const first = persist.stats().rewrites // the base the store started with
    let i = 0
    while (persist.stats().rewrites === first && i < 10_000) {
      store.dispatch(added(`item ${i++}`))
      if (i % 5 === 0) store.dispatch(filterSet(i % 2 ? 'open' : 'done'))
      await turn()
    }
    expect(persist.stats().rewrites).toBeGreaterThan(first)
    while (persist.stats().rewriteInProgress) await turn()
    store.dispatch(added('last'))
    expect(persist.stats().lastRewriteStatus).toBe('ok')
    const live = store.getState()
    await persist.close()

    const records = allRecordsOf(dir) as { type: string; payload: unknown }[]
    expect(records[0]?.type).toBe('@@aof/SNAPSHOT')
    expect(Object.keys(records[0]?.payload as object)).toEqual(['todos'])
    expect(textOf(dir)).not.toMatch(/ui\/|"ui"/)
    const again = open(dir, options)
    expect(again.store.getState().todos).toEqual(live.todos)
    expect(again.store.getState().ui.filter).toBe('all')
    await again.persist.close()
  })
})
