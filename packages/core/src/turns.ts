// When deferred work runs: at the end of the current task (a promise reaction, before anything
// else the event loop does) or at the end of the current turn of the event loop.

/** Runs `fn` at the end of this turn of the event loop (its check phase, on Node). */
export const afterTurn: (fn: () => void) => void =
  typeof setImmediate === 'function'
    ? (fn) => void setImmediate(fn)
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
