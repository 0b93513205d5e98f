// The dedicated worker behind openBrowserAof(): it runs the core engine on the origin's private
// file system (sync access handles exist only in dedicated workers) and talks to the main
// thread's Aof (browserAof.ts) and to the other tabs of the store (BroadcastChannel). Built as
// one self-contained module with the core bundled in: a module worker does not see the page's
// import map.
import {
  AofError,
  checkAof,
  openAofAsync,
  readAofEntries,
  type Aof,
  type StorageLock,
} from '@aof-persist/core/portable'
import { packStore } from './archive.js'
import { bytesStorage } from './bytesStorage.js'
import { incrSeq, Mirror } from './mirror.js'
import { observe, type ObservedStorage } from './observedStorage.js'
import { opfsStorage, readStoreFiles } from './opfsStorage.js'
import {
  channelName,
  fromWire,
  statsToWire,
  toWire,
  type ChannelMessage,
  type FromWorker,
  type LogFiles,
  type Position,
  type ToWorker,
  type WorkerOpenOptions,
} from './protocol.js'

/** The engine's API beyond `Aof` that a worker fed by another thread uses. */
type Engine = Aof & {
  appendJson(json: string): void
  rewriteFrom(chunks: AsyncIterable<string>): Promise<void>
}

interface WorkerScope {
  postMessage(message: unknown, transfer?: Transferable[]): void
  onmessage: ((e: MessageEvent<ToWorker>) => void) | null
  close(): void
}
const scope = globalThis as unknown as WorkerScope
const post = (m: FromWorker, transfer: Transferable[] = []) =>
  scope.postMessage(m, transfer)

let o: WorkerOpenOptions
let engine: Engine | null = null
let storage: ObservedStorage | null = null
let channel: BroadcastChannel | null = null
/** This worker's id on the channel (a follower's durable requests come back to it). */
const tab = Math.random().toString(36).slice(2)
/** Set while following another tab's writer. */
let mirror: Mirror | null = null
/** Channel messages that arrive while a follower reads the files. */
let early: ChannelMessage[] | null = null
/** Main-thread messages that wait while the engine opens (a takeover). */
let held: ToWorker[] | null = null
let stopWaiting: AbortController | null = null
/** A follower's durable() calls the writer has not answered yet. */
const remoteDurable = new Set<number>()
const rewrites = new Map<number, ChunkQueue>()
let lastReported: unknown = null

const manifestName = () => `${o.fileName}.manifest`
const isIncr = (name: string) => incrSeq(o.fileName, name) !== -1

scope.onmessage = (e) => {
  const m = e.data
  if (held && m.t !== 'open') {
    held.push(m)
    return
  }
  handle(m)
}

function handle(m: ToWorker): void {
  if (m.t === 'open') {
    open(m.options).catch((err: unknown) =>
      post({ t: 'failed', error: toWire(err) }),
    )
    return
  }
  if (mirror || early) {
    following(m)
    return
  }
  const log = engine
  if (!log) return
  switch (m.t) {
    case 'append':
      append(log, m.lines)
      post({ t: 'appended', count: m.lines.length, stats: wireStats() })
      return
    case 'flush':
      try {
        log.flush()
      } catch (err) {
        reportOnce(err)
      }
      return
    case 'durable':
      log.durable().then(
        () => post({ t: 'done', id: m.id, stats: wireStats() }),
        (err: unknown) => post({ t: 'done', id: m.id, error: toWire(err) }),
      )
      return
    case 'rewrite': {
      const q = new ChunkQueue()
      rewrites.set(m.id, q)
      log
        .rewriteFrom(q)
        .then(
          () => post({ t: 'done', id: m.id, stats: wireStats() }),
          (err: unknown) =>
            post({
              t: 'done',
              id: m.id,
              error: toWire(err),
              stats: wireStats(),
            }),
        )
        .finally(() => rewrites.delete(m.id))
      return
    }
    case 'chunk':
      rewrites.get(m.id)?.push(m.text)
      return
    case 'end':
      rewrites.get(m.id)?.end()
      return
    case 'abort':
      rewrites.get(m.id)?.fail(fromWire(m.error))
      return
    case 'archive':
      archive().then(
        (tar) => post({ t: 'archived', id: m.id, tar }, [tar]),
        (err: unknown) => post({ t: 'done', id: m.id, error: toWire(err) }),
      )
      return
    case 'durableFor':
      channel?.postMessage({
        t: 'durable',
        tab: m.tab,
        id: m.id,
        ...(m.error ? { error: m.error } : {}),
      } satisfies ChannelMessage)
      return
    case 'close':
      log.close().then(
        () => {
          channel?.postMessage({ t: 'closed' } satisfies ChannelMessage)
          channel?.close()
          post({ t: 'done', id: m.id, stats: wireStats() })
          scope.close()
        },
        (err: unknown) =>
          post({ t: 'done', id: m.id, error: toWire(err), stats: wireStats() }),
      )
      return
  }
}

/** Appends records under one batch: under `always` one write and one flush for all of them. */
function append(log: Engine, lines: string[]): void {
  try {
    log.batch(() => {
      for (const line of lines) log.appendJson(line)
    })
  } catch (err) {
    // `always`: the write or flush failed; the records stay queued in the engine and are
    // retried. The main thread returned long ago: it learns through onError and stats().
    reportOnce(err)
  }
}

function reportOnce(err: unknown): void {
  if (err === lastReported) return
  lastReported = err
  post({ t: 'error', error: toWire(err), stats: wireStats() })
}

const wireStats = () => statsToWire(engine!.stats())

async function open(options: WorkerOpenOptions): Promise<void> {
  o = options
  held = []
  channel = new BroadcastChannel(channelName(o.name, o.fileName))
  channel.onmessage = (e: MessageEvent<ChannelMessage>) => onChannel(e.data)
  let lock: StorageLock | undefined
  if (o.follow) {
    try {
      lock = await opfsStorage(o.name).lock()
    } catch (err) {
      if (!(err instanceof AofError && err.code === 'AOF_LOCKED')) throw err
      await follow()
      return
    }
  }
  await openEngine(lock)
  const log = await logFiles()
  post(
    { t: 'opened', log, stats: wireStats(), persistent: null },
    transfers(log),
  )
  drainHeld()
}

async function openEngine(lock: StorageLock | undefined): Promise<void> {
  storage = observe(
    opfsStorage(o.name),
    isIncr,
    (e) => channel?.postMessage(e satisfies ChannelMessage),
    lock,
  )
  try {
    engine = (await openAofAsync({
      storage,
      fileName: o.fileName,
      fsync: o.fsync,
      autoRewritePercentage: o.autoRewritePercentage,
      autoRewriteMinSize: o.autoRewriteMinSize,
      loadTruncated: o.loadTruncated,
      timestamps: o.timestamps,
      onError: (err) => reportOnce(err),
    })) as Engine
  } catch (err) {
    lock?.release()
    throw err
  }
}

function drainHeld(): void {
  const waiting = held ?? []
  held = null
  for (const m of waiting) handle(m)
}

/** The listed files' bytes, read through the engine's handles. */
async function logFiles(): Promise<LogFiles> {
  const files: LogFiles['files'] = []
  for (const f of engine!.stats().files) {
    const bytes = await storage!.readFile(f.name)
    if (bytes) files.push({ name: f.name, type: f.type, bytes })
  }
  return {
    location: storage!.location,
    fileName: o.fileName,
    manifest: await storage!.readFile(manifestName()),
    files,
  }
}

const transfers = (log: LogFiles): Transferable[] => {
  const seen = new Set<ArrayBufferLike>()
  for (const b of [log.manifest, ...log.files.map((f) => f.bytes)])
    if (b && b.byteOffset === 0 && b.byteLength === b.buffer.byteLength)
      seen.add(b.buffer)
  return [...seen] as Transferable[]
}

/**
 * The store's files as a tar archive. The listing and the files are read again when a rewrite
 * switched them meanwhile, so the archive is one consistent state of the store.
 */
async function archive(): Promise<ArrayBuffer> {
  for (let i = 0; ; i++) {
    engine!.flush()
    const before = JSON.stringify(engine!.stats().files)
    const log = await logFiles()
    if (JSON.stringify(engine!.stats().files) === before || i >= 20) {
      const tar = packStore(log, o.name)
      return tar.buffer as ArrayBuffer
    }
  }
}

// ---- tabs --------------------------------------------------------------------------------

function onChannel(m: ChannelMessage): void {
  if (early) {
    early.push(m)
    return
  }
  if (m.t === 'forward') {
    // Only the writer logs what followers send, and through its page: the page appends them
    // after the records it appended before, so its store and the log see the same order.
    if (!engine || mirror) return
    post({
      t: 'forwarded',
      lines: m.lines,
      ...(m.durable ? { durable: m.durable } : {}),
    })
    return
  }
  if (m.t === 'durable') {
    if (m.tab !== tab || !remoteDurable.delete(m.id)) return
    post({ t: 'done', id: m.id, ...(m.error ? { error: m.error } : {}) })
    return
  }
  if (!mirror) return
  if (m.t === 'write') {
    const lines = mirror.write(m.file, m.at, m.bytes)
    if (lines === null) void resync()
    else if (lines.length > 0)
      post({ t: 'mirrored', lines, position: mirror.position })
  } else if (m.t === 'truncate') {
    if (!mirror.truncate(m.file, m.size)) void resync()
  }
}

/** Main-thread messages while following: appends go to the writer, the rest answers here. */
function following(m: ToWorker): void {
  switch (m.t) {
    case 'append':
      channel?.postMessage({
        t: 'forward',
        lines: m.lines,
      } satisfies ChannelMessage)
      post({ t: 'appended', count: m.lines.length, stats: followerStats() })
      return
    case 'durable':
      remoteDurable.add(m.id)
      channel?.postMessage({
        t: 'forward',
        lines: [],
        durable: { tab, id: m.id },
      } satisfies ChannelMessage)
      return
    case 'close':
      stopWaiting?.abort()
      mirror = null
      channel?.close()
      post({ t: 'done', id: m.id })
      scope.close()
      return
    case 'archive':
      readForFollower().then(
        ({ log }) => {
          const tar = packStore(log, o.name).buffer as ArrayBuffer
          post({ t: 'archived', id: m.id, tar }, [tar])
        },
        (err: unknown) => post({ t: 'done', id: m.id, error: toWire(err) }),
      )
      return
    default:
      return
  }
}

const followerStats = () => null

/** Another tab writes: load what it wrote, mirror its writes, wait for its lock. */
async function follow(): Promise<void> {
  early = []
  const { log, position } = await readForFollower()
  mirror = new Mirror(o.fileName, position)
  const waiting = early
  early = null
  post({ t: 'following', log, position, persistent: null }, transfers(log))
  for (const m of waiting) onChannel(m)
  drainHeld()
  stopWaiting = new AbortController()
  opfsStorage(o.name, { lock: 'wait', signal: stopWaiting.signal })
    .lock()
    .then(takeOver, () => {
      // aborted: the follower was closed
    })
}

/**
 * Reads the writer's files as they are now, through `getFile()`: the manifest and the files
 * it lists, checked by the core's reader. A rewrite may switch or remove files during the read;
 * then it reads again. The last file may end with a line the writer is still writing: it is
 * left out, and the mirror completes it.
 */
async function readForFollower(): Promise<{
  log: LogFiles
  position: Position
}> {
  const location = `opfs:/${o.name}`
  for (let attempt = 0; ; attempt++) {
    try {
      const found = await readStoreFiles(
        o.name,
        (n) =>
          n === manifestName() ||
          (n.startsWith(`${o.fileName}.`) && n.endsWith('.aof')),
      )
      const manifest = found.get(manifestName()) ?? null
      const all: LogFiles = {
        location,
        fileName: o.fileName,
        manifest,
        files: [...found]
          .filter(([n]) => n !== manifestName())
          .map(([name, bytes]) => ({ name, type: 'incr' as const, bytes })),
      }
      const report = checkAof({
        storage: bytesStorage(all),
        fileName: o.fileName,
      })
      const problem = report.files.find(
        (f, i) =>
          f.problem &&
          !(
            i === report.files.length - 1 && f.problem.code === 'AOF_TRUNCATED'
          ),
      )?.problem
      if (problem) {
        throw new AofError(problem.code, problem.message, {
          file: `${location}/${problem.file}`,
          line: problem.line,
          offset: problem.offset,
        })
      }
      const files = report.files.map((f) => ({
        name: f.name,
        type: f.type,
        bytes: found.get(f.name)!.slice(0, f.lastGoodOffset),
      }))
      const last = report.files.at(-1)
      return {
        log: { location, fileName: o.fileName, manifest, files },
        position:
          last && last.type === 'incr'
            ? { file: last.name, offset: last.lastGoodOffset }
            : { file: '', offset: 0 },
      }
    } catch (err) {
      // The writer renamed, removed or appended to a file while it was read, or has not
      // written its manifest yet: read again, a few times.
      if (
        attempt >= 50 ||
        (err instanceof AofError && err.code === 'AOF_CORRUPT')
      )
        throw err
      await new Promise((r) => setTimeout(r, 10))
    }
  }
}

/** The follower lost its place in the writer's log (a message it never got): read again. */
let resyncing = false
async function resync(): Promise<void> {
  if (resyncing || !mirror) return
  resyncing = true
  early = []
  try {
    const { log, position } = await readForFollower()
    const waiting = early ?? []
    early = null
    // The writer may have gone meanwhile: then this worker took over and reads nothing more.
    if (!mirror) return
    mirror = new Mirror(o.fileName, position)
    post({ t: 'resync', log, position }, transfers(log))
    for (const m of waiting) onChannel(m)
  } catch (err) {
    early = null
    if (mirror) reportFollowerError(err)
  } finally {
    resyncing = false
  }
}

function reportFollowerError(err: unknown): void {
  post({ t: 'failed', error: toWire(err) })
}

/** The writer's tab went away and its lock is ours: open the engine and take over. */
async function takeOver(lock: StorageLock): Promise<void> {
  const position = mirror!.position
  mirror = null
  early = null
  held = []
  for (const id of remoteDurable) {
    post({
      t: 'done',
      id,
      error: toWire(
        new AofError(
          'AOF_IO',
          `The tab that wrote opfs:/${o.name} went away before it confirmed the records this tab sent it; the records sent since its last confirmation may be lost. This tab now writes the store.`,
        ),
      ),
    })
  }
  remoteDurable.clear()
  try {
    await openEngine(lock)
    const log = await logFiles()
    const lines = linesAfter(log, position)
    if (lines) post({ t: 'tookOver', lines, stats: wireStats() })
    else post({ t: 'tookOver', log, stats: wireStats() }, transfers(log))
  } catch (err) {
    post({ t: 'failed', error: toWire(err) })
    return
  }
  drainHeld()
}

/**
 * The records of `log` after `position` (where the mirror stopped), as JSON texts; null when
 * the position is not in the log any more (a rewrite retired its file), so the state must be
 * rebuilt from the whole log.
 */
function linesAfter(log: LogFiles, position: Position): string[] | null {
  const start = log.files.findIndex((f) => f.name === position.file)
  if (start === -1 && position.file !== '') return null
  if (start !== -1 && log.files[start]!.bytes.length < position.offset)
    return null
  const dec = new TextDecoder()
  const out: string[] = []
  const index = new Map(log.files.map((f, i) => [f.name, i]))
  for (const e of readAofEntries({
    storage: bytesStorage(log),
    fileName: o.fileName,
  })) {
    if (e.kind !== 'record') continue
    const i = index.get(e.file) ?? -1
    if (i < start || (i === start && e.offset < position.offset)) continue
    const bytes = log.files[i]!.bytes
    out.push(
      dec.decode(bytes.subarray(e.offset, e.offset + e.length)).trimEnd(),
    )
  }
  return out
}

/** The chunks of a rewrite's snapshot as they arrive from the main thread. */
class ChunkQueue implements AsyncIterable<string> {
  #chunks: string[] = []
  #done = false
  #error: unknown = null
  #wake: (() => void) | null = null

  push(text: string): void {
    this.#chunks.push(text)
    this.#wake?.()
  }
  end(): void {
    this.#done = true
    this.#wake?.()
  }
  fail(err: unknown): void {
    this.#error = err
    this.#wake?.()
  }
  async *[Symbol.asyncIterator](): AsyncIterator<string> {
    for (;;) {
      if (this.#error) throw this.#error
      const next = this.#chunks.shift()
      if (next !== undefined) {
        yield next
        continue
      }
      if (this.#done) return
      await new Promise<void>((r) => (this.#wake = r))
      this.#wake = null
    }
  }
}
