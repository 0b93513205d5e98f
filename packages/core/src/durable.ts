import { ioError } from './errors.js'
import { io, type Step, type Storage, type StorageFile } from './storage.js'

/**
 * Writes all of `data` at offset `at` of `file`, looping over short writes; returns the bytes
 * written (`data.length`). A write that makes no progress throws (`EIO`) instead of spinning.
 */
export function writeAll(
  file: StorageFile,
  data: Uint8Array,
  at: number,
): number {
  let done = 0
  while (done < data.length) {
    const n = file.write(data.subarray(done), at + done)
    if (!(n > 0)) {
      throw Object.assign(new Error('a write made no progress'), {
        code: 'EIO',
      })
    }
    done += n
  }
  return done
}

/**
 * Replaces `target` atomically and durably: write `temp`, fdatasync it, sync the directory,
 * rename it over the target, sync the directory again. The fdatasync must come before the
 * rename: otherwise a power loss can leave the new name pointing at an empty or partial file.
 * The first directory sync makes the names created or renamed before this call durable (a new
 * incr file, a base renamed into place): the new target (a manifest) may list them, and a file
 * system may persist this rename before those if nothing orders them. A failure leaves the old
 * target in place and removes the temp file. Throws the storage's error.
 */
export function* writeFileAtomic(
  storage: Storage,
  target: string,
  temp: string,
  data: Uint8Array,
): Step<void> {
  const file = yield* io(storage.open(temp, { write: true, create: true }))
  try {
    file.truncate(0)
    writeAll(file, data, 0)
    file.sync()
  } catch (err) {
    file.close()
    yield* io(storage.remove(temp))
    throw err
  }
  file.close()
  try {
    yield* io(storage.syncDir())
    yield* io(storage.rename(temp, target))
  } catch (err) {
    yield* io(storage.remove(temp))
    throw err
  }
  yield* io(storage.syncDir())
}

/** The whole content of a small file (a manifest); null when it does not exist. */
export function* readWholeFile(
  storage: Storage,
  name: string,
  op: string,
): Step<Uint8Array | null> {
  let file: StorageFile
  try {
    file = yield* io(storage.open(name, { write: false, create: false }))
  } catch (err) {
    if ((err as { code?: unknown } | null)?.code === 'ENOENT') return null
    throw ioError(
      op,
      storage.describe(name),
      err,
      "Check the directory's permissions.",
    )
  }
  try {
    const bytes = new Uint8Array(file.size())
    let done = 0
    while (done < bytes.length) {
      const n = file.read(bytes.subarray(done), done)
      if (n === 0) break
      done += n
    }
    return bytes.subarray(0, done)
  } catch (err) {
    throw ioError(op, storage.describe(name), err)
  } finally {
    file.close()
  }
}

/** Cuts an open file to `size` and makes the new size durable before returning. */
export function cutDurably(file: StorageFile, size: number): void {
  file.truncate(size)
  file.sync()
}
