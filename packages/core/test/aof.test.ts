import * as fs from 'node:fs'
import * as path from 'node:path'
import { describe, expect, it } from 'vitest'
import { AofError, openAof } from '../src/index.js'
import { ls, nextTurn, pinClock, read, tempDir } from './helpers.js'

describe('openAof', () => {
  it('creates the directory with mode 0700, a first incr file and a manifest, files 0600', () => {
    const dir = path.join(tempDir(), 'store')
    const aof = openAof({ dir })
    expect(fs.statSync(dir).mode & 0o777).toBe(0o700)
    expect(ls(dir)).toEqual([
      'aof.lock',
      'appendonly.aof.1.incr.aof',
      'appendonly.aof.manifest',
    ])
    expect(read(dir, 'appendonly.aof.manifest')).toBe(
      'file appendonly.aof.1.incr.aof seq 1 type i\n',
    )
    for (const f of [
      'appendonly.aof.1.incr.aof',
      'appendonly.aof.manifest',
      'aof.lock',
    ]) {
      expect(fs.statSync(path.join(dir, f)).mode & 0o777).toBe(0o600)
    }
    aof.closeSync()
    expect(ls(dir)).not.toContain('aof.lock')
  })

  it('rejects options of the wrong type with a TypeError naming the option', () => {
    const dir = tempDir()
    expect(() => openAof({ dir, fsync: 'sometimes' as never })).toThrow(
      /option "fsync"/,
    )
    expect(() => openAof({ dir, fileName: 'a/b' })).toThrow(/option "fileName"/)
    expect(() => openAof({ dir, autoRewritePercentage: -1 })).toThrow(
      /autoRewritePercentage/,
    )
    expect(() => openAof({ dir: '' })).toThrow(TypeError)
  })

  it('replays appended records in order after reopening', async () => {
    const dir = tempDir()
    const aof = openAof({ dir })
    aof.append({ type: 'a', n: 1 })
    aof.append({ type: 'b', n: 2 })
    await aof.close()
    const again = openAof({ dir })
    expect([...again.records()]).toEqual([
      { type: 'a', n: 1 },
      { type: 'b', n: 2 },
    ])
    await again.close()
  })

  it('writes one JSON record per line, readable by a person', async () => {
    const dir = tempDir()
    const aof = openAof({ dir })
    aof.append({ type: 'todo/add', payload: { text: 'line\nbreak' } })
    await aof.close()
    expect(read(dir, 'appendonly.aof.1.incr.aof')).toBe(
      '{"type":"todo/add","payload":{"text":"line\\nbreak"}}\n',
    )
  })
})

describe('append', () => {
  it('everysec: an append that comes alone is written at once; the rest of its burst by the end of the task, in one write', async () => {
    const dir = tempDir()
    const clock = pinClock()
    try {
      const aof = openAof({ dir, fsync: 'everysec' })
      aof.append({ n: 1 })
      expect(read(dir, 'appendonly.aof.1.incr.aof')).toBe('{"n":1}\n')
      // The same millisecond: a burst, buffered.
      aof.append({ n: 2 })
      aof.append({ n: 3 })
      expect(read(dir, 'appendonly.aof.1.incr.aof')).toBe('{"n":1}\n')
      expect(aof.stats().bufferLength).toBeGreaterThan(0)
      await nextTurn()
      expect(read(dir, 'appendonly.aof.1.incr.aof')).toBe(
        '{"n":1}\n{"n":2}\n{"n":3}\n',
      )
      expect(aof.stats().bufferLength).toBe(0)
      // A later millisecond, nothing waiting: alone again.
      clock.set(1_000_001)
      aof.append({ n: 4 })
      expect(read(dir, 'appendonly.aof.1.incr.aof')).toBe(
        '{"n":1}\n{"n":2}\n{"n":3}\n{"n":4}\n',
      )
      await aof.close()
    } finally {
      clock.restore()
    }
  })

  it('always: the record is in the file when append returns', () => {
    const dir = tempDir()
    const aof = openAof({ dir, fsync: 'always' })
    aof.append({ n: 1 })
    expect(read(dir, 'appendonly.aof.1.incr.aof')).toBe('{"n":1}\n')
    aof.closeSync()
  })

  it('throws AOF_NOT_SERIALIZABLE for cycles and BigInt and writes nothing', async () => {
    const dir = tempDir()
    const aof = openAof({ dir, fsync: 'always' })
    const cyclic: Record<string, unknown> = { type: 'loop' }
    cyclic.self = cyclic
    expect(() => aof.append(cyclic)).toThrow(
      expect.objectContaining({ code: 'AOF_NOT_SERIALIZABLE' }),
    )
    expect(() => aof.append({ type: 'big', n: 10n })).toThrow(/BigInt at n/)
    expect(() => aof.append(undefined)).toThrow(AofError)
    expect(read(dir, 'appendonly.aof.1.incr.aof')).toBe('')
    aof.closeSync()
  })

  it('throws AOF_CLOSED after close', async () => {
    const dir = tempDir()
    const aof = openAof({ dir })
    await aof.close()
    expect(() => aof.append({ n: 1 })).toThrow(
      expect.objectContaining({ code: 'AOF_CLOSED' }),
    )
  })
})

describe('rewrite', () => {
  it('writes the snapshot as a one-record base, switches the manifest and deletes history', async () => {
    const dir = tempDir()
    const aof = openAof({ dir })
    for (let i = 0; i < 10; i++) aof.append({ type: 'inc' })
    await aof.rewrite({ type: '@@aof/SNAPSHOT', payload: 10 })
    aof.append({ type: 'inc' })
    await aof.close()
    expect(ls(dir)).toEqual([
      'appendonly.aof.1.base.aof',
      'appendonly.aof.2.incr.aof',
      'appendonly.aof.manifest',
    ])
    expect(read(dir, 'appendonly.aof.manifest')).toBe(
      'file appendonly.aof.1.base.aof seq 1 type b\nfile appendonly.aof.2.incr.aof seq 2 type i\n',
    )
    const again = openAof({ dir })
    expect([...again.records()]).toEqual([
      { type: '@@aof/SNAPSHOT', payload: 10 },
      { type: 'inc' },
    ])
    again.closeSync()
  })
})

describe('everysec fsync', () => {
  it('fdatasyncs what was written in the background, within about a second', async () => {
    const dir = tempDir()
    const aof = openAof({ dir, fsync: 'everysec' })
    const opened = Date.now()
    aof.append({ n: 1 })
    await nextTurn()
    expect(aof.stats().lastFsyncAt).toBe(0)
    // Poll: the background fdatasync comes once a second has passed since open.
    while (aof.stats().lastFsyncAt === 0 && Date.now() - opened < 5000)
      await new Promise((r) => setTimeout(r, 50))
    const s = aof.stats()
    expect(s.lastFsyncAt).toBeGreaterThanOrEqual(opened + 1000)
    expect(s).toMatchObject({ pendingFsync: false, lastWriteStatus: 'ok' })
    await aof.close()
  })

  it('no: never fdatasyncs in the background', async () => {
    const dir = tempDir()
    const aof = openAof({ dir, fsync: 'no' })
    aof.append({ n: 1 })
    await new Promise((r) => setTimeout(r, 1400))
    expect(aof.stats().lastFsyncAt).toBe(0)
    await aof.close()
    expect(read(dir, 'appendonly.aof.1.incr.aof')).toBe('{"n":1}\n')
  })
})

describe('findUnserializable', () => {
  it('names the path and kind of the first value JSON would change', async () => {
    const { findUnserializable } = await import('../src/index.js')
    expect(
      findUnserializable({
        type: 'ok',
        payload: { list: [1, 'a', null, { b: true }] },
      }),
    ).toBeNull()
    expect(
      findUnserializable({ payload: { items: [{ due: new Date(0) }] } }),
    ).toEqual({ path: 'payload.items[0].due', reason: 'Date' })
    expect(findUnserializable({ m: new Map() })).toEqual({
      path: 'm',
      reason: 'Map',
    })
    expect(findUnserializable({ n: NaN })).toEqual({ path: 'n', reason: 'NaN' })
    expect(findUnserializable({ 'a b': () => 1 })).toEqual({
      path: '["a b"]',
      reason: 'function',
    })
    class Point {}
    expect(findUnserializable([new Point()])).toEqual({
      path: '[0]',
      reason: 'class Point',
    })
    const loop: Record<string, unknown> = {}
    loop.self = loop
    expect(findUnserializable(loop)).toEqual({ path: 'self', reason: 'cycle' })
    expect(findUnserializable({ payload: undefined })).toEqual({
      path: 'payload',
      reason: 'undefined',
    })
    expect(
      findUnserializable(
        { payload: undefined },
        { allowUndefinedProperties: true },
      ),
    ).toBeNull()
    expect(
      findUnserializable(
        { list: [undefined] },
        { allowUndefinedProperties: true },
      ),
    ).toEqual({ path: 'list[0]', reason: 'undefined' })
  })
})

describe('setSnapshot', () => {
  it('gives a log opened without one a snapshot for automatic rewrites, and undefined takes it away', async () => {
    const dir = tempDir()
    const aof = openAof({ dir, autoRewriteMinSize: 512 })
    let n = 0
    const fill = async () => {
      const before = aof.stats().rewrites
      for (let i = 0; i < 100 && aof.stats().rewrites === before; i++) {
        aof.append({ type: 'add', text: `item number ${n++}` })
        await nextTurn()
      }
      while (aof.stats().rewriteInProgress) await nextTurn()
      return aof.stats().rewrites - before
    }
    expect(await fill()).toBe(0) // no snapshot: no automatic rewrite
    aof.setSnapshot(() => ({ type: '@@aof/SNAPSHOT', payload: n }))
    expect(await fill()).toBe(1)
    aof.setSnapshot(undefined)
    expect(await fill()).toBe(0)
    expect(() => aof.setSnapshot('x' as never)).toThrow(TypeError)
    await aof.close()
  })
})

describe('isAofError', () => {
  it('knows an AofError of another copy of the package (ESM and CJS side by side), and nothing else', async () => {
    const { isAofError } = await import('../src/index.js')
    const { createRequire } = await import('node:module')
    const cjs = createRequire(import.meta.url)('../dist/index.cjs') as {
      AofError: new (code: string, message: string) => Error
    }
    const other = new cjs.AofError('AOF_LOCKED', 'held')
    expect(isAofError(other)).toBe(true)
    expect(isAofError(other, 'AOF_LOCKED')).toBe(true)
    expect(isAofError(other, 'AOF_IO')).toBe(false)
    expect(
      isAofError(Object.assign(new Error('x'), { code: 'AOF_LOCKED' })),
    ).toBe(false)
    expect(isAofError({ name: 'AofError', code: 'AOF_LOCKED' })).toBe(false)
  })
})
