// Benchmarks of @aof-persist/core. Each figure is a ratio to a floor measured in the same run
// on the same machine, so the numbers mean something on a shared, noisy box. Prints a table
// and writes docs/bench/core.json. Never asserts a time: read the ratios against the goals.
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { setImmediate as nextTurn } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { openAof } from '../packages/core/dist/index.js'
import { figureTable } from './figures.mjs'

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)))
const quick = process.argv.includes('--quick')
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'aof-bench-'))
let dirNo = 0
const freshDir = () => path.join(tmp, `s${dirNo++}`)
const now = () => performance.now()

/** A typical small state action (about 90 bytes of JSON). */
const action = (i) => ({
  type: 'todos/toggled',
  payload: { id: `todo-${i}`, done: i % 2 === 0 },
  meta: { at: 1764000000 + i },
})

/** Best of `runs` timings of `fn` (ms): the least disturbed run on a shared machine. */
async function best(runs, fn) {
  let min = Infinity
  for (let r = 0; r < runs; r++) {
    const t = await fn()
    if (t < min) min = t
  }
  return min
}

/**
 * Best of `runs` timings of the floor and of ours, run alternately: a disturbed stretch of a
 * shared machine costs both sides alike instead of one side's whole series.
 */
async function bestPair(runs, floor, ours) {
  let f = Infinity
  let o = Infinity
  for (let r = 0; r < runs; r++) {
    f = Math.min(f, await floor())
    o = Math.min(o, await ours())
  }
  return [f, o]
}

const results = {
  machine: {
    cpus: os.cpus().length,
    node: process.version,
    platform: process.platform,
  },
  figures: {},
}
const { record, print } = figureTable(results.figures)

/**
 * The floor of the append figures: `n` actions through JSON.stringify, written to a file in
 * one write per 64 KB (ms).
 */
function writeFloorMs(n) {
  const fd = fs.openSync(path.join(tmp, `floor-${dirNo++}`), 'a')
  const t0 = now()
  let parts = []
  let len = 0
  for (let i = 0; i < n; i++) {
    const s = JSON.stringify(action(i)) + '\n'
    parts.push(s)
    len += s.length
    if (len >= 65536) {
      fs.writeSync(fd, parts.join(''))
      parts = []
      len = 0
    }
  }
  if (parts.length) fs.writeSync(fd, parts.join(''))
  const t = now() - t0
  fs.closeSync(fd)
  return t
}

// 1. everysec burst append throughput vs JSON.stringify + one write per 64 KB. Long enough
//    (over a second per run) that the once-a-second background fdatasync is part of it.
{
  const N = quick ? 200_000 : 1_500_000
  const BURST = 1000
  const floorRun = async () => writeFloorMs(N)
  const oursRun = async () => {
    const aof = openAof({ dir: freshDir(), fsync: 'everysec' })
    const t0 = now()
    for (let i = 0; i < N; i += BURST) {
      for (let k = i; k < i + BURST; k++) aof.append(action(k))
      await nextTurn() // the turn ends: the burst is written in one write
    }
    const t = now() - t0
    aof.closeSync()
    return t
  }
  const [floorMs, oursMs] = await bestPair(5, floorRun, oursRun)
  const floorRate = N / (floorMs / 1000)
  const ourRate = N / (oursMs / 1000)
  record(
    'append everysec (records/s)',
    ourRate,
    'rec/s',
    floorRate,
    ourRate / floorRate,
    '>= 0.8x',
    `${N} records, bursts of ${BURST} per turn`,
  )
}

// 1b. One turn's burst: 300,000 appends without the event loop turning, then flush(), against
//     the same floor (JSON.stringify + one write per 64 KB). The write buffer is written out
//     once it passes 64 KB, so the burst costs what the floor does and memory stays bounded
//     by the buffer: the heap the burst leaves behind is measured too.
{
  const N = 300_000
  const floorRun = async () => writeFloorMs(N)
  let maxBuffer = 0
  const oursRun = async () => {
    const aof = openAof({ dir: freshDir(), fsync: 'no' })
    const t0 = now()
    for (let i = 0; i < N; i++) aof.append(action(i))
    aof.flush()
    const t = now() - t0
    // How much the buffer held at most: sampled in a separate, untimed pass.
    for (let i = 0; i < 20_000; i++) {
      aof.append(action(i))
      if (i % 997 === 0)
        maxBuffer = Math.max(maxBuffer, aof.stats().bufferLength)
    }
    aof.closeSync()
    return t
  }
  const [floorMs, oursMs] = await bestPair(5, floorRun, oursRun)
  const floorRate = N / (floorMs / 1000)
  const ourRate = N / (oursMs / 1000)
  record(
    'append, one-turn burst + flush (records/s)',
    ourRate,
    'rec/s',
    floorRate,
    ourRate / floorRate,
    '>= 0.8x',
    `${N} records in one turn; buffer held at most ${(maxBuffer / 1024).toFixed(0)} KiB`,
  )
}

// 2. always: each append written and fdatasync'd vs a raw write + fdatasync loop.
{
  const N = quick ? 500 : 2000
  const lines = Array.from(
    { length: N },
    (_, i) => JSON.stringify(action(i)) + '\n',
  )
  const floorRun = async () => {
    const fd = fs.openSync(path.join(tmp, `floor-${dirNo++}`), 'a')
    const t0 = now()
    for (const l of lines) {
      fs.writeSync(fd, l)
      fs.fdatasyncSync(fd)
    }
    const t = now() - t0
    fs.closeSync(fd)
    return t
  }
  const oursRun = async () => {
    const aof = openAof({ dir: freshDir(), fsync: 'always' })
    const t0 = now()
    for (let i = 0; i < N; i++) aof.append(action(i))
    const t = now() - t0
    aof.closeSync()
    return t
  }
  const [floorMs, oursMs] = await bestPair(7, floorRun, oursRun)
  const floorRate = N / (floorMs / 1000)
  const ourRate = N / (oursMs / 1000)
  record(
    'append always (records/s)',
    ourRate,
    'rec/s',
    floorRate,
    ourRate / floorRate,
    '>= 0.9x',
    `${N} records, each fdatasync'd`,
  )
  results.figures['append always (records/s)'].fsyncMs = floorMs / N
}

// 3. no: for the per-policy chart.
{
  const N = quick ? 50_000 : 200_000
  const oursMs = await best(3, async () => {
    const aof = openAof({ dir: freshDir(), fsync: 'no' })
    const t0 = now()
    for (let i = 0; i < N; i += 1000) {
      for (let k = i; k < i + 1000; k++) aof.append(action(k))
      await nextTurn()
    }
    const t = now() - t0
    aof.closeSync()
    return t
  })
  record(
    'append no (records/s)',
    N / (oursMs / 1000),
    'rec/s',
    null,
    null,
    '',
    `${N} records`,
  )
}

// 4. records() vs JSON.parse over the same lines already in memory.
let replayPerMiB = 0
{
  const N = quick ? 100_000 : 500_000
  const dir = freshDir()
  const aof = openAof({ dir, fsync: 'no', autoRewritePercentage: 0 })
  for (let i = 0; i < N; i++) aof.append(action(i))
  await aof.close()
  const file = path.join(dir, 'appendonly.aof.1.incr.aof')
  const bytes = fs.statSync(file).size
  const lines = fs.readFileSync(file, 'utf8').split('\n')
  lines.pop()
  const floorRun = async () => {
    const t0 = now()
    let n = 0
    for (const l of lines) if (JSON.parse(l)) n++
    if (n !== N) throw new Error('floor miscounted')
    return now() - t0
  }
  const oursRun = async () => {
    const log = openAof({ dir })
    const t0 = now()
    let n = 0
    for (const r of log.records()) if (r) n++
    const t = now() - t0
    log.closeSync()
    if (n !== N) throw new Error('records() miscounted')
    return t
  }
  const [floorMs, oursMs] = await bestPair(5, floorRun, oursRun)
  const floorRate = N / (floorMs / 1000)
  const ourRate = N / (oursMs / 1000)
  record(
    'records() (records/s)',
    ourRate,
    'rec/s',
    floorRate,
    ourRate / floorRate,
    '>= 0.7x',
    `${N} records, ${(bytes / 2 ** 20).toFixed(1)} MiB`,
  )
  replayPerMiB = oursMs / (bytes / 2 ** 20)
}

// 5. Start-up at the default autoRewriteMinSize: open + replay a 4 MiB log through a reducer.
{
  const dir = freshDir()
  const aof = openAof({ dir, fsync: 'no', autoRewritePercentage: 0 })
  let i = 0
  while (aof.stats().currentSize < 4 * 2 ** 20) aof.append(action(i++))
  await aof.close()
  const reducer = (state, a) => {
    if (a.type !== 'todos/toggled') return state
    state.set(a.payload.id, a.payload.done)
    return state
  }
  const ms = await best(5, async () => {
    const t0 = now()
    const log = openAof({ dir })
    let state = new Map()
    for (const a of log.records()) state = reducer(state, a)
    const t = now() - t0
    log.closeSync()
    return t
  })
  record(
    'start-up, 4 MiB log (open + replay)',
    ms,
    'ms',
    null,
    null,
    'desktop: well under 1 s',
    `${i} actions; default autoRewriteMinSize`,
  )
  results.figures['start-up, 4 MiB log (open + replay)'].actions = i
  results.replayMsPerMiB = replayPerMiB
}

// 5b. A log larger than V8's longest string (~512 MiB): records() reads it in chunks, so it
//     loads, and memory stays bounded by the chunk plus what the caller keeps (nothing here).
if (!process.argv.includes('--no-huge')) {
  const dir = freshDir()
  const aof = openAof({ dir, fsync: 'no', autoRewritePercentage: 0 })
  aof.closeSync()
  const file = path.join(dir, 'appendonly.aof.1.incr.aof')
  const line =
    JSON.stringify({ type: 'blob/put', payload: 'x'.repeat(64 * 1024 - 40) }) +
    '\n'
  const block = Buffer.from(line.repeat(64)) // 4 MiB
  const target = (quick ? 256 : 1024) * 2 ** 20
  const fd = fs.openSync(file, 'a')
  let written = 0
  while (written < target) written += fs.writeSync(fd, block)
  fs.closeSync(fd)
  globalThis.gc?.()
  const rssBefore = process.memoryUsage().rss
  let peak = rssBefore
  const log = openAof({ dir })
  const t0 = now()
  let n = 0
  for (const r of log.records()) {
    if (r) n++
    if ((n & 255) === 0) peak = Math.max(peak, process.memoryUsage().rss)
  }
  const ms = now() - t0
  log.closeSync()
  fs.rmSync(dir, { recursive: true, force: true })
  const mib = written / 2 ** 20
  record(
    'records() of a large log',
    mib / (ms / 1000),
    'MiB/s',
    null,
    null,
    'loads; bounded memory',
    `${mib.toFixed(0)} MiB, ${n} records, RSS grew ${((peak - rssBefore) / 2 ** 20).toFixed(0)} MiB`,
  )
  results.figures['records() of a large log'].bytes = written
  results.figures['records() of a large log'].rssGrowthBytes = peak - rssBefore
}

// 6. Rewrite of a ~50 MB state while appends keep landing: total time vs JSON.stringify + write,
//    and the longest event-loop stall.
{
  const COUNT = quick ? 100_000 : 420_000
  const state = {
    todos: Array.from({ length: COUNT }, (_, i) => ({
      id: `todo-${i}`,
      text: `Write the benchmark for item number ${i} of the list`,
      done: i % 3 === 0,
      tags: ['work', 'bench'],
    })),
    ui: { filter: 'all' },
  }
  const snapshot = {
    type: '@@aof/SNAPSHOT',
    payload: state,
    meta: { version: 0 },
  }
  const floorMs = await best(3, async () => {
    const t0 = now()
    const s = JSON.stringify(snapshot) + '\n'
    fs.writeFileSync(path.join(tmp, `floor-${dirNo++}`), s)
    return now() - t0
  })
  const size = Buffer.byteLength(JSON.stringify(snapshot))
  let stallMs = Infinity
  let totalMs = Infinity
  let appendsDuring = 0
  for (let r = 0; r < 3; r++) {
    const aof = openAof({ dir: freshDir(), fsync: 'everysec' })
    aof.append({ type: 'before' })
    const h = monitorEventLoopDelay({ resolution: 1 })
    let landing = true
    let n = 0
    const appender = async () => {
      while (landing) {
        aof.append(action(n++))
        await nextTurn()
      }
    }
    h.enable()
    const t0 = now()
    const loop = appender()
    await aof.rewrite(snapshot)
    const t = now() - t0
    landing = false
    await loop
    h.disable()
    const stall = h.max / 1e6
    if (stall < stallMs) {
      stallMs = stall
      appendsDuring = n
    }
    totalMs = Math.min(totalMs, t)
    aof.closeSync()
  }
  record(
    'rewrite ~50 MB state (total)',
    totalMs,
    'ms',
    floorMs,
    floorMs / totalMs,
    'reported',
    `${(size / 1e6).toFixed(1)} MB snapshot; ratio = floor / ours`,
  )
  record(
    'rewrite: longest event-loop stall',
    stallMs,
    'ms',
    null,
    null,
    '<= 50 ms',
    `${appendsDuring} appends landed during the rewrite`,
  )
}

fs.rmSync(tmp, { recursive: true, force: true })
print()
fs.mkdirSync(path.join(root, 'docs', 'bench'), { recursive: true })
fs.writeFileSync(
  path.join(root, 'docs', 'bench', 'core.json'),
  JSON.stringify({ ...results, at: new Date().toISOString() }, null, 2) + '\n',
)
console.log('\nwrote docs/bench/core.json')
