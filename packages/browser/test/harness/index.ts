import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll } from 'vitest'
import { TestBrowser } from './browser.js'
import { bundle } from './bundle.js'
import { html, serve, type TestServer } from './server.js'

export { TestBrowser, chromiumPath, newProfile } from './browser.js'
export { bundle, startWorker } from './bundle.js'
export { html, serve, type TestServer } from './server.js'

const fixture = (name: string) =>
  fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url))

/** What a browser test file shares: one server and one Chromium on one profile. */
export interface BrowserSuite {
  server: TestServer
  browser: TestBrowser
  /** `server.origin + path` */
  url(path: string): string
}

/**
 * Starts one server and one Chromium for the test file (launching costs about a second) and
 * stops them after it. Serves `/probe.js` (the storage probe worker) and `/blank.html`.
 */
export function browserSuite(): BrowserSuite {
  const suite = {} as BrowserSuite
  beforeAll(async () => {
    suite.server = await serve()
    suite.server.set('/blank.html', html())
    suite.server.set('/probe.js', {
      type: 'text/javascript',
      body: await bundle(fixture('probe.ts')),
    })
    suite.browser = new TestBrowser()
    suite.url = (p) => suite.server.origin + p
    await suite.browser.launch()
  }, 120_000)
  afterAll(async () => {
    await suite.browser?.close()
    await suite.server?.close()
  })
  return suite
}
