// The Redux adapter over the core in child processes that close, exit, throw or are killed with
// SIGKILL, then a store reopened on the same directory. The children import the packages by
// name (their built dist/); the reopening side runs in the test process.
import { spawn, spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { openAof } from '@aof-persist/core'
import { aofPersist, withAof } from '@aof-persist/redux'
import { configureStore, createSlice } from '@reduxjs/toolkit'
import type { PayloadAction } from '@reduxjs/toolkit'
import { beforeAll, describe, expect, it } from 'vitest'
import { requireBuilt, scratchDir } from './helpers.js'

const CHILD = fileURLToPath(
  new URL('./fixtures/redux-child.mjs', import.meta.url),
)

beforeAll(() => requireBuilt('core', 'redux'))

// The same slice as the child's.
const todos = createSlice({
  name: 'todos',
  initialState: { items: [] as { id: number; text: string }[], nextId: 1 },
  reducers: {
    added(state, action: PayloadAction<string>) {
      state.items.push({ id: state.nextId++, text: action.payload })
    },
  },
})
const slices = { todos: todos.reducer }
const { added } = todos.actions

function run(mode: string, dir: string, n = 100) {
  return spawnSync(process.execPath, [CHILD, mode, dir, String(n)], {
    encoding: 'utf8',
  })
}

function reopen(dir: string, version?: number) {
  const persist = aofPersist({ dir, version })
  const store = configureStore({
    reducer: withAof(slices),
    middleware: (gDM) => gDM().concat(persist),
  })
  return { store, persist }
}

/** The `type` of every record of a closed store directory. */
function typesOf(dir: string): string[] {
  const aof = openAof({ dir, autoRewritePercentage: 0 })
  try {
    return [...aof.records()].map((r) => (r as { type: string }).type)
  } finally {
    aof.closeSync()
  }
}

describe('leaving the process loses nothing that was appended', () => {
  it.each([
    ['close', 0],
    ['exit', 0], // process.exit() in the turn of the dispatches
    ['natural', 0], // the event loop runs dry without close()
    ['throw', 1], // an uncaught exception
  ])('on %s', async (mode, status) => {
    const dir = scratchDir('aof-redux-')
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
    const dir = scratchDir('aof-redux-')
    const proc = spawn(process.execPath, [CHILD, 'kill', dir, '10000000'], {
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
    const dir = scratchDir('aof-redux-')
    const v0 = reopen(dir)
    v0.store.dispatch(added('a'))
    v0.store.dispatch(added('b'))
    await v0.persist.close()

    const result = run('migrate-crash', dir)
    expect(result.signal).toBe('SIGKILL')
    expect(result.stdout).toBe('migrated\n')
    expect(typesOf(dir)).toEqual(['@@aof/SNAPSHOT'])

    // Version 1 without migrate: would throw if the stored version were still 0.
    const { store, persist } = reopen(dir, 1)
    expect(store.getState().todos.items.map((t) => t.text)).toEqual([
      'v1:a',
      'v1:b',
    ])
    await persist.close()
  })
})
