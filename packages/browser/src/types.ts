import type {
  Aof,
  AofError,
  AofStats,
  FsyncPolicy,
} from '@aof-persist/core/portable'

/** Options of {@link openBrowserAof}; the log's options are named after redis.conf, as on Node. */
export interface BrowserAofOptions<A = unknown> {
  /**
   * The store's directory in the origin's private file system: `'todos'`, or nested
   * `'my-app/todos'`. Also names the store's Web Lock and BroadcastChannel.
   */
  name: string
  /**
   * Prefix of every file of the store, like redis.conf's `appendfilename`.
   * @default 'appendonly.aof'
   */
  fileName?: string
  /**
   * When the worker makes appended records durable: `always` flushes (fdatasync) each batch the
   * main thread posts before acknowledging it, `everysec` about once a second, `no` never (the
   * OS decides). On the main thread no record is durable when `append` returns under any
   * policy: `await log.durable()` is. See
   * https://github.com/aof-persist/aof-persist/blob/main/docs/learn/browser.md.
   * @default 'everysec'
   */
  fsync?: FsyncPolicy
  /**
   * Automatic rewrite once the log has grown by this percentage over its size after the last
   * rewrite (needs `snapshot`); 0 disables automatic rewrites.
   * @default 100
   */
  autoRewritePercentage?: number
  /**
   * No automatic rewrite while the log is smaller than this many bytes.
   * @default 4194304 (4 MiB)
   */
  autoRewriteMinSize?: number
  /**
   * Cut a torn record at the end of the last incr file (left by a crash) and go on; when
   * false, opening rejects with `AOF_TRUNCATED` instead.
   * @default true
   */
  loadTruncated?: boolean
  /**
   * Write `#TS:<unix seconds>` annotations, for `aof truncate-to-timestamp`.
   * @default false
   */
  timestamps?: boolean
  /**
   * Returns the snapshot record automatic rewrites write as the new base, taken on the main
   * thread; it must reflect exactly the records appended before the call. Without it there are
   * no automatic rewrites.
   */
  snapshot?: () => A
  /** Receives errors that happen off the caller's stack: in the worker, or in another tab. */
  onError?: (err: AofError) => void
  /**
   * When another tab (or worker) of the origin writes the store, open as its follower instead of
   * rejecting with `AOF_LOCKED`: load its state, mirror its records live, send this tab's own
   * records to it, and become the writer when its tab closes or crashes. When nobody writes the
   * store, the log opens as the writer either way.
   * @default false
   */
  follow?: boolean
  /**
   * Starts the worker that runs the log. By default the package starts its own `worker.js`
   * beside its entry (`new URL('./worker.js', import.meta.url)`), which works without a
   * bundler and with bundlers that follow that pattern. Otherwise pass a factory, e.g. with
   * Vite: `import AofWorker from '@aof-persist/browser/worker?worker'` and
   * `worker: () => new AofWorker()`.
   */
  worker?: () => Worker
}

/** {@link AofStats} of a log in a browser. */
export interface BrowserAofStats extends AofStats {
  /**
   * Whether the browser promised not to evict the origin's storage
   * (`navigator.storage.persisted()`); null until known or where the API is missing. Without it
   * the store is best-effort: the browser may clear it under storage pressure.
   */
  persistent: boolean | null
  /** This tab writes the store, or follows the tab that does. */
  role: 'writer' | 'follower'
  /** Records appended on this thread that the worker has not handled yet. */
  unacknowledged: number
}

/** What a {@link BrowserAof} tells its subscribers. */
export type BrowserAofEvent<A = unknown> =
  /**
   * Records logged by another tab (a follower mirrors its writer's; a writer gets what its
   * followers sent it), in the log's order. Apply them to the store, and do not append them:
   * they are logged already.
   */
  | { type: 'records'; records: A[] }
  /**
   * This tab lost its place in the writer's log (a missed message, a rewrite that retired the
   * file it followed): rebuild the state from `log.records()`, which holds the whole log again.
   */
  | { type: 'reset' }
  /** This tab's role changed: a follower took over as the writer. */
  | { type: 'role'; role: 'writer' | 'follower' }

/**
 * The log in a browser, on the main thread: the core's {@link Aof} (so both adapters take it
 * as `aofPersist({ log })` and `aof(init, { log })`), plus what tabs need.
 */
export interface BrowserAof<A = unknown> extends Aof<A> {
  /** `opfs:/<name>`: where the store lives, for messages. */
  readonly dir: string
  /**
   * `'writer'` or `'follower'` (`follow: true`, while another tab writes the store). A follower's
   * `append` sends the record to the writer (it comes back through {@link subscribe}), and its
   * `rewrite`, `rewriteFrom` and `rewriteSync` do nothing: the writer's files are the store,
   * and the writer's rewrites cover them.
   */
  readonly role: 'writer' | 'follower'
  stats(): BrowserAofStats
  /**
   * Calls `listener` with records logged elsewhere, resets and role changes (see
   * {@link BrowserAofEvent}); returns the unsubscribe function. The adapters use it to keep a
   * follower's store in step with the writer's.
   */
  subscribe(listener: (event: BrowserAofEvent<A>) => void): () => void
  /**
   * The store's files (manifest, base and incr files) as one consistent POSIX tar archive
   * holding the directory `<name>/`: for a download or a bug report. `tar -xf` gives a store
   * directory, and `aof check` / `aof inspect` read the archive as it is.
   */
  archive(): Promise<Blob>
}
