import {
  crashImages,
  type CrashStateOptions,
  type EntryType,
  type MemoryImage,
} from './memoryCrash.js'
import { MemoryDisk } from './memoryDisk.js'
import {
  Faults,
  type MemoryEvent,
  type MemoryFault,
  type MemoryOp,
} from './memoryFaults.js'
import {
  checkName,
  fsError,
  MemoryFile,
  type FileContext,
} from './memoryFile.js'
import type {
  Storage,
  StorageFile,
  StorageLock,
  StorageStat,
} from './storage.js'

/**
 * An in-memory {@link Storage} that remembers what a power loss could take away, for tests: the
 * crash suites run the engine on it, then reopen every state the disk could be left in
 * (memoryCrash.ts holds that model). It uses no Node built-in, so it runs in a browser worker
 * too, and answers synchronously.
 *
 * It enforces the port's rules strictly, so that an engine bug fails here rather than only on
 * OPFS: names must be plain file names (else `TypeError`); while a file has an open read-write
 * handle no other handle may open it, and while it has any open handle it cannot be renamed or
 * removed (`EBUSY`); a closed handle cannot be used, nor a read-only one written (`EBADF`).
 * The lock is held by one caller at a time (a second `lock()` throws `AOF_LOCKED`); it is not a
 * file, so `list()` never shows it.
 *
 * Faults: {@link MemoryStorage.inject} (a failed or short write, a failed sync, open, rename,
 * remove, ...), and `capacity` for a full disk. Crashes: {@link MemoryStorage.crash} (a power
 * loss that keeps nothing pending), {@link MemoryStorage.crashStates} (every state a power loss
 * may leave), {@link MemoryStorage.processCrash} (kill -9: everything written stays).
 */

/** Options of {@link memoryStorage}. */
export interface MemoryStorageOptions {
  /**
   * The store's location, for messages.
   * @default 'memory:/store'
   */
  location?: string
  /**
   * True: `syncDir` makes names durable (as on Node). False (as on OPFS): names survive a
   * process crash, but no call makes them durable against a power loss; they become durable
   * only when a test calls {@link MemoryStorage.settle} (the platform wrote them back on its own
   * time), and until then a power loss keeps any subset of them.
   * @default true
   */
  durableNames?: boolean
  /** Bytes the disk holds: a write past it writes what fits (short), then fails with `ENOSPC`. */
  capacity?: number
  /**
   * Offer `syncInBackground` (as Node does); it syncs in a microtask.
   * @default false
   */
  backgroundSync?: boolean
}

/** A crash state: what was lost, and the storage the disk is left as. */
export interface MemoryCrashState {
  label: string
  /** How many pending name operations this state lost. */
  lostNames: number
  storage: MemoryStorage
}

/** Creates an empty in-memory storage. */
export function memoryStorage(
  options: MemoryStorageOptions = {},
): MemoryStorage {
  return new MemoryStorage(options)
}

/** The in-memory storage; see {@link memoryStorage}. */
export class MemoryStorage implements Storage {
  readonly location: string
  readonly durableNames: boolean
  readonly options: Readonly<MemoryStorageOptions>
  /** What this storage holds; shared with the storages {@link MemoryStorage.reopen} makes. */
  readonly disk: MemoryDisk
  #faults = new Faults()
  #observers = new Set<(event: MemoryEvent) => void>()
  #ctx: FileContext

  constructor(options: MemoryStorageOptions = {}, disk = new MemoryDisk()) {
    this.options = { ...options }
    this.location = options.location ?? 'memory:/store'
    this.durableNames = options.durableNames ?? true
    this.disk = disk
    this.#ctx = {
      run: (event, work) => this.#run(event, work),
      free: () => {
        const cap = this.options.capacity
        return cap === undefined ? Infinity : Math.max(0, cap - disk.used())
      },
      describe: (name) => this.describe(name),
      backgroundSync: options.backgroundSync ?? false,
    }
  }

  describe(name: string): string {
    return `${this.location.replace(/\/$/, '')}/${name}`
  }

  prepare(): void {
    this.#run({ op: 'prepare' }, () => {})
  }

  lock(): StorageLock {
    return this.#run({ op: 'lock' }, () => this.disk.lock(this, this.location))
  }

  probeLock(): void {
    this.#run({ op: 'lock' }, () => this.disk.probeLock(this, this.location))
  }

  list(): string[] {
    return this.#run({ op: 'list' }, () => [...this.disk.names.keys()])
  }

  stat(name: string): StorageStat | null {
    return this.#run({ op: 'stat', name }, () => {
      const inode = this.disk.inode(name)
      if (!inode) return null
      return { size: inode.type === 'file' ? inode.size : 0, type: inode.type }
    })
  }

  open(
    name: string,
    options: { write: boolean; create: boolean },
  ): StorageFile {
    return this.#run({ op: 'open', name }, () => {
      const { disk } = this
      if (!disk.names.has(name)) {
        if (!options.create)
          throw fsError('ENOENT', `open ${this.describe(name)}`)
        const ino = disk.newInode('file', new Uint8Array(0))
        disk.link({ kind: 'create', name, ino })
      }
      const inode = disk.inode(name)!
      if (inode.type !== 'file')
        throw fsError(
          inode.type === 'directory' ? 'EISDIR' : 'ELOOP',
          `open ${this.describe(name)}: not a file`,
        )
      // OPFS: a second sync access handle (read-write or read-only) on a file with a writer,
      // or a writer on a file with readers, throws NoModificationAllowedError.
      if (inode.writers > 0 || (options.write && inode.readers > 0))
        throw fsError('EBUSY', `open ${this.describe(name)}: already open`)
      if (options.write) inode.writers++
      else inode.readers++
      return new MemoryFile(this.#ctx, name, inode, options.write)
    })
  }

  rename(from: string, to: string): void {
    this.#run({ op: 'rename', name: from, to }, () => {
      const ino = this.disk.names.get(from)
      if (ino === undefined)
        throw fsError('ENOENT', `rename ${this.describe(from)}`)
      this.#notOpen(from, 'rename')
      this.#notOpen(to, 'rename onto')
      if (this.disk.inode(to)?.type === 'directory')
        throw fsError('EISDIR', `rename onto ${this.describe(to)}`)
      if (from !== to) this.disk.link({ kind: 'rename', from, to, ino })
    })
  }

  /** Removes at once, also when asked for a `background` removal (this storage is synchronous). */
  remove(name: string, _options?: { background?: boolean }): void {
    this.#run({ op: 'remove', name }, () => {
      const ino = this.disk.names.get(name)
      if (ino === undefined) return
      this.#notOpen(name, 'remove')
      if (this.disk.inodes.get(ino)!.type === 'directory')
        throw fsError('EISDIR', `remove ${this.describe(name)}`)
      this.disk.link({ kind: 'remove', name, ino })
    })
  }

  syncDir(): void {
    this.#run({ op: 'syncDir' }, () => {
      if (this.durableNames) this.disk.settle()
    })
  }

  // ---- for tests ----------------------------------------------------------------------------

  /** Makes every name operation so far durable (OPFS: the browser wrote its database back). */
  settle(): void {
    this.disk.settle()
  }

  /** Injects a fault (see {@link MemoryFault}); returns the function that removes it. */
  inject(fault: MemoryFault): () => void {
    return this.#faults.add(fault)
  }

  /** Calls `fn` after every operation, failed ones included; returns the unsubscribe. */
  observe(fn: (event: MemoryEvent) => void): () => void {
    this.#observers.add(fn)
    return () => void this.#observers.delete(fn)
  }

  /**
   * Another storage on the same disk (another process on the same directory): it sees the same
   * files, the same lock and the same open handles; faults and observers are its own.
   */
  reopen(): MemoryStorage {
    return new MemoryStorage(this.options, this.disk)
  }

  /** True while someone holds the lock. */
  get locked(): boolean {
    return this.disk.lockHolder !== null
  }

  /** Names of the files with an open handle. */
  openFiles(): string[] {
    return [...this.disk.names.keys()].filter((name) => {
      const inode = this.disk.inode(name)!
      return inode.writers + inode.readers > 0
    })
  }

  /** The current bytes of every file (what a read sees now), by name. */
  files(): Map<string, Uint8Array> {
    const out = new Map<string, Uint8Array>()
    for (const name of this.disk.names.keys()) {
      const inode = this.disk.inode(name)!
      if (inode.type === 'file') out.set(name, inode.data.slice(0, inode.size))
    }
    return out
  }

  /** The current text of a file (UTF-8), or undefined when there is no such file. */
  text(name: string): string | undefined {
    const data = this.files().get(name)
    return data && new TextDecoder().decode(data)
  }

  /** Creates or replaces an entry with durable contents (a set-up, not an operation). */
  put(
    name: string,
    data: Uint8Array | string = '',
    type: EntryType = 'file',
  ): void {
    checkName(name)
    this.#notOpen(name, 'put')
    const bytes =
      typeof data === 'string' ? new TextEncoder().encode(data) : data.slice()
    const ino = this.disk.newInode(type, bytes)
    this.disk.names.set(name, ino)
    this.disk.durable.set(name, ino)
  }

  /** Bytes in use, as `capacity` counts them: files with a name or an open handle. */
  used(): number {
    return this.disk.used()
  }

  /** A frozen copy of what is durable and what is pending, for the crash model. */
  image(): MemoryImage {
    return this.disk.image()
  }

  /** What a power loss now leaves when it keeps nothing that was not durable. */
  crash(): MemoryStorage {
    return new MemoryStorage(this.options, MemoryDisk.fromImage(this.image()))
  }

  /**
   * What a process crash (kill -9) now leaves: everything written and every name stays, no more
   * durable than it was (a later power loss can still take what no sync covered); the handles
   * and the lock are gone.
   */
  processCrash(): MemoryStorage {
    const disk = MemoryDisk.fromImage(this.image(), true)
    return new MemoryStorage(this.options, disk)
  }

  /** The crash states a power loss now can leave (see memoryCrash.ts), each a new storage. */
  crashStates(options?: CrashStateOptions): MemoryCrashState[] {
    return MemoryStorage.crashStatesOf(this.image(), this.options, options)
      .states
  }

  /** The crash states of an {@link MemoryStorage.image} taken earlier, and their count. */
  static crashStatesOf(
    image: MemoryImage,
    storageOptions: MemoryStorageOptions,
    options?: CrashStateOptions,
  ): { states: MemoryCrashState[]; total: number; exhaustive: boolean } {
    const { states, total, exhaustive } = crashImages(image, options)
    return {
      total,
      exhaustive,
      states: states.map(({ label, lostNames, files }) => {
        const storage = new MemoryStorage(storageOptions)
        for (const [name, f] of files) storage.put(name, f.data, f.type)
        return { label, lostNames, storage }
      }),
    }
  }

  // ---- internals ----------------------------------------------------------------------------

  /** Runs an operation: names checked, faults, the work, then the observers (also on failure). */
  #run<T>(event: MemoryEvent, work: (fault?: MemoryFault) => T): T {
    let result: T
    try {
      if (event.name !== undefined) checkName(event.name)
      if (event.to !== undefined) checkName(event.to)
      const fault = this.#faults.match(event)
      if (fault && fault.short === undefined && fault.written === undefined)
        throw fsError(
          fault.code ?? 'EIO',
          `${event.op} ${event.name === undefined ? this.location : this.describe(event.name)} (injected)`,
        )
      result = work(fault)
    } catch (err) {
      const code = (err as { code?: unknown } | null)?.code
      this.#notify({
        ...event,
        error: typeof code === 'string' ? code : 'Error',
      })
      throw err
    }
    this.#notify(event)
    return result
  }

  #notify(event: MemoryEvent) {
    for (const fn of this.#observers) fn(event)
  }

  #notOpen(name: string, what: string) {
    const inode = this.disk.inode(name)
    if (inode && inode.writers + inode.readers > 0)
      throw fsError('EBUSY', `${what} ${this.describe(name)}: the file is open`)
  }
}

export type { MemoryEvent, MemoryFault, MemoryOp }
