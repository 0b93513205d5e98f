import { spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { aofPersist, withAof } from '@aof-persist/redux'
import { configureStore } from '@reduxjs/toolkit'
import { build } from 'esbuild'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { added, allRecordsOf, slices, tempDir } from './helpers.js'

// The child is bundled from the sources (like the other tests, which vitest aliases to src/),
// so these tests need no build of the packages.
const src = (pkg: string) =>
  fileURLToPath(new URL(`../../${pkg}/src/index.ts`, import.meta.url))
let bundleDir = ''
let child = ''

beforeAll(async () => {
  bundleDir = mkdtempSync(join(tmpdir(), 'aof-redux-child-'))
  child = join(bundleDir, 'child.mjs')
  await build({
    entryPoints: [
      fileURLToPath(new URL('./fixtures/child.ts', import.meta.url)),
    ],
    outfile: child,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    alias: {
      '@aof-persist/core': src('core'),
      '@aof-persist/redux': src('redux'),
    },
    logLevel: 'error',
  })
})
afterAll(() => rmSync(bundleDir, { recursive: true, force: true }))

function run(mode: string, dir: string, n = 100) {
  return spawnSync(process.execPath, [child, mode, dir, String(n)], {
    encoding: 'utf8',
  })
}

function reopen(dir: string) {
  const persist = aofPersist({ dir })
  const store = configureStore({
    reducer: withAof(slices),
    middleware: (gDM) => gDM().concat(persist),
  })
  return { store, persist }
}

describe('leaving the process loses nothing that was appended', () => {
  it.each([
    ['close', 0],
    ['exit', 0], // process.exit() in the turn of the dispatches
    ['natural', 0], // the event loop runs dry without close()
    ['throw', 1], // an uncaught exception
  ])('on %s', async (mode, status) => {
    const dir = tempDir()
    const result = run(mode, dir, 500)
    expect(result.status).toBe(status)
    expect(result.stdout).toMatch(/^ready 0\n/)
    if (mode === 'throw') expect(result.stderr).toMatch(/uncaught on purpose/)
    const { store, persist } = reopen(dir)
    const texts = store.getState().todos.items.map((t) => t.text)
    expect(texts).toHaveLength(500)
    expect(texts[499]).toBe(`${mode} 499`)
    await persist.close()
  })
})

describe('kill -9 under fsync always', () => {
  it('keeps every action whose dispatch returned', async () => {
    const dir = tempDir()
    const proc = spawn(process.execPath, [child, 'kill', dir, '10000000'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    const reported: number[] = []
    let buffered = ''
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      proc.on('exit', (_code, signal) => resolve(signal)),
    )
    proc.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8')
      const lines = buffered.split('\n')
      buffered = lines.pop()!
      for (const line of lines)
        if (line.startsWith('ok ')) reported.push(Number(line.slice(3)))
      if (reported.length >= 500 && !proc.killed) proc.kill('SIGKILL')
    })
    expect(await exited).toBe('SIGKILL')

    const { store, persist } = reopen(dir)
    const texts = store.getState().todos.items.map((t) => t.text)
    // Each reported dispatch is on disk; at most the one in flight at the kill is extra.
    expect(texts.slice(0, reported.length)).toEqual(
      reported.map((i) => `kill ${i}`),
    )
    expect(texts.length - reported.length).toBeLessThanOrEqual(1)
    await persist.close()
  })
})

describe('a crash right after a migration', () => {
  it('leaves the migrated log, which opens at the new version without migrating again', async () => {
    const dir = tempDir()
    const v0 = reopen(dir)
    v0.store.dispatch(added('a'))
    v0.store.dispatch(added('b'))
    await v0.persist.close()

    const result = run('migrate-crash', dir)
    expect(result.signal).toBe('SIGKILL')
    expect(result.stdout).toBe('migrated\n')
    expect(allRecordsOf(dir)).toMatchObject([{ type: '@@aof/SNAPSHOT' }])

    // Version 1 without migrate: would throw if the stored version were still 0.
    const persist = aofPersist({ dir, version: 1 })
    const store = configureStore({
      reducer: withAof(slices),
      middleware: (gDM) => gDM().concat(persist),
    })
    expect(store.getState().todos.items.map((t) => t.text)).toEqual([
      'v1:a',
      'v1:b',
    ])
    await persist.close()
  })
})
