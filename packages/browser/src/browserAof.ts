import {
  AofError,
  DEFAULT_AUTO_REWRITE_MIN_SIZE,
  DEFAULT_AUTO_REWRITE_PERCENTAGE,
  DEFAULT_FILE_NAME,
  findUnserializable,
  isRewriteDue,
  notify,
  rewriteBackoffMs,
  stringifyInSlices,
  type AofRecords,
  type AofStats,
  type AofStatus,
} from '@aof-persist/core/portable'
import { storeSegments } from './opfsStorage.js'
import {
  fromWire,
  statsFromWire,
  toWire,
  type FromWorker,
  type LogFiles,
  type ToWorker,
  type WorkerOpenOptions,
} from './protocol.js'
import { replayRecords } from './replay.js'
import type {
  BrowserAof,
  BrowserAofEvent,
  BrowserAofOptions,
  BrowserAofStats,
} from './types.js'

/**
 * Opens a store in the origin's private file system: starts a dedicated worker that runs the
 * core engine there, takes the store's Web Lock, loads the manifest and cuts a torn tail, and
 * resolves with the log on this thread, whose `records()` yields the replayed records
 * synchronously. With `follow: true`, a store another tab writes opens as its follower.
 *
 * @throws AofError `AOF_LOCKED` (another tab writes the store, and `follow` is not set),
 *   `AOF_MANIFEST_INVALID`, `AOF_CORRUPT`, `AOF_TRUNCATED`, `AOF_IO` (no OPFS here, the worker
 *   could not start)
 * @throws TypeError for an option of the wrong type, naming the option
 */
export async function openBrowserAof<A = unknown>(
  options: BrowserAofOptions<A>,
): Promise<BrowserAof<A>> {
  const log = new BrowserAofImpl<A>(checkOptions(options))
  await log.ready
  return log
}

type Checked<A> = BrowserAofOptions<A> & WorkerOpenOptions

function checkOptions<A>(options: BrowserAofOptions<A>): Checked<A> {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(
      'aof-persist: openBrowserAof(options) needs an options object with "name"',
    )
  }
  storeSegments(options.name)
  for (const name of ['snapshot', 'onError', 'worker'] as const) {
    if (options[name] !== undefined && typeof options[name] !== 'function') {
      throw new TypeError(
        `aof-persist: option "${name}" must be a function, got ${typeof options[name]}`,
      )
    }
  }
  if (options.follow !== undefined && typeof options.follow !== 'boolean') {
    throw new TypeError(
      `aof-persist: option "follow" must be a boolean, got ${JSON.stringify(options.follow)}`,
    )
  }
  // The other options are checked by the engine in the worker (one copy of those rules); its
  // TypeError comes back as the rejection of openBrowserAof.
  return {
    ...options,
    fileName: options.fileName ?? DEFAULT_FILE_NAME,
    fsync: options.fsync ?? 'everysec',
    autoRewritePercentage:
      options.autoRewritePercentage ?? DEFAULT_AUTO_REWRITE_PERCENTAGE,
    autoRewriteMinSize:
      options.autoRewriteMinSize ?? DEFAULT_AUTO_REWRITE_MIN_SIZE,
    loadTruncated: options.loadTruncated ?? true,
    timestamps: options.timestamps ?? false,
    follow: options.follow ?? false,
  }
}

const defaultWorker = (name: string): Worker =>
  new Worker(new URL('./worker.js', import.meta.url), {
    type: 'module',
    name: `aof-persist opfs:/${name}`,
  })

/**
 * How long the serializer of a rewrite's snapshot runs before it yields: half the core's 8 ms,
 * because a page also pays for garbage collection and rendering within the same frame budget.
 */
const MAIN_THREAD_SLICE_MS = 4

/**
 * How much of what was logged since open (or since the last rewrite made here) the page keeps
 * for records(), in JSON characters. The adapters read records() once, at store creation; the
 * copy is what a later call needs, and it must not grow with the app's uptime.
 */
const MAX_TAIL_CHARS = 32 * 2 ** 20

interface Waiter {
  resolve(value: unknown): void
  reject(err: unknown): void
}

/** Serializes a record as one JSON line, or throws `AOF_NOT_SERIALIZABLE` (nothing is sent). */
function encode(record: unknown): string {
  let json: string | undefined
  let cause: unknown
  try {
    json = JSON.stringify(record)
  } catch (err) {
    cause = err
  }
  if (json !== undefined) return json
  const found = cause instanceof RangeError ? null : findUnserializable(record)
  const type = (record as { type?: unknown } | null)?.type
  throw new AofError(
    'AOF_NOT_SERIALIZABLE',
    `Cannot append record${typeof type === 'string' ? ` "${type}"` : ''}: JSON cannot hold it${found ? ` (${found.reason} at ${found.path || 'the root'})` : ''}. Nothing was written; append plain JSON values only.`,
    cause === undefined ? {} : { cause },
  )
}

class BrowserAofImpl<A> implements BrowserAof<A> {
  readonly dir: string
  readonly ready: Promise<void>
  readonly #o: Checked<A>
  readonly #worker: Worker
  #status: AofStatus = 'open'
  #role: 'writer' | 'follower' = 'writer'
  #stats: AofStats | null = null
  #persistent: boolean | null = null
  #persistentAsked = 0

  // What records() replays: the files as loaded (or the last rewrite's snapshot), then the
  // records logged since, as JSON texts.
  #loaded: LogFiles | null = null
  #base: { record: A } | null = null
  #tail: string[] = []
  #tailChars = 0
  /** The records logged since open outgrew MAX_TAIL_CHARS and were dropped: records() refuses. */
  #tailDropped = false
  /** Whether #tail collects: not after a drop, until a rewrite starts a copy again. */
  #keeping = true
  #drops = 0

  // Records appended here and not yet posted (one message per turn), and the ones posted and
  // not yet handled by the worker.
  #queue: string[] = []
  #queueBytes = 0
  #postScheduled = false
  #unacked: number[] = []
  #appended = 0

  #nextId = 1
  readonly #waiting = new Map<number, Waiter>()
  readonly #listeners = new Set<(event: BrowserAofEvent<A>) => void>()
  #rewriting: Promise<void> | null = null
  /** What automatic rewrites write as the new base, taken on this thread. */
  #snapshot: (() => A) | undefined
  #nextAutoRewriteAt = 0
  #opened!: Waiter

  constructor(o: Checked<A>) {
    this.#o = o
    this.#snapshot = o.snapshot
    this.dir = `opfs:/${o.name}`
    this.ready = new Promise<void>((resolve, reject) => {
      this.#opened = { resolve: () => resolve(), reject }
    })
    let worker: Worker
    try {
      worker = o.worker ? o.worker() : defaultWorker(o.name)
    } catch (err) {
      throw this.#workerFailed(err)
    }
    this.#worker = worker
    worker.onmessage = (e: MessageEvent<FromWorker>) => this.#onMessage(e.data)
    worker.onerror = (e: ErrorEvent) => {
      e.preventDefault()
      this.#die(this.#workerFailed(e.message || e))
    }
    const open: WorkerOpenOptions = {
      name: o.name,
      fileName: o.fileName,
      fsync: o.fsync,
      autoRewritePercentage: o.autoRewritePercentage,
      autoRewriteMinSize: o.autoRewriteMinSize,
      loadTruncated: o.loadTruncated,
      timestamps: o.timestamps,
      follow: o.follow,
    }
    this.#post({ t: 'open', options: open })
    this.#refreshPersistent()
  }

  #workerFailed(cause: unknown): AofError {
    return new AofError(
      'AOF_IO',
      `The aof-persist worker for ${this.dir} could not start or stopped: ${String((cause as Error)?.message ?? cause)}. Without a bundler, serve the package's dist/ folder as it is (worker.js beside index.js); with a bundler that does not copy it, pass the worker option (see https://github.com/aof-persist/aof-persist/blob/main/docs/learn/browser.md#bundlers-and-plain-modules).`,
      { cause },
    )
  }

  #post(m: ToWorker): void {
    this.#worker.postMessage(m)
  }

  get status(): AofStatus {
    return this.#status
  }

  get role(): 'writer' | 'follower' {
    return this.#role
  }

  // ---- messages from the worker ---------------------------------------------------------

  #onMessage(m: FromWorker): void {
    switch (m.t) {
      case 'opened':
        this.#loaded = m.log
        this.#stats = statsFromWire(m.stats)
        this.#opened.resolve(undefined)
        return
      case 'following':
        this.#role = 'follower'
        this.#loaded = m.log
        this.#opened.resolve(undefined)
        return
      case 'failed': {
        const err = fromWire(m.error)
        // Opening, a takeover or a follower's re-read failed: the worker has no store.
        const opening = this.#stats === null && this.#loaded === null
        this.#die(err, !opening)
        return
      }
      case 'appended':
        this.#unacked.shift()
        if (m.stats) this.#stats = statsFromWire(m.stats)
        this.#maybeAutoRewrite()
        return
      case 'forwarded':
        this.#forwarded(m.lines, m.durable)
        return
      case 'mirrored':
        this.#receive(m.lines)
        return
      case 'resync':
        this.#reset(m.log)
        return
      case 'tookOver':
        this.#stats = statsFromWire(m.stats)
        if (m.log) this.#reset(m.log)
        else this.#receive(m.lines ?? [])
        this.#role = 'writer'
        this.#emit({ type: 'role', role: 'writer' })
        return
      case 'done': {
        if (m.stats) this.#stats = statsFromWire(m.stats)
        const w = this.#waiting.get(m.id)
        this.#waiting.delete(m.id)
        if (m.error) w?.reject(fromWire(m.error))
        else w?.resolve(undefined)
        return
      }
      case 'archived': {
        const w = this.#waiting.get(m.id)
        this.#waiting.delete(m.id)
        w?.resolve(new Blob([m.tar], { type: 'application/x-tar' }))
        return
      }
      case 'error':
        this.#stats = statsFromWire(m.stats)
        this.#report(fromWire(m.error) as AofError)
        return
    }
  }

  /** Records logged elsewhere: part of the log, to apply without logging again. */
  #receive(lines: string[]): void {
    if (lines.length === 0) return
    for (const line of lines) this.#keep(line)
    const records = lines.map((line) => JSON.parse(line) as A)
    this.#emit({ type: 'records', records })
  }

  /**
   * Records a follower sent: this page appends them (after what it appended before, so the log
   * keeps the order its store applies them in) and its subscribers apply them, not logging them
   * again. A follower's durable() is answered once they are on disk.
   */
  #forwarded(lines: string[], durable?: { tab: string; id: number }): void {
    if (this.#status === 'closed') return
    for (const line of lines) this.#enqueue(line)
    this.#emit({
      type: 'records',
      records: lines.map((line) => JSON.parse(line) as A),
    })
    if (durable) {
      const answer = (error?: unknown) =>
        this.#post({
          t: 'durableFor',
          tab: durable.tab,
          id: durable.id,
          ...(error === undefined ? {} : { error: toWire(error) }),
        })
      this.durable().then(() => answer(), answer)
    }
  }

  #reset(log: LogFiles): void {
    this.#loaded = log
    this.#base = null
    this.#tail = []
    this.#tailChars = 0
    this.#tailDropped = false
    this.#keeping = true
    this.#emit({ type: 'reset' })
  }

  #emit(event: BrowserAofEvent<A>): void {
    for (const listener of [...this.#listeners]) notify(listener, event)
  }

  #report(err: unknown): void {
    notify(this.#o.onError, err as AofError)
  }

  /** The worker is gone: nothing more can be written; pending calls fail. */
  #die(err: Error, report = true): void {
    if (this.#status === 'closed') return
    this.#status = 'closed'
    for (const w of this.#waiting.values()) w.reject(err)
    this.#waiting.clear()
    this.#opened.reject(err)
    this.#worker.terminate()
    if (report) this.#report(err)
  }

  #request<T>(m: ToWorker & { id: number }): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#waiting.set(m.id, {
        resolve: resolve as (v: unknown) => void,
        reject,
      })
      this.#post(m)
    })
  }

  #assertOpen(op: string): void {
    if (this.#status === 'closed') {
      throw new AofError(
        'AOF_CLOSED',
        `Cannot ${op}: the store ${this.dir} is closed. Open it again with openBrowserAof().`,
      )
    }
  }

  #refreshPersistent(): void {
    const now = Date.now()
    if (now - this.#persistentAsked < 1000) return
    this.#persistentAsked = now
    const storage = (globalThis as { navigator?: Navigator }).navigator?.storage
    storage?.persisted?.().then(
      (p) => (this.#persistent = p),
      () => {},
    )
  }

  // ---- appending ------------------------------------------------------------------------

  append(record: A): void {
    this.#assertOpen('append')
    this.#enqueue(encode(record))
  }

  appendJson(json: string): void {
    this.#assertOpen('append')
    if (typeof json !== 'string' || json === '' || /[\n\r]/.test(json)) {
      throw new TypeError(
        'aof-persist: appendJson(json) takes one record as JSON.stringify writes it (a non-empty string without newlines)',
      )
    }
    this.#enqueue(json)
  }

  #enqueue(json: string): void {
    this.#queue.push(json)
    this.#queueBytes += json.length + 1
    this.#appended++
    // A writer's records are part of its log now; a follower's come back mirrored.
    if (this.#role === 'writer') this.#keep(json)
    if (!this.#postScheduled) {
      this.#postScheduled = true
      // One message per turn: every append of a dispatch loop shares one write in the worker.
      queueMicrotask(() => this.#postQueue())
    }
  }

  #postQueue(): void {
    this.#postScheduled = false
    if (this.#queue.length === 0) return
    const lines = this.#queue
    this.#unacked.push(this.#queueBytes)
    this.#queue = []
    this.#queueBytes = 0
    this.#post({ t: 'append', lines })
  }

  batch<T>(fn: () => T): T {
    this.#assertOpen('batch')
    // Appends of one turn already travel in one message and share one write and one flush.
    return fn()
  }

  flush(): void {
    this.#assertOpen('flush')
    this.#postQueue()
    this.#post({ t: 'flush' })
  }

  durable(): Promise<void> {
    try {
      this.#assertOpen('wait for durability')
    } catch (err) {
      return Promise.reject(err)
    }
    this.#postQueue()
    return this.#request({ t: 'durable', id: this.#nextId++ })
  }

  subscribe(listener: (event: BrowserAofEvent<A>) => void): () => void {
    if (typeof listener !== 'function') {
      throw new TypeError('aof-persist: subscribe(listener) needs a function')
    }
    this.#listeners.add(listener)
    return () => {
      this.#listeners.delete(listener)
    }
  }

  // ---- reading --------------------------------------------------------------------------

  /**
   * Keeps a record logged since open for records(). Past MAX_TAIL_CHARS (with no rewrite to
   * start again from) the copy is dropped rather than grown without bound: the files hold it.
   */
  #keep(json: string): void {
    if (!this.#keeping) return
    this.#tail.push(json)
    this.#tailChars += json.length
    if (this.#tailChars > MAX_TAIL_CHARS) {
      this.#tail = []
      this.#tailChars = 0
      this.#loaded = null
      this.#base = null
      this.#tailDropped = true
      this.#keeping = false
      this.#drops++
    }
  }

  records(): AofRecords<A> {
    this.#assertOpen('read records')
    if (this.#tailDropped) {
      throw new AofError(
        'AOF_IO',
        `records() of ${this.dir} on this page holds the log as loaded plus what was logged since, up to ${MAX_TAIL_CHARS / 2 ** 20} MiB of it, and more was logged since the store was opened or last rewritten. Read it whole by opening the store again (close() and openBrowserAof()), or take its files with archive().`,
      )
    }
    return replayRecords<A>(this.#loaded, this.#base, [...this.#tail])
  }

  archive(): Promise<Blob> {
    try {
      this.#assertOpen('archive the store')
    } catch (err) {
      return Promise.reject(err)
    }
    this.#postQueue()
    return this.#request({ t: 'archive', id: this.#nextId++ })
  }

  // ---- rewriting ------------------------------------------------------------------------

  #maybeAutoRewrite(): void {
    const s = this.#stats
    const snapshot = this.#snapshot
    if (
      !s ||
      !snapshot ||
      this.#rewriting ||
      this.#status !== 'open' ||
      this.#role !== 'writer' ||
      Date.now() < this.#nextAutoRewriteAt ||
      !isRewriteDue({
        currentSize: s.currentSize,
        baseSize: s.baseSize,
        autoRewritePercentage: this.#o.autoRewritePercentage,
        autoRewriteMinSize: this.#o.autoRewriteMinSize,
      })
    )
      return
    const snap = snapshot()
    this.#startRewrite(this.#serialize(snap), { record: snap }).catch(
      (err: unknown) => {
        const failures = this.#stats?.rewritesConsecutiveFailures ?? 1
        this.#nextAutoRewriteAt = Date.now() + rewriteBackoffMs(failures)
        this.#report(err)
      },
    )
  }

  setSnapshot(snapshot: (() => A) | undefined): void {
    if (snapshot !== undefined && typeof snapshot !== 'function') {
      throw new TypeError(
        `aof-persist: setSnapshot(snapshot) needs a function or undefined, got ${typeof snapshot}`,
      )
    }
    this.#snapshot = snapshot
  }

  rewrite(snapshot: A): Promise<void> {
    try {
      if (!this.#assertRewritable()) return Promise.resolve()
    } catch (err) {
      return Promise.reject(err)
    }
    return this.#startRewrite(this.#serialize(snapshot), { record: snapshot })
  }

  /** False on a follower: the writer's files are the store, and only the writer rewrites them. */
  #assertRewritable(): boolean {
    this.#assertOpen('rewrite')
    if (this.#role !== 'writer') return false
    if (this.#rewriting) {
      throw new AofError(
        'AOF_REWRITE_IN_PROGRESS',
        `A rewrite of ${this.dir} is already running; wait for it (stats().rewriteInProgress) and call rewrite() again.`,
      )
    }
    return true
  }

  rewriteFrom(chunks: Iterable<string> | AsyncIterable<string>): Promise<void> {
    try {
      this.#assertRewritable()
    } catch (err) {
      return Promise.reject(err)
    }
    return this.#startRewrite(async (send) => {
      for await (const text of chunks) {
        if (this.#status === 'closed') throw new Error('the store was closed')
        send(text)
      }
    }, null)
  }

  /**
   * The rewrite starts in the worker at the message that follows this turn's appends: the
   * snapshot covers exactly the records appended before the call, as on Node. `produce` sends
   * the snapshot's JSON text in pieces (`rewrite` serializes it here in slices, so a large state
   * does not stall this thread); the worker writes them as they come.
   */
  #startRewrite(
    produce: (send: (text: string) => void) => Promise<void>,
    snapshot: { record: A } | null,
  ): Promise<void> {
    this.#postQueue()
    const id = this.#nextId++
    if (snapshot && this.#tailDropped) {
      // The copy was dropped: a rewrite lets records() start again from its snapshot.
      this.#tail = []
      this.#tailChars = 0
      this.#keeping = true
    }
    const tailAt = this.#tail.length
    const drops = this.#drops
    const done = this.#request<void>({ t: 'rewrite', id })
    // The worker's rejection settles `done`; the streaming's own failure is the one reported.
    done.catch(() => {})
    const streamed = produce((text) =>
      this.#post({ t: 'chunk', id, text }),
    ).then(
      () => this.#post({ t: 'end', id }),
      (err: unknown) => {
        this.#post({ t: 'abort', id, error: toWire(err) })
        throw err
      },
    )
    const finished = Promise.all([streamed, done])
      .then(() => {
        if (!snapshot || this.#drops !== drops) return
        // records() now starts from the snapshot.
        this.#loaded = null
        this.#base = snapshot
        this.#tail = this.#tail.slice(tailAt)
        this.#tailChars = this.#tail.reduce((n, l) => n + l.length, 0)
        this.#tailDropped = false
      })
      .finally(() => {
        if (this.#tailDropped) this.#keeping = false
        this.#rewriting = null
      })
    this.#rewriting = finished
    return finished
  }

  #serialize(snapshot: A) {
    return async (send: (text: string) => void): Promise<void> => {
      let wrote: boolean
      try {
        wrote = await stringifyInSlices(
          snapshot,
          send,
          MAIN_THREAD_SLICE_MS,
          () => this.#status === 'closed',
        )
      } catch (err) {
        throw err instanceof TypeError || err instanceof RangeError
          ? encodeFailure(snapshot, err)
          : err
      }
      if (!wrote) throw encodeFailure(snapshot)
    }
  }

  rewriteSync(snapshot: A): void {
    if (!this.#assertRewritable()) return
    const json = encode(snapshot)
    // Posted in order: appends after this call land in the new incr file. The worker writes
    // the base a moment later; a failure reaches onError and stats().
    this.#startRewrite(async (send) => send(json), { record: snapshot }).catch(
      (err: unknown) => this.#report(err),
    )
  }

  // ---- stats and lifecycle --------------------------------------------------------------

  stats(): BrowserAofStats {
    this.#refreshPersistent()
    const s = this.#stats
    const posted = this.#unacked.reduce((n, b) => n + b, 0)
    const base: AofStats = s ?? {
      status: this.#status,
      fsync: this.#o.fsync,
      currentSize: 0,
      baseSize: 0,
      bufferLength: 0,
      appended: 0,
      rewriteInProgress: false,
      rewrites: 0,
      rewritesConsecutiveFailures: 0,
      lastRewriteStatus: 'ok',
      lastRewriteTimeMs: -1,
      lastWriteStatus: 'ok',
      lastWriteError: null,
      pendingFsync: false,
      delayedFsyncs: 0,
      lastFsyncAt: 0,
      truncatedTail: null,
      files: [],
    }
    return {
      ...base,
      status: this.#status,
      bufferLength: base.bufferLength + posted + this.#queueBytes,
      currentSize: base.currentSize + posted + this.#queueBytes,
      appended: this.#appended,
      rewriteInProgress: this.#rewriting !== null,
      persistent: this.#persistent,
      role: this.#role,
      unacknowledged: this.#unacked.length + (this.#queue.length > 0 ? 1 : 0),
    }
  }

  async close(): Promise<void> {
    if (this.#status === 'closed') return
    this.#status = 'closing'
    if (this.#rewriting) await this.#rewriting.catch(() => {})
    this.#postQueue()
    try {
      await this.#request({ t: 'close', id: this.#nextId++ })
    } catch (err) {
      // Stay open: nothing queued is dropped, and close() can be tried again.
      if (this.#status === 'closing') this.#status = 'open'
      throw err
    }
    this.#status = 'closed'
    this.#listeners.clear()
  }

  closeSync(): void {
    if (this.#status === 'closed') return
    this.#postQueue()
    // The worker closes the engine (writing and flushing what it holds) and ends itself;
    // nothing is durable when this returns.
    this.#post({ t: 'close', id: this.#nextId++ })
    this.#status = 'closed'
    this.#listeners.clear()
  }
}

function encodeFailure(snapshot: unknown, cause?: unknown): AofError {
  try {
    encode(snapshot)
  } catch (err) {
    if (err instanceof AofError) return err
  }
  return new AofError(
    'AOF_NOT_SERIALIZABLE',
    'The snapshot cannot be serialized as JSON; nothing was replaced.',
    cause === undefined ? {} : { cause },
  )
}
