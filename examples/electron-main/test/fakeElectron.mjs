// Stand-ins for the parts of Electron the main process uses, with Electron's semantics where the
// tests depend on them. Plain ESM so a child process can use them too.
import { EventEmitter } from 'node:events'

/** ipcMain: one handler per channel, and invoke() as a renderer's ipcRenderer.invoke. */
export class FakeIpcMain {
  handlers = new Map()

  handle(channel, fn) {
    // Electron throws the same way: a second handler is a bug.
    if (this.handlers.has(channel))
      throw new Error(`Attempted to register a second handler for '${channel}'`)
    this.handlers.set(channel, fn)
  }

  removeHandler(channel) {
    this.handlers.delete(channel)
  }

  /** Like ipcRenderer.invoke: resolves with the handler's result, rejects with its error. */
  async invoke(channel, ...args) {
    const fn = this.handlers.get(channel)
    if (!fn) throw new Error(`No handler registered for '${channel}'`)
    // Arguments cross the process boundary by structured clone.
    return fn({ sender: null }, ...structuredClone(args))
  }
}

/** A window's webContents, recording what it was sent. */
export class FakeWebContents {
  sent = []
  destroyed = false
  isDestroyed() {
    return this.destroyed
  }
  send(channel, ...args) {
    this.sent.push([channel, ...structuredClone(args)])
  }
}

/** The `webContents` module: getAllWebContents(). */
export const fakeWebContentsModule = (all) => ({ getAllWebContents: () => all })

/**
 * app: quit() emits 'before-quit' with a cancellable event and, unless a listener called
 * preventDefault(), emits 'will-quit' and 'quit' and counts the quit, as Electron does.
 */
export class FakeApp extends EventEmitter {
  quits = 0
  quit() {
    let prevented = false
    this.emit('before-quit', { preventDefault: () => (prevented = true) })
    if (prevented) return
    this.emit('will-quit', { preventDefault() {} })
    this.quits++
    this.emit('quit')
  }
}
