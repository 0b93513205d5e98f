// The root vitest config maps @aof-persist/core/conformance to its source.
import { storageConformance } from '@aof-persist/core/conformance'
import type { Worker as PwWorker } from 'playwright-core'
import { beforeAll, describe, expect, it } from 'vitest'
import type { Probe } from './fixtures/probe.js'
import { browserSuite, startWorker } from './harness/index.js'

declare const probe: Probe

const suite = browserSuite()

// The names of the core's conformance tests, collected here so each is its own test; the
// worker runs them against OPFS.
const conformance: string[] = []
storageConformance(
  (name) => conformance.push(name),
  () => {
    throw new Error('collecting names only')
  },
)

describe('opfsStorage passes the core storage conformance suite in a Chromium worker', () => {
  let worker: PwWorker
  beforeAll(async () => {
    const page = await suite.browser.open(suite.url('/blank.html'))
    worker = await startWorker(page, '/probe.js')
  })
  it.each(conformance)('%s', async (name) => {
    expect(await worker.evaluate((n) => probe.conformance(n), name)).toBeNull()
  })
})

/** Two tabs with a worker each; the first tab's worker holds the lock of store `name`. */
async function twoTabs(name: string) {
  const a = await suite.browser.open(suite.url('/blank.html'))
  const b = await suite.browser.open(suite.url('/blank.html'))
  const wa = await startWorker(a, '/probe.js')
  const wb = await startWorker(b, '/probe.js')
  await wa.evaluate(async (n) => {
    const g = globalThis as Record<string, unknown>
    g.held = await probe.opfsStorage(n).lock()
  }, name)
  return { a, b, wa, wb }
}

describe('opfsStorage in a Chromium worker', () => {
  it('rejects a second writer in another tab with AOF_LOCKED, and lets a waiting one in when the tab closes', async () => {
    const { a, b, wa, wb } = await twoTabs('tabs/locked')
    const refused = await wb.evaluate(async () => {
      try {
        await probe.opfsStorage('tabs/locked').lock()
        return null
      } catch (err) {
        const e = err as { code: string; message: string; name: string }
        return { code: e.code, message: e.message, name: e.name }
      }
    })
    expect(refused).toMatchObject({ name: 'AofError', code: 'AOF_LOCKED' })
    expect(refused!.message).toContain('opfs:/tabs/locked')
    expect(refused!.message).toContain('another tab')
    expect(refused!.message).toContain('follow: true')
    // A follower waits for the lock; it gets it when the holder's tab goes away.
    await wb.evaluate(() => {
      const g = globalThis as Record<string, unknown>
      g.waited = Promise.resolve(
        probe.opfsStorage('tabs/locked', { lock: 'wait' }).lock(),
      ).then(() => 'got it')
    })
    const early = await wb.evaluate(() =>
      Promise.race([
        (globalThis as Record<string, unknown>).waited as Promise<string>,
        new Promise((r) => setTimeout(() => r('still waiting'), 200)),
      ]),
    )
    expect(early).toBe('still waiting')
    await a.close()
    expect(
      await wb.evaluate(
        () => (globalThis as Record<string, unknown>).waited as Promise<string>,
      ),
    ).toBe('got it')
    await b.close()
  })

  it('releases the lock when the holding tab crashes', async () => {
    const { a, b, wb } = await twoTabs('tabs/crash')
    await wb.evaluate(() => {
      const g = globalThis as Record<string, unknown>
      g.waited = Promise.resolve(
        probe.opfsStorage('tabs/crash', { lock: 'wait' }).lock(),
      ).then(() => 'got it')
    })
    const cdp = await suite.browser.context.newCDPSession(a)
    const crashed = a.waitForEvent('crash')
    void cdp.send('Page.crash').catch(() => {})
    await crashed
    expect(
      await wb.evaluate(
        () => (globalThis as Record<string, unknown>).waited as Promise<string>,
      ),
    ).toBe('got it')
    await a.close().catch(() => {})
    await b.close()
  })

  it('maps a full quota to ENOSPC, keeping the QuotaExceededError as cause', async () => {
    const page = await suite.browser.open(suite.url('/blank.html'))
    const worker = await startWorker(page, '/probe.js')
    await worker.evaluate(async () => {
      await probe.opfsStorage('quota/full').prepare()
    })
    // Room for 1 MiB more than the origin holds already.
    const usage = await page.evaluate(
      async () => (await navigator.storage.estimate()).usage ?? 0,
    )
    const cdp = await suite.browser.context.newCDPSession(page)
    await cdp.send('Storage.overrideQuotaForOrigin', {
      origin: suite.server.origin,
      quotaSize: usage + 1024 * 1024,
    })
    try {
      const got = await worker.evaluate(async () => {
        const s = probe.opfsStorage('quota/full')
        await s.prepare()
        const f = await s.open('big', { write: true, create: true })
        try {
          f.write(new Uint8Array(4 * 1024 * 1024), 0)
          return null
        } catch (err) {
          const e = err as { code: string; cause: { name: string } }
          return { code: e.code, cause: e.cause.name, size: f.size() }
        } finally {
          f.close()
        }
      })
      expect(got).toEqual({
        code: 'ENOSPC',
        cause: 'QuotaExceededError',
        size: 0,
      })
    } finally {
      await cdp.send('Storage.overrideQuotaForOrigin', {
        origin: suite.server.origin,
      })
      await page.close()
    }
  })

  it('keeps a flushed file and its name when the browser process is killed', async () => {
    const page = await suite.browser.open(suite.url('/blank.html'))
    const worker = await startWorker(page, '/probe.js')
    await worker.evaluate(async () => {
      const s = probe.opfsStorage('kill/one')
      await s.prepare()
      const f = await s.open('log', { write: true, create: true })
      f.write(new TextEncoder().encode('{"n":1}\n'), 0)
      f.sync()
      // Held open, never closed: the kill comes first.
      ;(globalThis as Record<string, unknown>).open = f
    })
    await suite.browser.kill()
    const again = await suite.browser.open(suite.url('/blank.html'))
    const w2 = await startWorker(again, '/probe.js')
    const text = await w2.evaluate(async () => {
      const s = probe.opfsStorage('kill/one')
      await s.lock()
      const f = await s.open('log', { write: false, create: false })
      const buf = new Uint8Array(f.size())
      f.read(buf, 0)
      f.close()
      return new TextDecoder().decode(buf)
    })
    expect(text).toBe('{"n":1}\n')
    await again.close()
  })
})
