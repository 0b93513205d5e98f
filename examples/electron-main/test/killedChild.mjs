// A main process that dispatches todos over (fake) IPC as fast as it can, under fsync 'always',
// and prints the seq of each acknowledged dispatch. The test kills it with SIGKILL.
import { writeSync } from 'node:fs'
import { createMainStore } from '../src/mainStore.mjs'
import {
  FakeIpcMain,
  FakeWebContents,
  fakeWebContentsModule,
} from './fakeElectron.mjs'

const ipcMain = new FakeIpcMain()
createMainStore({
  dir: process.argv[2],
  ipcMain,
  webContents: fakeWebContentsModule([new FakeWebContents()]),
  fsync: 'always',
})
for (let i = 0; ; i++) {
  const { seq } = await ipcMain.invoke('state:dispatch', {
    type: 'todos/added',
    payload: `todo ${i}`,
  })
  // Synchronous: a line on stdout means the dispatch before it had returned.
  writeSync(1, `${seq}\n`)
}
