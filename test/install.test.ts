// The road of a user outside this repository: pack every public package from a clean tree,
// install the tarballs with npm into a new app, type-check the docs' quick starts and a consumer
// of each package under strict settings, and run them and the installed `aof` binary.
import { execFileSync, spawnSync } from 'node:child_process'
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { quickStarts, type QuickStart } from './quickStarts.js'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const PUBLIC = ['core', 'redux', 'zustand', 'cli'] as const
const require = createRequire(join(ROOT, 'packages', 'redux', 'package.json'))

/** The version this workspace uses of a package the app installs from the registry. */
const versionOf = (name: string, from = 'redux'): string =>
  (
    createRequire(join(ROOT, 'packages', from, 'package.json'))(
      `${name}/package.json`,
    ) as { version: string }
  ).version

/**
 * The quick starts the docs must hold: a marker that disappears fails here, instead of a
 * quick start silently no longer being checked.
 */
const EXPECTED_QUICK_STARTS = [
  'README.md: redux-toolkit',
  'README.md: redux',
  'README.md: zustand',
  'README.md: core',
  'docs/learn/getting-started.md: redux-toolkit',
  'docs/learn/getting-started.md: zustand',
  'docs/learn/getting-started.md: core',
  'docs/learn/redux.md: partialize',
  'docs/learn/zustand.md: notes',
  'docs/learn/migrating-from-redux-persist.md: after',
  'docs/reference/aofPersist.md: usage',
]

/** Every Markdown page with quick starts: the README, docs/learn and docs/reference. */
function allQuickStarts(): QuickStart[] {
  const pages = [
    'README.md',
    ...['learn', 'reference'].flatMap((d) =>
      readdirSync(join(ROOT, 'docs', d))
        .filter((f) => f.endsWith('.md'))
        .map((f) => `docs/${d}/${f}`),
    ),
  ]
  return pages.flatMap((page) =>
    quickStarts(readFileSync(join(ROOT, page), 'utf8'), page),
  )
}

const work = mkdtempSync(join(tmpdir(), 'aof-install-'))
afterAll(() => rmSync(work, { recursive: true, force: true }))

function sh(command: string, args: string[], cwd: string): string {
  const r = spawnSync(command, args, {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, FORCE_COLOR: '0', CI: 'true' },
    maxBuffer: 64 * 1024 * 1024,
  })
  if (r.status !== 0) {
    throw new Error(
      `${command} ${args.join(' ')} (in ${cwd}) exited ${r.status}:\n${r.stdout}\n${r.stderr}`,
    )
  }
  return r.stdout
}

/** The files of the repository as a fresh clone would have them, with the working tree's edits. */
function copyCleanTree(to: string): void {
  const files = execFileSync(
    'git',
    ['ls-files', '-z', '--cached', '--others', '--exclude-standard'],
    { cwd: ROOT, encoding: 'utf8' },
  )
    .split('\0')
    .filter((f) => f !== '' && existsSync(join(ROOT, f)))
  for (const f of files) {
    mkdirSync(dirname(join(to, f)), { recursive: true })
    copyFileSync(join(ROOT, f), join(to, f))
  }
}

const tarballs: Record<string, string> = {}
const app = join(work, 'app')

const TSCONFIG = {
  compilerOptions: {
    target: 'ES2022',
    lib: ['ES2023'],
    module: 'nodenext',
    moduleResolution: 'nodenext',
    strict: true,
    exactOptionalPropertyTypes: true,
    noUncheckedIndexedAccess: true,
    // As most apps have it (and `tsc --init` writes it): Redux Toolkit's and zustand devtools'
    // own .d.ts files do not pass these settings. Ours are checked without it, below.
    skipLibCheck: true,
    types: ['node'],
    outDir: 'out',
    rootDir: 'src/quick',
  },
  include: ['src/quick'],
}

/** A consumer of each package, once as ESM (`.mts`) and once as CommonJS (`.cts`). */
function consumers(): Record<string, string> {
  const body: Record<(typeof PUBLIC)[number], [string, string]> = {
    core: [
      "import { openAof, readSnapshot, snapshotAction, isAofError } from '@aof-persist/core'",
      `const log = openAof({ dir: 'state' })
log.append({ type: 'add', by: 2 })
await log.rewrite(snapshotAction(2))
log.append({ type: 'add', by: 3 })
await log.close()
const again = openAof({ dir: 'state' })
let n = 0
for (const r of again.records()) {
  const snap = readSnapshot(r)
  n = snap ? (snap.payload as number) : n + (r as { by: number }).by
}
await again.close()
if (n !== 5 || isAofError(new Error('x'))) throw new Error('core: ' + n)
console.log('core', n)`,
    ],
    redux: [
      "import { aofPersist, withAof, replayLog } from '@aof-persist/redux'\nimport { applyMiddleware, legacy_createStore as createStore } from 'redux'",
      `type Add = { type: 'add'; by: number }
const counter = (state = { n: 0 }, action: Add) =>
  action.type === 'add' ? { n: state.n + action.by } : state
for (const by of [2, 3]) {
  const persist = aofPersist<{ n: number }>({ dir: 'state' })
  const store = createStore(withAof(counter), applyMiddleware(persist))
  store.dispatch({ type: 'add', by })
  await persist.close()
  console.log('redux', store.getState().n)
}
if (typeof replayLog !== 'function') throw new Error('replayLog')`,
    ],
    zustand: [
      "import { aof } from '@aof-persist/zustand'\nimport { createStore } from 'zustand/vanilla'",
      `type S = { n: number; add: (by: number) => void }
for (const by of [2, 3]) {
  const store = createStore<S>()(
    aof((set) => ({ n: 0, add: (b) => set((s) => ({ n: s.n + b }), false, 'add') }), { dir: 'state' }),
  )
  store.getState().add(by)
  await store.aof.close()
  console.log('zustand', store.getState().n)
}`,
    ],
    cli: [
      "import { run, VERSION, EXIT_OK } from '@aof-persist/cli'\nimport { openAof } from '@aof-persist/core'",
      `const log = openAof({ dir: 'state' })
log.append({ type: 'x' })
await log.close()
let out = ''
const status = await run(['check', 'state'], { stdout: { write: (s: string) => (out += s) } })
if (status !== EXIT_OK || !out.includes('valid')) throw new Error(out)
console.log('cli', VERSION, status)`,
    ],
  }
  const files: Record<string, string> = {}
  for (const [pkg, [imports, code]] of Object.entries(body)) {
    files[`consumers/${pkg}.mts`] = `${imports}\n\n${code}\n`
    // CommonJS has no top-level await: the same code in an async function.
    files[`consumers/${pkg}.cts`] =
      `${imports}\n\nasync function main(): Promise<void> {\n${code}\n}\nmain().catch((err: unknown) => {\n  console.error(err)\n  process.exitCode = 1\n})\n`
  }
  return files
}

/** Runs `file` (emitted JavaScript) with node in a fresh directory of its own. */
function runProgram(file: string): { status: number | null; out: string } {
  const cwd = mkdtempSync(join(work, 'run-'))
  const r = spawnSync(process.execPath, [join(app, 'out', file)], {
    cwd,
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, NODE_ENV: 'development' },
  })
  return {
    status: r.status,
    out: `${r.stdout}${r.stderr}${r.error ? String(r.error) : ''}`,
  }
}

const programs: { source: string; file: string }[] = []

describe('the packed packages, installed with npm into an app outside the workspace', () => {
  beforeAll(() => {
    const tree = join(work, 'tree')
    copyCleanTree(tree)
    sh('pnpm', ['install', '--frozen-lockfile', '--prefer-offline'], tree)
    const packs = join(work, 'packs')
    sh('pnpm', ['-r', 'pack', '--pack-destination', packs], tree)
    for (const f of readdirSync(packs)) tarballs[f] = join(packs, f)

    // The app is examples/electron-main copied out of the workspace as its README says: its
    // workspace: entries deleted, the tarballs installed instead. Only Electron is left out (its
    // binary comes from outside the registry); the quick starts and consumers go in src/quick.
    sh('cp', ['-r', join(tree, 'examples', 'electron-main'), app], work)
    rmSync(join(app, 'node_modules'), { recursive: true, force: true })
    sh(
      'npm',
      ['pkg', 'delete', 'dependencies.@aof-persist/redux', 'devDependencies'],
      app,
    )
    mkdirSync(join(app, 'src', 'quick'), { recursive: true })
    // One install for everything: the four tarballs and what a user has beside them.
    sh(
      'npm',
      [
        'install',
        '--no-audit',
        '--no-fund',
        '--loglevel=error',
        ...Object.values(tarballs),
        `redux@${versionOf('redux')}`,
        `@reduxjs/toolkit@${versionOf('@reduxjs/toolkit')}`,
        `zustand@${versionOf('zustand', 'zustand')}`,
        `immer@${versionOf('immer', 'zustand')}`,
        `typescript@${versionOf('typescript', 'cli')}`,
        `@types/node@${versionOf('@types/node', 'cli')}`,
      ],
      app,
    )

    writeFileSync(join(app, 'tsconfig.json'), JSON.stringify(TSCONFIG))
    // The consumers import nothing but our packages, redux and zustand/vanilla: with them alone
    // in the program, the packages' .d.ts files are checked under the strict settings too.
    writeFileSync(
      join(app, 'tsconfig.packages.json'),
      JSON.stringify({
        extends: './tsconfig.json',
        compilerOptions: { skipLibCheck: false, noEmit: true },
        include: ['src/quick/consumers'],
      }),
    )
    for (const q of allQuickStarts()) {
      const name = `${q.file.replace(/[/.]/g, '_')}-${q.name}`
      writeFileSync(
        join(app, 'src', 'quick', `${name}.ts`),
        `// ${q.file}:${q.line}, quick start "${q.name}"\n${q.code}`,
      )
      programs.push({ source: `${q.file}: ${q.name}`, file: `${name}.js` })
    }
    for (const [path, code] of Object.entries(consumers())) {
      mkdirSync(dirname(join(app, 'src', 'quick', path)), { recursive: true })
      writeFileSync(join(app, 'src', 'quick', path), code)
    }
  }, 600_000)

  it('packs exactly the public packages, each with its build, types, README, CHANGELOG and LICENSE', () => {
    // @aof-persist/browser is packed too. It runs in browsers only (ESM only, OPFS, a worker),
    // so no Node consumer below runs it: its dist/ is what its Chromium tests load.
    expect(Object.keys(tarballs).sort()).toEqual(
      [...PUBLIC, 'browser'].map((p) => `aof-persist-${p}-0.1.0.tgz`).sort(),
    )
    for (const [name, path] of Object.entries(tarballs)) {
      const files = sh('tar', ['tzf', path], work).split('\n').sort()
      const builds = name.includes('-browser-')
        ? [
            'package/dist/index.js',
            'package/dist/worker.js',
            'package/dist/index.d.ts',
          ]
        : [
            'package/dist/index.js',
            'package/dist/index.cjs',
            'package/dist/index.d.ts',
            'package/dist/index.d.cts',
          ]
      for (const f of [
        'package/package.json',
        'package/README.md',
        'package/CHANGELOG.md',
        'package/LICENSE',
        ...builds,
      ])
        expect(files, name).toContain(f)
      const manifest = sh('tar', ['xzOf', path, 'package/package.json'], work)
      expect(manifest, name).not.toContain('workspace:')
    }
  })

  it('finds every quick start the docs mark', () => {
    expect(programs.map((p) => p.source).sort()).toEqual(
      [...EXPECTED_QUICK_STARTS].sort(),
    )
  })

  it.each([['tsconfig.json'], ['tsconfig.packages.json']])(
    'type-checks the quick starts and an ESM and a CJS consumer of each package under strict, exactOptionalPropertyTypes, noUncheckedIndexedAccess and module nodenext (%s)',
    (config) => {
      const r = spawnSync(
        process.execPath,
        [join(app, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', config],
        { cwd: app, encoding: 'utf8' },
      )
      expect(r.stdout + r.stderr).toBe('')
      expect(r.status).toBe(0)
    },
    120_000,
  )

  it('runs every quick start', () => {
    const failures = programs
      .map((p) => ({ ...p, ...runProgram(p.file) }))
      .filter((r) => r.status !== 0)
      .map((r) => `${r.source} exited ${r.status}:\n${r.out}`)
    expect(failures).toEqual([])
  }, 300_000)

  it.each(PUBLIC.flatMap((p) => [[`${p}.mjs`], [`${p}.cjs`]]))(
    'runs the consumer %s, which keeps its state across a restart',
    (file) => {
      const r = runProgram(`consumers/${file}`)
      expect(r.out).not.toContain('Error')
      expect(r.status).toBe(0)
      if (file.startsWith('redux') || file.startsWith('zustand'))
        expect(r.out).toMatch(/ 2\n.* 5\n/)
    },
  )

  it("runs the Electron example's main-process store from the copy: a renderer's dispatch survives a restart", () => {
    const dir = mkdtempSync(join(work, 'electron-'))
    const script = `
      import { createMainStore } from './src/mainStore.mjs'
      import { FakeIpcMain, FakeWebContents, fakeWebContentsModule } from './test/fakeElectron.mjs'
      const open = () => {
        const ipcMain = new FakeIpcMain()
        const main = createMainStore({ dir: ${JSON.stringify(join(dir, 'state'))}, ipcMain, webContents: fakeWebContentsModule([new FakeWebContents()]) })
        return { main, ipcMain }
      }
      const first = open()
      await first.ipcMain.invoke('state:dispatch', { type: 'todos/added', payload: 'buy milk' })
      await first.main.close()
      const second = open()
      console.log(JSON.stringify(await second.ipcMain.invoke('state:get')))
      await second.main.close()
    `
    const r = spawnSync(
      process.execPath,
      ['--input-type=module', '-e', script],
      { cwd: app, encoding: 'utf8' },
    )
    expect(r.stderr).toBe('')
    expect(r.status).toBe(0)
    expect(r.stdout).toContain('buy milk')
  })

  it('installs the aof binary, which runs from the app', () => {
    const bin = join(app, 'node_modules', '.bin', 'aof')
    const version = spawnSync(bin, ['--version'], { encoding: 'utf8' })
    expect(version.stdout).toBe('aof 0.1.0\n')
    const dir = mkdtempSync(join(work, 'store-'))
    const core = require.resolve('@aof-persist/core', { paths: [app] })
    expect(core.startsWith(app)).toBe(true)
    execFileSync(process.execPath, [
      '-e',
      `const { openAof } = require(${JSON.stringify(core)})
       const log = openAof({ dir: ${JSON.stringify(dir)} })
       log.append({ type: 'todos/added', payload: 'milk' })
       log.closeSync()`,
    ])
    const check = spawnSync(bin, ['check', dir], { encoding: 'utf8' })
    expect(check.stdout).toContain('All AOF files and manifest are valid')
    expect(check.status).toBe(0)
    const inspect = spawnSync(bin, ['inspect', dir, '--json'], {
      encoding: 'utf8',
    })
    expect(inspect.status).toBe(0)
    expect(inspect.stdout).toContain('"payload":"milk"')
  })
})
