import { describe, expect, it } from 'vitest'
import {
  nodeStorage,
  openAof,
  openAofAsync,
  type AofError,
  type FsyncPolicy,
  type Storage,
  type StorageFile,
} from '../src/index.js'
import { tempDir } from './helpers.js'

/**
 * nodeStorage with a view of the fdatasyncs: for each file, the size it had at its last
 * completed fdatasync (what a power loss would keep of it), and a switch that makes syncs fail.
 */
function watchedStorage(dir: string) {
  const inner = nodeStorage(dir)
  const synced = new Map<string, number>()
  const sizes = new Map<string, () => number>()
  let syncCalls = 0
  const state = { failSync: false }
  const fail = () => {
    throw Object.assign(new Error('injected'), { code: 'EIO' })
  }
  const wrap = (name: string, file: StorageFile): StorageFile => {
    sizes.set(name, () => file.size())
    return {
      ...file,
      sync() {
        syncCalls++
        if (state.failSync) fail()
        const size = file.size()
        file.sync()
        synced.set(name, size)
      },
      async syncInBackground() {
        syncCalls++
        if (state.failSync) fail()
        const size = file.size()
        await file.syncInBackground!()
        synced.set(name, size)
      },
    }
  }
  const storage: Storage = {
    ...inner,
    open(name, o) {
      return wrap(name, inner.open(name, o) as StorageFile)
    },
  }
  return {
    storage,
    state,
    syncCalls: () => syncCalls,
    syncedSize: (name: string) => synced.get(name) ?? 0,
    /** True when every byte of every open log file was in place at its last fdatasync. */
    allSynced: (names: string[]) =>
      names.every((n) => (synced.get(n) ?? 0) >= (sizes.get(n)?.() ?? 0)),
  }
}

const POLICIES: FsyncPolicy[] = ['always', 'everysec', 'no']
const incr = (n: number) => `appendonly.aof.${n}.incr.aof`

describe('durable()', () => {
  for (const fsync of POLICIES) {
    it(`${fsync}: resolves once every record appended before the call is fdatasync'd`, async () => {
      const w = watchedStorage(tempDir())
      const aof = openAof({ storage: w.storage, fsync })
      for (let i = 0; i < 50; i++) aof.append({ i })
      if (fsync === 'no') {
        // Written at the end of the turn, but under `no` nothing fdatasyncs it unasked.
        await new Promise((r) => setImmediate(r))
        expect(w.allSynced([incr(1)])).toBe(false)
      }
      const done = aof.durable()
      aof.append({ after: true }) // appended after the call: not waited for
      await done
      // The 50 records appended before the call are on disk, whatever happened after.
      let bytes = 0
      for (let i = 0; i < 50; i++) bytes += JSON.stringify({ i }).length + 1
      expect(w.syncedSize(incr(1))).toBeGreaterThanOrEqual(bytes)
      await aof.durable()
      expect(w.allSynced([incr(1)])).toBe(true)
      await aof.close()
    })
  }

  it('everysec: does not block the event loop (the fdatasync runs in the background)', async () => {
    const w = watchedStorage(tempDir())
    const aof = openAof({ storage: w.storage, fsync: 'everysec' })
    aof.append({ a: 1 })
    let turned = false
    const p = aof.durable().then(() => turned)
    setImmediate(() => (turned = true))
    // durable() answered after the event loop turned at least once: nothing ran inline.
    expect(await p).toBe(true)
    await aof.close()
  })

  it('resolves at once when everything is already durable, with no new fdatasync', async () => {
    const w = watchedStorage(tempDir())
    const aof = openAof({ storage: w.storage, fsync: 'always' })
    aof.append({ a: 1 })
    const calls = w.syncCalls()
    await aof.durable()
    expect(w.syncCalls()).toBe(calls)
    await aof.close()
  })

  it('many waiters share the fdatasyncs and all resolve', async () => {
    const w = watchedStorage(tempDir())
    const aof = openAof({ storage: w.storage, fsync: 'no' })
    const waits: Promise<void>[] = []
    for (let i = 0; i < 20; i++) {
      aof.append({ i })
      waits.push(aof.durable())
    }
    const before = w.syncCalls()
    await Promise.all(waits)
    expect(w.syncCalls() - before).toBeLessThan(20)
    expect(w.allSynced([incr(1)])).toBe(true)
    await aof.close()
  })

  for (const fsync of POLICIES) {
    it(`${fsync}: rejects with AOF_IO when the fdatasync fails, and works again once the disk does`, async () => {
      const w = watchedStorage(tempDir())
      const errors: AofError[] = []
      const aof = openAof({
        storage: w.storage,
        fsync,
        onError: (e) => errors.push(e),
      })
      w.state.failSync = true
      let err: AofError | undefined
      try {
        aof.append({ a: 1 }) // under always the append itself fails: the record stays queued
      } catch (e) {
        err = e as AofError
      }
      if (fsync === 'always') expect(err?.code).toBe('AOF_IO')
      await expect(aof.durable()).rejects.toMatchObject({ code: 'AOF_IO' })
      w.state.failSync = false
      await aof.durable()
      expect(w.allSynced([incr(1)])).toBe(true)
      await aof.close()
      const again = openAof({ storage: nodeStorage(w.storage.location) })
      expect([...again.records()]).toEqual([{ a: 1 }])
      again.closeSync()
    })
  }

  it('survives a rewrite: records in the old incr file and in the new one', async () => {
    const w = watchedStorage(tempDir())
    const aof = openAof({ storage: w.storage, fsync: 'everysec' })
    aof.append({ a: 1 })
    const rewriting = aof.rewrite({ snapshot: 1 })
    aof.append({ a: 2 })
    const durable = aof.durable()
    await rewriting
    await durable
    expect(w.allSynced([incr(2)])).toBe(true)
    await aof.close()
  })

  it('rejects with AOF_CLOSED after close', async () => {
    const aof = openAof({ dir: tempDir() })
    await aof.close()
    await expect(aof.durable()).rejects.toMatchObject({ code: 'AOF_CLOSED' })
  })

  it('works the same on a store opened with openAofAsync', async () => {
    const w = watchedStorage(tempDir())
    const aof = await openAofAsync({ storage: w.storage, fsync: 'no' })
    aof.append({ a: 1 })
    await aof.durable()
    expect(w.allSynced([incr(1)])).toBe(true)
    await aof.close()
  })
})
