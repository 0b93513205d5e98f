import type { Page } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import { browserSuite } from './harness/index.js'
import { appReady, type AppGlobals } from './harness/page.js'

declare const globalThis: AppGlobals

const suite = browserSuite()

async function app() {
  const page = await suite.browser.open(suite.url('/app.html'))
  await appReady(page)
  return page
}

/**
 * Opens `name` in `page` with follow: true and keeps, on `t`, every record the log announced
 * (`t.applied`), and the roles it went through.
 */
async function openFollowing(page: Page, name: string) {
  return page.evaluate(async (name) => {
    const t = globalThis.t
    const log = await globalThis.browser.openBrowserAof({ name, follow: true })
    t.log = log
    t.applied = [...log.records()]
    t.roles = [log.role]
    log.subscribe((e) => {
      if (e.type === 'records') (t.applied as unknown[]).push(...e.records)
      else if (e.type === 'role') (t.roles as string[]).push(e.role)
      else t.applied = [...log.records()]
    })
    return log.role
  }, name)
}

/** Two tabs on store `name`, both opened with follow: true: the first writes, the second follows. */
async function writerAndFollower(name: string): Promise<[Page, Page]> {
  const writer = await app()
  const follower = await app()
  await openFollowing(writer, name)
  await openFollowing(follower, name)
  return [writer, follower]
}

const applied = (page: Page) =>
  page.evaluate(() => globalThis.t.applied as { n: number }[])

async function until<T>(fn: () => Promise<T>, ok: (v: T) => boolean) {
  for (let i = 0; i < 400; i++) {
    const v = await fn()
    if (ok(v)) return v
    await new Promise((r) => setTimeout(r, 25))
  }
  return fn()
}

/** Closes the writer's tab and waits until the follower has taken over as the writer. */
async function closeWriter(writer: Page, follower: Page) {
  await writer.close()
  await until(
    () => follower.evaluate(() => globalThis.t.roles as string[]),
    (r) => r.includes('writer'),
  )
}

describe('tabs with follow: true', { timeout: 90_000 }, () => {
  it('a second tab follows the writer live and takes over when its tab closes, losing and repeating nothing', async () => {
    const writer = await app()
    const follower = await app()
    expect(await openFollowing(writer, 'follow/close')).toBe('writer')
    await writer.evaluate(async () => {
      const log = globalThis.t.log as import('../src/index.js').BrowserAof
      for (let n = 0; n < 5; n++) log.append({ n })
      await log.durable()
    })
    expect(await openFollowing(follower, 'follow/close')).toBe('follower')
    expect(await applied(follower)).toEqual([0, 1, 2, 3, 4].map((n) => ({ n })))
    await writer.evaluate(async () => {
      const log = globalThis.t.log as import('../src/index.js').BrowserAof
      for (let n = 5; n < 10; n++) log.append({ n })
      await log.durable()
    })
    const mirrored = await until(
      () => applied(follower),
      (a) => a.length >= 10,
    )
    expect(mirrored).toEqual([...Array(10).keys()].map((n) => ({ n })))
    // The follower's own records go to the writer, which logs them and sends them back.
    await follower.evaluate(() => {
      const log = globalThis.t.log as import('../src/index.js').BrowserAof
      log.append({ n: 10 })
    })
    // The writer's store gets it as a record logged elsewhere, to apply without logging.
    expect(
      await until(
        () => applied(writer),
        (a) => a.length >= 1,
      ),
    ).toEqual([{ n: 10 }])
    expect(
      await until(
        () => applied(follower),
        (a) => a.length >= 11,
      ),
    ).toEqual([...Array(11).keys()].map((n) => ({ n })))
    // The writer appends and closes its tab at once: the follower takes over.
    await writer.evaluate(() => {
      const log = globalThis.t.log as import('../src/index.js').BrowserAof
      for (let n = 11; n < 20; n++) log.append({ n })
    })
    await closeWriter(writer, follower)
    const after = await follower.evaluate(async () => {
      const log = globalThis.t.log as import('../src/index.js').BrowserAof
      log.append({ n: 20 })
      await log.durable()
      return {
        roles: globalThis.t.roles,
        role: log.role,
        records: [...log.records()],
      }
    })
    expect(after.roles).toEqual(['follower', 'writer'])
    expect(after.role).toBe('writer')
    const got = (await applied(follower)).map((r) => r.n)
    // Every record the old writer wrote is applied once, in order; a record its tab had not
    // handed to the worker when the tab closed may be missing, never duplicated.
    expect(got).toEqual([...Array(got.length).keys()])
    expect(got.length).toBeGreaterThanOrEqual(11)
    expect(after.records).toEqual([...got.map((n) => ({ n })), { n: 20 }])
    await follower.close()
  })

  it('a follower takes over when the writer tab crashes', async () => {
    const [writer, follower] = await writerAndFollower('follow/crash')
    await writer.evaluate(async () => {
      const log = globalThis.t.log as import('../src/index.js').BrowserAof
      for (let n = 0; n < 50; n++) log.append({ n })
      await log.durable()
      for (let n = 50; n < 60; n++) log.append({ n })
    })
    const cdp = await suite.browser.context.newCDPSession(writer)
    const crashed = writer.waitForEvent('crash')
    void cdp.send('Page.crash').catch(() => {})
    await crashed
    await until(
      () => follower.evaluate(() => globalThis.t.roles as string[]),
      (r) => r.includes('writer'),
    )
    const got = (await applied(follower)).map((r) => r.n)
    expect(got).toEqual([...Array(got.length).keys()])
    expect(got.length).toBeGreaterThanOrEqual(50)
    const reopened = await follower.evaluate(async () => {
      const log = globalThis.t.log as import('../src/index.js').BrowserAof
      await log.close()
      const again = await globalThis.browser.openBrowserAof({
        name: 'follow/crash',
      })
      const records = [...again.records()]
      await again.close()
      return records
    })
    expect(reopened).toEqual(got.map((n) => ({ n })))
    await writer.close().catch(() => {})
    await follower.close()
  })

  it("a follower keeps up across the writer's rewrites, and takes over after one", async () => {
    const [writer, follower] = await writerAndFollower('follow/rewrite')
    await writer.evaluate(async () => {
      const log = globalThis.t.log as import('../src/index.js').BrowserAof
      for (let n = 0; n < 20; n++) log.append({ n })
      const rewrite = log.rewrite({ snap: 20 })
      for (let n = 20; n < 30; n++) log.append({ n })
      await rewrite
      await log.rewrite({ snap: 30 })
      for (let n = 30; n < 40; n++) log.append({ n })
      await log.durable()
    })
    expect(
      (
        await until(
          () => applied(follower),
          (a) => a.length >= 40,
        )
      ).map((r) => r.n),
    ).toEqual([...Array(40).keys()])
    await closeWriter(writer, follower)
    const after = await follower.evaluate(async () => {
      const log = globalThis.t.log as import('../src/index.js').BrowserAof
      log.append({ n: 40 })
      await log.close()
      const again = await globalThis.browser.openBrowserAof({
        name: 'follow/rewrite',
      })
      const records = [...again.records()]
      await again.close()
      return records
    })
    expect((await applied(follower)).map((r) => r.n)).toEqual([
      ...Array(40).keys(),
    ])
    expect(after).toEqual([
      { snap: 30 },
      ...[30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40].map((n) => ({ n })),
    ])
    await follower.close()
  })

  it('durable() on a follower resolves once the writer flushed the records it sent', async () => {
    const [writer, follower] = await writerAndFollower('follow/durable')
    await follower.evaluate(async () => {
      const log = globalThis.t.log as import('../src/index.js').BrowserAof
      log.append({ n: 0 })
      await log.durable()
    })
    // Killing the writer's tab now loses nothing the follower was told is durable.
    const cdp = await suite.browser.context.newCDPSession(writer)
    const crashed = writer.waitForEvent('crash')
    void cdp.send('Page.crash').catch(() => {})
    await crashed
    await until(
      () => follower.evaluate(() => globalThis.t.roles as string[]),
      (r) => r.includes('writer'),
    )
    const records = await follower.evaluate(() => [
      ...(globalThis.t.log as import('../src/index.js').BrowserAof).records(),
    ])
    expect(records).toEqual([{ n: 0 }])
    await writer.close().catch(() => {})
    await follower.close()
  })
})
