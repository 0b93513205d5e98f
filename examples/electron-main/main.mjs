// The Electron entry point (Electron 28 or later runs an ESM main). It only wires
// src/mainStore.mjs to the real Electron modules; everything it relies on is tested under Node
// with fakes (test/), since Electron's binary cannot be installed on the machines that test this
// repository. Run it with `npm i electron` in this folder, then `npx electron .`.
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { app, BrowserWindow, dialog, ipcMain, webContents } from 'electron'
import { createMainStore } from './src/mainStore.mjs'

const here = fileURLToPath(new URL('.', import.meta.url))

// Two instances would both open the store directory; the second would get AOF_LOCKED.
if (!app.requestSingleInstanceLock()) {
  app.quit()
} else {
  app.whenReady().then(() => {
    let mainStore
    try {
      mainStore = createMainStore({
        dir: join(app.getPath('userData'), 'state'),
        ipcMain,
        webContents,
        fsync: 'everysec',
        onError: (err) => dialog.showErrorBox('Saving failed', err.message),
      })
    } catch (err) {
      // AOF_CORRUPT, AOF_MIGRATE_FAILED, ...: the files are untouched. Say so instead of
      // starting over with an empty state.
      dialog.showErrorBox(
        'Cannot load your data',
        `${err.message}\n\nNothing was changed on disk.`,
      )
      app.exit(1)
      return
    }
    mainStore.handleQuit(app)

    const open = () => {
      const win = new BrowserWindow({
        width: 480,
        height: 600,
        webPreferences: {
          preload: join(here, 'preload.cjs'),
          contextIsolation: true,
          sandbox: true,
        },
      })
      win.loadFile(join(here, 'renderer', 'index.html'))
    }
    open()
    app.on('activate', () => {
      if (BrowserWindow.getAllWindows().length === 0) open()
    })
  })
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit()
  })
}
