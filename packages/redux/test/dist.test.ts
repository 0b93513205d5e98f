import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { beforeAll, describe, expect, it } from 'vitest'
import { tempDir } from './helpers.js'

// Smoke test of what is shipped: the fixtures import '@aof-persist/redux' by name from inside
// the package, which Node resolves to dist/ through package.json "exports" (and the core's dist
// through node_modules). `pnpm test` builds first.
const dist = fileURLToPath(new URL('../dist/', import.meta.url))
const fixture = (name: string) =>
  fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url))
const node = (file: string, dir: string) =>
  execFileSync(process.execPath, [fixture(file), dir], { encoding: 'utf8' })

beforeAll(() => {
  for (const file of ['index.js', 'index.cjs', 'index.d.ts', 'index.d.cts']) {
    if (!existsSync(dist + file))
      throw new Error(`${dist}${file} is missing: run "pnpm build" first`)
  }
})

describe('the built package', () => {
  it('persists and rebuilds a store through the ESM build', () => {
    const dir = tempDir()
    expect(JSON.parse(node('smoke.mjs', dir))).toEqual({
      state: 3,
      replayed: { state: 1, version: 0 },
      stats: 2,
    })
  })

  it('persists and rebuilds a store through the CommonJS build', () => {
    const dir = tempDir()
    expect(JSON.parse(node('smoke.cjs', dir))).toEqual({ state: 1 })
    expect(JSON.parse(node('smoke.cjs', dir))).toEqual({ state: 2 })
  })
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
            fixture('noProcess.mjs'),
            dir,
          ],
          { encoding: 'utf8' },
        ),
      ) as unknown
    expect(run()).toEqual({ hasProcess: false, state: 2, appended: 2 })
    expect(run()).toEqual({ hasProcess: false, state: 4, appended: 2 })
  })
})
