import { ioError, type AofError } from './errors.js'
import type { StorageFile } from './storage.js'

/** everysec: at most one fdatasync per this many milliseconds. */
export const FSYNC_INTERVAL_MS = 1000

/** What the syncer needs of the incr writer: the file being appended to and the counts. */
export interface WriterView {
  readonly file: StorageFile
  readonly name: string
  /** Bytes handed to the current file. */
  readonly size: number
  /** Records handed to the files so far (all incr files). */
  readonly written: number
  /** True while a rewrite switches incr files: nothing may be written or synced then. */
  readonly paused: boolean
  /** Writes what is buffered; false (with the waiters rejected) on failure. */
  write(): boolean
}

interface Waiter {
  /** Resolved once this many records are durable. */
  target: number
  resolve: () => void
  reject: (err: AofError) => void
}

/**
 * When written records reach the disk: an fdatasync now (`always`, `flush`, switching incr
 * files), in the background at most once a second (`everysec`, Redis's background fsync), or
 * on request (`durable()`, Redis's WAITAOF). Records are counted from written (handed to the
 * file) to synced (fdatasync'd); the counts are global across incr files, so a waiter is
 * satisfied whichever file its records landed in.
 */
export class Syncer {
  readonly #w: WriterView
  readonly #describe: (name: string) => string
  readonly #report: (err: AofError) => void
  /** Records known to be on disk. */
  #synced = 0
  /** Bytes of the current incr file known to be on disk. */
  #syncedSize: number
  #waiters: Waiter[] = []
  #inFlight: { file: StorageFile; done: Promise<void> } | null = null
  /** Like Redis's aof_last_fsync, it starts at open: what was on disk then needs no fsync. */
  #lastTry = Date.now()
  lastFsyncAt = 0
  delayedFsyncs = 0
  error: AofError | null = null
  closed = false

  constructor(
    writer: WriterView,
    describe: (name: string) => string,
    report: (err: AofError) => void,
  ) {
    this.#w = writer
    this.#describe = describe
    this.#report = report
    this.#syncedSize = writer.size
  }

  get inFlight(): boolean {
    return this.#inFlight !== null
  }

  /** Records appended up to this count are durable. */
  get synced(): number {
    return this.#synced
  }

  /** fdatasync now, on this thread; throws `AOF_IO` (and rejects the waiters with it). */
  sync(): void {
    const w = this.#w
    if (
      this.#syncedSize === w.size &&
      this.#synced === w.written &&
      this.error === null
    ) {
      return
    }
    const written = w.written
    try {
      w.file.sync()
    } catch (err) {
      this.error = ioError(
        'fdatasync of the AOF',
        this.#describe(w.name),
        err,
        'The data may not be on disk.',
      )
      this.settle(this.error)
      throw this.error
    }
    this.#done(written, w.file, w.size)
  }

  #done(written: number, file: StorageFile, size: number): void {
    if (file === this.#w.file && size > this.#syncedSize)
      this.#syncedSize = size
    this.#synced = Math.max(this.#synced, written)
    this.lastFsyncAt = Date.now()
    this.error = null
    this.settle(null)
  }

  /**
   * everysec: an fdatasync off the main thread, at most once a second. `now` is `Date.now()`
   * when the caller read it already (an append written at once: one clock read per append).
   */
  everysec(now?: number): void {
    if (this.#syncedSize === this.#w.size && this.error === null) return
    now ??= Date.now()
    if (now - this.#lastTry < FSYNC_INTERVAL_MS) return
    this.#lastTry = now
    if (this.#inFlight) {
      // The disk has not finished the previous one within a second.
      this.delayedFsyncs++
      return
    }
    this.#background()
  }

  /**
   * Starts an fdatasync of what was written so far, off the calling thread where the storage
   * can (elsewhere, as on OPFS inside its worker, synchronously). A failure is reported and
   * kept in `error`; the timer tries again.
   */
  #background(): void {
    const { file, name, size, written } = this.#w
    const run = async () => {
      try {
        if (file.syncInBackground) await file.syncInBackground()
        else file.sync()
      } catch (err) {
        const first = this.error === null
        this.error = ioError(
          'Background fdatasync of the AOF',
          this.#describe(name),
          err,
          'It is retried every second.',
        )
        if (first) this.#report(this.error)
        this.settle(this.error)
        return
      }
      this.#done(written, file, size)
    }
    const done = run().finally(() => {
      if (this.#inFlight?.done === done) this.#inFlight = null
      // Records appended while it ran may be waited for too.
      if (this.#waiters.length > 0 && !this.closed) this.kick()
    })
    this.#inFlight = { file, done }
  }

  /**
   * Resolves once `target` records are fdatasync'd: writes what is buffered now and starts a
   * background fdatasync (under `everysec` before the once-a-second one; under `no` too).
   * Rejects with the write's or the fdatasync's `AOF_IO`.
   */
  durable(target: number): Promise<void> {
    if (this.#synced >= target) return Promise.resolve()
    return new Promise<void>((resolve, reject) => {
      this.#waiters.push({ target, resolve, reject })
      this.kick()
    })
  }

  /** Moves the waiters on: write, then fdatasync in the background if anything is unsynced. */
  kick(): void {
    const w = this.#w
    if (w.paused || this.#inFlight || this.#waiters.length === 0) return
    if (!w.write()) return // the waiters were rejected with the write error
    if (w.written > this.#synced || this.#syncedSize !== w.size)
      this.#background()
    else this.settle(null)
  }

  /** Resolves the waiters whose records are durable; with an error, rejects all of them. */
  settle(err: AofError | null): void {
    if (this.#waiters.length === 0) return
    const keep: Waiter[] = []
    for (const waiter of this.#waiters) {
      if (err) waiter.reject(err)
      else if (waiter.target <= this.#synced) waiter.resolve()
      else keep.push(waiter)
    }
    this.#waiters = keep
  }

  /** A new, empty incr file became current. */
  switched(): void {
    this.#syncedSize = 0
  }

  /** Runs `fn` once no background fdatasync runs on `file` (closing it waits for that). */
  whenIdle(file: StorageFile, fn: () => void): void {
    const inFlight = this.#inFlight
    if (inFlight && inFlight.file === file) void inFlight.done.then(fn, fn)
    else fn()
  }
}
