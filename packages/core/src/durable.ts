import * as fs from 'node:fs'
import * as path from 'node:path'

/** Mode of every file aof-persist creates: owner read/write only. */
export const FILE_MODE = 0o600
/** Mode of a store directory aof-persist creates. */
export const DIR_MODE = 0o700

/**
 * fsyncs a directory so that a rename or a new file inside it survives power loss. Some
 * platforms cannot open or fsync directories (Windows: EISDIR/EPERM; some file systems:
 * EINVAL/EBADF); like Redis's fsyncFileDir those errors are ignored, every other one throws.
 */
export function fsyncDir(dir: string): void {
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
export function mkdirDurableSync(dir: string): void {
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

/** Writes all of `data` at the file's current position, looping over short writes. */
export function writeAll(fd: number, data: Buffer): void {
  let done = 0
  while (done < data.length) {
    done += fs.writeSync(fd, data, done, data.length - done)
  }
}

/**
 * Replaces `target` atomically and durably: write a temp file beside it, fdatasync it, fsync
 * the directory, rename it over the target, fsync the directory again. The fdatasync must come
 * before the rename: otherwise a power loss can leave the new name pointing at an empty or
 * partial file. The first directory fsync makes the names created or renamed before this call
 * durable (a new incr file, a base renamed into place): the new target (a manifest) may list
 * them, and a file system may persist this rename before those if nothing orders them.
 * A failure leaves the old target in place and removes the temp file.
 */
export function writeFileAtomicSync(
  target: string,
  temp: string,
  data: Buffer,
): void {
  const fd = fs.openSync(temp, 'w', FILE_MODE)
  try {
    writeAll(fd, data)
    fs.fdatasyncSync(fd)
    fsyncDir(path.dirname(target))
  } catch (err) {
    fs.closeSync(fd)
    fs.rmSync(temp, { force: true })
    throw err
  }
  fs.closeSync(fd)
  try {
    fs.renameSync(temp, target)
  } catch (err) {
    fs.rmSync(temp, { force: true })
    throw err
  }
  fsyncDir(path.dirname(target))
}

/** Truncates `file` to `size` and makes the new size durable before returning. */
export function truncateDurableSync(file: string, size: number): void {
  fs.truncateSync(file, size)
  const fd = fs.openSync(file, 'r+')
  try {
    fs.fdatasyncSync(fd)
  } finally {
    fs.closeSync(fd)
  }
}
