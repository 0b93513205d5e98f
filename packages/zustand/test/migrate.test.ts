import { spawnSync } from 'node:child_process'
import { runInNewContext } from 'node:vm'
import { aof } from '@aof-persist/zustand'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { createStore } from 'zustand/vanilla'
import { DIST, autoClose, hashDir, tempDir } from './helpers.js'

/** A log at version 1 whose state is { count: 7 }. */
async function versionOneLog(): Promise<string> {
  const dir = tempDir()
  const store = createStore(aof(() => ({ count: 1 }), { dir, version: 1 }))
  store.setState({ count: 7 })
  await store.aof.close()
  return dir
}

/** A promise of each kind `migrate` might return, settling as `settle` says. */
function promiseOf(
  kind: string,
  settle: 'resolve' | 'reject',
): PromiseLike<unknown> {
  if (kind === 'another realm') {
    return runInNewContext(
      settle === 'resolve'
        ? 'Promise.resolve({ total: 70 })'
        : "Promise.reject(new Error('async migration failed'))",
    ) as PromiseLike<unknown>
  }
  const native =
    settle === 'resolve'
      ? Promise.resolve({ total: 70 })
      : Promise.reject(new Error('async migration failed'))
  if (kind === 'native') return native
  if (kind === 'compatible implementation') {
    return {
      then: native.then.bind(native),
      catch: native.catch.bind(native),
      finally: native.finally.bind(native),
    } as PromiseLike<unknown>
  }
  return { then: (a, b) => native.then(a, b) } // no catch(): only then() handles it
}

const kinds = [
  'native',
  'another realm',
  'compatible implementation',
  'PromiseLike without catch',
]

describe('the migration guard', () => {
  const unhandled = vi.fn()
  beforeAll(() => {
    process.on('unhandledRejection', unhandled)
  })
  afterAll(() => {
    process.off('unhandledRejection', unhandled)
  })

  it.each([
    ['returns undefined', () => undefined],
    [
      'returns a Promise of state fields (a chainable PromiseLike)',
      () => ({
        total: 1,
        ...promiseOf('PromiseLike without catch', 'resolve'),
      }),
    ],
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
  ])(
    'refuses a migrate that %s with AOF_MIGRATE_FAILED, every file byte-identical',
    async (_name, result) => {
      const dir = await versionOneLog()
      const before = hashDir(dir)
      unhandled.mockClear()
      let error: unknown
      try {
        createStore(
          aof(() => ({ total: 0 }), {
            dir,
            version: 2,
            migrate: result as never,
          }),
        )
      } catch (err) {
        error = err
      }
      expect(error).toMatchObject({ code: 'AOF_MIGRATE_FAILED' })
      expect(hashDir(dir)).toBe(before)
      await new Promise((resolve) => setTimeout(resolve, 20))
      expect(unhandled).not.toHaveBeenCalled()
      const same = autoClose(
        createStore(aof(() => ({ count: 0 }), { dir, version: 1 })),
      )
      expect(same.getState().count).toBe(7)
    },
  )

  it.each([undefined, null, false, 0, 'not a function'])(
    'accepts a migrated state whose then field is %s (not a function)',
    async (then) => {
      const dir = await versionOneLog()
      const store = autoClose(
        createStore(
          aof(() => ({ count: 0, then }), {
            dir,
            version: 2,
            migrate: (s) => ({ ...(s as { count: number }), count: 8, then }),
          }),
        ),
      )
      expect(store.getState()).toEqual({ count: 8, then })
    },
  )

  it('keeps a process alive whose migrate rejects after the app caught the error (real process)', async () => {
    const dir = await versionOneLog()
    const result = spawnSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `
import { createStore } from 'zustand/vanilla'
import { aof } from ${JSON.stringify(DIST)}
try {
  createStore(aof(() => ({ total: 0 }), {
    dir: process.env.DIR,
    version: 2,
    migrate: () => new Promise((_, reject) => setTimeout(() => reject(new Error('late')), 10)),
  }))
} catch (err) {
  console.log('caught ' + err.code)
}
setTimeout(() => console.log('still running'), 50)
`,
      ],
      {
        cwd: new URL('..', import.meta.url),
        env: { ...process.env, DIR: dir },
        encoding: 'utf8',
      },
    )
    expect(result.stderr).toBe('')
    expect(result.stdout).toBe('caught AOF_MIGRATE_FAILED\nstill running\n')
    expect(result.status).toBe(0)
  })
})
