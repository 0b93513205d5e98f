import { join } from 'node:path'
import { openAof, snapshotAction } from '@aof-persist/core'
import { aofPersist, checkRecords, withAof } from '@aof-persist/redux'
import { configureStore } from '@reduxjs/toolkit'
import { describe, expect, it } from 'vitest'
import {
  added,
  allRecordsOf,
  hashDir,
  onDisk,
  slices,
  tempDir,
  typesOf,
} from './helpers.js'

function open(dir: string) {
  const persist = aofPersist({ dir })
  const store = configureStore({
    reducer: withAof(slices),
    middleware: (gDM) => gDM().concat(persist),
  })
  return { store, persist }
}

/** Catches what `fn` throws. */
function thrown(fn: () => unknown): unknown {
  try {
    fn()
  } catch (err) {
    return err
  }
  throw new Error('expected a throw')
}

// The stores of the other adapter are written here with the core, record for record as
// @aof-persist/zustand writes them: this package's tests depend on no other adapter.

/** A store as @aof-persist/zustand writes it: a base with kind "zustand", then patch records. */
function zustandStore(): string {
  const dir = tempDir()
  const log = openAof({ dir })
  log.rewriteSync(snapshotAction({ todos: [] }, 0, 'zustand'))
  log.append({
    type: 'todos/added',
    patches: [{ op: 'add', path: ['todos', 0], value: 'milk' }],
  })
  log.closeSync()
  return dir
}

/** A Zustand store as 0.1 wrote it: a snapshot without a kind, then patch records. */
function kindlessZustandStore(): string {
  const dir = tempDir()
  const log = openAof({ dir })
  log.rewriteSync(snapshotAction({ todos: [] }, 0))
  log.append({
    type: 'todos/added',
    patches: [{ op: 'add', path: ['todos', 0], value: 'milk' }],
  })
  log.closeSync()
  return dir
}

describe('each log knows its kind', () => {
  it('records kind "redux" in the base a new store starts with', async () => {
    const dir = tempDir()
    const { store, persist } = open(dir)
    store.dispatch(added('a'))
    await persist.close()
    expect(allRecordsOf(dir)[0]).toMatchObject({
      type: '@@aof/SNAPSHOT',
      meta: { version: 0, kind: 'redux' },
    })
    expect(checkRecords(onDisk(dir), dir)).toMatchObject({
      kind: 'redux',
      records: 2,
    })
  })

  it('refuses a Zustand store at creation with AOF_WRONG_KIND naming both kinds, before anything is written', () => {
    const dir = zustandStore()
    const before = hashDir(dir)
    const error = thrown(() => open(dir))
    expect(error).toMatchObject({
      code: 'AOF_WRONG_KIND',
      file: join(dir, 'appendonly.aof.1.base.aof'),
      line: 1,
    })
    expect((error as Error).message).toMatch(/zustand log.*@aof-persist\/redux/)
    expect(hashDir(dir)).toBe(before)
    // Released: the directory opens again.
    openAof({ dir }).closeSync()
  })

  it('refuses a Zustand store written before kinds were recorded: its first change is a patch record', () => {
    const dir = kindlessZustandStore()
    const before = hashDir(dir)
    const error = thrown(() => open(dir))
    expect(error).toMatchObject({
      code: 'AOF_WRONG_KIND',
      file: join(dir, 'appendonly.aof.2.incr.aof'),
      line: 1,
    })
    expect((error as Error).message).toMatch(/records no kind/)
    expect(hashDir(dir)).toBe(before)
    expect(thrown(() => checkRecords(onDisk(dir), dir))).toMatchObject({
      code: 'AOF_WRONG_KIND',
      line: 1,
    })
  })

  it('reads a Redux store written before kinds were recorded, and the next rewrite records the kind', async () => {
    const dir = tempDir()
    const log = openAof({ dir })
    log.append(added('a'))
    log.append(added('b'))
    log.closeSync()
    const { store, persist } = open(dir)
    expect(store.getState().todos.items.map((t) => t.text)).toEqual(['a', 'b'])
    // Reading it wrote nothing: it has no kind until the next rewrite.
    expect([...onDisk(dir)]).toHaveLength(2)
    expect(checkRecords(onDisk(dir), dir).kind).toBe(null)
    await persist.rewrite()
    await persist.close()
    expect(allRecordsOf(dir)).toMatchObject([
      { type: '@@aof/SNAPSHOT', meta: { kind: 'redux' } },
    ])
  })

  it('names file and line of a record that is not an action, the same at start-up and in checkRecords', () => {
    const dir = tempDir()
    const log = openAof({ dir })
    log.append(added('a'))
    log.append([1, 2, 3])
    log.closeSync()
    const expected = {
      code: 'AOF_CORRUPT',
      file: join(dir, 'appendonly.aof.1.incr.aof'),
      line: 2,
      offset: JSON.stringify(added('a')).length + 1,
    }
    const atStart = thrown(() => open(dir))
    expect(atStart).toMatchObject(expected)
    expect((atStart as Error).message).toMatch(
      /^The record at line 2 of .*appendonly\.aof\.1\.incr\.aof: it is not a Redux action/,
    )
    expect(thrown(() => checkRecords(onDisk(dir), dir))).toMatchObject(expected)
  })

  it('names file and line of the record a reducer throws on (AOF_REPLAY_FAILED), files untouched', async () => {
    const dir = tempDir()
    const { store, persist } = open(dir)
    store.dispatch(added('a'))
    await persist.close()
    const log = openAof({ dir })
    log.append({ type: 'todos/exploded' })
    log.closeSync()
    const before = hashDir(dir)
    const error = thrown(() => open(dir))
    expect(error).toMatchObject({
      code: 'AOF_REPLAY_FAILED',
      file: join(dir, 'appendonly.aof.2.incr.aof'),
      line: 2,
      cause: expect.objectContaining({ message: 'boom' }),
    })
    expect((error as Error).message).toMatch(/"todos\/exploded": boom/)
    expect(hashDir(dir)).toBe(before)
    expect(typesOf(dir)).toEqual(['todos/added', 'todos/exploded'])
  })
})
