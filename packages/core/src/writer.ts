import { ioError, type AofError } from './errors.js'
import { timestampLine } from './record.js'
import type { StorageFile } from './storage.js'
import type { FsyncPolicy } from './types.js'

/** How often the background timer looks for written-but-unsynced data and failed writes. */
export const CRON_MS = 250

/** everysec: at most one fdatasync per this many milliseconds. */
export const FSYNC_INTERVAL_MS = 1000

/**
 * The buffer is written out once it holds this many characters, even in the middle of an
 * event-loop turn: memory stays bounded by it, not by the size of a burst of appends, and a
 * normal turn still makes one write.
 */
export const WRITE_BUFFER_CHARS = 64 * 1024

/** Runs `fn` at the end of this turn of the event loop (its check phase, on Node). */
export const afterTurn: (fn: () => void) => void =
  typeof setImmediate === 'function'
    ? (fn) => void setImmediate(fn)
    : (fn) => void setTimeout(fn, 0)

interface Waiter {
  /** Resolved once this many records are durable. */
  target: number
  resolve: () => void
  reject: (err: AofError) => void
}

/**
 * The incr writer: the current incr file, the buffer of appended lines, the offsets, and when
 * data is written and fdatasync'd under each policy. Records are counted as they move from
 * appended to written (handed to the file) to synced (fdatasync'd): `durable()` waits on the
 * last count, which is global across incr files.
 */
export class IncrWriter {
  readonly #fsync: FsyncPolicy
  readonly #timestamps: boolean
  readonly #describe: (name: string) => string
  readonly #report: (err: AofError) => void
  /** Called at the end of every turn that wrote, and by the timer: auto-rewrite checks. */
  onTurnEnd: () => void = () => {}

  #file: StorageFile
  #name: string
  /** Bytes of the current incr file handed to it: where the next write goes. */
  #size: number
  /** Bytes of the current incr file known to be on disk. */
  #syncedSize: number

  // Lines (without their newline) appended but not yet written; `#chars` is their length.
  #lines: string[] = []
  #chars = 0
  #lineRecords = 0
  /** Bytes of a write that failed half-way and could not be cut back, still to be written. */
  #pending: Uint8Array | null = null
  #pendingRecords = 0
  #lastTs = -1
  #batchDepth = 0
  #flushScheduled = false
  /** While a rewrite switches incr files on an asynchronous storage, nothing is written. */
  #paused = false

  #appended = 0
  #written = 0
  #synced = 0
  #waiters: Waiter[] = []

  #inFlight: { file: StorageFile; done: Promise<void> } | null = null
  /** Like Redis's aof_last_fsync, it starts at open: what was on disk then needs no fsync. */
  #lastFsyncTry = Date.now()
  lastFsyncAt = 0
  delayedFsyncs = 0
  writeError: AofError | null = null
  fsyncError: AofError | null = null

  #encoder = new TextEncoder()
  #out = new Uint8Array(WRITE_BUFFER_CHARS * 3 + 16)

  constructor(
    o: { fsync: FsyncPolicy; timestamps: boolean },
    incr: { name: string; file: StorageFile; size: number },
    describe: (name: string) => string,
    report: (err: AofError) => void,
  ) {
    this.#fsync = o.fsync
    this.#timestamps = o.timestamps
    this.#describe = describe
    this.#report = report
    this.#name = incr.name
    this.#file = incr.file
    this.#size = incr.size
    this.#syncedSize = incr.size
  }

  /** Bytes of the current incr file handed to it. */
  get size(): number {
    return this.#size
  }

  /** Characters appended and not yet written (about their bytes: exact for ASCII). */
  get bufferedChars(): number {
    return this.#chars + (this.#pending?.length ?? 0)
  }

  /** Bytes appended and not yet written, exactly. */
  bufferedBytes(): number {
    let n = this.#pending?.length ?? 0
    for (const line of this.#lines) n += utf8Length(line) + 1
    return n
  }

  get appended(): number {
    return this.#appended
  }

  get fsyncInFlight(): boolean {
    return this.#inFlight !== null
  }

  // ---- appending ----------------------------------------------------------------------------

  /** Appends one record, already encoded as one line of JSON (no newline). */
  append(json: string): void {
    if (this.#timestamps) {
      const sec = Math.floor(Date.now() / 1000)
      if (sec !== this.#lastTs) {
        this.#lastTs = sec
        this.#lines.push(timestampLine(sec))
        this.#chars += 16
      }
    }
    this.#lines.push(json)
    this.#chars += json.length + 1
    this.#lineRecords++
    this.#appended++
    if (this.#fsync === 'always' && this.#batchDepth === 0) this.#commit()
    else {
      // A burst of appends in one turn is written in pieces: memory stays bounded by the
      // buffer. While a write is failing (a full disk) the retries wait for the turn's end.
      if (this.#chars >= WRITE_BUFFER_CHARS && this.writeError === null)
        this.write()
      this.#scheduleFlush()
    }
  }

  batch<T>(fn: () => T): T {
    this.#batchDepth++
    try {
      return fn()
    } finally {
      // Appends made before a throw stay appended: batch is group commit, not a transaction.
      if (
        --this.#batchDepth === 0 &&
        this.#fsync === 'always' &&
        this.#appended > this.#synced
      ) {
        this.#commit()
      }
    }
  }

  /** `always`: write and fdatasync before returning; on failure the records stay queued. */
  #commit(): void {
    if (!this.write()) throw this.writeError!
    this.sync()
    this.#scheduleFlush() // the auto-rewrite check runs at the end of the turn
  }

  #scheduleFlush(): void {
    if (this.#flushScheduled) return
    this.#flushScheduled = true
    // Every append of the turn shares one write.
    afterTurn(() => {
      this.#flushScheduled = false
      this.endOfTurn()
    })
  }

  /** What the end of a turn and the timer do: write, fsync per policy, let the store check. */
  endOfTurn(): void {
    if (this.#closed) return
    this.write()
    if (this.#fsync === 'everysec') this.#everysecFsync()
    this.onTurnEnd()
  }

  #closed = false

  /** The timer's tick (Redis's serverCron): retry failed writes, fsync what the turns wrote. */
  tick(): void {
    if (this.#closed) return
    if (this.#flushScheduled) {
      if (this.#fsync === 'everysec') this.#everysecFsync()
      this.onTurnEnd()
    } else this.endOfTurn()
  }

  // ---- writing ------------------------------------------------------------------------------

  /**
   * Writes the buffer to the current incr file. On failure the file is cut back to its last
   * complete record (a half record must never stay: the next write would follow it), the
   * records stay queued for a retry, and the error is reported once. Returns success.
   */
  write(): boolean {
    if (this.#paused) return true
    if (this.#pending !== null) {
      if (!this.#writeBytes(this.#pending, this.#pendingRecords, true))
        return false
      this.#pending = null
      this.#pendingRecords = 0
    }
    if (this.#lines.length === 0) return true
    // A trailing '' makes join end the text with a newline without another concatenation.
    this.#lines.push('')
    const text = this.#lines.join('\n')
    const records = this.#lineRecords
    this.#lines = []
    this.#chars = 0
    this.#lineRecords = 0
    return this.#writeBytes(this.#encode(text), records, false)
  }

  #encode(text: string): Uint8Array {
    // UTF-8 takes at most 3 bytes per UTF-16 unit.
    if (this.#out.length < text.length * 3) {
      this.#out = new Uint8Array(text.length * 3 + 16)
    }
    const { written } = this.#encoder.encodeInto(text, this.#out)
    return this.#out.subarray(0, written)
  }

  #writeBytes(data: Uint8Array, records: number, isPending: boolean): boolean {
    let done = 0
    try {
      while (done < data.length) {
        const n = this.#file.write(data.subarray(done), this.#size + done)
        if (!(n > 0)) {
          throw Object.assign(new Error('a write made no progress'), {
            code: 'EIO',
          })
        }
        done += n
      }
    } catch (err) {
      if (done > 0) {
        try {
          this.#file.truncate(this.#size)
          done = 0
        } catch {
          // Could not cut the partial record off: keep what was written and only retry the
          // rest, so the record is completed rather than started again (as Redis does).
        }
      }
      this.#size += done
      // `data` may be the reused encode buffer: keep a copy of what is still to be written.
      this.#pending = isPending ? data.subarray(done) : data.slice(done)
      this.#pendingRecords = records
      const first = this.writeError === null
      this.writeError = ioError(
        'Writing to the AOF',
        this.#describe(this.#name),
        err,
        'The records stay queued and are retried; free some space or fix the disk.',
      )
      if (first) this.#report(this.writeError)
      this.#settleWaiters(this.writeError)
      return false
    }
    this.#size += done
    this.#written += records
    this.writeError = null
    return true
  }

  // ---- syncing ------------------------------------------------------------------------------

  /** fdatasync now, on this thread; throws `AOF_IO`. */
  sync(): void {
    if (
      this.#syncedSize === this.#size &&
      this.#synced === this.#written &&
      this.fsyncError === null
    ) {
      return
    }
    const written = this.#written
    try {
      this.#file.sync()
    } catch (err) {
      this.fsyncError = ioError(
        'fdatasync of the AOF',
        this.#describe(this.#name),
        err,
        'The data may not be on disk.',
      )
      this.#settleWaiters(this.fsyncError)
      throw this.fsyncError
    }
    this.#synced = Math.max(this.#synced, written)
    this.#syncedSize = this.#size
    this.lastFsyncAt = Date.now()
    this.fsyncError = null
    this.#settleWaiters(null)
  }

  /** everysec: an fdatasync off the main thread, at most once a second. */
  #everysecFsync(): void {
    if (this.#syncedSize === this.#size && this.fsyncError === null) return
    const now = Date.now()
    if (now - this.#lastFsyncTry < FSYNC_INTERVAL_MS) return
    this.#lastFsyncTry = now
    if (this.#inFlight) {
      // The disk has not finished the previous one within a second.
      this.delayedFsyncs++
      return
    }
    this.#syncInBackground()
  }

  /**
   * Starts an fdatasync of what was written so far, off the calling thread where the storage
   * can (elsewhere, as on OPFS inside its worker, synchronously). Failures are reported and
   * kept in `fsyncError`; the next try comes from the timer.
   */
  #syncInBackground(): Promise<void> {
    const file = this.#file
    const name = this.#name
    const size = this.#size
    const written = this.#written
    const run = async () => {
      try {
        if (file.syncInBackground) await file.syncInBackground()
        else file.sync()
      } catch (err) {
        const first = this.fsyncError === null
        this.fsyncError = ioError(
          'Background fdatasync of the AOF',
          this.#describe(name),
          err,
          'It is retried every second.',
        )
        if (first) this.#report(this.fsyncError)
        this.#settleWaiters(this.fsyncError)
        return
      }
      if (file === this.#file && size > this.#syncedSize)
        this.#syncedSize = size
      this.#synced = Math.max(this.#synced, written)
      this.lastFsyncAt = Date.now()
      this.fsyncError = null
      this.#settleWaiters(null)
    }
    const done = run().finally(() => {
      if (this.#inFlight?.done === done) this.#inFlight = null
      // Records appended while it ran may be waited for too.
      if (this.#waiters.length > 0 && !this.#closed) this.#syncForWaiters()
    })
    this.#inFlight = { file, done }
    return done
  }

  /**
   * Resolves once every record appended before the call is fdatasync'd: writes what is
   * buffered now and starts a background fdatasync (before the next once-a-second one, under
   * `everysec`; under `no` too). Rejects with the write's or fdatasync's `AOF_IO`.
   */
  durable(): Promise<void> {
    const target = this.#appended
    if (this.#synced >= target) return Promise.resolve()
    return new Promise<void>((resolve, reject) => {
      this.#waiters.push({ target, resolve, reject })
      this.#syncForWaiters()
    })
  }

  #syncForWaiters(): void {
    if (this.#paused || this.#inFlight) return // resume() or the running fdatasync comes back
    if (!this.write()) return // the waiters were rejected with the write error
    if (this.#written > this.#synced || this.#syncedSize !== this.#size) {
      void this.#syncInBackground()
    } else this.#settleWaiters(null)
  }

  /** Resolves the waiters whose records are durable; with an error, rejects all of them. */
  #settleWaiters(err: AofError | null): void {
    if (this.#waiters.length === 0) return
    const keep: Waiter[] = []
    for (const w of this.#waiters) {
      if (err) w.reject(err)
      else if (w.target <= this.#synced) w.resolve()
      else keep.push(w)
    }
    this.#waiters = keep
  }

  // ---- switching incr files (rewrite) -------------------------------------------------------

  /**
   * The first step of a switch: everything buffered goes into the old incr file, which is made
   * durable. It stops being the last file, and only the last file may end torn after a power
   * loss, so it is fdatasync'd before anything can land after it. Throws `AOF_IO`.
   */
  beforeSwitch(): void {
    if (!this.write()) throw this.writeError!
    this.sync()
  }

  /** Holds every write until {@link IncrWriter.resume}: appends keep buffering meanwhile. */
  pause(): void {
    this.#paused = true
  }

  resume(): void {
    if (!this.#paused) return
    this.#paused = false
    if (this.#lines.length > 0) this.#scheduleFlush()
    if (this.#waiters.length > 0) this.#syncForWaiters()
  }

  /** Appends from now on go to `file`, a new, empty incr file the manifest lists. */
  switchTo(name: string, file: StorageFile): void {
    this.#name = name
    this.#file = file
    this.#size = 0
    this.#syncedSize = 0
  }

  /** Runs `fn` once no background fdatasync runs on `file` (closing it waits for that). */
  whenIdle(file: StorageFile, fn: () => void): void {
    const inFlight = this.#inFlight
    if (inFlight && inFlight.file === file) void inFlight.done.then(fn, fn)
    else fn()
  }

  // ---- closing ------------------------------------------------------------------------------

  /** Writes and fdatasyncs everything; throws `AOF_IO` (then the writer stays usable). */
  finish(): void {
    if (!this.write()) throw this.writeError!
    this.sync()
    this.#closed = true
  }

  /** Process exit: write and fdatasync whatever is buffered (not under `no`). Never throws. */
  flushOnExit(): void {
    try {
      this.write()
      if (this.#fsync !== 'no') this.#file.sync()
    } catch {
      // nothing more can be done while the process exits
    }
  }
}

/** UTF-8 byte length of a string, without allocating. */
export function utf8Length(s: string): number {
  let n = s.length
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c < 0x80) continue
    if (c < 0x800) n += 1
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      n += 2 // a surrogate pair: 4 bytes for 2 units
      i++
    } else n += 2
  }
  return n
}
