// When deferred work runs: at the end of the current task (a promise reaction, before anything
// else the event loop does) or at the end of the current turn of the event loop.

/**
 * Runs `fn` once this turn of the event loop has ended: Node's setImmediate (its check phase);
 * elsewhere a MessageChannel message, which a browser does not throttle in a background tab the
 * way it throttles timers (to once a second or less); a timer as the last resort.
 */
export const afterTurn: (fn: () => void) => void =
  typeof setImmediate === 'function'
    ? (fn) => void setImmediate(fn)
    : typeof MessageChannel === 'function'
      ? (fn) => {
          const { port1, port2 } = new MessageChannel()
          // `onmessage` (a browser port's; it also starts the port) is not in Node's typings.
          ;(port1 as unknown as { onmessage: () => void }).onmessage = () => {
            port1.close()
            fn()
          }
          port2.postMessage(null)
        }
      : (fn) => void setTimeout(fn, 0)

const resolved = Promise.resolve()

/**
 * Runs `fn` once the code running now returns to the event loop: after the current task (an
 * event handler, a timer's or an I/O callback) and the promise reactions queued before this
 * call. `fn` must not throw. A promise reaction costs a fraction of a `setImmediate`, which
 * makes the event loop run one more pass and call into JavaScript from it.
 */
export const afterTask = (fn: () => void): void => void resolved.then(fn)

/**
 * Writes at the end of a task in a row before the writer waits for the end of the turn once:
 * a turn that runs many tasks which append (a burst of I/O callbacks) makes at most this many
 * writes, and one more with the rest.
 */
export const TASK_WRITES = 8
