// The rules the core keeps for both adapters: the migration guard (migrate.ts), a log's kind and
// located record errors (kind.ts), and the snapshot action and serializability check (record.ts).
import { join } from 'node:path'
import { runInNewContext } from 'node:vm'
import {
  AofError,
  checkKind,
  findUnserializable,
  locatedRecords,
  migrateState,
  openAof,
  readAofEntries,
  readSnapshot,
  recordError,
  recordLocator,
  snapshotAction,
  wrongKind,
} from '@aof-persist/core'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { tempDir } from './helpers.js'

const base = {
  state: { n: 1 },
  storedVersion: 1,
  version: 2,
  dir: '/data/store',
  caller: 'aof()',
}

function thrown(fn: () => unknown): unknown {
  try {
    fn()
  } catch (err) {
    return err
  }
  throw new Error('expected a throw')
}

describe('migrateState', () => {
  const unhandled = vi.fn()
  beforeAll(() => {
    process.on('unhandledRejection', unhandled)
  })
  afterAll(() => {
    process.off('unhandledRejection', unhandled)
  })

  it('returns what migrate returns, called with the state and the stored version', () => {
    const migrate = vi.fn((s: unknown) => ({ ...(s as object), m: true }))
    expect(migrateState({ ...base, migrate })).toEqual({ n: 1, m: true })
    expect(migrate).toHaveBeenCalledWith({ n: 1 }, 1)
  })

  it('accepts null and falsy states', () => {
    for (const value of [null, 0, false, '']) {
      expect(migrateState({ ...base, migrate: () => value })).toBe(value)
    }
  })

  it('refuses a missing migrate, naming both versions and the caller', () => {
    const error = thrown(() => migrateState({ ...base, migrate: undefined }))
    expect(error).toBeInstanceOf(AofError)
    expect(error).toMatchObject({ code: 'AOF_MIGRATE_FAILED' })
    expect((error as Error).message).toMatch(
      /version 1 but the store expects version 2, and aof\(\) has no migrate/,
    )
  })

  it('refuses a throwing migrate with its error as cause, whatever is thrown', () => {
    const cause = new Error('boom')
    expect(
      thrown(() =>
        migrateState({
          ...base,
          migrate: () => {
            throw cause
          },
        }),
      ),
    ).toMatchObject({ code: 'AOF_MIGRATE_FAILED', cause })
    const odd = Object.create(null) as object // String() throws on it
    expect(
      thrown(() =>
        migrateState({
          ...base,
          migrate: () => {
            throw odd
          },
        }),
      ),
    ).toMatchObject({ code: 'AOF_MIGRATE_FAILED', cause: odd })
  })

  it('refuses undefined (a missing return)', () => {
    expect(
      thrown(() => migrateState({ ...base, migrate: () => undefined })),
    ).toMatchObject({
      code: 'AOF_MIGRATE_FAILED',
      message: expect.stringMatching(/returned undefined/),
    })
  })

  it.each([
    ['a native Promise', () => Promise.reject(new Error('late'))],
    [
      'a Promise of another realm',
      () => runInNewContext("Promise.reject(new Error('late'))") as unknown,
    ],
    [
      'a thenable without catch',
      () => {
        const p = Promise.reject(new Error('late'))
        return { then: (a: never, b: never) => p.then(a, b) }
      },
    ],
    ['a function with then', () => Object.assign(() => {}, { then: () => {} })],
  ])(
    'refuses %s and handles its rejection, so nothing is left unhandled',
    async (_name, migrate) => {
      unhandled.mockClear()
      expect(thrown(() => migrateState({ ...base, migrate }))).toMatchObject({
        code: 'AOF_MIGRATE_FAILED',
        message: expect.stringMatching(/returned a Promise.*createMigrate/),
      })
      await new Promise((resolve) => setTimeout(resolve, 10))
      expect(unhandled).not.toHaveBeenCalled()
    },
  )

  it('refuses a thenable whose then throws', () => {
    const migrate = () => ({
      then() {
        throw new Error('then failed')
      },
    })
    expect(thrown(() => migrateState({ ...base, migrate }))).toMatchObject({
      code: 'AOF_MIGRATE_FAILED',
    })
  })
})

describe('snapshot actions and kinds', () => {
  it('records the kind in meta only when given, and reads it back', () => {
    expect(snapshotAction({ a: 1 }, 2)).toEqual({
      type: '@@aof/SNAPSHOT',
      payload: { a: 1 },
      meta: { version: 2 },
    })
    const s = snapshotAction({ a: 1 }, 2, 'zustand')
    expect(s.meta).toEqual({ version: 2, kind: 'zustand' })
    expect(readSnapshot(s)).toEqual({
      payload: { a: 1 },
      version: 2,
      kind: 'zustand',
    })
  })

  it('reads snapshots without a kind or a meta as kind null, version 0, and names an unknown kind', () => {
    expect(readSnapshot({ type: '@@aof/SNAPSHOT', payload: 1 })).toEqual({
      payload: 1,
      version: 0,
      kind: null,
    })
    expect(
      readSnapshot({ type: '@@aof/SNAPSHOT', payload: 1, meta: null }),
    ).toMatchObject({ kind: null })
    expect(
      readSnapshot({
        type: '@@aof/SNAPSHOT',
        payload: 1,
        meta: { version: 3, kind: 'mobx' },
      }),
    ).toMatchObject({ version: 3, kind: 'mobx' })
    expect(readSnapshot({ type: 'todos/added' })).toBe(null)
  })

  it('checkKind passes its own kind and no kind, and refuses another naming both', () => {
    expect(() => checkKind('redux', 'redux', null, 1, '/d')).not.toThrow()
    expect(() => checkKind(null, 'redux', null, 1, '/d')).not.toThrow()
    const loc = { file: '/d/appendonly.aof.1.base.aof', line: 1, offset: 0 }
    const error = thrown(() => checkKind('zustand', 'redux', loc, 1, '/d'))
    expect(error).toMatchObject({ code: 'AOF_WRONG_KIND', ...loc })
    expect((error as Error).message).toMatch(
      /^The record at line 1 of \/d\/appendonly\.aof\.1\.base\.aof: the store in \/d is a zustand log .*@aof-persist\/zustand.*opened by @aof-persist\/redux.*Nothing was written/,
    )
    expect(
      (wrongKind('mobx', 'zustand', null, 4, '/d', 'x') as Error).message,
    ).toMatch(/^Record 4 of the log: .*a writer of kind "mobx"/)
  })

  it('recordError carries the location, or says which record without one', () => {
    const cause = new Error('inner')
    const located = recordError(
      'AOF_CORRUPT',
      { file: '/f', line: 7, offset: 99 },
      3,
      'bad',
      cause,
    )
    expect(located).toMatchObject({
      code: 'AOF_CORRUPT',
      file: '/f',
      line: 7,
      offset: 99,
      cause,
      message: 'The record at line 7 of /f: bad',
    })
    expect(recordError('AOF_CORRUPT', null, 3, 'bad')).toMatchObject({
      file: undefined,
      message: 'Record 3 of the log: bad',
    })
  })
})

describe('locating records', () => {
  it('finds where each record lies through Aof.records() and through readAofEntries, alike', () => {
    const dir = tempDir()
    const log = openAof({ dir, timestamps: true })
    log.rewriteSync(snapshotAction({ n: 0 }, 0, 'redux'))
    log.append({ type: 'a' })
    log.append({ type: 'b' })
    const viaLog: unknown[] = []
    const records = log.records()
    const at = recordLocator(records)
    for (const r of records) viaLog.push([r, at()])
    log.closeSync()
    const viaEntries: unknown[] = []
    const located = locatedRecords(readAofEntries({ dir }), dir)
    const at2 = recordLocator(located)
    for (const r of located) viaEntries.push([r, at2()])
    expect(viaEntries).toEqual(viaLog)
    expect(viaLog[2]).toEqual([
      { type: 'b' },
      expect.objectContaining({
        file: join(dir, 'appendonly.aof.2.incr.aof'),
        line: 3, // after a #TS: annotation and the first record
      }),
    ])
  })

  it('knows no location for an array (whose at() means something else) or a plain iterable', () => {
    expect(recordLocator([1, 2])()).toBe(null)
    expect(recordLocator(new Set([1]))()).toBe(null)
  })
})

describe('findUnserializable', () => {
  it('skips ignored paths and what is below them', () => {
    const action = {
      type: 'api/executeQuery/fulfilled',
      payload: { id: 1 },
      meta: {
        arg: { signal: new AbortController().signal },
        baseQueryMeta: { request: new Map() },
      },
    }
    expect(findUnserializable(action)).toMatchObject({
      path: 'meta.arg.signal',
    })
    expect(
      findUnserializable(action, {
        ignoredPaths: ['meta.arg', 'meta.baseQueryMeta'],
      }),
    ).toBe(null)
    expect(
      findUnserializable(
        { ...action, payload: new Date() },
        { ignoredPaths: ['meta.arg', 'meta.baseQueryMeta'] },
      ),
    ).toEqual({ path: 'payload', reason: 'Date' })
  })

  it('takes plain objects of another realm as plain, and still names class instances', () => {
    const foreign = runInNewContext(
      '({ type: "x", payload: { list: [1, { a: 2 }] } })',
    ) as object
    expect(findUnserializable(foreign)).toBe(null)
    class Point {}
    expect(findUnserializable({ p: new Point() })).toEqual({
      path: 'p',
      reason: 'class Point',
    })
    expect(findUnserializable({ o: Object.create(null) as object })).toBe(null)
  })
})
