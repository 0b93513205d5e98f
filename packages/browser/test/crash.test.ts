import type { Page } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import type { BrowserAof, BrowserAofOptions } from '../src/index.js'
import { browserSuite } from './harness/index.js'
import { appReady, type AppGlobals } from './harness/page.js'

declare const globalThis: AppGlobals

// Kills the whole browser (SIGKILL of its main process, as a crash) at random moments while a
// page appends numbered records and rewrites now and then, relaunches it on the same profile
// and checks what reopens. More cycles: AOF_BROWSER_CRASH_CYCLES=60.
const CYCLES = Number(process.env.AOF_BROWSER_CRASH_CYCLES ?? 12)

const suite = browserSuite()

/** Highest record number each cycle's page had confirmed through durable(). */
const acked = new Map<string, number>()

/** Records reopen as a prefix: an optional snapshot `{ snap: k }`, then `{ n: k }`, `{ n: k+1 }` ... */
function count(records: unknown[]): number {
  let next = 0
  records.forEach((r, i) => {
    const rec = r as { snap?: number; n?: number }
    if (i === 0 && typeof rec.snap === 'number') next = rec.snap
    else if (rec.n === next) next++
    else
      throw new Error(
        `record ${i} is ${JSON.stringify(r)}, expected { n: ${next} }: not a prefix`,
      )
  })
  return next
}

/** Starts the workload in `page`: appends forever, confirms some records, rewrites now and then. */
function startWorkload(
  page: Page,
  cycle: string,
  options: Pick<BrowserAofOptions, 'fsync'>,
) {
  return page.evaluate(
    async ({ cycle, options }) => {
      const log: BrowserAof = await globalThis.browser.openBrowserAof({
        name: 'crash',
        ...options,
      })
      const records = [...log.records()] as { snap?: number; n?: number }[]
      let n = 0
      for (const [i, r] of records.entries())
        n = i === 0 && typeof r.snap === 'number' ? r.snap : n + 1
      globalThis.t.log = log
      const cut = log.stats().truncatedTail !== null
      void (async () => {
        for (let round = 0; ; round++) {
          const batch = 1 + Math.floor(Math.random() * 20)
          for (let i = 0; i < batch; i++) log.append({ n: n++ })
          if (round % 25 === 24 && !log.stats().rewriteInProgress)
            log.rewrite({ snap: n }).catch(() => {})
          if (Math.random() < 0.3) {
            const upTo = n - 1
            await log.durable()
            void fetch(`/ack?cycle=${cycle}&n=${upTo}`)
          } else await new Promise((r) => setTimeout(r, 0))
        }
      })()
      return { records, cut }
    },
    { cycle, options },
  )
}

// A relaunch takes 1-2 s on a busy 2-core machine: generous time per kill.
describe(
  'a browser killed at random moments',
  { timeout: 60_000 + CYCLES * 15_000 },
  () => {
    it(`reopens its store as a prefix every time, and keeps everything durable() confirmed (${CYCLES} kills)`, async () => {
      suite.server.set('/ack', (url) => {
        const cycle = url.searchParams.get('cycle')!
        const n = Number(url.searchParams.get('n'))
        acked.set(cycle, Math.max(acked.get(cycle) ?? -1, n))
        return { type: 'text/plain', body: 'ok' }
      })
      let previous = 0
      let rewrites = 0
      let tornTails = 0
      for (let cycle = 0; cycle < CYCLES; cycle++) {
        const fsync = cycle % 3 === 2 ? 'everysec' : 'always'
        const page = await suite.browser.open(suite.url('/app.html'))
        await appReady(page)
        const { records, cut } = await startWorkload(page, String(cycle), {
          fsync,
        })
        if (cut) tornTails++
        const reopened = count(records)
        // What the last cycle confirmed survived the kill.
        expect(reopened).toBeGreaterThanOrEqual(
          (acked.get(String(cycle - 1)) ?? -1) + 1,
        )
        expect(reopened).toBeGreaterThanOrEqual(previous)
        if ((records[0] as { snap?: number } | undefined)?.snap !== undefined)
          rewrites++
        previous = reopened
        await new Promise((r) => setTimeout(r, 100 + Math.random() * 900))
        await suite.browser.kill()
      }
      const page = await suite.browser.open(suite.url('/app.html'))
      await appReady(page)
      const last = await page.evaluate(async () => {
        const log = await globalThis.browser.openBrowserAof({ name: 'crash' })
        const records = [...log.records()]
        await log.close()
        return records
      })
      expect(count(last)).toBeGreaterThanOrEqual(
        (acked.get(String(CYCLES - 1)) ?? -1) + 1,
      )
      // The workload reached a rewrite at least once across the cycles (it starts one every 25
      // rounds, a few times a second; a run of very few kills may end before one lands).
      if (CYCLES >= 6) expect(rewrites).toBeGreaterThan(0)
      console.log(
        `browser kills: ${CYCLES}, records at the end: ${count(last)}, reopened from a rewrite's base: ${rewrites}, torn tails cut: ${tornTails}, cycles with a confirmed record to check: ${acked.size}`,
      )
    })

    it.each([
      ['closed', 'close'],
      ['crashed', 'crash'],
    ])(
      'a tab %s in the middle of a rewrite reopens as a prefix with every confirmed record',
      async (_, how) => {
        const name = `midrewrite-${how}`
        const page = await suite.browser.open(suite.url('/app.html'))
        await appReady(page)
        await page.evaluate(async (name) => {
          const log = await globalThis.browser.openBrowserAof({
            name,
            fsync: 'always',
          })
          for (let n = 0; n < 1000; n++) log.append({ n })
          await log.durable()
          const big = Array.from({ length: 200_000 }, (_, i) => `item ${i}`)
          void log.rewrite({ snap: 1000, big }).catch(() => {})
          for (let n = 1000; n < 1010; n++) log.append({ n })
          await log.durable()
          // The rewrite is still streaming when the tab goes.
          globalThis.t.rewriting = log.stats().rewriteInProgress
        }, name)
        expect(await page.evaluate(() => globalThis.t.rewriting)).toBe(true)
        if (how === 'close') await page.close()
        else {
          const cdp = await suite.browser.context.newCDPSession(page)
          const crashed = page.waitForEvent('crash')
          void cdp.send('Page.crash').catch(() => {})
          await crashed
          await page.close().catch(() => {})
        }
        const again = await suite.browser.open(suite.url('/app.html'))
        await appReady(again)
        const got = await again.evaluate(async (name) => {
          const log = await globalThis.browser.openBrowserAof({ name })
          const records = [...log.records()]
          await log.close()
          const dir = await (
            await navigator.storage.getDirectory()
          ).getDirectoryHandle(name)
          const files: string[] = []
          for await (const f of dir.keys()) files.push(f)
          return {
            records: records.map((r) => {
              const { big: _, ...rest } = r as { big?: unknown }
              return rest
            }),
            files: files.sort(),
          }
        }, name)
        expect(count(got.records)).toBe(1010)
        expect(got.files.filter((f) => f.startsWith('temp-'))).toEqual([])
        await again.close()
      },
    )
  },
)
