import { mkdtempSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import * as path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Page } from 'playwright-core'
import { build } from 'vite'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { TestBrowser } from '../../../packages/browser/test/harness/browser.js'
import {
  html,
  serve,
  type TestServer,
} from '../../../packages/browser/test/harness/server.js'

// The example, driven as a user would: typing into the form, reading the list. Served two ways:
// built by Vite, and as plain ES modules from its sources with an import map (no bundler).
const example = fileURLToPath(new URL('..', import.meta.url))
const root = fileURLToPath(new URL('../../..', import.meta.url))
const dirOf = (pkg: string, from = example) =>
  path.dirname(
    createRequire(path.join(from, 'package.json')).resolve(
      `${pkg}/package.json`,
    ),
  )

let server: TestServer
let browser: TestBrowser

beforeAll(async () => {
  const outDir = mkdtempSync(path.join(tmpdir(), 'aof-browser-todo-'))
  await build({
    root: example,
    configFile: path.join(example, 'vite.config.js'),
    logLevel: 'silent',
    build: { outDir, emptyOutDir: true },
  })
  server = await serve()
  server.mount('/vite/', outDir)
  // The unbundled app: its sources, the packages' dist/ folders, and the dependencies' ESM
  // builds (the ones without a `process` global).
  server.mount('/src/', path.join(example, 'src'))
  for (const pkg of ['browser', 'core', 'redux', 'zustand'])
    server.mount(`/pkg/${pkg}/`, path.join(root, 'packages', pkg, 'dist'))
  const rtk = dirOf('@reduxjs/toolkit')
  const modules: Record<string, string> = {
    redux: path.join(dirOf('redux'), 'dist/redux.browser.mjs'),
    '@reduxjs/toolkit': path.join(rtk, 'dist/redux-toolkit.browser.mjs'),
    immer: path.join(dirOf('immer', rtk), 'dist/immer.production.mjs'),
    reselect: path.join(dirOf('reselect', rtk), 'dist/reselect.browser.mjs'),
    'redux-thunk': path.join(dirOf('redux-thunk', rtk), 'dist/redux-thunk.mjs'),
    'zustand/vanilla': path.join(dirOf('zustand'), 'esm/vanilla.mjs'),
  }
  const imports: Record<string, string> = {
    '@aof-persist/browser': '/pkg/browser/index.js',
    // The adapters import the core by its main name; in a page that is the portable entry.
    '@aof-persist/core': '/pkg/core/portable.js',
    '@aof-persist/core/portable': '/pkg/core/portable.js',
    '@aof-persist/redux': '/pkg/redux/index.js',
    '@aof-persist/zustand': '/pkg/zustand/index.js',
  }
  for (const [name, file] of Object.entries(modules)) {
    server.set(`/modules/${name}.js`, file)
    imports[name] = `/modules/${name}.js`
  }
  for (const page of ['redux', 'zustand']) {
    server.set(
      `/plain/${page}.html`,
      html({
        imports,
        body: `<h1>Todos</h1><form id="add"><input id="text"></form><ul id="list"></ul><p id="status">loading…</p><script type="module" src="/src/${page}.js"></script>`,
      }),
    )
  }
  browser = new TestBrowser()
  await browser.launch()
}, 120_000)

afterAll(async () => {
  await browser?.close()
  await server?.close()
})

const pages = {
  'Redux Toolkit, built by Vite': '/vite/index.html',
  'Zustand, built by Vite': '/vite/zustand.html',
  'Redux Toolkit, plain ES modules': '/plain/redux.html',
  'Zustand, plain ES modules': '/plain/zustand.html',
}

async function open(url: string): Promise<Page> {
  const page = await browser.open(server.origin + url)
  await ready(page)
  return page
}

/** Waits for the app to load, failing at once with the page's error if it throws. */
async function ready(page: Page & { errors?: string[] }): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (page.errors?.length)
      throw new Error(`the page failed: ${page.errors[0]}`)
    const status = await page.textContent('#status')
    if (/loaded|took over/.test(status ?? '')) return
    await new Promise((r) => setTimeout(r, 25))
  }
  throw new Error(`the page did not load: ${await page.textContent('#status')}`)
}

const items = (page: Page) =>
  page.$$eval('#list li', (lis) =>
    lis.map((li) => (li.className === 'done' ? `[x] ` : '') + li.textContent),
  )

async function add(page: Page, text: string) {
  await page.fill('#text', text)
  await page.press('#text', 'Enter')
  await page.waitForFunction(() =>
    document.getElementById('status')!.textContent!.startsWith('saved'),
  )
}

describe.each(Object.entries(pages))(
  'the example (%s)',
  { timeout: 90_000 },
  (_, url) => {
    it('keeps the list across a reload and across a killed browser', async () => {
      let page = await open(url)
      const before = await items(page)
      await add(page, 'milk')
      await add(page, 'eggs')
      await page.click('#list li:last-child')
      await page.waitForFunction(() =>
        document.getElementById('status')!.textContent!.startsWith('saved'),
      )
      const expected = [...before, 'milk', '[x] eggs']
      expect(await items(page)).toEqual(expected)
      await page.reload()
      await ready(page)
      expect(await items(page)).toEqual(expected)
      await add(page, 'tea')
      await browser.kill()
      page = await open(url)
      expect(await items(page)).toEqual([...expected, 'tea'])
      await page.close()
    })
  },
)

describe.each(Object.entries(pages).slice(0, 2))(
  'two tabs of the example (%s)',
  { timeout: 90_000 },
  (_, url) => {
    it('follow each other live, and the second takes over when the first closes', async () => {
      const a = await open(url)
      const b = await open(url)
      expect(await a.textContent('#status')).toContain('writer')
      expect(await b.textContent('#status')).toContain('follower')
      const start = await items(a)
      await add(a, 'from the writer')
      await b.waitForFunction(
        (n) => document.querySelectorAll('#list li').length === n,
        start.length + 1,
      )
      await add(b, 'from the follower')
      const both = [...start, 'from the writer', 'from the follower']
      await a.waitForFunction(
        (n) => document.querySelectorAll('#list li').length === n,
        both.length,
      )
      expect(await items(a)).toEqual(both)
      expect(await items(b)).toEqual(both)
      await a.close()
      await b.waitForFunction(() =>
        /took over/.test(document.getElementById('status')!.textContent!),
      )
      await add(b, 'after the takeover')
      await b.reload()
      await ready(b)
      expect(await items(b)).toEqual([...both, 'after the takeover'])
      await b.close()
    })
  },
)

describe.each(Object.entries(pages).slice(0, 2))(
  'two tabs changing the example at once (%s)',
  { timeout: 90_000 },
  (_, url) => {
    it('end in the same state as each other and as the log, which replays', async () => {
      const a = await open(url)
      const b = await open(url)
      // Both tabs add and toggle in bursts, interleaved, without waiting for each other.
      const burst = (page: Page, tag: string) =>
        page.evaluate(async (tag) => {
          const { store, log } = (
            globalThis as unknown as {
              example: {
                store: {
                  dispatch?: (a: unknown) => unknown
                  getState(): unknown
                }
                log: { durable(): Promise<void> }
              }
            }
          ).example
          const add = document.getElementById('text') as HTMLInputElement
          const form = document.getElementById('add') as HTMLFormElement
          for (let i = 0; i < 20; i++) {
            add.value = `${tag} ${i}`
            form.requestSubmit()
            if (i % 5 === 4) await new Promise((r) => setTimeout(r, 0))
          }
          void store
          await log.durable()
        }, tag)
      await Promise.all([burst(a, 'a'), burst(b, 'b')])
      const settled = async () => {
        for (let i = 0; i < 200; i++) {
          const [x, y] = await Promise.all([items(a), items(b)])
          if (x.length === y.length && JSON.stringify(x) === JSON.stringify(y))
            return x
          await new Promise((r) => setTimeout(r, 25))
        }
        return null
      }
      const both = await settled()
      expect(both).not.toBeNull()
      // Every add of the writer is there; a follower's concurrent adds replace the list as a
      // whole (Zustand) or are reduced in the log's order (Redux): none is applied twice.
      const mine = both!.filter((t) => /^(\[x\] )?[ab] \d+$/.test(t))
      expect(new Set(mine).size).toBe(mine.length)
      // Redux actions are reduced in the log's order in every tab: no add is lost. A Zustand
      // follower's set replaces the whole list, so the one logged last wins (docs/learn/
      // browser.md): the list is one of the tabs', whole.
      if (url.endsWith('index.html')) expect(mine.length).toBe(40)
      else expect(mine.length).toBeGreaterThanOrEqual(20)
      await a.close()
      await b.reload()
      await ready(b)
      expect(await items(b)).toEqual(both)
      await b.close()
    })
  },
)
