import * as fs from 'node:fs'
import * as path from 'node:path'
import {
  FILE_MODE,
  mkdirDurableSync,
  truncateDurableSync,
  writeAll,
  writeFileAtomicSync,
} from './durable.js'
import { AofError, ioError } from './errors.js'
import {
  CRON_MS,
  FSYNC_INTERVAL_MS,
  FSYNC_POLICIES,
  REWRITE_FAILURE_THRESHOLD,
  rewriteBackoffMs,
} from './fsyncPolicy.js'
import { findTornStart } from './loader.js'
import { DirLock } from './lock.js'
import {
  fileNames,
  isPath,
  nextSeq,
  persistManifest,
  readManifest,
  type Manifest,
} from './manifest.js'
import { DEFAULT_FILE_NAME, listFiles, storeRecords } from './reader.js'
import { encodeJson, encodeRecord, timestampLine } from './record.js'
import { stringifyInSlices } from './rewrite.js'
import type {
  Aof,
  AofOptions,
  AofRecords,
  AofStats,
  AofStatus,
  FsyncPolicy,
} from './types.js'

/** Default `autoRewriteMinSize`: 4 MiB. See docs/learn/rewrite.md for the start-up time it buys. */
export const DEFAULT_AUTO_REWRITE_MIN_SIZE = 4 * 1024 * 1024

/** Open stores, so a normal exit or an uncaught exception can flush them synchronously. */
const openStores = new Set<AofImpl<unknown>>()
let exitHookInstalled = false

function installExitHook(): void {
  if (exitHookInstalled) return
  exitHookInstalled = true
  // 'exit' also fires after an uncaught exception has been reported, and only synchronous
  // work runs in it: exactly what flushing a buffer with writeSync + fdatasyncSync is.
  process.on('exit', () => {
    for (const store of openStores) store.flushOnExit()
  })
}

/**
 * Opens a store directory synchronously: creates it (mode 0700) if missing, takes the
 * single-writer lock, reads and validates the manifest, and checks the tail of the last incr
 * file so that an append never follows a torn record.
 *
 * @throws AofError `AOF_LOCKED`, `AOF_MANIFEST_INVALID`, `AOF_CORRUPT`, `AOF_TRUNCATED`, `AOF_IO`
 * @throws TypeError for an option of the wrong type, naming the option
 */
export function openAof<A = unknown>(options: AofOptions<A>): Aof<A> {
  return new AofImpl<A>(options)
}

interface Resolved<A> {
  dir: string
  fileName: string
  fsync: FsyncPolicy
  autoRewritePercentage: number
  autoRewriteMinSize: number
  loadTruncated: boolean
  timestamps: boolean
  snapshot: (() => A) | undefined
  onError: ((err: AofError) => void) | undefined
}

function resolveOptions<A>(options: AofOptions<A>): Resolved<A> {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(
      'aof-persist: openAof(options) needs an options object with "dir"',
    )
  }
  const bad = (name: string, want: string, got: unknown) =>
    new TypeError(
      `aof-persist: option "${name}" must be ${want}, got ${JSON.stringify(got) ?? String(got)}`,
    )
  const o = options
  if (typeof o.dir !== 'string' || o.dir === '')
    throw bad('dir', 'a non-empty string', o.dir)
  const fileName = o.fileName ?? DEFAULT_FILE_NAME
  if (
    typeof fileName !== 'string' ||
    fileName === '' ||
    isPath(fileName) ||
    fileName.includes('\0')
  ) {
    throw bad('fileName', 'a plain file name (no path separators)', o.fileName)
  }
  const fsync = o.fsync ?? 'everysec'
  if (!FSYNC_POLICIES.includes(fsync))
    throw bad(
      'fsync',
      `one of ${FSYNC_POLICIES.map((p) => `'${p}'`).join(', ')}`,
      o.fsync,
    )
  const perc = o.autoRewritePercentage ?? 100
  if (typeof perc !== 'number' || !Number.isFinite(perc) || perc < 0) {
    throw bad(
      'autoRewritePercentage',
      'a number >= 0 (0 disables automatic rewrites)',
      perc,
    )
  }
  const minSize = o.autoRewriteMinSize ?? DEFAULT_AUTO_REWRITE_MIN_SIZE
  if (typeof minSize !== 'number' || !Number.isFinite(minSize) || minSize < 0) {
    throw bad('autoRewriteMinSize', 'a number of bytes >= 0', minSize)
  }
  for (const name of ['loadTruncated', 'timestamps'] as const) {
    if (o[name] !== undefined && typeof o[name] !== 'boolean')
      throw bad(name, 'a boolean', o[name])
  }
  for (const name of ['snapshot', 'onError'] as const) {
    if (o[name] !== undefined && typeof o[name] !== 'function')
      throw bad(name, 'a function', o[name])
  }
  return {
    dir: path.resolve(o.dir),
    fileName,
    fsync,
    autoRewritePercentage: perc,
    autoRewriteMinSize: minSize,
    loadTruncated: o.loadTruncated ?? true,
    timestamps: o.timestamps ?? false,
    snapshot: o.snapshot,
    onError: o.onError,
  }
}

const O_APPEND_FLAGS =
  fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_APPEND

class AofImpl<A> implements Aof<A> {
  readonly dir: string
  readonly #o: Resolved<A>
  readonly #names: ReturnType<typeof fileNames>
  #lock: DirLock | null
  #manifest: Manifest
  #status: AofStatus = 'open'

  // The current incr file: appends go here.
  #fd = -1
  #incrName = ''
  /** Bytes of the current incr file handed to the OS. */
  #incrSize = 0
  /** Bytes of the current incr file known to be on disk (fdatasync'd). */
  #syncedSize = 0
  /** Bytes of every other listed file (base and older incr files). */
  #otherSize = 0
  /** The growth reference of automatic rewrites (Redis's aof_rewrite_base_size). */
  #growthBase = 0

  // Lines (without their newline) appended but not yet written: one write per event-loop
  // turn. Their byte length is only worked out when asked: the append path stays lean.
  #buf: string[] = []
  #flushScheduled = false
  #batchDepth = 0
  #lastTs = -1
  #appended = 0

  // fsync bookkeeping (everysec runs fdatasync in libuv's thread pool, off the main thread).
  #fsyncInFlight = false
  /** Like Redis's aof_last_fsync, it starts at open: what was on disk then needs no fsync. */
  #lastFsyncTry = Date.now()
  #lastFsyncAt = 0
  #delayedFsyncs = 0
  #cron: NodeJS.Timeout | null = null
  /** Old incr fds whose close waits for the background fdatasync running on them. */
  #closeAfterFsync = new Set<number>()
  #writeError: AofError | null = null
  #fsyncError: AofError | null = null

  // Rewrite state.
  #rewriting: Promise<void> | null = null
  #abandonRewrite = false
  #rewrites = 0
  #rewriteFailures = 0
  #lastRewriteStatus: 'ok' | 'err' = 'ok'
  #lastRewriteMs = -1
  #nextAutoRewriteAt = 0
  #truncatedTail: AofStats['truncatedTail'] = null

  constructor(options: AofOptions<A>) {
    this.#o = resolveOptions(options)
    this.dir = this.#o.dir
    this.#names = fileNames(this.#o.fileName)
    try {
      mkdirDurableSync(this.dir)
    } catch (err) {
      throw ioError(
        'Creating the store directory',
        this.dir,
        err,
        'Check that the parent directory exists and is writable.',
      )
    }
    this.#lock = DirLock.acquire(this.dir)
    try {
      this.#manifest = this.#load()
    } catch (err) {
      if (this.#fd !== -1) fs.closeSync(this.#fd)
      this.#lock.release()
      throw err
    }
    openStores.add(this as AofImpl<unknown>)
    installExitHook()
    if (this.#o.fsync !== 'always') {
      // Like Redis's serverCron: fsync what the last turns wrote, retry failed writes.
      this.#cron = setInterval(() => this.#tick(), CRON_MS)
      this.#cron.unref()
    }
  }

  get status(): AofStatus {
    return this.#status
  }

  #path(name: string): string {
    return path.join(this.dir, name)
  }

  /** Reads the manifest (creating a store when there is none) and opens the last incr file. */
  #load(): Manifest {
    const { fileName } = this.#o
    for (const leftover of [
      this.#names.tempManifest,
      `temp-${fileName}.rewrite.aof`,
    ]) {
      // A crash during a rewrite or manifest switch leaves these behind; they are never listed.
      fs.rmSync(this.#path(leftover), { force: true })
    }
    let m = readManifest(this.dir, fileName)
    if (m === null || (m.base === null && m.incrs.length === 0)) {
      this.#refuseStrayFiles()
      m = { base: null, history: m?.history ?? [], incrs: [] }
    }
    if (m.history.length > 0) {
      // History files are what a finished rewrite left to delete; a crash can interrupt that.
      for (const h of m.history) fs.rmSync(this.#path(h.name), { force: true })
      m = { ...m, history: [] }
      this.#persist(m)
    }
    const files = listFiles(this.dir, fileName, m)
    // Every file but the last must end on a record boundary: only the file being appended to
    // can be torn by a crash.
    // Only the last byte is read here (a base can be large); bad records inside are found by
    // records(), which reads everything anyway.
    for (const f of files.slice(0, -1)) {
      if (f.size > 0 && !endsWithNewline(f.path, f.size)) {
        throw new AofError(
          'AOF_CORRUPT',
          `${f.path} ends in the middle of a record, but it is not the last file of the store, so this is not a torn write that can be cut off. Make a backup of ${this.dir}, then run "aof check ${this.dir}" for details.`,
          { file: f.path, offset: f.size },
        )
      }
    }
    const last = files.at(-1)
    if (last && last.type === 'incr') this.#checkTail(last.path, last.size)
    if (m.incrs.length === 0) {
      // A store with no incr file (new, or a base only): start one.
      const seq = nextSeq(m, 'incr')
      const name = this.#names.incr(seq)
      this.#fd = this.#openIncr(name, true)
      m = { ...m, incrs: [{ name, seq, type: 'incr' }] }
      this.#persist(m)
    } else {
      this.#fd = this.#openIncr(m.incrs.at(-1)!.name, false)
    }
    this.#incrName = m.incrs.at(-1)!.name
    this.#incrSize = fs.fstatSync(this.#fd).size
    this.#syncedSize = this.#incrSize
    this.#otherSize = listFiles(this.dir, fileName, m)
      .slice(0, -1)
      .reduce((n, f) => n + f.size, 0)
    // Like Redis after a restart: growth is measured against the base file alone.
    this.#growthBase = m.base ? fs.statSync(this.#path(m.base.name)).size : 0
    return m
  }

  /** A store without a manifest must not silently start over files that hold records. */
  #refuseStrayFiles(): void {
    const prefix = `${this.#o.fileName}.`
    for (const name of fs.readdirSync(this.dir)) {
      if (
        !name.startsWith(prefix) ||
        !/^\d+\.(base|incr)\.aof$/.test(name.slice(prefix.length))
      )
        continue
      if (fs.statSync(this.#path(name)).size === 0) continue
      const manifest = this.#path(this.#names.manifest)
      throw new AofError(
        'AOF_MANIFEST_INVALID',
        `${this.#path(name)} holds records, but the manifest ${manifest} is missing or lists no files. Restore the manifest (one line per file: file <name> seq <n> type <b|i>, see docs/reference/file-format.md) rather than starting an empty store over them.`,
        { file: manifest },
      )
    }
  }

  /** Cuts (or refuses) a torn tail of the last incr file. */
  #checkTail(file: string, size: number): void {
    const torn = findTornStart(file)
    if (torn === -1) return
    const bytes = size - torn
    if (!this.#o.loadTruncated) {
      throw new AofError(
        'AOF_TRUNCATED',
        `${file} ends with a torn record: ${bytes} bytes from byte offset ${torn} (a crash in the middle of a write). Run "aof fix ${this.dir}" to cut it off, or open with loadTruncated: true.`,
        { file, offset: torn },
      )
    }
    // A plain torn tail is half a record. A zero-filled region (a power loss that reached the
    // file's size but not its data) can be followed by complete lines written after it: they
    // cannot be applied without the lost ones (the state would not be a prefix), so they are
    // cut too, but first saved beside the file, so nothing that was on disk is destroyed.
    let saved: string | null = null
    let laterLines = 0
    try {
      const cut = Buffer.alloc(bytes)
      const rfd = fs.openSync(file, 'r')
      try {
        fs.readSync(rfd, cut, 0, bytes, torn)
      } finally {
        fs.closeSync(rfd)
      }
      const firstNl = cut.indexOf(10)
      if (firstNl !== -1 && firstNl < cut.length - 1) {
        for (let i = firstNl + 1; i < cut.length; i++)
          if (cut[i] === 10) laterLines++
        saved = `${file}.cut-${torn}`
        writeFileAtomicSync(saved, `${saved}.tmp`, cut)
      }
      truncateDurableSync(file, torn)
    } catch (err) {
      throw ioError('Cutting the torn tail', file, err)
    }
    this.#truncatedTail = { file, offset: torn, bytes }
    const what = saved
      ? `a region damaged by a crash (zero-filled) and ${laterLines} line(s) after it, which cannot be applied without the damaged ones; the cut bytes were saved to ${saved}`
      : 'half a record left by a crash in the middle of a write; every complete record was kept'
    this.#report(
      new AofError(
        'AOF_TRUNCATED',
        `Recovered: cut ${bytes} bytes at byte offset ${torn} of ${file}: ${what}.`,
        {
          file,
          offset: torn,
        },
      ),
    )
  }

  /**
   * Opens an incr file for appending. A `fresh` one is about to be listed in the manifest: an
   * empty file of that name (left by a crash before the manifest listed it) is reused, but one
   * holding records is someone's data and is refused, never truncated.
   */
  #openIncr(name: string, fresh: boolean): number {
    const p = this.#path(name)
    let fd: number
    try {
      fd = fs.openSync(p, O_APPEND_FLAGS, FILE_MODE)
    } catch (err) {
      throw ioError(
        'Opening the incr file',
        p,
        err,
        "Check the directory's permissions and free space.",
      )
    }
    if (fresh && fs.fstatSync(fd).size > 0) {
      fs.closeSync(fd)
      const manifest = this.#path(this.#names.manifest)
      throw new AofError(
        'AOF_MANIFEST_INVALID',
        `${p} holds records, but the manifest ${manifest} does not list it, and a new incr file of that name was about to start. Add it to the manifest by hand (file <name> seq <n> type i, see docs/reference/file-format.md) or move it away.`,
        { file: manifest },
      )
    }
    return fd
  }

  #persist(m: Manifest): void {
    try {
      persistManifest(this.dir, this.#o.fileName, m)
    } catch (err) {
      throw ioError(
        'Writing the manifest',
        this.#path(this.#names.manifest),
        err,
        'The previous manifest is still in place.',
      )
    }
  }

  #report(err: AofError): void {
    if (!this.#o.onError) return
    try {
      this.#o.onError(err)
    } catch (thrown) {
      // A throwing onError is a bug in the app: surface it, but not in the middle of our I/O.
      queueMicrotask(() => {
        throw thrown
      })
    }
  }

  #assertWritable(op: string): void {
    if (this.#status === 'closed') {
      throw new AofError(
        'AOF_CLOSED',
        `Cannot ${op}: the store ${this.dir} is closed. Open it again with openAof().`,
      )
    }
  }

  // ---- appending --------------------------------------------------------------------------

  append(record: A): void {
    this.#assertWritable('append')
    const json = encodeJson(record)
    if (this.#o.timestamps) {
      const sec = Math.floor(Date.now() / 1000)
      if (sec !== this.#lastTs) {
        this.#lastTs = sec
        this.#buf.push(timestampLine(sec))
      }
    }
    this.#buf.push(json)
    this.#appended++
    if (this.#o.fsync === 'always' && this.#batchDepth === 0) this.#commit()
    else this.#scheduleFlush()
  }

  #bufBytes(): number {
    let n = 0
    for (const line of this.#buf) n += Buffer.byteLength(line) + 1
    return n
  }

  batch<T>(fn: () => T): T {
    this.#assertWritable('batch')
    this.#batchDepth++
    try {
      return fn()
    } finally {
      // Appends made before a throw stay appended: batch is group commit, not a transaction.
      if (
        --this.#batchDepth === 0 &&
        this.#o.fsync === 'always' &&
        this.#buf.length > 0
      )
        this.#commit()
    }
  }

  /** `always`: write and fdatasync before returning; on failure the records stay queued. */
  #commit(): void {
    if (!this.#write()) throw this.#writeError!
    this.#sync()
    if (this.#autoRewriteMayBeDue()) this.#scheduleFlush()
  }

  #scheduleFlush(): void {
    if (this.#flushScheduled) return
    this.#flushScheduled = true
    // setImmediate runs at the end of this turn of the event loop (its check phase): every
    // append of the turn shares one write.
    setImmediate(() => {
      this.#flushScheduled = false
      if (this.#status === 'closed') return
      this.#write()
      if (this.#o.fsync === 'everysec') this.#backgroundFsync()
      this.#maybeAutoRewrite()
    })
  }

  /**
   * Writes the buffer to the current incr file. On failure the file is cut back to its last
   * complete record (a half record must never stay: the next write would follow it), the
   * records stay buffered for a retry, and the error is reported. Returns success.
   */
  #write(): boolean {
    if (this.#buf.length === 0) return true
    // A trailing '' makes join end the text with a newline without another concatenation.
    this.#buf.push('')
    const text = this.#buf.join('\n')
    this.#buf.pop()
    const size = Buffer.byteLength(text)
    let data: Buffer | null = null
    let done = 0
    try {
      // Writing the string lets Node encode it straight into its write buffer; a short write
      // (a nearly full disk) falls back to a Buffer to write the rest from the right byte.
      done = fs.writeSync(this.#fd, text)
      if (done < size) {
        data = Buffer.from(text, 'utf8')
        while (done < size)
          done += fs.writeSync(this.#fd, data, done, size - done)
      }
    } catch (err) {
      const file = this.#path(this.#incrName)
      if (done > 0) {
        try {
          fs.ftruncateSync(this.#fd, this.#incrSize)
          done = 0
        } catch {
          // Could not cut the partial record off: keep what was written and only retry the
          // rest, so the record is completed rather than started again (as Redis does).
        }
      }
      this.#incrSize += done
      this.#dropWritten(data ?? Buffer.from(text, 'utf8'), done)
      const first = this.#writeError === null
      this.#writeError = ioError(
        'Writing to the AOF',
        file,
        err,
        'The records stay queued and are retried; free some space or fix the disk.',
      )
      if (first) this.#report(this.#writeError)
      return false
    }
    this.#incrSize += size
    this.#buf = []
    this.#writeError = null
    return true
  }

  /** Keeps only the part of the buffer after the first `n` bytes of `data`. */
  #dropWritten(data: Buffer, n: number): void {
    if (n === 0) return
    // The rest ends with a newline, which #write adds back: keep it without.
    const rest = data.subarray(n, data.length - 1).toString('utf8')
    this.#buf = n < data.length ? [rest] : []
  }

  /** fdatasync now, on this thread; throws AOF_IO. */
  #sync(): void {
    if (this.#syncedSize === this.#incrSize && this.#fsyncError === null) return
    try {
      fs.fdatasyncSync(this.#fd)
    } catch (err) {
      this.#fsyncError = ioError(
        'fdatasync of the AOF',
        this.#path(this.#incrName),
        err,
        'The data may not be on disk.',
      )
      throw this.#fsyncError
    }
    this.#syncedSize = this.#incrSize
    this.#lastFsyncAt = Date.now()
    this.#fsyncError = null
  }

  /** everysec: fdatasync in the thread pool, at most once a second. */
  #backgroundFsync(): void {
    if (this.#syncedSize === this.#incrSize && this.#fsyncError === null) return
    const now = Date.now()
    if (now - this.#lastFsyncTry < FSYNC_INTERVAL_MS) return
    if (this.#fsyncInFlight) {
      // The disk has not finished the previous one within a second.
      this.#delayedFsyncs++
      this.#lastFsyncTry = now
      return
    }
    this.#lastFsyncTry = now
    const fd = this.#fd
    const target = this.#incrSize
    const file = this.#path(this.#incrName)
    this.#fsyncInFlight = true
    fs.fdatasync(fd, (err) => {
      this.#fsyncInFlight = false
      if (this.#closeAfterFsync.delete(fd)) fs.close(fd, () => {})
      if (err) {
        const first = this.#fsyncError === null
        this.#fsyncError = ioError(
          'Background fdatasync of the AOF',
          file,
          err,
          'It is retried every second.',
        )
        if (first) this.#report(this.#fsyncError)
        return
      }
      if (fd === this.#fd && target > this.#syncedSize)
        this.#syncedSize = target
      this.#lastFsyncAt = Date.now()
      this.#fsyncError = null
    })
  }

  #tick(): void {
    if (this.#status === 'closed') return
    if (this.#buf.length > 0 && !this.#flushScheduled) this.#write()
    if (this.#o.fsync === 'everysec') this.#backgroundFsync()
    this.#maybeAutoRewrite()
  }

  flush(): void {
    this.#assertWritable('flush')
    if (!this.#write()) throw this.#writeError!
    this.#sync()
  }

  durable(): Promise<void> {
    try {
      this.#assertWritable('wait for durability')
      if (!this.#write()) throw this.#writeError!
      this.#sync()
    } catch (err) {
      return Promise.reject(err)
    }
    return Promise.resolve()
  }

  // ---- reading ----------------------------------------------------------------------------

  records(): AofRecords<A> {
    this.#assertWritable('read records')
    // What was appended is part of the log: hand it to the OS first so the files hold it.
    this.#write()
    const files = listFiles(this.dir, this.#o.fileName, this.#manifest)
    return storeRecords<A>(this.dir, files)
  }

  // ---- rewriting --------------------------------------------------------------------------

  #autoRewriteMayBeDue(): boolean {
    return (
      this.#o.snapshot !== undefined &&
      this.#o.autoRewritePercentage > 0 &&
      this.#currentSize() > this.#o.autoRewriteMinSize
    )
  }

  #maybeAutoRewrite(): void {
    if (
      !this.#autoRewriteMayBeDue() ||
      this.#rewriting ||
      this.#status !== 'open'
    )
      return
    const base = this.#growthBase > 0 ? this.#growthBase : 1
    const growth = Math.floor((this.#currentSize() * 100) / base) - 100
    if (growth < this.#o.autoRewritePercentage) return
    if (Date.now() < this.#nextAutoRewriteAt) return
    const snapshot = this.#o.snapshot!
    // Errors are reported to onError by #rewriteFailed.
    this.#startRewrite(snapshot, true).catch(() => {})
  }

  rewrite(snapshot: A): Promise<void> {
    try {
      this.#assertWritable('rewrite')
    } catch (err) {
      return Promise.reject(err)
    }
    if (this.#rewriting) {
      return Promise.reject(
        new AofError(
          'AOF_REWRITE_IN_PROGRESS',
          `A rewrite of ${this.dir} is already running; wait for it (stats().rewriteInProgress) and call rewrite() again.`,
        ),
      )
    }
    return this.#startRewrite(() => snapshot, false)
  }

  #startRewrite(getSnapshot: () => A, auto: boolean): Promise<void> {
    const started = performance.now()
    this.#rewrites++
    this.#abandonRewrite = false
    let snapshot: A
    try {
      this.#switchIncr()
      // Called right after the new incr file starts, with no append in between: the snapshot
      // covers exactly the records before the switch, the new incr everything after.
      snapshot = getSnapshot()
    } catch (err) {
      return Promise.reject(this.#rewriteFailed(err, auto))
    }
    const run = this.#writeBaseInSlices(snapshot).then(
      (temp) => {
        this.#installBase(temp, started)
        return this.#deleteHistory()
      },
      (err: unknown) => {
        throw this.#rewriteFailed(err, auto)
      },
    )
    const done = run.finally(() => {
      this.#rewriting = null
    })
    this.#rewriting = done
    return done
  }

  rewriteSync(snapshot: A): void {
    this.#assertWritable('rewrite')
    if (this.#rewriting) {
      throw new AofError(
        'AOF_REWRITE_IN_PROGRESS',
        `A rewrite of ${this.dir} is already running; wait for it before rewriteSync().`,
      )
    }
    const started = performance.now()
    this.#rewrites++
    try {
      this.#switchIncr()
      const temp = this.#tempBasePath()
      const fd = fs.openSync(temp, 'w', FILE_MODE)
      try {
        const head = this.#o.timestamps
          ? `${timestampLine(Math.floor(Date.now() / 1000))}\n`
          : ''
        writeAll(fd, Buffer.from(head + encodeRecord(snapshot), 'utf8'))
        fs.fdatasyncSync(fd)
      } catch (err) {
        fs.closeSync(fd)
        fs.rmSync(temp, { force: true })
        throw err
      }
      fs.closeSync(fd)
      this.#installBase(temp, started)
    } catch (err) {
      throw this.#rewriteFailed(err, false)
    }
    this.#deleteHistorySync()
  }

  #tempBasePath(): string {
    return this.#path(`temp-${this.#o.fileName}.rewrite.aof`)
  }

  /**
   * BGREWRITEAOF's first step: write what is buffered into the old incr file, make that file
   * durable and start a new incr file listed in the manifest. Appends from now on land in it.
   */
  #switchIncr(): void {
    if (!this.#write()) throw this.#writeError!
    // The old incr file stops being the last one: it must not end torn after a power loss
    // (only the last file may), so it is made durable before anything lands after it.
    fs.fdatasyncSync(this.#fd)
    const seq = nextSeq(this.#manifest, 'incr')
    const name = this.#names.incr(seq)
    const fd = this.#openIncr(name, true)
    const next: Manifest = {
      ...this.#manifest,
      incrs: [...this.#manifest.incrs, { name, seq, type: 'incr' }],
    }
    try {
      this.#persist(next)
    } catch (err) {
      fs.closeSync(fd)
      fs.rmSync(this.#path(name), { force: true })
      throw err
    }
    const old = this.#fd
    if (this.#fsyncInFlight) this.#closeAfterFsync.add(old)
    else fs.closeSync(old)
    this.#otherSize += this.#incrSize
    this.#fd = fd
    this.#incrName = name
    this.#incrSize = 0
    this.#syncedSize = 0
    this.#manifest = next
  }

  /** Serializes the snapshot into the temp base file in slices, then fdatasyncs it. */
  async #writeBaseInSlices(snapshot: A): Promise<string> {
    const temp = this.#tempBasePath()
    const fd = fs.openSync(temp, 'w', FILE_MODE)
    const write = (text: string) => writeAll(fd, Buffer.from(text, 'utf8'))
    try {
      if (this.#o.timestamps)
        write(`${timestampLine(Math.floor(Date.now() / 1000))}\n`)
      let wrote: boolean
      try {
        wrote = await stringifyInSlices(
          snapshot,
          write,
          undefined,
          () => this.#abandonRewrite,
        )
      } catch (err) {
        if (err instanceof TypeError) throw encodeFailure(snapshot, err)
        throw err
      }
      if (!wrote) throw encodeFailure(snapshot, undefined)
      write('\n')
      await new Promise<void>((resolve, reject) =>
        fs.fdatasync(fd, (err) => (err ? reject(err) : resolve())),
      )
    } catch (err) {
      fs.closeSync(fd)
      fs.rmSync(temp, { force: true })
      throw err
    }
    fs.closeSync(fd)
    if (this.#abandonRewrite || this.#status === 'closed') {
      fs.rmSync(temp, { force: true })
      throw new AofError(
        'AOF_CLOSED',
        `The rewrite of ${this.dir} was abandoned because the store was closed.`,
      )
    }
    return temp
  }

  /**
   * The rewrite's last step: the temp file becomes the new base, the manifest switches to
   * base + current incr in one atomic rename, then the history files are deleted.
   */
  #installBase(temp: string, started: number): void {
    const m = this.#manifest
    const seq = nextSeq(m, 'base')
    const name = this.#names.base(seq)
    const size = fs.statSync(temp).size
    fs.renameSync(temp, this.#path(name))
    const current = m.incrs.at(-1)!
    const retired = [...(m.base ? [m.base] : []), ...m.incrs.slice(0, -1)]
      .reverse()
      .map((e) => ({ ...e, type: 'history' as const }))
    const switched: Manifest = {
      base: { name, seq, type: 'base' },
      history: [...retired, ...m.history],
      incrs: [current],
    }
    try {
      this.#persist(switched)
    } catch (err) {
      fs.rmSync(this.#path(name), { force: true })
      throw err
    }
    this.#manifest = switched
    this.#otherSize = size
    this.#growthBase = size + this.#incrSize + this.#bufBytes()
    this.#lastRewriteStatus = 'ok'
    this.#rewriteFailures = 0
    this.#nextAutoRewriteAt = 0
    this.#lastRewriteMs = performance.now() - started
  }

  /**
   * Deletes the history files, then drops them from the manifest. The async form runs the
   * unlinks in the thread pool, like Redis's bg_unlink: freeing a large old base can take the
   * file system tens of milliseconds, which must not stall the event loop. Housekeeping only:
   * on any failure the files stay listed and the next open deletes them.
   */
  async #deleteHistory(): Promise<void> {
    const m = this.#manifest
    if (m.history.length === 0) return
    const removed = await Promise.all(
      m.history.map((h) =>
        fs.promises.rm(this.#path(h.name), { force: true }).then(
          () => true,
          () => false,
        ),
      ),
    )
    if (
      removed.includes(false) ||
      this.#manifest !== m ||
      this.#status === 'closed'
    )
      return
    this.#dropHistory(m)
  }

  #deleteHistorySync(): void {
    const m = this.#manifest
    if (m.history.length === 0) return
    try {
      for (const h of m.history) fs.rmSync(this.#path(h.name), { force: true })
    } catch {
      return
    }
    this.#dropHistory(m)
  }

  #dropHistory(m: Manifest): void {
    try {
      const clean: Manifest = { ...m, history: [] }
      this.#persist(clean)
      this.#manifest = clean
    } catch {
      // stays listed; deleted at the next open
    }
  }

  #rewriteFailed(err: unknown, auto: boolean): AofError {
    this.#lastRewriteStatus = 'err'
    this.#rewriteFailures++
    this.#nextAutoRewriteAt =
      Date.now() + rewriteBackoffMs(this.#rewriteFailures)
    const wrapped =
      err instanceof AofError && err.code !== 'AOF_IO'
        ? err
        : new AofError(
            'AOF_REWRITE_FAILED',
            `Rewrite of ${this.dir} failed: ${(err as Error)?.message ?? String(err)}. The previous files are kept and still load.${
              this.#rewriteFailures >= REWRITE_FAILURE_THRESHOLD
                ? ` Automatic rewrites now wait ${rewriteBackoffMs(this.#rewriteFailures) / 60_000} min after ${this.#rewriteFailures} failures in a row.`
                : ''
            }`,
            { cause: err },
          )
    if (auto) this.#report(wrapped)
    return wrapped
  }

  // ---- stats and lifecycle ----------------------------------------------------------------

  #currentSize(): number {
    return this.#otherSize + this.#incrSize + this.#bufBytes()
  }

  stats(): AofStats {
    return {
      status: this.#status,
      fsync: this.#o.fsync,
      currentSize: this.#currentSize(),
      baseSize: this.#growthBase,
      bufferLength: this.#bufBytes(),
      appended: this.#appended,
      rewriteInProgress: this.#rewriting !== null,
      rewrites: this.#rewrites,
      rewritesConsecutiveFailures: this.#rewriteFailures,
      lastRewriteStatus: this.#lastRewriteStatus,
      lastRewriteTimeMs: this.#lastRewriteMs,
      lastWriteStatus: this.#writeError || this.#fsyncError ? 'err' : 'ok',
      lastWriteError: this.#writeError ?? this.#fsyncError,
      pendingFsync: this.#fsyncInFlight,
      delayedFsyncs: this.#delayedFsyncs,
      lastFsyncAt: this.#lastFsyncAt,
      truncatedTail: this.#truncatedTail,
      files: [
        ...(this.#manifest.base ? [this.#manifest.base] : []),
        ...this.#manifest.incrs,
      ].map((e) => ({
        name: e.name,
        type: e.type === 'base' ? ('base' as const) : ('incr' as const),
        seq: e.seq,
      })),
    }
  }

  async close(): Promise<void> {
    if (this.#status === 'closed') return
    this.#status = 'closing'
    if (this.#rewriting) await this.#rewriting.catch(() => {})
    this.#finalize()
  }

  closeSync(): void {
    if (this.#status === 'closed') return
    this.#status = 'closing'
    // A running rewrite stops at its next slice and removes its temp file; the manifest
    // still lists the old files plus the new incr file, which together hold everything.
    this.#abandonRewrite = true
    this.#finalize()
  }

  #finalize(): void {
    try {
      if (!this.#write()) throw this.#writeError!
      this.#sync()
    } catch (err) {
      // Stay open: nothing buffered is dropped, and close() can be tried again.
      this.#status = 'open'
      throw err
    }
    this.#status = 'closed'
    if (this.#cron) clearInterval(this.#cron)
    if (this.#fsyncInFlight) this.#closeAfterFsync.add(this.#fd)
    else fs.closeSync(this.#fd)
    this.#lock?.release()
    this.#lock = null
    openStores.delete(this as AofImpl<unknown>)
  }

  /** Process exit: write and fdatasync whatever is buffered, release the lock. Never throws. */
  flushOnExit(): void {
    try {
      this.#write()
      if (this.#o.fsync !== 'no') fs.fdatasyncSync(this.#fd)
    } catch {
      // nothing more can be done while the process exits
    }
    this.#lock?.release()
  }
}

function endsWithNewline(file: string, size: number): boolean {
  const fd = fs.openSync(file, 'r')
  try {
    const last = Buffer.alloc(1)
    fs.readSync(fd, last, 0, 1, size - 1)
    return last[0] === 10
  } finally {
    fs.closeSync(fd)
  }
}

function encodeFailure(snapshot: unknown, cause: unknown): AofError {
  try {
    encodeRecord(snapshot)
  } catch (err) {
    if (err instanceof AofError) return err
  }
  return new AofError(
    'AOF_NOT_SERIALIZABLE',
    'The snapshot cannot be serialized as JSON; nothing was replaced.',
    { cause },
  )
}
