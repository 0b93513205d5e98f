import { ioError, type AofError } from './errors.js'
import { Syncer } from './fsync.js'
import { timestampLine, utf8Length } from './record.js'
import type { StorageFile } from './storage.js'
import { afterTask, afterTurn, TASK_WRITES } from './turns.js'
import type { FsyncPolicy } from './types.js'

/** How often the background timer looks for written-but-unsynced data and failed writes. */
export const CRON_MS = 250

/**
 * The buffer is written out once it holds this many characters, even in the middle of an
 * event-loop turn: memory stays bounded by it, not by the size of a burst of appends, and a
 * normal turn still makes one write.
 */
export const WRITE_BUFFER_CHARS = 64 * 1024

/**
 * A turn's text up to this many characters is handed to the storage as a string (where it can
 * write one), longer text as bytes: telling a complete string write from a short one takes
 * counting the text's UTF-8 bytes, which costs less than encoding a few records into a buffer
 * but more than `encodeInto` (which counts as it encodes) for a burst's 64K characters.
 */
export const TEXT_WRITE_MAX_CHARS = 1024

/**
 * The incr writer: the current incr file, the buffer of appended lines, the offset the next
 * write goes to, and when the buffer is written (at once for an append that comes alone, else at
 * the end of the task that appended; past 64K characters; at once under `always`). When written
 * data reaches the disk is the {@link Syncer}'s.
 */
export class IncrWriter {
  readonly #fsync: FsyncPolicy
  readonly #timestamps: boolean
  readonly #describe: (name: string) => string
  readonly #report: (err: AofError) => void
  readonly syncer: Syncer
  /**
   * The auto-rewrite check: called by the timer, and after a write once the current incr file
   * (written and buffered) reaches {@link IncrWriter.rewriteCheckAt} bytes.
   */
  onTurnEnd: () => void = () => {}
  /**
   * The size of the current incr file below which the auto-rewrite rule cannot be met, as the
   * last check worked it out (0: check after every write). The check sets it.
   */
  rewriteCheckAt = 0

  file: StorageFile
  name: string
  /** Bytes of the current incr file handed to it: where the next write goes. */
  size: number
  /** Records handed to the files (all incr files). */
  written = 0
  /** While a rewrite switches incr files on an asynchronous storage, nothing is written. */
  paused = false
  appended = 0
  writeError: AofError | null = null

  // The lines appended but not yet written, each with its newline, as one string: a turn's
  // single record is written as it is, with no array or join per turn.
  #text = ''
  #textRecords = 0
  /** Bytes of a write that failed half-way and could not be cut back, still to be written. */
  #pending: Uint8Array | null = null
  #pendingRecords = 0
  #lastTs = -1
  #batchDepth = 0
  #flushScheduled = false
  /** Writes at the end of a task since the last one at the end of a turn. */
  #taskWrites = 0
  /** Date.now() of the last append written at once (see append): at most one a millisecond. */
  #lastWriteThrough = -1
  /** True while an append writes at once: a failure is then reported as the task ends. */
  #inAppend = false
  #closed = false
  // The callbacks of the scheduled writes, made once: no closure per turn.
  readonly #taskEnd = (): void => {
    this.#flushScheduled = false
    this.#taskWrites++
    this.#endOfTurn()
  }
  readonly #turnEnd = (): void => {
    this.#flushScheduled = false
    this.#taskWrites = 0
    this.#endOfTurn()
  }
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
    this.name = incr.name
    this.file = incr.file
    this.size = incr.size
    this.syncer = new Syncer(this, describe, report)
  }

  /** Characters appended and not yet written (about their bytes: exact for ASCII). */
  get bufferedChars(): number {
    return this.#text.length + (this.#pending?.length ?? 0)
  }

  /** Bytes appended and not yet written, exactly. */
  bufferedBytes(): number {
    return utf8Length(this.#text) + (this.#pending?.length ?? 0)
  }

  /** Appends one record, already encoded as one line of JSON (no newline). */
  append(json: string): void {
    if (this.#timestamps) {
      const sec = Math.floor(Date.now() / 1000)
      if (sec !== this.#lastTs) {
        this.#lastTs = sec
        this.#text += timestampLine(sec) + '\n'
      }
    }
    this.appended++
    if (
      this.#fsync !== 'always' &&
      this.#batchDepth === 0 &&
      !this.#flushScheduled &&
      this.writeError === null &&
      !this.paused &&
      this.#lastWriteThrough !== (this.#lastWriteThrough = Date.now())
    ) {
      // An append that comes alone (nothing waits to be written, the first in this
      // millisecond) is written at once: the OS holds it when append returns, and no write is
      // left to schedule. The appends that follow it within the millisecond (a burst) wait for
      // the end of the task and share one write.
      this.#writeThrough(json + '\n', this.#lastWriteThrough)
      return
    }
    this.#text += json + '\n'
    this.#textRecords++
    if (this.#fsync === 'always' && this.#batchDepth === 0) this.#commit()
    else {
      // A burst of appends in one turn is written in pieces: memory stays bounded by the
      // buffer. While a write is failing (a full disk) the retries wait for the turn's end.
      if (this.#text.length >= WRITE_BUFFER_CHARS && this.writeError === null)
        this.write()
      this.#scheduleFlush()
    }
  }

  /** Writes an append that came alone, then does what the end of its task would have done. */
  #writeThrough(line: string, now: number): void {
    this.#inAppend = true
    try {
      // Nothing is buffered but a timestamp line at most: the line goes to the file as it is,
      // without a trip through the buffer.
      if (this.#text === '') this.#writeString(line, 1)
      else {
        this.#text += line
        this.#textRecords++
        this.write()
      }
    } finally {
      this.#inAppend = false
    }
    if (this.#fsync === 'everysec') this.syncer.everysec(now)
    // The auto-rewrite check (rare: once the file can have reached the due size) runs as the
    // task ends, never inside the app's call to append.
    if (this.#rewriteCheckDue()) this.#scheduleFlush()
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
        this.appended > this.syncer.synced
      ) {
        this.#commit()
      }
    }
  }

  /** `always`: write and fdatasync before returning; on failure the records stay queued. */
  #commit(): void {
    if (!this.write()) throw this.writeError!
    this.syncer.sync()
    this.#scheduleFlush() // the auto-rewrite check runs as the task ends
  }

  #scheduleFlush(): void {
    if (this.#flushScheduled) return
    this.#flushScheduled = true
    // The appends of this task (an event handler, a timer's callback) share one write, made
    // as it ends. After TASK_WRITES of those the writer waits for the end of the turn once,
    // so a turn of many tasks that append gathers them instead of writing once per task.
    if (this.#taskWrites < TASK_WRITES) afterTask(this.#taskEnd)
    else afterTurn(this.#turnEnd)
  }

  #endOfTurn(): void {
    if (this.#closed) return
    this.write()
    // As Redis's beforeSleep: everysec starts its fdatasync once a second has passed (a clock
    // read). The auto-rewrite rule is worked out again only once it can be met.
    if (this.#fsync === 'everysec') this.syncer.everysec()
    if (this.#rewriteCheckDue()) this.onTurnEnd()
  }

  /** Whether the current incr file (written and buffered) can have reached the rewrite size. */
  #rewriteCheckDue(): boolean {
    return this.size + this.bufferedChars >= this.rewriteCheckAt
  }

  /** The timer's tick (Redis's serverCron): retry failed writes, fsync what the tasks wrote. */
  tick(): void {
    if (this.#closed) return
    if (!this.#flushScheduled) this.write()
    if (this.#fsync === 'everysec') this.syncer.everysec()
    this.onTurnEnd()
  }

  /**
   * Writes the buffer to the current incr file. On failure the file is cut back to its last
   * complete record (a half record must never stay: the next write would follow it), the
   * records stay queued for a retry, and the error is reported once. Returns success.
   */
  write(): boolean {
    if (this.paused) return true
    if (this.#pending !== null) {
      if (!this.#writeBytes(this.#pending, this.#pendingRecords, true, 0))
        return false
      this.#pending = null
      this.#pendingRecords = 0
    }
    const text = this.#text
    if (text === '') return true
    const records = this.#textRecords
    this.#text = ''
    this.#textRecords = 0
    return this.#writeString(text, records)
  }

  /** Writes `text` (whole lines: `records` records) at the end of the file; returns success. */
  #writeString(text: string, records: number): boolean {
    const file = this.file
    if (file.writeText === undefined || text.length > TEXT_WRITE_MAX_CHARS)
      return this.#writeBytes(this.#encode(text), records, false, 0)
    // Node's fs writes a string without the encode into a buffer and the view over it that
    // bytes need. Only a short write or a failure turns the text into bytes, to go on from
    // where the file stopped (were the length check ever wrong, that path would only find
    // nothing left to write).
    let done: number
    try {
      done = file.writeText(text, this.size)
    } catch (err) {
      return this.#failed(this.#encode(text), 0, records, false, err)
    }
    if (done === utf8Length(text)) {
      this.#wrote(done, records)
      return true
    }
    return this.#writeBytes(this.#encode(text), records, false, done)
  }

  #encode(text: string): Uint8Array {
    // UTF-8 takes at most 3 bytes per UTF-16 unit.
    if (this.#out.length < text.length * 3) {
      this.#out = new Uint8Array(text.length * 3 + 16)
    }
    const { written } = this.#encoder.encodeInto(text, this.#out)
    return this.#out.subarray(0, written)
  }

  /** Writes `data` from its byte `done` on (the bytes before it are in the file already). */
  #writeBytes(
    data: Uint8Array,
    records: number,
    isPending: boolean,
    done: number,
  ): boolean {
    try {
      while (done < data.length) {
        const n = this.file.write(data.subarray(done), this.size + done)
        if (!(n > 0)) {
          throw Object.assign(new Error('a write made no progress'), {
            code: 'EIO',
          })
        }
        done += n
      }
    } catch (err) {
      return this.#failed(data, done, records, isPending, err)
    }
    this.#wrote(done, records)
    return true
  }

  #wrote(bytes: number, records: number): void {
    this.size += bytes
    this.written += records
    this.writeError = null
  }

  /**
   * A write of `data` failed after its first `done` bytes reached the file: cut them back (a
   * half record must never stay), keep the rest queued, report the error once. Returns false.
   */
  #failed(
    data: Uint8Array,
    done: number,
    records: number,
    isPending: boolean,
    err: unknown,
  ): false {
    if (done > 0) {
      try {
        this.file.truncate(this.size)
        done = 0
      } catch {
        // Could not cut the partial record off: keep what was written and only retry the
        // rest, so the record is completed rather than started again (as Redis does).
      }
    }
    this.size += done
    // `data` may be the reused encode buffer: keep a copy of what is still to be written.
    this.#pending = isPending ? data.subarray(done) : data.slice(done)
    this.#pendingRecords = records
    const first = this.writeError === null
    this.writeError = ioError(
      'Writing to the AOF',
      this.#describe(this.name),
      err,
      'The records stay queued and are retried; free some space or fix the disk.',
    )
    if (first) {
      const error = this.writeError
      // Not from inside the app's call to append: onError may dispatch or set again.
      if (this.#inAppend) afterTask(() => this.#report(error))
      else this.#report(error)
    }
    this.syncer.settle(this.writeError)
    return false
  }

  /** Writes what is buffered and fdatasyncs it now; throws `AOF_IO`. */
  flush(): void {
    if (!this.write()) throw this.writeError!
    this.syncer.sync()
  }

  // ---- switching incr files (rewrite) -------------------------------------------------------

  /**
   * The first step of a switch: everything buffered goes into the old incr file, which is made
   * durable. It stops being the last file, and only the last file may end torn after a power
   * loss, so it is fdatasync'd before anything can land after it. Throws `AOF_IO`.
   */
  beforeSwitch(): void {
    this.flush()
  }

  /** Holds every write until {@link IncrWriter.resume}: appends keep buffering meanwhile. */
  pause(): void {
    this.paused = true
  }

  resume(): void {
    if (!this.paused) return
    this.paused = false
    if (this.#text !== '') this.#scheduleFlush()
    this.syncer.kick()
  }

  /** Appends from now on go to `file`, a new, empty incr file the manifest lists. */
  switchTo(name: string, file: StorageFile): void {
    this.name = name
    this.file = file
    this.size = 0
    this.rewriteCheckAt = 0
    this.syncer.switched()
  }

  // ---- closing ------------------------------------------------------------------------------

  /** Writes and fdatasyncs everything; throws `AOF_IO` (then the writer stays usable). */
  finish(): void {
    this.flush()
    this.#closed = true
    this.syncer.closed = true
  }

  /** Process exit: write and fdatasync whatever is buffered (not under `no`). Never throws. */
  flushOnExit(): void {
    try {
      this.write()
      if (this.#fsync !== 'no') this.file.sync()
    } catch {
      // nothing more can be done while the process exits
    }
  }
}
