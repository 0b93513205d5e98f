import { build } from 'esbuild'
import type { Page, Worker as PwWorker } from 'playwright-core'

/**
 * Bundles a test entry (and what it imports, core included) into one ES module that a module
 * worker can load without an import map: how the tests run the package's sources in a worker.
 */
export async function bundle(entry: string): Promise<string> {
  const out = await build({
    entryPoints: [entry],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
    sourcemap: 'inline',
    logLevel: 'silent',
  })
  return out.outputFiles[0]!.text
}

/** Starts a dedicated module worker from `url` in `page` and returns Playwright's handle on it. */
export async function startWorker(page: Page, url: string): Promise<PwWorker> {
  const started = page.waitForEvent('worker', (w) => w.url().endsWith(url))
  await page.evaluate((u) => {
    const w = new Worker(u, { type: 'module' })
    ;(globalThis as Record<string, unknown>).workers ??= [] as Worker[]
    ;((globalThis as Record<string, unknown>).workers as Worker[]).push(w)
  }, url)
  const worker = await started
  // The module has run once its top level set `self.probe`.
  await worker.evaluate(
    () =>
      new Promise<void>((resolve) => {
        const poll = () =>
          (globalThis as Record<string, unknown>).probe
            ? resolve()
            : setTimeout(poll, 5)
        poll()
      }),
  )
  return worker
}
