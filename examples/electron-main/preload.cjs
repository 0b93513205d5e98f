// Exposes the main process's store to the page as window.todos; nothing else of Node or
// Electron reaches the renderer.
const { contextBridge, ipcRenderer } = require('electron')

contextBridge.exposeInMainWorld('todos', {
  /** Resolves to { seq, state }. */
  get: () => ipcRenderer.invoke('state:get'),
  /** Resolves to { seq } once the main process has reduced and logged the action. */
  dispatch: (action) => ipcRenderer.invoke('state:dispatch', action),
  /** Calls fn({ seq, action }) for every change; returns an unsubscribe function. */
  onChange: (fn) => {
    const listener = (_event, message) => fn(message)
    ipcRenderer.on('state:changed', listener)
    return () => ipcRenderer.removeListener('state:changed', listener)
  },
})
