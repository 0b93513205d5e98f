import type { DataOp, EntryType } from './memoryCrash.js'
import type { MemoryEvent, MemoryFault } from './memoryFaults.js'
import type { StorageFile } from './storage.js'

/**
 * One file of a memory storage and its open handles: the bytes a read sees now, the bytes the
 * last sync made durable and the data operations since (the crash model's input).
 */
export interface Inode {
  type: EntryType
  /** What the last sync made durable; replaced, never changed in place (images share it). */
  durable: Uint8Array
  /** Data operations since the last sync, in order. */
  pending: DataOp[]
  /** The current bytes, in a buffer that grows by doubling; `size` of them are the file. */
  data: Uint8Array
  size: number
  writers: number
  readers: number
}

export function newInode(type: EntryType, data: Uint8Array): Inode {
  return {
    type,
    durable: data,
    pending: [],
    data: data.slice(),
    size: data.length,
    writers: 0,
    readers: 0,
  }
}

/** A platform-style error: a message and a Node-style `code`. */
export const fsError = (code: string, what: string): Error & { code: string } =>
  Object.assign(new Error(`${code}: ${what}`), { code })

/** Throws a `TypeError` unless `name` is a plain file name (the port never passes paths). */
export function checkName(name: string): void {
  if (
    typeof name !== 'string' ||
    name === '' ||
    name === '.' ||
    name === '..' ||
    /[/\\\0]/.test(name)
  )
    throw new TypeError(
      `memoryStorage: ${JSON.stringify(name)} is not a plain file name; the storage port takes names inside the store, never paths.`,
    )
}

/** What a handle needs from its storage. */
export interface FileContext {
  /** Runs an operation through the storage's fault check and observers. */
  run<T>(event: MemoryEvent, work: (fault?: MemoryFault) => T): T
  /** Bytes still free under the capacity. */
  free(): number
  describe(name: string): string
  /** Offer `syncInBackground`. */
  backgroundSync: boolean
}

/** An open handle on a memory file. */
export class MemoryFile implements StorageFile {
  #closed = false
  readonly syncInBackground?: () => Promise<void>

  constructor(
    private readonly ctx: FileContext,
    private readonly name: string,
    private readonly inode: Inode,
    private readonly writable: boolean,
  ) {
    // Node's runs in libuv's pool; a microtask is the nearest a single thread gets.
    if (ctx.backgroundSync)
      this.syncInBackground = () => Promise.resolve().then(() => this.sync())
  }

  #use(op: string, write = false) {
    const what = `${op} on a ${this.#closed ? 'closed' : 'read-only'} handle of ${this.ctx.describe(this.name)}`
    if (this.#closed || (write && !this.writable)) throw fsError('EBADF', what)
  }

  size(): number {
    this.#use('size')
    return this.inode.size
  }

  read(buf: Uint8Array, at: number): number {
    return this.ctx.run({ op: 'read', name: this.name }, () => {
      this.#use('read')
      const n = Math.max(0, Math.min(buf.length, this.inode.size - at))
      buf.set(this.inode.data.subarray(at, at + n))
      return n
    })
  }

  write(data: Uint8Array, at: number): number {
    return this.ctx.run({ op: 'write', name: this.name }, (fault) => {
      this.#use('write', true)
      let n = Math.min(
        data.length,
        fault?.short ?? Infinity,
        fault?.written ?? Infinity,
      )
      // A full disk: what fits is written (a short write); when nothing fits, ENOSPC.
      const grows = Math.max(0, at + n - this.inode.size)
      const free = this.ctx.free()
      if (grows > free) n = Math.max(0, n - (grows - free))
      if (n === 0 && data.length > 0 && fault?.written === undefined)
        throw fsError('ENOSPC', `write ${this.ctx.describe(this.name)}`)
      if (n > 0) this.#apply({ kind: 'write', at, data: data.slice(0, n) })
      if (fault?.written !== undefined)
        throw fsError(
          fault.code ?? 'EIO',
          `write ${this.ctx.describe(this.name)} (injected, after ${n} bytes)`,
        )
      return n
    })
  }

  truncate(size: number): void {
    this.ctx.run({ op: 'truncate', name: this.name }, () => {
      this.#use('truncate', true)
      if (size - this.inode.size > this.ctx.free())
        throw fsError('ENOSPC', `truncate ${this.ctx.describe(this.name)}`)
      this.#apply({ kind: 'truncate', size })
    })
  }

  sync(): void {
    this.ctx.run({ op: 'sync', name: this.name }, () => {
      this.#use('sync')
      const { inode } = this
      inode.durable = inode.data.slice(0, inode.size)
      inode.pending = []
    })
  }

  close(): void {
    this.ctx.run({ op: 'close', name: this.name }, () => {
      this.#use('close')
      this.#closed = true
      if (this.writable) this.inode.writers--
      else this.inode.readers--
    })
  }

  #apply(op: DataOp) {
    const { inode } = this
    const size =
      op.kind === 'truncate'
        ? op.size
        : Math.max(inode.size, op.at + op.data.length)
    if (size > inode.data.length) {
      const bigger = new Uint8Array(Math.max(size, inode.data.length * 2))
      bigger.set(inode.data.subarray(0, inode.size))
      inode.data = bigger
    }
    if (op.kind === 'truncate') {
      if (op.size < inode.size) inode.data.fill(0, op.size, inode.size)
    } else inode.data.set(op.data, op.at)
    inode.size = size
    inode.pending.push(op)
  }
}
