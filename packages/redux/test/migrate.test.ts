import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { runInNewContext } from 'node:vm'
import { aofPersist, withAof } from '@aof-persist/redux'
import type { AofPersistDirOptions } from '@aof-persist/redux'
import { applyMiddleware, legacy_createStore as createStore } from 'redux'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import {
  added,
  counter,
  filesOf,
  hashDir,
  allRecordsOf,
  recordsOf,
  slices,
  tempDir,
  textOf,
} from './helpers.js'
import type { RootState } from './helpers.js'

/** The package root: a child process there imports the built package by name. */
const PKG = fileURLToPath(new URL('..', import.meta.url))

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

/** Promises of every kind `migrate` might return, each settling as `settle` says. */
function promiseOf(
  kind: string,
  settle: 'resolve' | 'reject',
): PromiseLike<unknown> {
  const value = 7
  const error = new Error('async migration failed')
  if (kind === 'another realm') {
    return runInNewContext(
      settle === 'resolve'
        ? `Promise.resolve(${value})`
        : `Promise.reject(new Error('async migration failed'))`,
    ) as PromiseLike<unknown>
  }
  const native =
    settle === 'resolve' ? Promise.resolve(value) : Promise.reject(error)
  if (kind === 'native') return native
  if (kind === 'compatible implementation') {
    return {
      then: native.then.bind(native),
      catch: native.catch.bind(native),
      finally: native.finally.bind(native),
    } as PromiseLike<unknown>
  }
  // A bare thenable without catch(): only then() can handle it.
  return { then: (a, b) => native.then(a, b) }
}

describe('the migration guard', () => {
  const kinds = [
    'native',
    'another realm',
    'compatible implementation',
    'PromiseLike without catch',
  ]
  const cases: [string, () => unknown][] = [
    ['returns undefined', () => undefined],
    ...kinds.flatMap((kind): [string, () => unknown][] => [
      [
        `returns a resolving Promise (${kind})`,
        () => promiseOf(kind, 'resolve'),
      ],
      [
        `returns a rejecting Promise (${kind})`,
        () => promiseOf(kind, 'reject'),
      ],
    ]),
  ]
  const unhandled = vi.fn()
  beforeAll(() => {
    process.on('unhandledRejection', unhandled)
  })
  afterAll(() => {
    process.off('unhandledRejection', unhandled)
  })

  it.each(cases)(
    'refuses a migrate that %s with AOF_MIGRATE_FAILED, every file byte-identical',
    async (_name, result) => {
      const dir = await versionZeroLog()
      const before = hashDir(dir)
      unhandled.mockClear()
      let error: unknown
      try {
        openCounter(dir, { version: 1, migrate: result as never })
      } catch (err) {
        error = err
      }
      expect(error).toMatchObject({ code: 'AOF_MIGRATE_FAILED' })
      expect((error as Error).message).toMatch(/returned (undefined|a Promise)/)
      expect(hashDir(dir)).toBe(before)
      // Let any rejection settle: it was handled, so Node never sees it unhandled.
      await new Promise((resolve) => setTimeout(resolve, 20))
      expect(unhandled).not.toHaveBeenCalled()
      // The store is released and still opens at its own version with its state.
      const same = openCounter(dir)
      expect(same.store.getState()).toBe(3)
      await same.persist.close()
    },
  )

  it('accepts null, and a state with a then field that is not a function', async () => {
    const dir = await versionZeroLog()
    const a = openCounter(dir, { version: 1, migrate: () => null as never })
    expect(a.store.getState()).toBe(null)
    await a.persist.close()
    for (const then of [undefined, null, false, 0, 'not a function']) {
      const d = tempDir()
      const persist = aofPersist<{ n: number; then?: unknown }>({ dir: d })
      const s = createStore(
        withAof((state: { n: number; then?: unknown } = { n: 1 }) => state),
        applyMiddleware(persist),
      )
      s.dispatch({ type: 'noop' })
      await persist.close()
      const next = aofPersist<{ n: number; then?: unknown }>({
        dir: d,
        version: 1,
        migrate: (state) => ({ ...(state as { n: number }), n: 2, then }),
      })
      const s2 = createStore(
        withAof((state: { n: number; then?: unknown } = { n: 1 }) => state),
        applyMiddleware(next),
      )
      expect(s2.getState()).toEqual({ n: 2, then })
      await next.close()
    }
  })

  it('keeps a process alive whose migrate rejects after the app caught the error (real process)', async () => {
    const dir = await versionZeroLog()
    const result = spawnSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `
import { aofPersist, withAof } from '@aof-persist/redux'
import { applyMiddleware, legacy_createStore as createStore } from 'redux'
const counter = (state = 0, action) => (action.type === 'inc' ? state + 1 : state)
try {
  const persist = aofPersist({
    dir: process.env.DIR,
    version: 1,
    migrate: () => new Promise((_, reject) => setTimeout(() => reject(new Error('late')), 10)),
  })
  createStore(withAof(counter), applyMiddleware(persist))
} catch (err) {
  console.log('caught ' + err.code)
}
setTimeout(() => console.log('still running'), 50)
`,
      ],
      {
        cwd: PKG, // resolves the built package by name, as an app does
        env: { ...process.env, DIR: dir },
        encoding: 'utf8',
      },
    )
    expect(result.stderr).toBe('')
    expect(result.stdout).toBe('caught AOF_MIGRATE_FAILED\nstill running\n')
    expect(result.status).toBe(0)
  })

  it('runs a versioned map of migrations, the synchronous createMigrate', async () => {
    const dir = tempDir()
    // Version 0 of the app: todos are strings.
    const v0 = aofPersist<{ todos: unknown[] }>({ dir })
    const s0 = createStore(
      withAof(
        (
          state: { todos: unknown[] } = { todos: [] },
          action: { type: string; text?: string },
        ) =>
          action.type === 'add'
            ? { todos: [...state.todos, action.text] }
            : state,
      ),
      applyMiddleware(v0),
    )
    s0.dispatch({ type: 'add', text: 'milk' })
    // Compacted before the release that changes the shape, as docs/learn/redux.md advises: the
    // new reducers never see the old actions.
    await v0.rewrite()
    await v0.close()

    // The shape redux-persist users know from createMigrate, run synchronously.
    const migrations: Record<number, (state: any) => any> = {
      1: (state) => ({
        todos: state.todos.map((text: string) => ({ text })),
      }),
      2: (state) => ({
        todos: state.todos.map((t: { text: string }) => ({
          ...t,
          done: false,
        })),
      }),
    }
    const migrate = (state: unknown, storedVersion: number) =>
      Object.keys(migrations)
        .map(Number)
        .filter((v) => v > storedVersion && v <= 2)
        .sort((a, b) => a - b)
        .reduce((s, v) => migrations[v]!(s), state)
    const v2 = aofPersist({ dir, version: 2, migrate: migrate as never })
    const s2 = createStore(
      withAof((state: unknown = { todos: [] }) => state),
      applyMiddleware(v2),
    )
    expect(s2.getState()).toEqual({ todos: [{ text: 'milk', done: false }] })
    await v2.close()
  })
})
