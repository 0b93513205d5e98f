import { execFileSync } from 'node:child_process'
import * as fs from 'node:fs'
import { createRequire } from 'node:module'
import * as path from 'node:path'
import { pathToFileURL } from 'node:url'
import { describe, expect, it } from 'vitest'
import { createStore } from 'zustand/vanilla'
import { DIST, PKG, tempDir } from './helpers.js'

type Pkg = typeof import('@aof-persist/zustand')

// What ships: the built files, loaded by path (ESM and CJS), with nothing aliased to src/.
describe('the built package', () => {
  it.each([
    [
      'ESM',
      async (): Promise<Pkg> => (await import(pathToFileURL(DIST).href)) as Pkg,
    ],
    [
      'CJS',
      async (): Promise<Pkg> =>
        createRequire(import.meta.url)(
          path.join(PKG, 'dist', 'index.cjs'),
        ) as Pkg,
    ],
  ])(
    '%s: persists and restores a store, and exports exactly the public names',
    async (_, load) => {
      if (!fs.existsSync(DIST))
        throw new Error(`${DIST} is missing: run "pnpm build" first`)
      const pkg = await load()
      expect(Object.keys(pkg).sort()).toEqual([
        'aof',
        'checkRecords',
        'replayLog',
      ])
      const dir = tempDir()
      const make = () =>
        createStore<{ todos: string[]; add: (t: string) => void }>()(
          pkg.aof(
            (set) => ({
              todos: [],
              add: (t) =>
                set((s) => ({ todos: [...s.todos, t] }), false, 'todos/add'),
            }),
            {
              dir,
            },
          ),
        )
      const a = make()
      a.getState().add('milk')
      await a.aof.close()
      const b = make()
      expect(b.getState().todos).toEqual(['milk'])
      await b.aof.close()
    },
  )
})

describe('the built ESM in a page without process (a browser loading plain ES modules)', () => {
  it('loads, creates a store on a given log, logs and restores', () => {
    const dir = tempDir()
    const run = () =>
      JSON.parse(
        execFileSync(
          process.execPath,
          [
            '--experimental-vm-modules',
            '--no-warnings',
            path.join(PKG, 'test', 'fixtures', 'noProcess.mjs'),
            dir,
          ],
          { encoding: 'utf8' },
        ),
      ) as unknown
    expect(run()).toEqual({ hasProcess: false, state: ['a', 'b'], appended: 2 })
    expect(run()).toEqual({
      hasProcess: false,
      state: ['a', 'b', 'a', 'b'],
      appended: 2,
    })
  })
})
