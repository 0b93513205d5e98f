// The storage conformance suite against the in-memory storage (both name models) and Node's
// storage, and against broken storages, each of which it must fail.
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { describe, expect, it } from 'vitest'
import { storageConformance } from '../../src/conformance.js'
import { memoryStorage } from '../../src/memoryStorage.js'
import { nodeStorage } from '../../src/nodeStorage.js'
import type { Storage } from '../../src/storage.js'

describe('memoryStorage() passes the conformance suite', () => {
  storageConformance(it, () => memoryStorage(), {
    reopen: (s) => (s as ReturnType<typeof memoryStorage>).reopen(),
  })
})

describe('memoryStorage({ durableNames: false, backgroundSync: true }) passes the conformance suite', () => {
  storageConformance(
    it,
    () => memoryStorage({ durableNames: false, backgroundSync: true }),
    { reopen: (s) => (s as ReturnType<typeof memoryStorage>).reopen() },
  )
})

describe('nodeStorage(dir) passes the conformance suite (node:fs allows a second handle and renaming an open file, so without those checks)', () => {
  storageConformance(
    it,
    () => nodeStorage(fs.mkdtempSync(path.join(os.tmpdir(), 'aof-conf-'))),
    {
      exclusiveHandles: false,
      reopen: (s) => nodeStorage(s.location),
      destroy: (s) => fs.rmSync(s.location, { recursive: true, force: true }),
    },
  )
})

describe('the conformance suite fails an implementation that breaks the contract', () => {
  // Each broken storage must make at least one of the suite's tests fail.
  const broken: [string, () => Storage][] = [
    [
      'create truncates an existing file',
      () => {
        const s = memoryStorage()
        const open = s.open.bind(s)
        s.open = (name, o) => {
          const f = open(name, o)
          if (o.create) f.truncate(0)
          return f
        }
        return s
      },
    ],
    [
      'a missing file opens without create',
      () => {
        const s = memoryStorage()
        const open = s.open.bind(s)
        s.open = (name, o) => open(name, { ...o, create: true })
        return s
      },
    ],
    [
      'rename does not replace an existing name',
      () => {
        const s = memoryStorage()
        const rename = s.rename.bind(s)
        s.rename = (from, to) => {
          if (s.stat(to))
            throw Object.assign(new Error('EEXIST'), { code: 'EEXIST' })
          rename(from, to)
        }
        return s
      },
    ],
    [
      'a second lock succeeds',
      () => {
        const s = memoryStorage()
        s.lock = () => ({ release() {} })
        return s
      },
    ],
    [
      'write reports more bytes than it wrote',
      () => {
        const s = memoryStorage()
        const open = s.open.bind(s)
        s.open = (name, o) => {
          const f = open(name, o)
          const write = f.write.bind(f)
          f.write = (data, at) => {
            write(data.subarray(0, Math.max(1, data.length >> 1)), at)
            return data.length
          }
          return f
        }
        return s
      },
    ],
    [
      'a growing truncate fills with something else than zeros',
      () => {
        const s = memoryStorage()
        const open = s.open.bind(s)
        s.open = (name, o) => {
          const f = open(name, o)
          const truncate = f.truncate.bind(f)
          f.truncate = (size) => {
            const old = f.size()
            truncate(size)
            if (size > old) f.write(new Uint8Array(size - old).fill(0xff), old)
          }
          return f
        }
        return s
      },
    ],
    [
      'decodeText reads bytes as Latin-1',
      () => {
        const s = memoryStorage() as ReturnType<typeof memoryStorage> & {
          decodeText?: (b: Uint8Array) => string
        }
        s.decodeText = (b) => String.fromCharCode(...b)
        return s
      },
    ],
    [
      'a second read-write handle opens',
      () => {
        const s = memoryStorage()
        const open = s.open.bind(s)
        s.open = (name, o) => {
          try {
            return open(name, o)
          } catch (err) {
            if ((err as { code?: string }).code !== 'EBUSY') throw err
            return memoryStorage().open(name, { ...o, create: true })
          }
        }
        return s
      },
    ],
  ]
  it.each(broken)('%s', async (_what, make) => {
    const failures: string[] = []
    const tests: [string, () => Promise<void> | void][] = []
    storageConformance((name, fn) => tests.push([name, fn]), make)
    for (const [name, fn] of tests) {
      try {
        await fn()
      } catch (err) {
        failures.push(`${name}: ${(err as Error).message}`)
      }
    }
    expect(failures.length).toBeGreaterThan(0)
    expect(failures.join('\n')).toMatch(/storage conformance:/)
  })
})
