import { writeAll } from './durable.js'
import { AofError } from './errors.js'
import { openFreshIncr } from './loader.js'
import {
  fileNames,
  nextSeq,
  persistManifest,
  type Manifest,
} from './manifest.js'
import { HistoryFiles } from './history.js'
import { isRewriteDue, rewriteDueSize } from './options.js'
import { encodeJson, timestampLine } from './record.js'
import {
  io,
  runAsync,
  runSync,
  type Step,
  type Storage,
  type StorageFile,
} from './storage.js'
import {
  chunkSource,
  encodeFailure,
  slicedSource,
  type Source,
} from './stringify.js'
import type { AofStats, AofStatus } from './types.js'
import type { IncrWriter } from './writer.js'

/** Automatic rewrites back off after this many failures in a row (Redis's threshold). */
export const REWRITE_FAILURE_THRESHOLD = 3

/**
 * Delay before the next automatic rewrite after `failures` failures in a row: 1, 2, 4 ...
 * minutes, at most 60, once the threshold is reached (Redis's `aofRewriteLimited`).
 */
export function rewriteBackoffMs(failures: number): number {
  if (failures < REWRITE_FAILURE_THRESHOLD) return 0
  const minutes = Math.min(60, 2 ** (failures - REWRITE_FAILURE_THRESHOLD))
  return minutes * 60_000
}

/** The state of an open store that the writer, the rewriter and the front share. */
export interface StoreState {
  readonly storage: Storage
  readonly fileName: string
  readonly names: ReturnType<typeof fileNames>
  status: AofStatus
  manifest: Manifest
  /** Open handles of every file the manifest lists as base or incr, by name. */
  files: Map<string, StorageFile>
  /** Bytes of every listed file but the current incr. */
  otherSize: number
  /** The growth reference of automatic rewrites (Redis's aof_rewrite_base_size). */
  growthBase: number
}

interface RewriteOptions<A> {
  timestamps: boolean
  autoRewritePercentage: number
  autoRewriteMinSize: number
  snapshot: (() => A) | undefined
}

/**
 * Rewrites (BGREWRITEAOF): switches to a new incr file, writes the snapshot as a temp base,
 * installs it with one manifest switch, deletes the history files; backs off after failures.
 * Each step is a {@link Step}, so a rewrite runs the same on Node (where everything up to the
 * serializer's first slice happens on the caller's stack) and on OPFS.
 */
export class Rewriter<A> {
  readonly #s: StoreState
  readonly #w: IncrWriter
  readonly #o: RewriteOptions<A>
  readonly #report: (err: AofError) => void
  /** The running rewrite, until it settles. */
  running: Promise<void> | null = null
  #abandon = false
  rewrites = 0
  failures = 0
  lastStatus: 'ok' | 'err' = 'ok'
  lastMs = -1
  #nextAutoAt = 0
  /** Deletes the files rewrites retire. */
  readonly history: HistoryFiles

  constructor(
    state: StoreState,
    writer: IncrWriter,
    o: RewriteOptions<A>,
    report: (err: AofError) => void,
  ) {
    this.#s = state
    this.#w = writer
    this.#o = o
    this.#report = report
    this.history = new HistoryFiles(state, () => this.running !== null)
  }

  /** Sets the snapshot function of automatic rewrites (`Aof.setSnapshot`). */
  setSnapshot(snapshot: (() => A) | undefined): void {
    this.#o.snapshot = snapshot
    this.#w.rewriteCheckAt = 0 // the rule applies from the next write, not the next tick
  }

  /** A background rewrite with `snapshot`, serialized in slices. */
  start(snapshot: () => A, auto: boolean): Promise<void> {
    return this.#track(
      runAsync(
        this.#run(
          () => slicedSource(snapshot(), () => this.#stopping()),
          auto,
          true,
        ),
      ),
    )
  }

  /** A background rewrite whose snapshot record arrives already serialized, in pieces. */
  startFrom(chunks: Iterable<string> | AsyncIterable<string>): Promise<void> {
    return this.#track(
      runAsync(
        this.#run(
          () => chunkSource(chunks, () => this.#stopping()),
          false,
          true,
        ),
      ),
    )
  }

  /** The whole rewrite on the caller's stack (a synchronous storage only). */
  runSync(snapshot: A): void {
    const text = encodeJson(snapshot)
    runSync(this.#run(() => (write) => (write(text), true), false, false))
  }

  /** Stops a running rewrite at its next slice; its temp file is removed. */
  abandon(): void {
    this.#abandon = true
  }

  #track(p: Promise<void>): Promise<void> {
    const done = p.finally(() => {
      if (this.running === done) this.running = null
    })
    this.running = done
    return done
  }

  #stopping(): boolean {
    return this.#abandon || this.#s.status === 'closed'
  }

  *#run(source: () => Source, auto: boolean, background: boolean): Step<void> {
    const started = performance.now()
    this.rewrites++
    this.#abandon = false
    try {
      // Everything buffered goes into the old incr file (made durable), then the snapshot is
      // taken: it covers exactly the records appended before this moment. Until the new incr
      // file is listed, appends wait in the buffer; from then on they go to the new file.
      this.#w.beforeSwitch()
      const write = source()
      this.#w.pause()
      try {
        yield* this.#switchIncr()
      } finally {
        this.#w.resume()
      }
      const size = yield* this.#writeTempBase(write, background)
      yield* this.#installBase(size, started)
    } catch (err) {
      throw this.#failed(err, auto)
    }
    if (this.#s.storage.durableNames) yield* this.history.delete(background)
    else this.history.deleteLater()
  }

  /**
   * Starts a new incr file and lists it in the manifest. The old one was made durable by
   * beforeSwitch(): only the last file may end torn after a power loss. The new file is
   * created before the manifest that lists it is written (whose directory sync makes the new
   * name durable first).
   */
  *#switchIncr(): Step<void> {
    const s = this.#s
    const seq = nextSeq(s.manifest, 'incr')
    const name = s.names.incr(seq)
    const file = yield* openFreshIncr(s.storage, s.fileName, name)
    const next: Manifest = {
      ...s.manifest,
      incrs: [...s.manifest.incrs, { name, seq, type: 'incr' }],
    }
    try {
      yield* persistManifest(s.storage, s.fileName, next)
    } catch (err) {
      file.close()
      yield* io(s.storage.remove(name))
      throw err
    }
    s.files.set(name, file)
    s.otherSize += this.#w.size
    s.manifest = next
    this.#w.switchTo(name, file)
  }

  /** Serializes the snapshot into the temp base file, then fdatasyncs it. Returns its size. */
  *#writeTempBase(source: Source, background: boolean): Step<number> {
    const { storage, names } = this.#s
    const temp = names.tempRewrite
    const encoder = new TextEncoder()
    let out = new Uint8Array(0)
    const file = yield* io(storage.open(temp, { write: true, create: true }))
    let at = 0
    const write = (text: string) => {
      // One buffer, grown as needed, for every piece (UTF-8: at most 3 bytes per unit).
      if (out.length < text.length * 3) out = new Uint8Array(text.length * 3)
      const { written } = encoder.encodeInto(text, out)
      at += writeAll(file, out.subarray(0, written), at)
    }
    try {
      file.truncate(0)
      if (this.#o.timestamps)
        write(`${timestampLine(Math.floor(Date.now() / 1000))}\n`)
      if (!(yield* io(source(write)))) throw encodeFailure(undefined, undefined)
      write('\n')
      if (background && file.syncInBackground)
        yield* io(file.syncInBackground())
      else file.sync()
    } catch (err) {
      file.close()
      yield* io(storage.remove(temp))
      throw err
    }
    file.close()
    if (this.#stopping()) {
      yield* io(storage.remove(temp))
      throw new AofError(
        'AOF_CLOSED',
        `The rewrite of ${storage.location} was abandoned because the store was closed.`,
      )
    }
    return at
  }

  /**
   * The rewrite's last step: the temp file becomes the new base, and the manifest switches to
   * base + current incr in one atomic rename (its first directory sync makes the base's new
   * name durable before the manifest that lists it). The retired files become history.
   */
  *#installBase(size: number, started: number): Step<void> {
    const s = this.#s
    const m = s.manifest
    const seq = nextSeq(m, 'base')
    const name = s.names.base(seq)
    yield* io(s.storage.rename(s.names.tempRewrite, name))
    const current = m.incrs.at(-1)!
    const retired = [...(m.base ? [m.base] : []), ...m.incrs.slice(0, -1)]
    const switched: Manifest = {
      base: { name, seq, type: 'base' },
      history: [
        ...retired.reverse().map((e) => ({ ...e, type: 'history' as const })),
        ...m.history,
      ],
      incrs: [current],
    }
    let file: StorageFile | null = null
    try {
      file = yield* io(s.storage.open(name, { write: false, create: false }))
      yield* persistManifest(s.storage, s.fileName, switched)
    } catch (err) {
      file?.close()
      yield* io(s.storage.remove(name))
      throw err
    }
    s.manifest = switched
    s.files.set(name, file)
    this.history.retired(retired, Date.now())
    // The retired files are no longer read; they must be closed before they are removed.
    for (const e of retired) {
      const old = s.files.get(e.name)
      s.files.delete(e.name)
      if (old) this.#w.syncer.whenIdle(old, () => old.close())
    }
    s.otherSize = size
    s.growthBase = size + this.#w.size + this.#w.bufferedChars
    this.#w.rewriteCheckAt = 0 // the rule's base changed
    this.lastStatus = 'ok'
    this.failures = 0
    this.#nextAutoAt = 0
    this.lastMs = performance.now() - started
  }

  /** Stops the timers (the store is closing). */
  dispose(): void {
    this.history.dispose()
  }

  #failed(err: unknown, auto: boolean): AofError {
    this.lastStatus = 'err'
    this.failures++
    this.#nextAutoAt = Date.now() + rewriteBackoffMs(this.failures)
    const wrapped =
      err instanceof AofError && err.code !== 'AOF_IO'
        ? err
        : new AofError(
            'AOF_REWRITE_FAILED',
            `Rewrite of ${this.#s.storage.location} failed: ${(err as Error)?.message ?? String(err)}. The previous files are kept and still load.${
              this.failures >= REWRITE_FAILURE_THRESHOLD
                ? ` Automatic rewrites now wait ${rewriteBackoffMs(this.failures) / 60_000} min after ${this.failures} failures in a row.`
                : ''
            }`,
            { cause: err },
          )
    if (auto) this.#report(wrapped)
    return wrapped
  }

  /**
   * Starts an automatic rewrite when Redis's rule says one is due, and tells the writer the
   * size of its file below which the rule cannot be met: writes until then skip this check.
   */
  maybeAuto(currentSize: number): void {
    const o = this.#o
    const s = this.#s
    const dueAt = o.snapshot ? rewriteDueSize(s.growthBase, o) : Infinity
    this.#w.rewriteCheckAt = dueAt - s.otherSize
    if (currentSize < dueAt || this.running || s.status !== 'open') return
    const due = isRewriteDue({
      currentSize,
      baseSize: s.growthBase,
      autoRewritePercentage: o.autoRewritePercentage,
      autoRewriteMinSize: o.autoRewriteMinSize,
    })
    if (!due || Date.now() < this.#nextAutoAt) return
    // Errors are reported to onError by #failed.
    this.start(o.snapshot!, true).catch(() => {})
  }

  /** The rewrite fields of {@link AofStats}. */
  stats(): Pick<
    AofStats,
    | 'rewriteInProgress'
    | 'rewrites'
    | 'rewritesConsecutiveFailures'
    | 'lastRewriteStatus'
    | 'lastRewriteTimeMs'
  > {
    return {
      rewriteInProgress: this.running !== null,
      rewrites: this.rewrites,
      rewritesConsecutiveFailures: this.failures,
      lastRewriteStatus: this.lastStatus,
      lastRewriteTimeMs: this.lastMs,
    }
  }
}
