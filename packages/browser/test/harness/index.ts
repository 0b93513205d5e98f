import { existsSync } from 'node:fs'
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
const packageDir = (name: string) =>
  fileURLToPath(new URL(`../../../${name}/`, import.meta.url))

/** The import map of a page that loads the built packages by name, without a bundler. */
export const IMPORTS = {
  '@aof-persist/browser': '/pkg/browser/dist/index.js',
  '@aof-persist/core/portable': '/pkg/core/dist/portable.js',
}

/** Fails with the next step when a package was not built (the browser tests load dist/). */
function assertBuilt(): void {
  for (const file of [
    'browser/dist/index.js',
    'browser/dist/worker.js',
    'core/dist/portable.js',
  ]) {
    if (
      !existsSync(fileURLToPath(new URL(`../../../${file}`, import.meta.url)))
    )
      throw new Error(`packages/${file} is missing: run "pnpm build" first`)
  }
}

/** What a browser test file shares: one server and one Chromium on one profile. */
export interface BrowserSuite {
  server: TestServer
  browser: TestBrowser
  /** `server.origin + path` */
  url(path: string): string
}

/**
 * Starts one server and one Chromium for the test file (launching costs about a second) and
 * stops them after it. Serves `/probe.js` (the storage probe worker), `/blank.html`, `/app.html`
 * (the built package on `globalThis.browser`, loaded through an import map) and the packages'
 * folders under `/pkg/<name>/`.
 */
export function browserSuite(): BrowserSuite {
  const suite = {} as BrowserSuite
  beforeAll(async () => {
    assertBuilt()
    suite.server = await serve()
    suite.server.mount('/pkg/browser/', packageDir('browser'))
    suite.server.mount('/pkg/core/', packageDir('core'))
    suite.server.set('/blank.html', html())
    suite.server.set(
      '/app.html',
      html({
        imports: IMPORTS,
        body: `<script type="module">import * as browser from '@aof-persist/browser'; globalThis.browser = browser</script>`,
      }),
    )
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
