import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { readAofEntries } from '@aof-persist/core'
import { afterEach, describe, expect, it } from 'vitest'
import { createMainStore } from '../src/mainStore.mjs'
import {
  FakeApp,
  FakeIpcMain,
  FakeWebContents,
  fakeWebContentsModule,
} from './fakeElectron.mjs'

const dirs: string[] = []
function stateDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'electron-main-'))
  dirs.push(dir)
  return join(dir, 'state')
}

type MainStore = ReturnType<typeof createMainStore>
const open: MainStore[] = []
afterEach(async () => {
  for (const s of open.splice(0)) if (s.status !== 'closed') await s.close()
  for (const dir of dirs.splice(0))
    rmSync(dir, { recursive: true, force: true })
})

/** A main process: the store wired to a fake ipcMain and one window. */
function mainProcess(dir: string, fsync: 'always' | 'everysec' = 'everysec') {
  const ipcMain = new FakeIpcMain()
  const window = new FakeWebContents()
  const errors: Error[] = []
  const main = createMainStore({
    dir,
    ipcMain,
    webContents: fakeWebContentsModule([window]),
    fsync,
    onError: (err: Error) => errors.push(err),
  })
  open.push(main)
  return { main, ipcMain, window, errors }
}

/**
 * The actions in the log, read from the files without opening the store: every record but the
 * base the store starts with (a snapshot of its initial state).
 */
const logged = (dir: string) =>
  [...readAofEntries({ dir })].flatMap((e) =>
    e.kind === 'record' &&
    (e.value as { type: string }).type !== '@@aof/SNAPSHOT'
      ? [e.value as { type: string; payload?: unknown }]
      : [],
  )

const add = (text: string) => ({ type: 'todos/added', payload: text })

describe('electron main store over IPC', () => {
  it('persists a dispatch from a renderer and broadcasts it to every window', async () => {
    const dir = stateDir()
    const { main, ipcMain, window } = mainProcess(dir)
    await expect(
      ipcMain.invoke('state:dispatch', add('buy milk')),
    ).resolves.toEqual({ seq: 1 })
    expect(window.sent).toEqual([
      ['state:changed', { seq: 1, action: add('buy milk') }],
    ])
    await main.close()
    expect(logged(dir)).toEqual([add('buy milk')])
  })

  it('refuses actions a renderer must not send, and logs nothing for them', async () => {
    const dir = stateDir()
    const { main, ipcMain } = mainProcess(dir)
    await expect(
      ipcMain.invoke('state:dispatch', { type: '@@aof/SNAPSHOT', payload: {} }),
    ).rejects.toThrow(/Refused action/)
    await expect(
      ipcMain.invoke('state:dispatch', 'todos/added'),
    ).rejects.toThrow(/Refused action/)
    await main.close()
    expect(logged(dir)).toEqual([])
  })

  it('restores the state after a restart', async () => {
    const dir = stateDir()
    const first = mainProcess(dir)
    await first.ipcMain.invoke('state:dispatch', add('a'))
    await first.ipcMain.invoke('state:dispatch', add('b'))
    await first.ipcMain.invoke('state:dispatch', {
      type: 'todos/toggled',
      payload: 1,
    })
    await first.main.close()

    const second = mainProcess(dir)
    const { state } = await second.ipcMain.invoke('state:get')
    expect(state.todos.items).toEqual([
      { id: 1, text: 'a', done: true },
      { id: 2, text: 'b', done: false },
    ])
    await expect(
      second.ipcMain.invoke('state:dispatch', add('c')),
    ).resolves.toEqual({ seq: 1 })
    expect(second.main.store.getState().todos.items.at(-1)).toEqual({
      id: 3,
      text: 'c',
      done: false,
    })
  })

  it('holds the directory lock: a second main process on the same directory fails', () => {
    const dir = stateDir()
    mainProcess(dir)
    expect(() => mainProcess(dir)).toThrow(
      expect.objectContaining({ code: 'AOF_LOCKED' }),
    )
  })
})

describe('before-quit', () => {
  it('waits for close(), then quits, with every buffered action on disk', async () => {
    const dir = stateDir()
    const { main, ipcMain } = mainProcess(dir, 'everysec')
    const app = new FakeApp()
    main.handleQuit(app)
    // Dispatched in this turn: under everysec still in the buffer when quit is asked for.
    for (let i = 0; i < 100; i++)
      await ipcMain.invoke('state:dispatch', add(`todo ${i}`))

    // Read the files at the very moment Electron would quit, before anything else can run.
    const atQuit = new Promise<number>((resolve) =>
      app.once('quit', () => resolve(logged(dir).length)),
    )
    app.quit()
    expect(app.quits).toBe(0) // cancelled until the log is closed
    expect(main.status).toBe('closing')
    await expect(
      ipcMain.invoke('state:dispatch', add('too late')),
    ).rejects.toThrow(/quitting/)

    expect(await atQuit).toBe(100)
    expect(app.quits).toBe(1)
    expect(main.status).toBe('closed')
    // The lock is released: the next start opens the directory.
    const next = mainProcess(dir)
    expect(
      (await next.ipcMain.invoke('state:get')).state.todos.items,
    ).toHaveLength(100)
  })
})

describe('kill -9', () => {
  it("keeps every acknowledged dispatch under fsync 'always'", async () => {
    const dir = stateDir()
    const child = spawn(
      process.execPath,
      [fileURLToPath(new URL('./killedChild.mjs', import.meta.url)), dir],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    )
    let acked = 0
    let buffered = ''
    await new Promise<void>((resolve, reject) => {
      child.on('error', reject)
      child.on('exit', (code) =>
        reject(new Error(`child exited early with ${code}`)),
      )
      child.stdout.on('data', (chunk: Buffer) => {
        buffered += chunk.toString()
        const lines = buffered.split('\n')
        buffered = lines.pop()!
        if (lines.length > 0) acked = Number(lines.at(-1))
        if (acked >= 200) resolve()
      })
    })
    child.removeAllListeners('exit')
    const exited = new Promise((r) =>
      child.once('exit', (_code, signal) => r(signal)),
    )
    child.kill('SIGKILL')
    expect(await exited).toBe('SIGKILL')

    const { ipcMain, main } = mainProcess(dir)
    const { state } = await ipcMain.invoke('state:get')
    expect(state.todos.items.length).toBeGreaterThanOrEqual(acked)
    // In order and without gaps: todo 0, todo 1, ...
    state.todos.items.forEach((t: { id: number; text: string }, i: number) => {
      expect(t).toMatchObject({ id: i + 1, text: `todo ${i}` })
    })
    expect(main.status).toBe('open')
  })
})
