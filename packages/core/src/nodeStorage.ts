import { Buffer, isAscii, isUtf8 } from 'node:buffer'
import * as fs from 'node:fs'
import * as path from 'node:path'
import { DirLock } from './lock.js'
import type {
  Storage,
  StorageFile,
  StorageLock,
  StorageStat,
} from './storage.js'

/** Mode of every file aof-persist creates: owner read/write only. */
const FILE_MODE = 0o600
/** Mode of a store directory aof-persist creates. */
const DIR_MODE = 0o700

// O_NOFOLLOW: a listed name that became a symbolic link after the engine checked it must not
// send reads, writes or cuts to a file outside the store.
const NOFOLLOW = fs.constants.O_NOFOLLOW ?? 0

/**
 * The storage port on Node's `fs`: one directory, every operation synchronous except the
 * background forms (`syncInBackground`, `remove(name, { background: true })`), which run in
 * libuv's thread pool so an fdatasync or the unlink of a large old base does not stall the
 * event loop (Redis's background fsync and bg_unlink). Files are opened without O_APPEND: the
 * engine writes at the offsets it tracks, as it must on OPFS.
 */
export function nodeStorage(dir: string): Storage {
  if (typeof dir !== 'string' || dir === '') {
    throw new TypeError(
      `aof-persist: nodeStorage(dir) needs a non-empty directory path, got ${JSON.stringify(dir) ?? String(dir)}`,
    )
  }
  const root = path.resolve(dir)
  const at = (name: string) => path.join(root, name)
  return {
    location: root,
    durableNames: true,
    describe: at,
    prepare: () => mkdirDurableSync(root),
    lock: (): StorageLock => DirLock.acquire(root),
    probeLock: () => DirLock.assertFree(root),
    list: () => fs.readdirSync(root),
    stat(name): StorageStat | null {
      let st: fs.Stats
      try {
        st = fs.lstatSync(at(name))
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null
        throw err
      }
      const type = st.isFile()
        ? 'file'
        : st.isDirectory()
          ? 'directory'
          : st.isSymbolicLink()
            ? 'symlink'
            : 'other'
      return { size: type === 'file' ? st.size : 0, type }
    },
    open(name, { write, create }) {
      const { O_RDONLY, O_RDWR, O_CREAT } = fs.constants
      const flags =
        (write ? O_RDWR : O_RDONLY) | (create ? O_CREAT : 0) | NOFOLLOW
      return nodeFile(fs.openSync(at(name), flags, FILE_MODE))
    },
    rename: (from, to) => fs.renameSync(at(from), at(to)),
    remove(name, options) {
      if (options?.background) return fs.promises.rm(at(name), { force: true })
      fs.rmSync(at(name), { force: true })
    },
    syncDir: () => fsyncDir(root),
    decodeText,
  }
}

/** UTF-8 decoding with Node's fast paths: pure ASCII (most logs) is a plain byte copy. */
function decodeText(bytes: Uint8Array): string {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length)
  if (isAscii(buf)) return buf.toString('latin1')
  if (!isUtf8(buf)) throw new TypeError('The bytes are not valid UTF-8')
  return buf.toString('utf8')
}

function nodeFile(fd: number): StorageFile {
  return {
    size: () => fs.fstatSync(fd).size,
    read: (buf, at) => fs.readSync(fd, buf, 0, buf.length, at),
    write: (data, at) => fs.writeSync(fd, data, 0, data.length, at),
    // UTF-8 is fs's encoding for a string; naming it costs a parse of the name in every call.
    writeText: (text, at) => fs.writeSync(fd, text, at),
    truncate: (size) => fs.ftruncateSync(fd, size),
    sync: () => fs.fdatasyncSync(fd),
    syncInBackground: () =>
      new Promise<void>((resolve, reject) =>
        fs.fdatasync(fd, (err) => (err ? reject(err) : resolve())),
      ),
    close: () => fs.closeSync(fd),
  }
}

/**
 * fsyncs a directory so that a rename or a new file inside it survives power loss. Some
 * platforms cannot open or fsync directories (Windows: EISDIR/EPERM; some file systems:
 * EINVAL/EBADF); like Redis's fsyncFileDir those errors are ignored, every other one throws.
 */
function fsyncDir(dir: string): void {
  let fd: number
  try {
    fd = fs.openSync(dir, 'r')
  } catch (err) {
    if (isIgnorableDirSyncError(err)) return
    throw err
  }
  try {
    fs.fsyncSync(fd)
  } catch (err) {
    if (!isIgnorableDirSyncError(err)) throw err
  } finally {
    fs.closeSync(fd)
  }
}

const isIgnorableDirSyncError = (err: unknown): boolean => {
  const code = (err as NodeJS.ErrnoException).code
  return (
    code === 'EISDIR' ||
    code === 'EPERM' ||
    code === 'EINVAL' ||
    code === 'EBADF'
  )
}

/**
 * Creates `dir` and any missing parents (mode 0700) and fsyncs the directory each new one was
 * created in: a new directory's name is only durable once its parent is fsynced, and without
 * that a power loss can take a new store away with every record acknowledged in it. A parent
 * this process may not open for reading is skipped (nothing better can be done there).
 */
function mkdirDurableSync(dir: string): void {
  const first = fs.mkdirSync(dir, { recursive: true, mode: DIR_MODE })
  if (first === undefined) return
  for (let d = dir; ; d = path.dirname(d)) {
    try {
      fsyncDir(path.dirname(d))
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EACCES') throw err
    }
    if (d === path.resolve(first) || d === path.dirname(d)) break
  }
}
