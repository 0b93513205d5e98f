// `aof check` and `aof inspect` know which adapter wrote a store, and check reads every record
// the way that adapter will at start-up, so the command and the app never disagree.
import { spawnSync } from 'node:child_process'
import { appendFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { aofPersist, withAof } from '@aof-persist/redux'
import { aof as aofMiddleware } from '@aof-persist/zustand'
import { applyMiddleware, legacy_createStore as createReduxStore } from 'redux'
import { beforeAll, describe, expect, it } from 'vitest'
import { createStore } from 'zustand/vanilla'
import {
  aof,
  ensureBuilt,
  lastFile,
  makeStore,
  tempDir,
  todos,
} from './helpers.js'

beforeAll(ensureBuilt)

type Notes = { notes: string[]; add: (n: string) => void }

async function zustandStore(): Promise<string> {
  const dir = join(tempDir(), 'store')
  const store = createStore<Notes>()(
    aofMiddleware(
      (set) => ({
        notes: [],
        add: (n) =>
          set((s) => ({ notes: [...s.notes, n] }), false, 'notes/add'),
      }),
      { dir, version: 2 },
    ),
  )
  store.getState().add('a')
  store.getState().add('b')
  await store.aof.close()
  return dir
}

async function reduxStore(): Promise<string> {
  const dir = join(tempDir(), 'store')
  const reducer = (s: { n: number } = { n: 0 }, a: { type: string }) =>
    a.type === 'inc' ? { n: s.n + 1 } : s
  const persist = aofPersist({ dir, version: 1 })
  const store = createReduxStore(withAof(reducer), applyMiddleware(persist))
  store.dispatch({ type: 'inc' })
  await persist.close()
  return dir
}

describe('aof check reads the records as their adapter does', () => {
  it('a Zustand store: names the kind and the version, exit 0', async () => {
    const dir = await zustandStore()
    const r = aof(['check', dir])
    expect(r.status).toBe(0)
    expect(r.stdout).toContain(
      'Kind zustand (written by @aof-persist/zustand), version 2: every record reads as that adapter reads it',
    )
  })

  it('a Redux store: names the kind and the version, exit 0', async () => {
    const dir = await reduxStore()
    const r = aof(['check', dir])
    expect(r.status).toBe(0)
    expect(r.stdout).toContain(
      'Kind redux (written by @aof-persist/redux), version 1: every record reads as that adapter reads it',
    )
  })

  it('a Redux action in a Zustand log is valid JSON but not a Zustand record: exit 1, naming file and line', async () => {
    const dir = await zustandStore()
    const file = lastFile(dir)
    appendFileSync(file, '{"type":"todos/added","payload":"x"}\n')
    const r = aof(['check', dir])
    expect(r.status).toBe(1)
    expect(r.stdout).toContain('Kind zustand')
    expect(r.stdout).toMatch(/AOF_WRONG_KIND|AOF_CORRUPT|line \d+/)
    expect(r.stdout).toContain(file)
    expect(r.stdout).not.toContain('All AOF files and manifest are valid')
  })

  it('a record that is no Redux action in a Redux log: exit 1, naming file and line', async () => {
    const dir = await reduxStore()
    const file = lastFile(dir)
    appendFileSync(file, '{"kind":"not an action"}\n')
    const r = aof(['check', dir])
    expect(r.status).toBe(1)
    expect(r.stdout).toContain(file)
    expect(r.stdout).toMatch(/line 2/)
  })

  it('a store of the core alone records no kind and is no error', () => {
    const dir = makeStore(todos(2))
    const r = aof(['check', dir])
    expect(r.status).toBe(0)
    expect(r.stdout).toMatch(/^Kind not recorded/m)
  })
})

describe('aof inspect shows the kind', () => {
  it('in the text header and as the first JSON line', async () => {
    const dir = await zustandStore()
    expect(aof(['inspect', dir]).stdout).toMatch(/^Kind zustand, version 2$/m)
    const first = aof(['inspect', dir, '--json']).stdout.split('\n')[0]!
    expect(JSON.parse(first)).toEqual({
      kind: 'store',
      logKind: 'zustand',
      version: 2,
    })
  })
})

describe('a store downloaded from a browser (a tar archive)', () => {
  it('aof check, inspect and stats read it in place; commands that change a store refuse it', async () => {
    const dir = await zustandStore()
    const parent = join(dir, '..')
    const tar = join(parent, 'notes.tar')
    const made = spawnSync('tar', [
      '--format=ustar',
      '-cf',
      tar,
      '-C',
      parent,
      'store',
    ])
    expect(made.status).toBe(0)
    const check = aof(['check', tar])
    expect(check.status).toBe(0)
    expect(check.stdout).toContain(
      'Kind zustand (written by @aof-persist/zustand), version 2',
    )
    expect(check.stdout).toContain('All AOF files and manifest are valid')
    const lines = aof(['inspect', tar, '--json'])
      .stdout.trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { kind: string; value?: unknown })
    expect(lines[0]).toEqual({ kind: 'store', logKind: 'zustand', version: 2 })
    expect(lines.filter((l) => l.kind === 'record')).toHaveLength(3)
    expect(aof(['stats', tar]).status).toBe(0)
    const fix = aof(['fix', tar, '--yes'])
    expect(fix.status).toBe(1)
    expect(fix.stderr).toMatch(
      /an archive is read-only\. Extract it \(tar -xf .*notes\.tar\)/,
    )
  })

  it('a file that is no store archive is named, exit 1', () => {
    const file = join(tempDir(), 'not.tar')
    writeFileSync(file, 'hello')
    const r = aof(['check', file])
    expect(r.status).toBe(1)
    expect(r.stderr).toMatch(/holds no AOF manifest/)
  })
})
