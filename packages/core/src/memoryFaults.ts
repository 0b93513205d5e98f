/**
 * Fault injection for {@link memoryStorage}: which operation fails, on which file, how, and
 * when. The storage asks {@link Faults.match} before each operation.
 */

/** The operations of a memory storage, as faults and observers name them. */
export type MemoryOp =
  | 'prepare'
  | 'lock'
  | 'list'
  | 'stat'
  | 'open'
  | 'read'
  | 'write'
  | 'truncate'
  | 'sync'
  | 'close'
  | 'rename'
  | 'remove'
  | 'syncDir'

/** A fault to inject: matching operations fail (or a write writes short). */
export interface MemoryFault {
  /** The operation that fails. */
  op: MemoryOp
  /** Only operations on this file (for a rename: either name); any file when absent. */
  name?: string | RegExp
  /**
   * The error's `code` (`EIO`, `ENOSPC`, `EACCES`, ...).
   * @default 'EIO'
   */
  code?: string
  /** `write` only: write this many bytes and return the count instead of failing (a short write). */
  short?: number
  /** `write` only: write this many bytes, then fail with `code` (a failed write that left bytes). */
  written?: number
  /**
   * Matching operations let through before the fault fires.
   * @default 0
   */
  skip?: number
  /**
   * Matching operations that fail once it fires; `Infinity` until removed.
   * @default 1
   */
  times?: number
}

/** What an operation was, as {@link MemoryStorage.observe} reports it after it ran. */
export interface MemoryEvent {
  op: MemoryOp
  /** The file (a rename's source). */
  name?: string
  /** A rename's target. */
  to?: string
  /** The error code when the operation failed. */
  error?: string
}

/** The injected faults of one storage, in the order injected. */
export class Faults {
  #list: (MemoryFault & { seen: number; fired: number })[] = []

  /** Adds a fault; returns the function that removes it. */
  add(fault: MemoryFault): () => void {
    if (fault.short !== undefined && fault.op !== 'write')
      throw new TypeError(
        'memoryStorage: a fault with `short` must have op "write".',
      )
    if (fault.written !== undefined && fault.op !== 'write')
      throw new TypeError(
        'memoryStorage: a fault with `written` must have op "write".',
      )
    const entry = { ...fault, seen: 0, fired: 0 }
    this.#list.push(entry)
    return () => {
      this.#list = this.#list.filter((f) => f !== entry)
    }
  }

  /** The first fault that fires on `event`, counting it as seen by every matching fault. */
  match(event: MemoryEvent): MemoryFault | undefined {
    for (const f of this.#list) {
      if (f.op !== event.op) continue
      if (f.name !== undefined) {
        const hit = (n?: string) =>
          n !== undefined &&
          (typeof f.name === 'string' ? f.name === n : f.name!.test(n))
        if (!hit(event.name) && !hit(event.to)) continue
      }
      if (f.seen++ < (f.skip ?? 0)) continue
      if (f.fired >= (f.times ?? 1)) continue
      f.fired++
      return f
    }
    return undefined
  }
}
