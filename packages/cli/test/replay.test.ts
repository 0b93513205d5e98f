import {
  appendFileSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { aofPersist, withAof } from '@aof-persist/redux'
import { aof as aofMiddleware } from '@aof-persist/zustand'
import { applyMiddleware, legacy_createStore as createReduxStore } from 'redux'
import { beforeAll, describe, expect, it, vi } from 'vitest'
import { createStore } from 'zustand/vanilla'
import {
  aof,
  ensureBuilt,
  hashDir,
  holdLock,
  lastFile,
  linesOf,
  PACKAGES,
  storeFiles,
  tempDir,
} from './helpers.js'

beforeAll(ensureBuilt)

const require = createRequire(import.meta.url)

interface Todos {
  todos: string[]
  add(text: string): void
}

/** A Zustand store logging patches; `steps` run one after another, each at its unix second. */
async function zustandLog(
  steps: { at?: number; add: string[] }[],
  options: { timestamps?: boolean } = {},
): Promise<string> {
  const dir = join(tempDir(), 'store')
  if (options.timestamps) vi.useFakeTimers({ toFake: ['Date'] })
  try {
    if (options.timestamps) vi.setSystemTime((steps[0]?.at ?? 0) * 1000)
    const store = createStore<Todos>()(
      aofMiddleware(
        (set) => ({
          todos: [],
          add: (text) =>
            set((s) => ({ todos: [...s.todos, text] }), false, 'todos/add'),
        }),
        { dir, fsync: 'always', version: 3, timestamps: options.timestamps },
      ),
    )
    for (const step of steps) {
      if (options.timestamps && step.at !== undefined)
        vi.setSystemTime(step.at * 1000)
      for (const text of step.add) store.getState().add(text)
    }
    await store.aof.close()
  } finally {
    vi.useRealTimers()
  }
  return dir
}

// The app's plain root reducer, as a user would point --reducer at it: once as ESM with a
// default export, once as CommonJS with a named export.
const REDUCER_BODY = `(state = { todos: [], count: 0 }, action) => {
  switch (action.type) {
    case 'todos/added':
      return { todos: [...state.todos, action.payload], count: state.count + 1 }
    case 'todos/cleared':
      return { ...state, todos: [] }
    default:
      return state
  }
}`

function reducerModules(): { esm: string; cjs: string; none: string } {
  const dir = tempDir('aof-cli-reducer-')
  const esm = join(dir, 'reducer.mjs')
  const cjs = join(dir, 'reducer.cjs')
  const none = join(dir, 'nothing.mjs')
  writeFileSync(esm, `export default ${REDUCER_BODY}\n`)
  writeFileSync(cjs, `exports.reducer = ${REDUCER_BODY}\n`)
  writeFileSync(none, `export const notAReducer = 42\n`)
  return { esm, cjs, none }
}

type ReduxState = { todos: string[]; count: number }

/** A Redux store with `withAof` + `aofPersist` logging actions. */
async function reduxLog(
  actions: { type: string; payload?: string }[],
): Promise<{ dir: string; state: ReduxState }> {
  const { esm } = reducerModules()
  const reducer = (
    (await import(pathToFileURL(esm).href)) as {
      default: (s: ReduxState | undefined, a: { type: string }) => ReduxState
    }
  ).default
  const dir = join(tempDir(), 'store')
  const persist = aofPersist<ReduxState>({ dir, fsync: 'always', version: 2 })
  const store = createReduxStore(withAof(reducer), applyMiddleware(persist))
  for (const a of actions) store.dispatch(a)
  const state = store.getState()
  await persist.close()
  return { dir, state }
}

const added = (text: string) => ({ type: 'todos/added', payload: text })

/** The records of a file parsed (annotations skipped). */
const recordsIn = (file: string) =>
  linesOf(file)
    .filter((l) => !l.startsWith('#'))
    .map((l) => JSON.parse(l) as Record<string, unknown>)

describe('aof export', () => {
  it('prints the state of a Zustand patch log as JSON', async () => {
    const dir = await zustandLog([{ add: ['a', 'b', 'c'] }])
    const r = aof(['export', dir])
    expect(r.status).toBe(0)
    expect(JSON.parse(r.stdout)).toEqual({ todos: ['a', 'b', 'c'] })
  })

  it('prints the state of a Redux action log with --reducer (CommonJS, named export)', async () => {
    const { dir, state } = await reduxLog([
      added('a'),
      added('b'),
      { type: 'todos/cleared' },
      added('c'),
    ])
    const r = aof(['export', dir, '--reducer', reducerModules().cjs])
    expect(r.stderr).toBe('')
    expect(r.status).toBe(0)
    expect(JSON.parse(r.stdout)).toEqual(state)
    expect(state).toEqual({ todos: ['c'], count: 3 })
  })

  it('resolves --reducer against the working directory', async () => {
    const { dir, state } = await reduxLog([added('a')])
    const { esm } = reducerModules()
    const r = aof(['export', dir, '--reducer', './reducer.mjs'], {
      cwd: join(esm, '..'),
    })
    expect(r.status).toBe(0)
    expect(JSON.parse(r.stdout)).toEqual(state)
  })

  it('asks for --reducer on a Redux action log (exit 2)', async () => {
    const { dir } = await reduxLog([added('a')])
    const r = aof(['export', dir])
    expect(r.status).toBe(2)
    expect(r.stderr).toContain('--reducer')
    expect(r.stdout).toBe('')
  })

  it('fails on a reducer module that exports no reducer, and exits 2 on a missing one', async () => {
    const { dir } = await reduxLog([added('a')])
    const none = aof(['export', dir, '--reducer', reducerModules().none])
    expect(none.status).toBe(1)
    expect(none.stderr).toContain('exports no reducer function')
    expect(
      aof(['export', dir, '--reducer', join(tempDir(), 'missing.mjs')]).status,
    ).toBe(2)
  })

  it('--until prints the state as of a time: up to the first #TS: annotation later than it', async () => {
    const dir = await zustandLog(
      [
        { at: 1000, add: ['a'] },
        { at: 2000, add: ['b', 'c'] },
        { at: 3000, add: ['d'] },
      ],
      { timestamps: true },
    )
    expect(JSON.parse(aof(['export', dir, '--until', '1000']).stdout)).toEqual({
      todos: ['a'],
    })
    expect(JSON.parse(aof(['export', dir, '--until', '2999']).stdout)).toEqual({
      todos: ['a', 'b', 'c'],
    })
    const latest = aof(['export', dir, '--until', '5000'])
    expect(JSON.parse(latest.stdout)).toEqual({ todos: ['a', 'b', 'c', 'd'] })
    expect(latest.stderr).toContain('this is the latest state')
  })

  it('--until fails on a log written without timestamps, saying so', async () => {
    const dir = await zustandLog([{ add: ['a'] }])
    const r = aof(['export', dir, '--until', '1000'])
    expect(r.status).toBe(1)
    expect(r.stderr).toContain('no #TS: annotations')
    expect(r.stderr).toContain('timestamps: true')
    expect(r.stdout).toBe('')
  })

  it('--until fails for a time before anything was logged, and exits 2 for a bad time', async () => {
    const dir = await zustandLog([{ at: 1000, add: ['a'] }], {
      timestamps: true,
    })
    const r = aof(['export', dir, '--until', '10'])
    expect(r.status).toBe(1)
    expect(r.stderr).toContain('nothing before that time')
    expect(aof(['export', dir, '--until', 'noon']).status).toBe(2)
  })

  it('never writes and takes no lock: it works while the app holds the store', async () => {
    const dir = await zustandLog([{ add: ['a', 'b'] }])
    const before = hashDir(dir)
    const holder = await holdLock(dir)
    try {
      const r = aof(['export', dir])
      expect(r.status).toBe(0)
      expect(JSON.parse(r.stdout)).toEqual({ todos: ['a', 'b'] })
    } finally {
      await holder.release()
    }
    expect(hashDir(dir)).toEqual(before)
  })

  it('fails on a damaged store without printing a state, changing nothing', async () => {
    const dir = await zustandLog([{ add: ['a', 'b'] }])
    appendFileSync(lastFile(dir), '{"type":"todos/add","pa')
    const before = hashDir(dir)
    const r = aof(['export', dir])
    expect(r.status).toBe(1)
    expect(r.stdout).toBe('')
    expect(r.stderr).toMatch(
      /^aof export: The store is damaged: appendonly\.aof\.2\.incr\.aof ends with a torn record at line 3, byte offset \d+ \(AOF_TRUNCATED\); nothing was changed\. Run "aof check \S+" for details and the repair\.\n$/,
    )
    expect(hashDir(dir)).toEqual(before)
  })
})

describe('aof rewrite', () => {
  it('compacts a Zustand patch log into one snapshot keeping the stored version, and the state is unchanged', async () => {
    const dir = await zustandLog([{ add: ['a', 'b', 'c', 'd'] }])
    const exported = JSON.parse(aof(['export', dir]).stdout) as unknown
    const r = aof(['rewrite', dir])
    expect(r.stderr).toBe('')
    expect(r.status).toBe(0)
    expect(r.stdout).toMatch(
      /^Rewriting \S+: 5 records in 2 files, \d+ bytes, into one snapshot action\nRewrote \S+ into one snapshot action \(version 3\): now appendonly\.aof\.2\.base\.aof \+ appendonly\.aof\.3\.incr\.aof, \d+ bytes\n$/,
    )
    const files = storeFiles(dir)
    expect(files.map((f) => f.type)).toEqual(['b', 'i'])
    expect(recordsIn(join(dir, files[0]!.name))).toEqual([
      {
        type: '@@aof/SNAPSHOT',
        payload: { todos: ['a', 'b', 'c', 'd'] },
        meta: { version: 3, kind: 'zustand' },
      },
    ])
    expect(readFileSync(join(dir, files[1]!.name), 'utf8')).toBe('')
    expect(aof(['check', dir]).status).toBe(0)
    expect(JSON.parse(aof(['export', dir]).stdout)).toEqual(exported)

    // The app starts from the compacted log as before.
    const store = createStore<Todos>()(
      aofMiddleware(
        (set) => ({
          todos: [],
          add: (t) => set((s) => ({ todos: [...s.todos, t] })),
        }),
        { dir, version: 3 },
      ),
    )
    expect(store.getState().todos).toEqual(['a', 'b', 'c', 'd'])
    await store.aof.close()
  })

  it("compacts a Redux action log with --reducer (ESM default export) from the reducer's initial state", async () => {
    const { dir, state } = await reduxLog([
      added('a'),
      { type: 'todos/cleared' },
      added('b'),
    ])
    const { esm } = reducerModules()
    const r = aof(['rewrite', dir, '--reducer', esm])
    expect(r.stderr).toBe('')
    expect(r.status).toBe(0)
    const base = join(dir, storeFiles(dir)[0]!.name)
    expect(recordsIn(base)).toEqual([
      {
        type: '@@aof/SNAPSHOT',
        payload: state,
        meta: { version: 2, kind: 'redux' },
      },
    ])
    expect(JSON.parse(aof(['export', dir, '--reducer', esm]).stdout)).toEqual(
      state,
    )
  })

  it('asks for --reducer on a Redux action log (exit 2) and changes nothing', async () => {
    const { dir } = await reduxLog([added('a')])
    const before = hashDir(dir)
    const r = aof(['rewrite', dir])
    expect(r.status).toBe(2)
    expect(r.stderr).toContain('--reducer')
    expect(hashDir(dir)).toEqual(before)
  })

  it('refuses --reducer on a Zustand patch log and changes nothing', async () => {
    const dir = await zustandLog([{ add: ['a'] }])
    const before = hashDir(dir)
    const r = aof(['rewrite', dir, '--reducer', reducerModules().esm])
    expect(r.status).toBe(1)
    expect(r.stderr).toContain('Zustand patch log')
    expect(hashDir(dir)).toEqual(before)
  })

  it('refuses a directory another process holds the lock on', async () => {
    const dir = await zustandLog([{ add: ['a'] }])
    const holder = await holdLock(dir)
    try {
      // Taken once the holder has opened the store (opening may tidy the manifest).
      const before = hashDir(dir)
      const r = aof(['rewrite', dir])
      expect(r.status).toBe(1)
      expect(r.stderr).toContain('another process holds its lock')
      expect(hashDir(dir)).toEqual(before)
    } finally {
      await holder.release()
    }
  })

  it('refuses a damaged store, naming the problem, and cuts nothing', async () => {
    const dir = await zustandLog([{ add: ['a'] }])
    appendFileSync(lastFile(dir), '{"type":"to')
    const before = hashDir(dir)
    const r = aof(['rewrite', dir])
    expect(r.status).toBe(1)
    expect(r.stderr).toContain('Refusing to rewrite')
    expect(r.stderr).toContain('aof fix')
    expect(hashDir(dir)).toEqual(before)
  })
})

/**
 * An app folder as a user has it: `package.json` with `"type": "module"`, `redux` in its
 * node_modules, and the root reducer in TypeScript sources that import each other the way
 * `module: nodenext` wants (`./todos.js` for `./todos.ts`).
 */
function typescriptApp(): string {
  const app = tempDir('aof-cli-app-')
  mkdirSync(join(app, 'src'))
  mkdirSync(join(app, 'node_modules', '@aof-persist'), { recursive: true })
  const link = (name: string, target: string) =>
    symlinkSync(target, join(app, 'node_modules', name), 'dir')
  link('redux', dirname(require.resolve('redux/package.json')))
  link('@aof-persist/redux', join(PACKAGES, 'redux'))
  writeFileSync(join(app, 'package.json'), '{ "type": "module" }\n')
  writeFileSync(
    join(app, 'src', 'todos.ts'),
    `export interface TodosState { todos: string[]; count: number }
type TodosAction = { type: 'todos/added'; payload: string } | { type: 'todos/cleared' }
const initial: TodosState = { todos: [], count: 0 }
export function todos(state: TodosState = initial, action: TodosAction): TodosState {
  switch (action.type) {
    case 'todos/added':
      return { todos: [...state.todos, action.payload], count: state.count + 1 }
    case 'todos/cleared':
      return { ...state, todos: [] }
    default:
      return state
  }
}
`,
  )
  writeFileSync(
    join(app, 'src', 'reducer.ts'),
    `import type { Reducer } from 'redux'
import { todos, type TodosState } from './todos.js'
export const reducer = todos as Reducer<TodosState>
`,
  )
  writeFileSync(
    join(app, 'src', 'reducer.cts'),
    `import { todos } from './todos.js'
export default todos
`,
  )
  // What a reducer module must not do: create the store when it is loaded.
  writeFileSync(
    join(app, 'src', 'store.ts'),
    `import { applyMiddleware, legacy_createStore as createStore } from 'redux'
import { aofPersist, withAof } from '@aof-persist/redux'
import { todos } from './todos.js'
export const store = createStore(withAof(todos), applyMiddleware(aofPersist({ dir: './state', version: 2 })))
export default todos
`,
  )
  return app
}

describe('--reducer modules', () => {
  it.each([['./src/reducer.ts'], ['./src/reducer.cts']])(
    'loads the TypeScript source %s directly, with its imports, for export and rewrite',
    async (module) => {
      const { dir, state } = await reduxLog([added('a'), added('b')])
      const app = typescriptApp()
      const r = aof(['export', dir, '--reducer', module], { cwd: app })
      expect(r.stderr).toBe('')
      expect(r.status).toBe(0)
      expect(JSON.parse(r.stdout)).toEqual(state)
      const w = aof(['rewrite', dir, '--reducer', module], { cwd: app })
      expect(w.status).toBe(0)
      expect(recordsIn(join(dir, storeFiles(dir)[0]!.name))).toEqual([
        {
          type: '@@aof/SNAPSHOT',
          payload: state,
          meta: { version: 2, kind: 'redux' },
        },
      ])
      // jiti's disk cache is off: loading the module wrote nothing into the app.
      expect(readdirSync(join(app, 'node_modules')).sort()).toEqual([
        '@aof-persist',
        'redux',
      ])
    },
  )

  it('names a module that fails to compile, exit 1', async () => {
    const { dir } = await reduxLog([added('a')])
    const app = typescriptApp()
    writeFileSync(join(app, 'src', 'broken.ts'), 'export default (state =>\n')
    const r = aof(['export', dir, '--reducer', './src/broken.ts'], {
      cwd: app,
    })
    expect(r.status).toBe(1)
    expect(r.stderr).toContain(
      '--reducer ./src/broken.ts: the module failed to load',
    )
  })

  it('rewrite says so when the --reducer module created the store itself, and changes nothing', async () => {
    const app = typescriptApp()
    const { dir } = await reduxLog([added('a')])
    const state = join(app, 'state')
    renameSync(dir, state)
    const before = hashDir(state)
    const r = aof(['rewrite', './state', '--reducer', './src/store.ts'], {
      cwd: app,
    })
    expect(r.status).toBe(1)
    expect(r.stderr).toContain(
      'either the app is running, or the --reducer module ./src/store.ts created the store itself when it was loaded. A reducer module must only export the reducer',
    )
    expect(hashDir(state)).toEqual(before)
  })
})
