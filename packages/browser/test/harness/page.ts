import type { Page } from 'playwright-core'
import type * as Browser from '../../src/index.js'

/** What `/app.html` puts on `globalThis`. */
export interface AppGlobals {
  browser: typeof Browser
  /** Scratch space for a test: the log it opened, records, errors. */
  t: Record<string, unknown>
}

/** Opens `/app.html` and waits for the package to load. */
export async function appReady(page: Page): Promise<void> {
  await page.waitForFunction(() => 'browser' in globalThis)
  await page.evaluate(() => {
    ;(globalThis as unknown as { t: object }).t = {}
  })
}
