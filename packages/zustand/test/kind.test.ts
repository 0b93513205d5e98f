import * as path from 'node:path'
import {
  locatedRecords,
  openAof,
  readAofEntries,
  snapshotAction,
} from '@aof-persist/core'
import { aof, checkRecords } from '@aof-persist/zustand'
import { describe, expect, it } from 'vitest'
import { createStore } from 'zustand/vanilla'
import { autoClose, hashDir, recordsIn, tempDir, thrown } from './helpers.js'

/** The records on disk, read without the lock, able to say where each lies (as `aof check`). */
const onDisk = (dir: string) => locatedRecords(readAofEntries({ dir }), dir)

const open = (dir: string) =>
  autoClose(createStore(aof(() => ({ todos: [] as string[] }), { dir })))

// The Redux stores are written here with the core, record for record as @aof-persist/redux
// writes them: this package's tests depend on no other adapter.

describe('each log knows its kind', () => {
  it('records kind "zustand" in the base a new store starts with', async () => {
    const dir = tempDir()
    const store = open(dir)
    store.setState({ todos: ['milk'] })
    await store.aof.close()
    expect(recordsIn(dir)[0]).toMatchObject({ meta: { kind: 'zustand' } })
    expect(checkRecords(onDisk(dir), dir)).toEqual({
      kind: 'zustand',
      version: 0,
      records: 2,
    })
  })

  it('refuses a Redux store at creation with AOF_WRONG_KIND naming both kinds, before anything is written', () => {
    const dir = tempDir()
    const log = openAof({ dir })
    log.rewriteSync(snapshotAction({ todos: { items: [] } }, 0, 'redux'))
    log.append({ type: 'todos/added', payload: 'milk' })
    log.closeSync()
    const before = hashDir(dir)
    const error = thrown(() => open(dir))
    expect(error).toMatchObject({
      code: 'AOF_WRONG_KIND',
      file: path.join(dir, 'appendonly.aof.1.base.aof'),
      line: 1,
    })
    expect((error as Error).message).toMatch(
      /redux log.*@aof-persist\/redux.*opened by @aof-persist\/zustand/,
    )
    expect(hashDir(dir)).toBe(before)
    expect(thrown(() => checkRecords(onDisk(dir), dir))).toMatchObject({
      code: 'AOF_WRONG_KIND',
      line: 1,
    })
  })

  it('refuses a Redux store written before kinds were recorded: its records are actions', () => {
    const dir = tempDir()
    const log = openAof({ dir })
    log.append({ type: 'todos/added', payload: 'milk' })
    log.closeSync()
    const before = hashDir(dir)
    expect(thrown(() => open(dir))).toMatchObject({
      code: 'AOF_WRONG_KIND',
      file: path.join(dir, 'appendonly.aof.1.incr.aof'),
      line: 1,
    })
    expect(hashDir(dir)).toBe(before)
  })

  it('reads a Zustand store written before kinds were recorded, and the next rewrite records the kind', async () => {
    const dir = tempDir()
    const log = openAof({ dir })
    log.rewriteSync(snapshotAction({ todos: [] }, 0))
    log.append({
      type: 'todos/add',
      patches: [{ op: 'add', path: ['todos', 0], value: 'milk' }],
    })
    log.closeSync()
    const store = open(dir)
    expect(store.getState().todos).toEqual(['milk'])
    expect(checkRecords(onDisk(dir), dir).kind).toBe(null)
    await store.aof.rewrite()
    await store.aof.close()
    expect(recordsIn(dir)).toEqual([
      snapshotAction({ todos: ['milk'] }, 0, 'zustand'),
    ])
  })

  it('names file and line of a record whose patches do not apply, the same at start-up and in checkRecords', async () => {
    const dir = tempDir()
    const store = open(dir)
    store.setState({ todos: ['milk'] })
    await store.aof.close()
    const log = openAof({ dir })
    log.append({ type: 'bad', patches: [{ op: 'remove', path: ['todos', 9] }] })
    log.closeSync()
    const before = hashDir(dir)
    const expected = {
      code: 'AOF_CORRUPT',
      file: path.join(dir, 'appendonly.aof.2.incr.aof'),
      line: 2,
    }
    const error = thrown(() => open(dir))
    expect(error).toMatchObject(expected)
    expect((error as Error).message).toMatch(
      /^The record at line 2 of .*: its patches \("bad"\) do not apply/,
    )
    expect(hashDir(dir)).toBe(before)
    expect(thrown(() => checkRecords(onDisk(dir), dir))).toMatchObject(expected)
  })
})
