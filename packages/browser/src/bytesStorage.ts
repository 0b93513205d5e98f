import {
  AofError,
  type Storage,
  type StorageFile,
} from '@aof-persist/core/portable'
import type { LogFiles } from './protocol.js'

const readOnly = (location: string): AofError =>
  new AofError(
    'AOF_IO',
    `${location} is a read-only copy of a store's files; it cannot be written.`,
  )

/**
 * A synchronous, read-only storage over files held in memory: how the core's readers
 * (`readAofEntries`, `checkAof`) read a store's bytes that crossed from the worker or from
 * another tab, with the same rules as on disk.
 */
export function bytesStorage(log: LogFiles): Storage {
  const files = new Map<string, Uint8Array>()
  if (log.manifest) files.set(`${log.fileName}.manifest`, log.manifest)
  for (const f of log.files) files.set(f.name, f.bytes)
  const describe = (name: string) => `${log.location}/${name}`
  const fail = (): never => {
    throw readOnly(log.location)
  }
  const notFound = (name: string) =>
    Object.assign(new Error(`ENOENT: ${describe(name)}`), { code: 'ENOENT' })
  return {
    location: log.location,
    durableNames: false,
    describe,
    prepare() {},
    lock: () => ({ release() {} }),
    list: () => [...files.keys()],
    stat: (name) => {
      const f = files.get(name)
      return f ? { size: f.length, type: 'file' } : null
    },
    // The engine opens the last incr file for appending; nothing is appended to a copy, so the
    // handle only refuses writes.
    open(name) {
      const bytes = files.get(name)
      if (!bytes) throw notFound(name)
      const file: StorageFile = {
        size: () => bytes.length,
        read(buf, at) {
          const n = Math.max(0, Math.min(buf.length, bytes.length - at))
          buf.set(bytes.subarray(at, at + n))
          return n
        },
        write: fail,
        truncate: fail,
        sync() {},
        close() {},
      }
      return file
    },
    rename: fail,
    // Opening removes leftover temp files; there are none in a copy of the listed files.
    remove: (name) => {
      if (files.has(name)) fail()
    },
    syncDir() {},
  }
}
