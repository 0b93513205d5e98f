import { AofError, notify } from './errors.js'
import { loadStore, type LoadedStore } from './loader.js'
import { fileNames } from './manifest.js'
import { resolveOptions, type Resolved } from './options.js'
import { encodeJson } from './record.js'
import { logRecords, type LogFile } from './records.js'
import { Rewriter, type StoreState } from './rewrite.js'
import {
  io,
  runAsync,
  runSync,
  type Step,
  type Storage,
  type StorageLock,
} from './storage.js'
import type {
  Aof,
  AofOptions,
  AofRecords,
  AofStats,
  AofStatus,
} from './types.js'
import { CRON_MS, IncrWriter } from './writer.js'

/**
 * Opens a store synchronously: creates its directory if missing, takes the single-writer
 * lock, reads and validates the manifest, and checks the tail of the last incr file so that
 * an append never follows a torn record. On Node the storage defaults to `nodeStorage(dir)`;
 * any other storage must be synchronous (see `openAofAsync` for OPFS).
 *
 * @throws AofError `AOF_LOCKED`, `AOF_MANIFEST_INVALID`, `AOF_CORRUPT`, `AOF_TRUNCATED`, `AOF_IO`
 * @throws TypeError for an option of the wrong type, naming the option
 */
export function openAofOn<A>(
  options: AofOptions<A>,
  defaultStorage?: (dir: string) => Storage,
): Aof<A> {
  const o = resolveOptions(options, defaultStorage)
  return runSync(open(o))
}

/** {@link openAofOn} for any storage, asynchronous ones (OPFS) included. */
export function openAofAsyncOn<A>(
  options: AofOptions<A>,
  defaultStorage?: (dir: string) => Storage,
): Promise<Aof<A>> {
  let o: Resolved<A>
  try {
    o = resolveOptions(options, defaultStorage)
  } catch (err) {
    return Promise.reject(err)
  }
  return runAsync(open(o))
}

function* open<A>(o: Resolved<A>): Step<Aof<A>> {
  const { storage } = o
  try {
    yield* io(storage.prepare())
  } catch (err) {
    throw new AofError(
      'AOF_IO',
      `Creating the store directory failed for ${storage.location}: ${String((err as { code?: unknown })?.code ?? err)}. Check that the parent directory exists and is writable.`,
      { file: storage.location, cause: err },
    )
  }
  const lock = yield* io(storage.lock())
  const reports: AofError[] = []
  try {
    const loaded = yield* loadStore({
      storage,
      fileName: o.fileName,
      loadTruncated: o.loadTruncated,
      report: (err) => reports.push(err),
    })
    const aof = new AofImpl<A>(
      o,
      lock,
      {
        storage,
        fileName: o.fileName,
        names: fileNames(o.fileName),
        status: 'open',
        manifest: loaded.manifest,
        files: loaded.files,
        otherSize: loaded.otherSize,
        growthBase: loaded.baseSize,
      },
      loaded,
    )
    for (const err of reports) aof.report(err, true)
    return aof
  } catch (err) {
    lock.release()
    throw err
  }
}

/** Open stores, so a normal exit or an uncaught exception can flush them synchronously. */
const openStores = new Set<AofImpl<unknown>>()
let exitHookInstalled = false

function installExitHook(): void {
  if (exitHookInstalled || typeof process === 'undefined' || !process.on) return
  exitHookInstalled = true
  // 'exit' also fires after an uncaught exception has been reported, and only synchronous
  // work runs in it: exactly what writing a buffer and an fdatasync are.
  process.on('exit', () => {
    for (const store of openStores) store.flushOnExit()
  })
}

const isDevelopment = (): boolean =>
  typeof process !== 'undefined' && process.env?.NODE_ENV !== 'production'

/**
 * The front of an open store: it checks the status and the arguments and delegates to the
 * incr writer (appends, fsync policy, `durable`) and the rewriter; the files themselves are
 * opened by `loadStore` and closed here.
 */
class AofImpl<A> implements Aof<A> {
  readonly dir: string
  readonly #o: Resolved<A>
  readonly #s: StoreState
  readonly #w: IncrWriter
  readonly #r: Rewriter<A>
  #lock: StorageLock | null
  #cron: ReturnType<typeof setInterval> | null = null
  readonly #truncatedTail: AofStats['truncatedTail']

  constructor(
    o: Resolved<A>,
    lock: StorageLock,
    state: StoreState,
    loaded: Pick<LoadedStore, 'incr' | 'truncatedTail'>,
  ) {
    this.#o = o
    this.#s = state
    this.#lock = lock
    this.dir = o.storage.location
    this.#truncatedTail = loaded.truncatedTail
    const report = (err: AofError) => this.report(err)
    this.#w = new IncrWriter(
      o,
      loaded.incr,
      (n) => o.storage.describe(n),
      report,
    )
    this.#r = new Rewriter<A>(state, this.#w, o, report)
    this.#w.onTurnEnd = () => this.#r.maybeAuto(this.#approxSize())
    // History left listed at open (names not durable: see lostNames.ts) is deleted later.
    this.#r.history.deleteLater()
    openStores.add(this as AofImpl<unknown>)
    installExitHook()
    if (o.fsync !== 'always') {
      // Like Redis's serverCron: fsync what the last turns wrote, retry failed writes.
      this.#cron = setInterval(() => this.#w.tick(), CRON_MS)
      ;(this.#cron as { unref?: () => void }).unref?.()
    }
  }

  get status(): AofStatus {
    return this.#s.status
  }

  /**
   * Hands an error that happened off the caller's stack to `onError`. A recovery at start-up
   * (`atOpen`) that nobody listens for is said once on the console in development, as Redis
   * logs it: a cut tail should not go unnoticed.
   */
  report(err: AofError, atOpen = false): void {
    const onError = this.#o.onError
    if (!onError && atOpen && isDevelopment())
      console.warn(`aof-persist: ${err.message}`)
    notify(onError, err)
  }

  #assertOpen(op: string): void {
    if (this.#s.status === 'closed') {
      throw new AofError(
        'AOF_CLOSED',
        `Cannot ${op}: the store ${this.dir} is closed. Open it again with openAof().`,
      )
    }
  }

  append(record: A): void {
    this.#assertOpen('append')
    this.#w.append(encodeJson(record))
  }

  appendJson(json: string): void {
    this.#assertOpen('append')
    if (typeof json !== 'string' || json === '' || json.includes('\n')) {
      throw new TypeError(
        'aof-persist: appendJson(json) takes one record as JSON.stringify writes it (a non-empty string without newlines)',
      )
    }
    this.#w.append(json)
  }

  batch<T>(fn: () => T): T {
    this.#assertOpen('batch')
    return this.#w.batch(fn)
  }

  flush(): void {
    this.#assertOpen('flush')
    this.#w.flush()
  }

  durable(): Promise<void> {
    try {
      this.#assertOpen('wait for durability')
    } catch (err) {
      return Promise.reject(err)
    }
    return this.#w.syncer.durable(this.#w.appended)
  }

  records(): AofRecords<A> {
    this.#assertOpen('read records')
    // What was appended is part of the log: hand it to the file first so the files hold it.
    this.#w.write()
    const s = this.#s
    const m = s.manifest
    const current = m.incrs.at(-1)!
    const files: LogFile[] = [...(m.base ? [m.base] : []), ...m.incrs].map(
      (e) => {
        const file = s.files.get(e.name)!
        return {
          name: e.name,
          type: e.type === 'base' ? 'base' : 'incr',
          seq: e.seq,
          size: e === current ? this.#w.size : file.size(),
          file,
          decode: s.storage.decodeText,
        }
      },
    )
    return logRecords<A>(
      { location: this.dir, describe: (n) => s.storage.describe(n) },
      files,
    )
  }

  // ---- rewriting ----------------------------------------------------------------------------

  #assertCanRewrite(sync: boolean): void {
    this.#assertOpen('rewrite')
    if (this.#r.running) {
      throw new AofError(
        'AOF_REWRITE_IN_PROGRESS',
        sync
          ? `A rewrite of ${this.dir} is already running; wait for it before rewriteSync().`
          : `A rewrite of ${this.dir} is already running; wait for it (stats().rewriteInProgress) and call rewrite() again.`,
      )
    }
  }

  rewrite(snapshot: A): Promise<void> {
    try {
      this.#assertCanRewrite(false)
    } catch (err) {
      return Promise.reject(err)
    }
    return this.#r.start(() => snapshot, false)
  }

  rewriteFrom(chunks: Iterable<string> | AsyncIterable<string>): Promise<void> {
    try {
      this.#assertCanRewrite(false)
    } catch (err) {
      return Promise.reject(err)
    }
    return this.#r.startFrom(chunks)
  }

  setSnapshot(snapshot: (() => A) | undefined): void {
    if (snapshot !== undefined && typeof snapshot !== 'function') {
      throw new TypeError(
        'aof-persist: setSnapshot(snapshot) takes a function returning the snapshot record, or undefined',
      )
    }
    this.#r.setSnapshot(snapshot)
  }

  rewriteSync(snapshot: A): void {
    this.#assertCanRewrite(true)
    this.#r.runSync(snapshot)
  }

  // ---- stats and lifecycle ------------------------------------------------------------------

  /** Size of the log counting the buffer, cheaply (characters for buffered bytes). */
  #approxSize(): number {
    return this.#s.otherSize + this.#w.size + this.#w.bufferedChars
  }

  stats(): AofStats {
    const w = this.#w
    const m = this.#s.manifest
    const buffered = w.bufferedBytes()
    return {
      status: this.#s.status,
      fsync: this.#o.fsync,
      currentSize: this.#s.otherSize + w.size + buffered,
      baseSize: this.#s.growthBase,
      bufferLength: buffered,
      appended: w.appended,
      ...this.#r.stats(),
      lastWriteStatus: w.writeError || w.syncer.error ? 'err' : 'ok',
      lastWriteError: w.writeError ?? w.syncer.error,
      pendingFsync: w.syncer.inFlight,
      delayedFsyncs: w.syncer.delayedFsyncs,
      lastFsyncAt: w.syncer.lastFsyncAt,
      truncatedTail: this.#truncatedTail,
      files: [...(m.base ? [m.base] : []), ...m.incrs].map((e) => ({
        name: e.name,
        type: e.type === 'base' ? ('base' as const) : ('incr' as const),
        seq: e.seq,
      })),
    }
  }

  async close(): Promise<void> {
    if (this.#s.status === 'closed') return
    this.#s.status = 'closing'
    if (this.#r.running) await this.#r.running.catch(() => {})
    this.#finalize()
  }

  closeSync(): void {
    if (this.#s.status === 'closed') return
    this.#s.status = 'closing'
    // A running rewrite stops at its next slice and removes its temp file; the manifest
    // still lists the old files plus the new incr file, which together hold everything.
    this.#r.abandon()
    this.#finalize()
  }

  #finalize(): void {
    try {
      this.#w.finish()
    } catch (err) {
      // Stay open: nothing buffered is dropped, and close() can be tried again.
      this.#s.status = 'open'
      throw err
    }
    this.#s.status = 'closed'
    if (this.#cron) clearInterval(this.#cron)
    this.#r.dispose()
    for (const file of this.#s.files.values()) {
      this.#w.syncer.whenIdle(file, () => file.close())
    }
    this.#lock?.release()
    this.#lock = null
    openStores.delete(this as AofImpl<unknown>)
  }

  /** Process exit: write and fdatasync whatever is buffered, release the lock. Never throws. */
  flushOnExit(): void {
    this.#w.flushOnExit()
    this.#lock?.release()
  }
}
