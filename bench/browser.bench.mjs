// Benchmarks of @aof-persist/browser in a real headless Chromium (Debian's chromium driven by
// playwright-core, persistent profile, pages from 127.0.0.1). Each figure is a ratio to a floor
// measured in the same worker or page and the same run. Prints a table and writes
// docs/bench/browser.json. Never asserts a time: read the ratios against the goals.
/* global Worker, MessageChannel -- used inside page.evaluate callbacks, which run in the page */
import * as fs from 'node:fs'
import * as http from 'node:http'
import { createRequire } from 'node:module'
import * as os from 'node:os'
import * as path from 'node:path'
import { fileURLToPath } from 'node:url'
import { figureTable, fmt } from './figures.mjs'

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)))
// playwright-core and esbuild are the browser package's dev dependencies.
const require = createRequire(path.join(root, 'packages/browser/package.json'))
const { chromium } = require('playwright-core')
const esbuild = require('esbuild')
const quick = process.argv.includes('--quick')
// `--only 3` runs one section (1 append, 2 replay, 3 rewrite stall, 4 durable, 5 follow).
const onlyAt = process.argv.indexOf('--only')
const only = onlyAt === -1 ? null : Number(process.argv[onlyAt + 1])
const runs = (section) => only === null || only === section

function chromiumPath() {
  const candidates = [
    process.env.CHROMIUM_PATH,
    '/usr/lib/chromium/chromium',
    '/usr/bin/chromium',
  ].filter(Boolean)
  const found = candidates.find((p) => fs.existsSync(p))
  if (!found) {
    console.error(
      'browser bench: no Chromium. Install Debian\'s "chromium" package (scripts/setup-test-machine.mjs does, as root) or set CHROMIUM_PATH.',
    )
    process.exit(1)
  }
  return found
}

for (const f of [
  'packages/browser/dist/index.js',
  'packages/core/dist/portable.js',
]) {
  if (!fs.existsSync(path.join(root, f))) {
    console.error(`browser bench: ${f} is missing: run "pnpm build" first`)
    process.exit(1)
  }
}

const workerJs = (
  await esbuild.build({
    entryPoints: [path.join(root, 'bench/browser/worker.js')],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    write: false,
    alias: {
      '@aof-persist/core/portable': path.join(
        root,
        'packages/core/dist/portable.js',
      ),
    },
    logLevel: 'silent',
  })
).outputFiles[0].text

const page = `<!doctype html><meta charset="utf-8"><script type="importmap">${JSON.stringify(
  {
    imports: {
      '@aof-persist/browser': '/pkg/browser/dist/index.js',
      '@aof-persist/core/portable': '/pkg/core/dist/portable.js',
    },
  },
)}</script><script type="module">import * as b from '@aof-persist/browser'; globalThis.browser = b</script>`

const server = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://x')
  res.setHeader('Cross-Origin-Opener-Policy', 'same-origin')
  res.setHeader('Cross-Origin-Embedder-Policy', 'require-corp')
  if (url.pathname === '/') {
    res.setHeader('Content-Type', 'text/html')
    return res.end(page)
  }
  if (url.pathname === '/bench-worker.js') {
    res.setHeader('Content-Type', 'text/javascript')
    return res.end(workerJs)
  }
  const m = /^\/pkg\/(browser|core)\/(dist\/[\w.-]+)$/.exec(url.pathname)
  if (m) {
    const file = path.join(root, 'packages', m[1], m[2])
    if (fs.existsSync(file)) {
      res.setHeader('Content-Type', 'text/javascript')
      return res.end(fs.readFileSync(file))
    }
  }
  res.statusCode = 404
  res.end()
})
await new Promise((r) => server.listen(0, '127.0.0.1', r))
const origin = `http://127.0.0.1:${server.address().port}`
const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'aof-bench-chromium-'))
const context = await chromium.launchPersistentContext(profile, {
  executablePath: chromiumPath(),
  headless: true,
  timeout: 60_000,
})

const results = {
  machine: {
    cpus: os.cpus().length,
    node: process.version,
    chromium: context.browser()?.version() ?? 'unknown',
  },
  figures: {},
}
const { record, print } = figureTable(results.figures)

async function newPage() {
  const p = await context.newPage()
  await p.goto(origin + '/')
  await p.waitForFunction(() => 'browser' in globalThis)
  return p
}

/** Runs `op(arg)` in a fresh bench worker of `p`. */
function inWorker(p, op, arg) {
  return p.evaluate(
    ({ op, arg }) =>
      new Promise((resolve, reject) => {
        const w = new Worker('/bench-worker.js', { type: 'module' })
        w.onmessage = (e) => {
          w.terminate()
          if (e.data.error) reject(new Error(e.data.error))
          else resolve(e.data.ok)
        }
        w.postMessage({ id: 1, op, arg })
      }),
    { op, arg },
  )
}

const best = (runs, key) => Math.min(...runs.map((r) => r[key]))

try {
  const p = await newPage()

  // 1. always: each append is a write + flush (fdatasync) in the worker.
  if (runs(1)) {
    const n = quick ? 300 : 2000
    const runs = []
    // fdatasync times vary from run to run on a shared disk: five runs, each floor and engine.
    for (let run = 0; run < 5; run++)
      runs.push(await inWorker(p, 'appendAlways', { n, run }))
    const floor = (n / best(runs, 'floor')) * 1000
    const engine = (n / best(runs, 'engine')) * 1000
    record(
      'always append (worker)',
      engine,
      'records/s',
      floor,
      engine / floor,
      '>= 0.9x of write + flush() by hand',
      `${n} records, best of 5`,
    )
  }

  // 2. Replay: records() against read + JSON.parse of the same lines, in the worker and on the
  //    main thread (what an app's store creation waits for).
  const replayN = quick ? 50_000 : 400_000
  if (runs(2)) await inWorker(p, 'fill', { name: 'bench/replay', n: replayN })
  if (runs(2)) {
    const runs = []
    for (let i = 0; i < 3; i++)
      runs.push(await inWorker(p, 'replayInWorker', { name: 'bench/replay' }))
    const floor = best(runs, 'floor')
    const engine = best(runs, 'engine')
    record(
      'replay records() (worker)',
      engine,
      'ms',
      floor,
      floor / engine,
      '>= 0.7x of JSON.parse over the same lines',
      `${runs[0].records} records, ${(runs[0].bytes / 1e6).toFixed(1)} MB`,
    )
  }
  if (runs(2)) {
    const runs = []
    for (let i = 0; i < 3; i++) {
      runs.push(
        await p.evaluate(async () => {
          const t0 = performance.now()
          const log = await globalThis.browser.openBrowserAof({
            name: 'bench/replay',
            fsync: 'no',
          })
          const open = performance.now() - t0
          const t1 = performance.now()
          let count = 0
          for (const _ of log.records()) count++
          const engine = performance.now() - t1
          // The floor: the same lines (serialized again from the records), parsed one by one.
          const lines = []
          for (const r of log.records()) lines.push(JSON.stringify(r))
          const text = lines.join('\n') + '\n'
          lines.length = 0
          await log.close()
          const t2 = performance.now()
          let start = 0
          for (;;) {
            const nl = text.indexOf('\n', start)
            if (nl === -1) break
            JSON.parse(text.slice(start, nl))
            start = nl + 1
          }
          const floor = performance.now() - t2
          return { open, engine, floor, records: count }
        }),
      )
    }
    const floor = best(runs, 'floor')
    const engine = best(runs, 'engine')
    record(
      'replay records() (main thread)',
      engine,
      'ms',
      floor,
      floor / engine,
      '>= 0.7x of JSON.parse over the same lines',
      `${runs[0].records} records; openBrowserAof() itself took ${fmt(best(runs, 'open'))} ms (worker start, OPFS read, transfer)`,
    )
  }

  // 3. A ~50 MB rewrite: the longest main-thread stall while appends keep landing, against
  //    the stall of one JSON.stringify of the same state.
  if (runs(3)) {
    const items = quick ? 60_000 : 360_000
    const stall = (items) =>
      p.evaluate(async (items) => {
        const state = {
          todos: Array.from({ length: items }, (_, i) => ({
            id: `todo-${i}`,
            title: `Buy item number ${i} at the corner shop`,
            done: i % 3 === 0,
            tags: ['home', 'errand'],
            at: 1764000000 + i,
          })),
        }
        const t0 = performance.now()
        const json = JSON.stringify(state)
        const stringify = performance.now() - t0
        const log = await globalThis.browser.openBrowserAof({
          name: 'bench/rewrite',
          fsync: 'everysec',
        })
        // A tick every turn (MessageChannel: not throttled, not clamped); a record is appended
        // every millisecond or so, as a busy app would.
        let longest = 0
        let last = performance.now()
        let lastAppend = 0
        let appends = 0
        let running = true
        const ch = new MessageChannel()
        ch.port1.onmessage = () => {
          const t = performance.now()
          longest = Math.max(longest, t - last)
          last = t
          if (t - lastAppend >= 1) {
            lastAppend = t
            log.append({ type: 'tick', n: appends++ })
          }
          if (running) ch.port2.postMessage(null)
        }
        ch.port2.postMessage(null)
        const t1 = performance.now()
        await log.rewrite(state)
        const rewrite = performance.now() - t1
        running = false
        await log.close()
        return { stringify, longest, rewrite, appends, bytes: json.length }
      }, items)
    // GC pauses of the page's heap count as stalls too: three runs, the median reported.
    const all = []
    for (let i = 0; i < 3; i++) all.push(await stall(items))
    all.sort((a, b) => a.longest - b.longest)
    const r = all[1]
    record(
      'longest main-thread stall during a rewrite',
      r.longest,
      'ms',
      r.stringify,
      null,
      '< 50 ms (floor: one JSON.stringify of the state)',
      `median of 3 runs (${all.map((x) => fmt(x.longest)).join(', ')} ms); ${(r.bytes / 1e6).toFixed(1)} MB state; the rewrite took ${fmt(r.rewrite)} ms while ${r.appends} appends landed`,
    )
  }

  // 4. What a main thread waits for: append + await durable() per record, under always.
  if (runs(4)) {
    const n = quick ? 100 : 500
    const r = await p.evaluate(async (n) => {
      const log = await globalThis.browser.openBrowserAof({
        name: 'bench/durable',
        fsync: 'always',
      })
      const t0 = performance.now()
      for (let i = 0; i < n; i++) {
        log.append({ type: 'saved', i })
        await log.durable()
      }
      const ms = performance.now() - t0
      await log.close()
      return { ms }
    }, n)
    record(
      'append + await durable() (main thread, always)',
      (n / r.ms) * 1000,
      'records/s',
      null,
      null,
      'informational',
      `${n} records, one at a time: a postMessage round trip + write + flush each`,
    )
  }

  // 5. Follow: how long a writer's record takes to reach a follower tab.
  if (runs(5)) {
    const writer = await newPage()
    const follower = await newPage()
    await writer.evaluate(async () => {
      globalThis.log = await globalThis.browser.openBrowserAof({
        name: 'bench/follow',
        follow: true,
      })
    })
    await follower.evaluate(async () => {
      const log = await globalThis.browser.openBrowserAof({
        name: 'bench/follow',
        follow: true,
      })
      globalThis.delays = []
      log.subscribe((e) => {
        if (e.type !== 'records') return
        const t = performance.timeOrigin + performance.now()
        for (const r of e.records) globalThis.delays.push(t - r.at)
      })
    })
    const n = quick ? 50 : 200
    await writer.evaluate(async (n) => {
      for (let i = 0; i < n; i++) {
        globalThis.log.append({
          at: performance.timeOrigin + performance.now(),
        })
        await new Promise((r) => setTimeout(r, 10))
      }
    }, n)
    await new Promise((r) => setTimeout(r, 500))
    const delays = await follower.evaluate(() =>
      globalThis.delays.sort((a, b) => a - b),
    )
    const q = (f) =>
      delays[Math.min(delays.length - 1, Math.floor(f * delays.length))]
    record(
      'writer append to follower tab (median)',
      q(0.5),
      'ms',
      null,
      null,
      '~50 ms',
      `p99 ${fmt(q(0.99))} ms over ${delays.length} records (everysec)`,
    )
    await writer.close()
    await follower.close()
  }
} finally {
  await context.close()
  server.close()
  fs.rmSync(profile, { recursive: true, force: true })
}

print()
fs.mkdirSync(path.join(root, 'docs/bench'), { recursive: true })
fs.writeFileSync(
  path.join(root, 'docs/bench/browser.json'),
  JSON.stringify(results, null, 2) + '\n',
)
console.log('\nwrote docs/bench/browser.json')
