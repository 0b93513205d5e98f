import { openAof, readAofEntries } from '@aof-persist/core'
import type { FsyncPolicy } from '@aof-persist/core'
import { aofPersist, withAof } from '@aof-persist/redux'
import { configureStore } from '@reduxjs/toolkit'
import { describe, expect, it } from 'vitest'
import { added, allRecordsOf, recordsOf, slices, tempDir } from './helpers.js'

function storeWith(persist: ReturnType<typeof aofPersist>) {
  return configureStore({
    reducer: withAof(slices),
    middleware: (gDM) => gDM().concat(persist),
  })
}

describe('options', () => {
  it.each([
    ['key', 'dir'],
    ['storage', 'dir'],
    ['whitelist', 'partialize'],
    ['blacklist', 'filter'],
    ['transforms', 'migrate'],
    ['throttle', 'fsync'],
    ['timeout', 'synchronously'],
    ['stateReconciler', 'partialize'],
    ['serialize', 'JSON'],
    ['deserialize', 'JSON'],
    ['writeFailHandler', 'onError'],
    ['keyPrefix', 'fileName'],
    ['debug', 'stats()'],
    ['getStoredState', 'replayLog'],
  ])(
    'refuses redux-persist’s option "%s" with a TypeError naming it and the aof way (%s)',
    (name, instead) => {
      const dir = tempDir()
      const error = (() => {
        try {
          aofPersist({ dir, [name]: true } as never)
        } catch (err) {
          return err
        }
      })()
      expect(error).toBeInstanceOf(TypeError)
      expect((error as Error).message).toContain(`"${name}"`)
      expect((error as Error).message).toContain(instead)
      // Refused before the directory was opened: it is not locked.
      openAof({ dir }).closeSync()
    },
  )

  it('refuses an unknown option, listing the options', () => {
    expect(() =>
      aofPersist({ dir: tempDir(), fsynk: 'always' } as never),
    ).toThrow(/unknown option "fsynk"\. The options are: dir, log, .*fsync/)
  })

  it.each(['dir', 'fileName', 'fsync', 'autoRewriteMinSize', 'timestamps'])(
    'refuses "%s" together with "log", naming it',
    (name) => {
      const log = openAof({ dir: tempDir() })
      try {
        expect(() =>
          aofPersist({ log, [name]: name === 'dir' ? tempDir() : 1 } as never),
        ).toThrow(new RegExp(`"${name}" configures opening a directory`))
      } finally {
        log.closeSync()
      }
    },
  )

  it('refuses a "log" that is not an open log, and needs dir or log', () => {
    expect(() => aofPersist({ log: {} } as never)).toThrow(/"log" must be/)
    expect(() => aofPersist({} as never)).toThrow(/"dir" must be/)
  })
})

describe('an open log instead of a directory', () => {
  it('replays it, appends to it, and closes it in close()', async () => {
    const dir = tempDir()
    const log = openAof({ dir, fsync: 'always' })
    const persist = aofPersist({ log })
    const store = storeWith(persist)
    store.dispatch(added('a'))
    expect(persist.stats().fsync).toBe('always')
    await persist.close()
    expect(log.status).toBe('closed')
    expect(recordsOf(dir)).toEqual([added('a')])

    const again = openAof({ dir })
    const p2 = aofPersist({ log: again })
    expect(
      storeWith(p2)
        .getState()
        .todos.items.map((t) => t.text),
    ).toEqual(['a'])
    await p2.close()
  })

  it('leaves the app’s log open when the store cannot be created', () => {
    const dir = tempDir()
    const log = openAof({ dir })
    log.append({ type: 'todos/added', patches: [{ op: 'add', path: ['x'] }] })
    expect(() => storeWith(aofPersist({ log }))).toThrow(
      expect.objectContaining({ code: 'AOF_WRONG_KIND' }),
    )
    expect(log.status).toBe('open')
    log.closeSync()
  })

  it("attaches the store's snapshot to an open log: its automatic rewrites work without a snapshot option", async () => {
    const dir = tempDir()
    // The log is opened before the middleware exists, without a snapshot of its own.
    const log = openAof({ dir, autoRewriteMinSize: 1024 })
    const persist = aofPersist({ log })
    const store = storeWith(persist)
    const first = persist.stats().rewrites
    for (let i = 0; i < 100 && persist.stats().rewrites === first; i++) {
      store.dispatch(added(`todo number ${i}`))
      await new Promise((resolve) => setImmediate(resolve))
    }
    while (persist.stats().rewriteInProgress)
      await new Promise((resolve) => setImmediate(resolve))
    expect(persist.stats().rewrites).toBeGreaterThan(first)
    const live = store.getState()
    await persist.close()
    expect(allRecordsOf(dir)[0]).toMatchObject({
      meta: { kind: 'redux' },
    })
    const p2 = aofPersist({ dir })
    expect(storeWith(p2).getState()).toEqual(live)
    await p2.close()
  })
})

describe('durable()', () => {
  it.each(['always', 'everysec', 'no'] as FsyncPolicy[])(
    'resolves under fsync %s once every action before it is fdatasync’d',
    async (fsync) => {
      const dir = tempDir()
      const persist = aofPersist({ dir, fsync })
      const store = storeWith(persist)
      const before = persist.stats().lastFsyncAt
      // A clock tick later, so an fdatasync from now on shows in lastFsyncAt.
      await new Promise((resolve) => setTimeout(resolve, 5))
      store.dispatch(added('saved'))
      await persist.durable()
      const stats = persist.stats()
      expect(stats.bufferLength).toBe(0)
      expect(stats.lastFsyncAt).toBeGreaterThan(before)
      // On disk, read without the lock while the store is open.
      expect(recordsOnDisk(dir)).toContainEqual(added('saved'))
      await persist.close()
      await expect(persist.durable()).rejects.toMatchObject({
        code: 'AOF_CLOSED',
      })
    },
  )
})

/** The records of an open store, read without the lock. */
function recordsOnDisk(dir: string): unknown[] {
  return [...readAofEntries({ dir })].flatMap((e) =>
    e.kind === 'record' ? [e.value] : [],
  )
}
