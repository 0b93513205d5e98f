// The main process's state: a Redux Toolkit store persisted by @aof-persist/redux, served to the
// renderers over IPC. Everything Electron-specific comes in as parameters (ipcMain, webContents,
// app), so this module runs under plain Node too: the tests drive it with fakes.
import { aofPersist, withAof } from '@aof-persist/redux'
import { configureStore } from '@reduxjs/toolkit'
import { isPlainObject } from 'redux'
import { RENDERER_ACTIONS, todos } from './todos.mjs'

/**
 * Opens the store directory, rebuilds the state from its log, and answers the renderers:
 *
 * - `ipcRenderer.invoke('state:get')` resolves to `{ seq, state }`;
 * - `ipcRenderer.invoke('state:dispatch', action)` reduces and logs the action, then resolves to
 *   `{ seq }`. With `fsync: 'always'` the reply means the action is on disk. Actions whose type
 *   is not one of the todos slice's are refused;
 * - every change is broadcast to every window as `'state:changed'` with `{ seq, action }`, so a
 *   renderer mirrors the state by applying the same reducer (no full-state copies over IPC).
 *
 * @param {object} options
 * @param {string} options.dir the store directory, e.g. join(app.getPath('userData'), 'state')
 * @param {{ handle(channel: string, fn: Function): void, removeHandler(channel: string): void }} options.ipcMain
 * @param {{ getAllWebContents(): { isDestroyed(): boolean, send(channel: string, ...args: unknown[]): void }[] }} options.webContents
 * @param {'always' | 'everysec' | 'no'} [options.fsync] default 'everysec'
 * @param {(err: Error) => void} [options.onError] background persistence errors and a failed close on quit
 */
export function createMainStore({
  dir,
  ipcMain,
  webContents,
  fsync = 'everysec',
  onError = (err) => console.error(err),
}) {
  // Opens and locks `dir` now; configureStore returns with the state already replayed.
  const persist = aofPersist({ dir, fsync, onError })
  const store = configureStore({
    reducer: withAof({ todos: todos.reducer }),
    middleware: (getDefaultMiddleware) =>
      getDefaultMiddleware().concat(persist),
  })

  let seq = 0
  /** 'open' → 'closing' (no more dispatches) → 'closed'. */
  let status = 'open'
  /** @type {Promise<void> | null} */
  let closing = null

  const broadcast = (message) => {
    for (const wc of webContents.getAllWebContents()) {
      if (!wc.isDestroyed()) wc.send('state:changed', message)
    }
  }

  /** Reduces, logs and broadcasts `action`: for the main process's own actions and for IPC. */
  function dispatch(action) {
    if (status !== 'open') {
      throw new Error(
        `The app is quitting: "${String(action?.type)}" was not applied.`,
      )
    }
    store.dispatch(action) // under fsync 'always', on disk when this returns
    seq++
    broadcast({ seq, action })
    return { seq }
  }

  ipcMain.handle('state:get', () => ({ seq, state: store.getState() }))
  ipcMain.handle('state:dispatch', (_event, action) => {
    // The renderer is less trusted than the main process: only known, plain actions get in.
    if (!isPlainObject(action) || !RENDERER_ACTIONS.has(action.type)) {
      throw new Error(
        `Refused action: ${JSON.stringify(action?.type ?? action)} is not a todos action.`,
      )
    }
    return dispatch(action)
  })

  /**
   * Stops taking dispatches, writes and fdatasyncs what is buffered, and releases the directory.
   * If the final write fails (disk full), the log stays open and a later call tries again.
   */
  function close() {
    if (closing) return closing
    status = 'closing'
    closing = persist.close().then(
      () => {
        status = 'closed'
        ipcMain.removeHandler('state:get')
        ipcMain.removeHandler('state:dispatch')
      },
      (err) => {
        status = 'open'
        closing = null
        throw err
      },
    )
    return closing
  }

  /**
   * Makes quitting wait for `close()`: the first 'before-quit' is cancelled, the log is closed,
   * then the app quits again, and that second 'before-quit' goes through. If closing fails the app
   * stays open and `onError` hears why, rather than quitting with records not on disk.
   */
  function handleQuit(app) {
    app.on('before-quit', (event) => {
      if (status === 'closed') return
      event.preventDefault()
      close().then(
        () => app.quit(),
        (err) => onError(err),
      )
    })
  }

  return {
    store,
    dispatch,
    close,
    handleQuit,
    /** Persistence counters of the log (sizes, last write status, ...). */
    stats: () => persist.stats(),
    get status() {
      return status
    },
  }
}
