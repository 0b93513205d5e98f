import { AofError } from './errors.js'
import {
  applyData,
  applyNames,
  type DataOp,
  type EntryType,
  type MemoryImage,
  type NameOp,
} from './memoryCrash.js'
import { newInode, type Inode } from './memoryFile.js'

/**
 * What a {@link memoryStorage} holds, like a disk: the directory's names now, the names a power
 * loss keeps for sure and the name operations between the two, every file (inode) with its
 * current, durable and pending data, and the lock. Storages made with
 * {@link MemoryStorage.reopen} share one disk, as processes share a directory.
 */
export class MemoryDisk {
  /** The names now, as every process sees them. */
  names = new Map<string, number>()
  /** The names a power loss keeps for sure; `pendingNames` lead from them to `names`. */
  durable = new Map<string, number>()
  pendingNames: NameOp[] = []
  readonly inodes = new Map<number, Inode>()
  #nextIno = 1
  /** Who holds the lock (`by`: the storage that took it), or null. */
  lockHolder: { by: object } | null = null

  /** Takes the lock for `by` (a storage), or throws `AOF_LOCKED`. */
  lock(by: object, location: string): { release(): void } {
    this.probeLock(by, location)
    const holder = { by }
    this.lockHolder = holder
    return {
      release: () => {
        if (this.lockHolder === holder) this.lockHolder = null
      },
    }
  }

  /** Throws `AOF_LOCKED` when someone holds the lock; `by` asks. */
  probeLock(by: object, location: string): void {
    if (this.lockHolder === null) return
    const who =
      this.lockHolder.by === by
        ? 'another openAof on the same storage'
        : 'another storage on the same memory disk'
    throw new AofError(
      'AOF_LOCKED',
      `The store ${location} is locked by ${who}. Only one writer may open a store: close the other one first, or use the read-only tools (checkAof).`,
    )
  }

  inode(name: string): Inode | undefined {
    const ino = this.names.get(name)
    return ino === undefined ? undefined : this.inodes.get(ino)
  }

  /** A new inode, not yet named. */
  newInode(type: EntryType, data: Uint8Array): number {
    const ino = this.#nextIno++
    this.inodes.set(ino, newInode(type, data))
    return ino
  }

  /** Applies a name operation now; durable only once settled. */
  link(op: NameOp): void {
    this.names = applyNames(this.names, [op])
    this.pendingNames.push(op)
  }

  /** Makes every name operation so far durable. */
  settle(): void {
    this.durable = new Map(this.names)
    this.pendingNames = []
  }

  /** Bytes in use: the files that have a name or an open handle. */
  used(): number {
    const live = new Set(this.names.values())
    let n = 0
    for (const [ino, inode] of this.inodes)
      if (live.has(ino) || inode.writers + inode.readers > 0) n += inode.size
    return n
  }

  /** A frozen copy of what is durable and what is pending. */
  image(): MemoryImage {
    const inodes = new Map<
      number,
      { type: EntryType; durable: Uint8Array; pending: DataOp[] }
    >()
    for (const [ino, { type, durable, pending }] of this.inodes)
      inodes.set(ino, { type, durable, pending: pending.slice() })
    return {
      names: new Map(this.durable),
      pendingNames: this.pendingNames.slice(),
      inodes,
    }
  }

  /**
   * The disk an image leaves: after a power loss that keeps nothing pending, or, with
   * `pending`, after a process crash (everything stays, as durable as it was). No handle is
   * open and nobody holds the lock.
   */
  static fromImage(image: MemoryImage, pending = false): MemoryDisk {
    const disk = new MemoryDisk()
    disk.durable = new Map(image.names)
    disk.pendingNames = pending ? image.pendingNames.slice() : []
    disk.names = applyNames(image.names, disk.pendingNames)
    for (const [ino, inode] of image.inodes) {
      const data = pending
        ? applyData(inode.durable, inode.pending)
        : inode.durable
      disk.inodes.set(ino, {
        ...newInode(inode.type, data),
        durable: inode.durable,
        pending: pending ? inode.pending.slice() : [],
      })
      disk.#nextIno = Math.max(disk.#nextIno, ino + 1)
    }
    return disk
  }
}
