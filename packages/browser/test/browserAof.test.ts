import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import * as path from 'node:path'
import { describe, expect, it } from 'vitest'
import { checkAof, readAofEntries } from '../../core/src/index.js'
import { browserSuite } from './harness/index.js'
import { appReady, type AppGlobals } from './harness/page.js'

declare const globalThis: AppGlobals

const suite = browserSuite()

async function app() {
  const page = await suite.browser.open(suite.url('/app.html'))
  await appReady(page)
  return page
}

describe('openBrowserAof', () => {
  it('keeps records across a reload, in the same files and manifest as on Node', async () => {
    const page = await app()
    const first = await page.evaluate(async () => {
      const log = await globalThis.browser.openBrowserAof({ name: 'basic' })
      const before = [...log.records()]
      log.append({ type: 'add', text: 'milk' })
      log.append({ type: 'add', text: 'eggs' })
      await log.durable()
      const stats = log.stats()
      await log.close()
      return { before, files: stats.files, status: log.status }
    })
    expect(first).toEqual({
      before: [],
      files: [{ name: 'appendonly.aof.1.incr.aof', type: 'incr', seq: 1 }],
      status: 'closed',
    })
    await page.reload()
    await appReady(page)
    const again = await page.evaluate(async () => {
      const log = await globalThis.browser.openBrowserAof({ name: 'basic' })
      const records = [...log.records()]
      log.append({ type: 'add', text: 'tea' })
      await log.close()
      const root = await navigator.storage.getDirectory()
      const dir = await root.getDirectoryHandle('basic')
      const manifest = await (
        await (await dir.getFileHandle('appendonly.aof.manifest')).getFile()
      ).text()
      const incr = await (
        await (await dir.getFileHandle('appendonly.aof.1.incr.aof')).getFile()
      ).text()
      return { records, manifest, incr }
    })
    expect(again.records).toEqual([
      { type: 'add', text: 'milk' },
      { type: 'add', text: 'eggs' },
    ])
    expect(again.manifest).toBe('file appendonly.aof.1.incr.aof seq 1 type i\n')
    expect(again.incr).toBe(
      '{"type":"add","text":"milk"}\n{"type":"add","text":"eggs"}\n{"type":"add","text":"tea"}\n',
    )
    await page.close()
  })

  it('closes: close() waits for the worker, later calls fail with AOF_CLOSED, a reopen sees everything', async () => {
    const page = await app()
    const got = await page.evaluate(async () => {
      const log = await globalThis.browser.openBrowserAof({
        name: 'close',
        fsync: 'no',
        timestamps: true,
      })
      for (let n = 0; n < 3; n++) log.append({ n })
      await log.close()
      await log.close()
      const errors: string[] = []
      for (const call of [() => log.append({ n: 9 }), () => log.records()]) {
        try {
          call()
        } catch (e) {
          errors.push((e as { code: string }).code)
        }
      }
      errors.push(
        await log.durable().then(
          () => 'resolved',
          (e: { code: string }) => e.code,
        ),
      )
      const again = await globalThis.browser.openBrowserAof({ name: 'close' })
      again.append({ n: 3 })
      again.closeSync()
      const third = await globalThis.browser.openBrowserAof({ name: 'close' })
      const records = [...third.records()]
      await third.close()
      const root = await navigator.storage.getDirectory()
      const dir = await root.getDirectoryHandle('close')
      const text = await (
        await (await dir.getFileHandle('appendonly.aof.1.incr.aof')).getFile()
      ).text()
      return { status: log.status, errors, records, text }
    })
    expect(got.status).toBe('closed')
    expect(got.errors).toEqual(['AOF_CLOSED', 'AOF_CLOSED', 'AOF_CLOSED'])
    expect(got.records).toEqual([0, 1, 2, 3].map((n) => ({ n })))
    // timestamps: true writes the #TS: annotations in the worker, as on Node.
    expect(got.text).toMatch(/^#TS:\d+\n\{"n":0\}\n/)
    await page.close()
  })

  it('starts the worker from the worker option, and fails with AOF_IO naming it when it cannot start', async () => {
    const page = await app()
    const got = await page.evaluate(async () => {
      let started = 0
      const log = await globalThis.browser.openBrowserAof({
        name: 'worker-option',
        worker: () => {
          started++
          return new Worker('/pkg/browser/dist/worker.js', { type: 'module' })
        },
      })
      const role = log.role
      await log.close()
      let error: { code: string; message: string } | null = null
      try {
        await globalThis.browser.openBrowserAof({
          name: 'worker-missing',
          worker: () => new Worker('/no/such/worker.js', { type: 'module' }),
        })
      } catch (e) {
        error = {
          code: (e as { code: string }).code,
          message: (e as Error).message,
        }
      }
      return { started, role, error }
    })
    expect(got.started).toBe(1)
    expect(got.role).toBe('writer')
    expect(got.error?.code).toBe('AOF_IO')
    expect(got.error?.message).toMatch(
      /worker for opfs:\/worker-missing could not start/,
    )
    await page.close()
  })

  it('keeps at most 32 MiB of what was logged since open for records(), and starts again from a rewrite', async () => {
    const page = await app()
    const got = await page.evaluate(async () => {
      const log = await globalThis.browser.openBrowserAof({
        name: 'tail',
        fsync: 'no',
      })
      const pad = 'x'.repeat(1 << 20)
      for (let n = 0; n < 34; n++) log.append({ n, pad })
      let code = ''
      try {
        log.records()
      } catch (e) {
        code = (e as { code: string }).code
      }
      const rewrite = log.rewrite({ snap: 34 })
      log.append({ n: 34 })
      await rewrite
      log.append({ n: 35 })
      const records = [...log.records()]
      await log.close()
      return { code, records }
    })
    expect(got.code).toBe('AOF_IO')
    expect(got.records).toEqual([{ snap: 34 }, { n: 34 }, { n: 35 }])
    await page.close()
  })

  it('rewrites on its own once the log has grown, with the snapshot taken on the page', async () => {
    const page = await app()
    const got = await page.evaluate(async () => {
      let n = 0
      let taken = 0
      const log = await globalThis.browser.openBrowserAof<object>({
        name: 'auto-rewrite',
        autoRewriteMinSize: 2000,
        snapshot: () => {
          taken++
          return { snap: n }
        },
      })
      for (let round = 0; round < 40; round++) {
        for (let i = 0; i < 5; i++) log.append({ n: n++, pad: 'x'.repeat(40) })
        await log.durable()
        await new Promise((r) => setTimeout(r, 5))
      }
      while (log.stats().rewriteInProgress)
        await new Promise((r) => setTimeout(r, 5))
      const stats = log.stats()
      await log.close()
      const again = await globalThis.browser.openBrowserAof({
        name: 'auto-rewrite',
      })
      const records = [...again.records()] as { snap?: number; n?: number }[]
      await again.close()
      return { taken, rewrites: stats.rewrites, records, n }
    })
    expect(got.taken).toBeGreaterThan(0)
    expect(got.rewrites).toBe(got.taken)
    const first = got.records[0]!
    expect(typeof first.snap).toBe('number')
    expect(got.records.slice(1).map((r) => r.n)).toEqual(
      Array.from({ length: got.n - first.snap! }, (_, i) => first.snap! + i),
    )
    await page.close()
  })

  it('rejects a second writer in another tab with AOF_LOCKED, promptly', async () => {
    const a = await app()
    const b = await app()
    await a.evaluate(async () => {
      globalThis.t.log = await globalThis.browser.openBrowserAof({
        name: 'locked',
      })
    })
    const err = await b.evaluate(async () => {
      try {
        await globalThis.browser.openBrowserAof({ name: 'locked' })
        return null
      } catch (e) {
        const x = e as { name: string; code: string; message: string }
        return { name: x.name, code: x.code, message: x.message }
      }
    })
    expect(err).toMatchObject({ name: 'AofError', code: 'AOF_LOCKED' })
    expect(err!.message).toMatch(/another tab/)
    await a.close()
    await b.close()
  })

  it('throws AOF_NOT_SERIALIZABLE from append on the main thread, sending nothing', async () => {
    const page = await app()
    const got = await page.evaluate(async () => {
      const log = await globalThis.browser.openBrowserAof({
        name: 'unserializable',
      })
      let code = ''
      let message = ''
      try {
        log.append({ type: 'big', n: 10n } as unknown)
      } catch (e) {
        code = (e as { code: string }).code
        message = (e as Error).message
      }
      await log.durable()
      const stats = log.stats()
      await log.close()
      return {
        code,
        message,
        appended: stats.appended,
        size: stats.currentSize,
      }
    })
    expect(got).toEqual({
      code: 'AOF_NOT_SERIALIZABLE',
      message: expect.stringContaining('BigInt at n'),
      appended: 0,
      size: 0,
    })
    await page.close()
  })

  it('rewrites from a snapshot serialized on the main thread while appends go on', async () => {
    const page = await app()
    const got = await page.evaluate(async () => {
      const log = await globalThis.browser.openBrowserAof({ name: 'rewrite' })
      for (let i = 0; i < 100; i++) log.append({ type: 'inc' })
      const done = log.rewrite({ type: 'snapshot', count: 100 })
      log.append({ type: 'inc' })
      await done
      log.append({ type: 'inc' })
      const records = [...log.records()]
      const files = log.stats().files
      await log.close()
      const again = await globalThis.browser.openBrowserAof({ name: 'rewrite' })
      const reopened = [...again.records()]
      await again.close()
      return { records, files, reopened }
    })
    const expected = [
      { type: 'snapshot', count: 100 },
      { type: 'inc' },
      { type: 'inc' },
    ]
    expect(got.records).toEqual(expected)
    expect(got.reopened).toEqual(expected)
    expect(got.files).toEqual([
      { name: 'appendonly.aof.1.base.aof', type: 'base', seq: 1 },
      { name: 'appendonly.aof.2.incr.aof', type: 'incr', seq: 2 },
    ])
    await page.close()
  })

  it('on a full quota reports to onError and stats(), keeps the records queued, and writes them whole once there is room', async () => {
    const page = await app()
    await page.evaluate(async () => {
      const t = globalThis.t
      t.errors = []
      const log = await globalThis.browser.openBrowserAof({
        name: 'quota',
        fsync: 'always',
        onError: (err) =>
          (t.errors as unknown[]).push({
            code: err.code,
            message: err.message,
          }),
      })
      t.log = log
      log.append({ n: 0, pad: '' })
      await log.durable()
    })
    const usage = await page.evaluate(
      async () => (await navigator.storage.estimate()).usage ?? 0,
    )
    const cdp = await suite.browser.context.newCDPSession(page)
    const origin = suite.server.origin
    await cdp.send('Storage.overrideQuotaForOrigin', {
      origin,
      quotaSize: usage + 64 * 1024,
    })
    const full = await page.evaluate(async () => {
      const log = globalThis.t.log as import('../src/index.js').BrowserAof
      const pad = 'x'.repeat(1024)
      for (let n = 1; n <= 4000; n++) log.append({ n, pad })
      const durable = await log.durable().then(
        () => 'resolved',
        (err: { code: string }) => err.code,
      )
      const s = log.stats()
      return {
        durable,
        errors: globalThis.t.errors,
        lastWriteStatus: s.lastWriteStatus,
        lastWriteError: s.lastWriteError?.code,
      }
    })
    expect(full.durable).toBe('AOF_IO')
    expect(full.lastWriteStatus).toBe('err')
    expect(full.lastWriteError).toBe('AOF_IO')
    expect(full.errors).toContainEqual({
      code: 'AOF_IO',
      message: expect.stringMatching(/ENOSPC/),
    })
    await cdp.send('Storage.overrideQuotaForOrigin', { origin })
    const after = await page.evaluate(async () => {
      const log = globalThis.t.log as import('../src/index.js').BrowserAof
      log.append({ n: 4001, pad: '' })
      await log.durable()
      const s = log.stats().lastWriteStatus
      await log.close()
      const again = await globalThis.browser.openBrowserAof({ name: 'quota' })
      const ns = [...again.records()].map((r) => (r as { n: number }).n)
      await again.close()
      return { s, ns }
    })
    expect(after.s).toBe('ok')
    expect(after.ns).toEqual([...Array(4002).keys()])
    await page.close()
  })

  it('hands out the store as a tar archive that extracts to a store directory the core reads', async () => {
    const page = await app()
    const bytes = await page.evaluate(async () => {
      const log = await globalThis.browser.openBrowserAof({
        name: 'archive/todos',
      })
      for (let n = 0; n < 10; n++) log.append({ n })
      await log.rewrite({ snap: 10 })
      log.append({ n: 10 })
      const blob = await log.archive()
      await log.close()
      return {
        type: blob.type,
        data: [...new Uint8Array(await blob.arrayBuffer())],
      }
    })
    expect(bytes.type).toBe('application/x-tar')
    const dir = mkdtempSync(path.join(tmpdir(), 'aof-archive-'))
    const names = untar(Uint8Array.from(bytes.data), dir)
    expect(names).toEqual([
      'archive/todos/',
      'archive/todos/appendonly.aof.manifest',
      'archive/todos/appendonly.aof.1.base.aof',
      'archive/todos/appendonly.aof.2.incr.aof',
    ])
    const store = path.join(dir, 'archive/todos')
    const report = checkAof({ dir: store })
    expect(report.ok).toBe(true)
    const values = [...readAofEntries({ dir: store })]
      .filter((e) => e.kind === 'record')
      .map((e) => (e as { value: unknown }).value)
    expect(values).toEqual([{ snap: 10 }, { n: 10 }])
    await page.close()
  })
})

/** A small ustar reader (what `tar -xf` does), for the archive test. Returns the entry names. */
function untar(tar: Uint8Array, into: string): string[] {
  const text = (at: number, len: number) =>
    new TextDecoder().decode(tar.subarray(at, at + len)).replace(/\0.*$/s, '')
  const names: string[] = []
  for (let at = 0; at + 512 <= tar.length;) {
    const name = text(at, 100)
    if (name === '') break
    expect(text(at + 257, 6)).toBe('ustar')
    let sum = 0
    for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 32 : tar[at + i]!
    expect(parseInt(text(at + 148, 8), 8)).toBe(sum)
    const prefix = text(at + 345, 155)
    const full = prefix ? `${prefix}/${name}` : name
    const size = parseInt(text(at + 124, 12), 8)
    const type = text(at + 156, 1)
    names.push(full)
    if (type === '5') mkdirSync(path.join(into, full), { recursive: true })
    else
      writeFileSync(
        path.join(into, full),
        tar.subarray(at + 512, at + 512 + size),
      )
    at += 512 + Math.ceil(size / 512) * 512
  }
  return names
}
