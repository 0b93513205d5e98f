// Benchmark of @aof-persist/zustand against zustand's own `persist` with a file-backed
// createJSONStorage, in the same run on the same machine, with 1k, 10k and 100k items in the
// state. One set per event-loop turn (each in its own setImmediate), as an app's event handlers
// make them. Run after `pnpm build` (it imports the built packages by name); prints a table and
// writes docs/bench/zustand.json. Never asserts a time: read the ratios against the goals.
//
//   node packages/zustand/bench/zustand.bench.mjs [--quick]
//
// (a) the items stay unchanged and each set changes a small field beside them;
// (b) each set toggles one item (the updater copies the array, as immutable updates do; plain
//     zustand without persistence is the floor).
// Sets are paced by timers (about 1 ms apart); time per set is the main thread's busy time
// (eventLoopUtilization().active), so it includes all the persistence work of the turn: our
// end-of-turn write (fsync
// 'everysec': the fdatasync runs off the main thread once a second) and persist's
// JSON.stringify + writeFileSync. Bytes per set are measured: the growth of our files on disk,
// and the bytes persist hands to writeFileSync. Start-up is a child process from its start to
// the store holding the state (ours after a rewrite, i.e. one snapshot).
import { spawnSync } from 'node:child_process'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { setImmediate as nextTurn } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { openAof, readAofEntries } from '@aof-persist/core'
import { aof, replayLog } from '@aof-persist/zustand'
import { Immer, enablePatches } from 'immer'
import { createJSONStorage, persist } from 'zustand/middleware'
import { createStore } from 'zustand/vanilla'
import {
  interleaved,
  medianRound,
  OVERHEAD_ROUNDS as ROUNDS,
  WARMUP_TURNS,
} from '../../../bench/interleaved.mjs'

const self = fileURLToPath(import.meta.url)
const here = path.dirname(self)
const root = path.resolve(here, '..', '..', '..')
const quick = process.argv.includes('--quick')

// The adapter runs its development checks (values JSON cannot hold) unless NODE_ENV is
// production; an app ships with them off, so the benchmark runs that way.
if (process.env.NODE_ENV !== 'production') {
  const r = spawnSync(process.execPath, [self, ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: { ...process.env, NODE_ENV: 'production' },
  })
  process.exit(r.status ?? 1)
}
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'aof-zustand-bench-'))
let dirNo = 0
const freshDir = () => path.join(tmp, `s${dirNo++}`)
const now = () => performance.now()

const SIZES = [1_000, 10_000, 100_000]
/** Sets measured per run: fewer for persist, whose sets cost milliseconds at 100k items. */
const SETS = {
  ours: quick ? 500 : 2000,
  plain: quick ? 500 : 2000,
  persist: { 1000: 300, 10000: 100, 100000: quick ? 10 : 30 },
}
const RUNS = quick ? 1 : 3
const WARMUP = 200

/** About 90 bytes of JSON per item, like a todo. */
const makeItems = (n) =>
  Array.from({ length: n }, (_, i) => ({
    id: i,
    title: `Buy milk and eggs for item ${i}`,
    done: false,
    tags: ['home', 'errand'],
  }))

const WORKLOADS = {
  a: {
    title: '(a) a small field beside unchanged items',
    update: () => (s) => ({ counter: s.counter + 1 }),
  },
  b: {
    title: '(b) toggle one item',
    update: (i, n) => (s) => {
      const k = (i * 7919) % n
      const items = s.items.slice()
      items[k] = { ...items[k], done: !items[k].done }
      return { items }
    },
  },
}

const initializer = (items) => () => ({ items, counter: 0, bump: () => {} })

/** Bytes of the store's files (the lock aside). */
function dirBytes(dir) {
  let n = 0
  for (const name of fs.readdirSync(dir))
    if (name !== 'aof.lock') n += fs.statSync(path.join(dir, name)).size
  return n
}

/** A StateStorage on one file, as an app on Node would write one for persist. */
function fileStorage(file, counter) {
  return {
    getItem: () => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : null),
    setItem: (_name, value) => {
      counter.bytes += Buffer.byteLength(value)
      counter.writes++
      fs.writeFileSync(file, value)
    },
    removeItem: () => fs.rmSync(file, { force: true }),
  }
}

/**
 * Time per set (ms) of `sets` sets, one per turn, plus the turn after for deferred writes. The
 * `warmup` sets before are not timed (they let the JIT settle) but their bytes are counted.
 */
const nextTimer = () => new Promise((resolve) => setTimeout(resolve, 0))

/**
 * Main-thread busy time per set (eventLoopUtilization().active), one set per timer turn
 * (setTimeout 0, about 1 ms apart, as an app's events arrive), plus the turn after the last set.
 * The same method as the Redux benchmark, so the charts compare like with like.
 */
async function timeSets(store, sets, update, n, warmup) {
  for (let i = 0; i < warmup; i++) {
    await nextTurn()
    store.setState(update(i, n), false, 'warmup')
  }
  await nextTimer()
  const elu0 = performance.eventLoopUtilization()
  for (let i = 0; i < sets; i++) {
    await nextTimer()
    store.setState(update(i + warmup, n), false, 'bench/set')
  }
  await nextTurn()
  return performance.eventLoopUtilization(elu0).active / sets
}

async function measure(kind, workload, n, fsync = 'everysec') {
  const update = WORKLOADS[workload].update
  const items = makeItems(n)
  if (kind === 'plain') {
    const store = createStore(initializer(items))
    return {
      ms: await timeSets(store, SETS.plain, update, n, WARMUP),
      bytes: 0,
    }
  }
  if (kind === 'ours') {
    const dir = freshDir()
    const store = createStore(aof(initializer(items), { dir, fsync }))
    store.aof.flush()
    const before = dirBytes(dir)
    const sets = fsync === 'always' ? Math.min(SETS.ours, 500) : SETS.ours
    const ms = await timeSets(store, sets, update, n, WARMUP)
    store.aof.flush()
    const bytes = (dirBytes(dir) - before) / (sets + WARMUP)
    await store.aof.close()
    fs.rmSync(dir, { recursive: true, force: true })
    return { ms, bytes }
  }
  const file = path.join(tmp, `persist-${dirNo++}.json`)
  const counter = { bytes: 0, writes: 0 }
  const store = createStore(
    persist(initializer(items), {
      name: 'bench',
      storage: createJSONStorage(() => fileStorage(file, counter)),
    }),
  )
  const sets = SETS.persist[n]
  counter.bytes = 0
  counter.writes = 0
  const ms = await timeSets(store, sets, update, n, 3)
  const bytes = counter.bytes / (sets + 3)
  fs.rmSync(file, { force: true })
  return { ms, bytes }
}

/** Best time of RUNS runs (the least disturbed on a shared machine); bytes do not vary. */
async function best(kind, workload, n, fsync) {
  let out = null
  for (let r = 0; r < RUNS; r++) {
    const m = await measure(kind, workload, n, fsync)
    if (!out || m.ms < out.ms) out = m
  }
  return out
}

// ---- start-up: a child process from its start to the store holding the state ----------------

const CHILD = {
  ours: `
import { openAof, readAofEntries } from '@aof-persist/core'
import { aof, replayLog } from '@aof-persist/zustand'
import { Immer, enablePatches } from 'immer'
import { createStore } from 'zustand/vanilla'
const store = createStore(aof(() => ({ items: [], counter: 0 }), { dir: process.env.DIR }))
const ms = performance.now()
if (store.getState().items.length !== Number(process.env.N)) throw new Error('not restored')
process.stdout.write(JSON.stringify({ ms }))
store.aof.close()`,
  persist: `
import * as fs from 'node:fs'
import { createJSONStorage, persist } from 'zustand/middleware'
import { createStore } from 'zustand/vanilla'
const file = process.env.FILE
const storage = { getItem: () => fs.readFileSync(file, 'utf8'), setItem: (_, v) => fs.writeFileSync(file, v), removeItem: () => {} }
const store = createStore(persist(() => ({ items: [], counter: 0 }), { name: 'bench', storage: createJSONStorage(() => storage) }))
const ms = performance.now()
if (store.getState().items.length !== Number(process.env.N)) throw new Error('not restored')
process.stdout.write(JSON.stringify({ ms }))`,
  floor: `
import { createStore } from 'zustand/vanilla'
const store = createStore(() => ({ items: [], counter: 0 }))
const ms = performance.now()
process.stdout.write(JSON.stringify({ ms }))`,
}

function startChild(kind, env) {
  const r = spawnSync(
    process.execPath,
    ['--input-type=module', '-e', CHILD[kind]],
    {
      cwd: here, // resolves the packages by name from packages/zustand, like an app
      env: { ...process.env, ...env },
      encoding: 'utf8',
    },
  )
  if (r.status !== 0)
    throw new Error(`start-up child (${kind}) failed: ${r.stderr}`)
  return JSON.parse(r.stdout).ms
}

async function startup(n) {
  const items = makeItems(n)
  // Ours after a rewrite: some sets, then one snapshot as the base.
  const dir = freshDir()
  const store = createStore(aof(initializer(items), { dir }))
  for (let i = 0; i < 100; i++) store.setState(WORKLOADS.b.update(i, n))
  await store.aof.rewrite()
  await store.aof.close()
  const file = path.join(tmp, `persist-start-${n}.json`)
  const counter = { bytes: 0, writes: 0 }
  const p = createStore(
    persist(initializer(items), {
      name: 'bench',
      storage: createJSONStorage(() => fileStorage(file, counter)),
    }),
  )
  p.setState({ counter: 1 })
  const env = { DIR: dir, FILE: file, N: String(n) }
  // Round-robin, best of the runs: a busy moment on a shared machine hits every kind alike.
  const best = { ours: Infinity, persist: Infinity, floor: Infinity }
  for (let r = 0; r < (quick ? 1 : 7); r++) {
    for (const kind of Object.keys(best)) {
      best[kind] = Math.min(best[kind], startChild(kind, env))
    }
  }
  const out = {
    ...best,
    oursBytes: dirBytes(dir),
    persistBytes: fs.statSync(file).size,
  }
  fs.rmSync(dir, { recursive: true, force: true })
  fs.rmSync(file, { force: true })
  return out
}

// ---- run ----------------------------------------------------------------------------------

const fmtMs = (ms) =>
  ms >= 1 ? `${ms.toFixed(2)} ms` : `${(ms * 1000).toFixed(1)} µs`
const fmtBytes = (b) =>
  b >= 1e6
    ? `${(b / 1e6).toFixed(2)} MB`
    : b >= 1e3
      ? `${(b / 1e3).toFixed(1)} kB`
      : `${b.toFixed(0)} B`
const ratio = (a, b) => `${(a / b).toFixed(a / b >= 100 ? 0 : 1)}x`

const results = {
  machine: {
    cpus: os.cpus().length,
    node: process.version,
    platform: process.platform,
  },
  at: new Date().toISOString(),
  method: {
    setsPerTurn: 1,
    fsync:
      "aof-persist: 'everysec' (the default) unless noted; persist: writeFileSync, no fsync",
    itemBytes: Buffer.byteLength(JSON.stringify(makeItems(1)[0])),
    runs: RUNS,
    timing:
      'best of the runs; time per set = main-thread busy time (eventLoopUtilization().active) over all sets (one per timer turn, setTimeout 0, plus the turn after) / sets',
  },
  workloads: {},
  overhead: { rows: [] },
  replay: null,
  startup: [],
  figures: {},
}

const started = now()
for (const [key, w] of Object.entries(WORKLOADS)) {
  const rows = []
  for (const n of SIZES) {
    const plain = await best('plain', key, n)
    const ours = await best('ours', key, n)
    const always = await best('ours', key, n, 'always')
    const pers = await best('persist', key, n)
    rows.push({
      items: n,
      plainMsPerSet: plain.ms,
      oursMsPerSet: ours.ms,
      oursBytesPerSet: ours.bytes,
      oursAlwaysMsPerSet: always.ms,
      persistMsPerSet: pers.ms,
      persistBytesPerSet: pers.bytes,
      timeRatio: pers.ms / ours.ms,
      bytesRatio: pers.bytes / ours.bytes,
      oursOverPlainMs: ours.ms - plain.ms,
    })
    console.log(`measured ${w.title}, ${n} items`)
  }
  results.workloads[key] = { title: w.title, rows }
}
// ---- overhead over the same store, as a ratio to the floor ------------------------------------
//
// Workload (a), one set per timer turn, in one run: each turn sets one of four stores, in a
// random order per round, and the main thread's busy time until the next turn
// (eventLoopUtilization().active, the end-of-turn write included) is charged to that store.
// Interleaving spreads the machine's noise and the cache effects of the previous turn over all
// of them alike; medians keep the rare slow turn (a GC, the once-a-second fdatasync landing)
// from deciding. Overhead = a store's median minus plain zustand's:
//   floor: plain zustand, then JSON.stringify of the record aof() writes for the set and one
//          fs.writeSync of it, in the same turn
//   core:  plain zustand, then the core's append of that record (fsync 'everysec')
//   ours:  the store with aof() (fsync 'everysec', the default)
// ratio = ours / floor is the figure the goal reads; core / floor is the engine's own share. The
// machine drifts between runs by more than a run's own spread: each size is measured in
// OVERHEAD_ROUNDS independent runs and the run of the median ratio is reported.

async function overhead(n) {
  const items = makeItems(n)
  const update = WORKLOADS.a.update()
  const plainStore = createStore(initializer(items))
  const floorStore = createStore(initializer(items))
  const floorFd = fs.openSync(path.join(tmp, `floor-${dirNo++}`), 'a')
  const coreStore = createStore(initializer(items))
  const coreLog = openAof({ dir: freshDir() })
  const dir = freshDir()
  const store = createStore(aof(initializer(items), { dir }))
  // The record aof() writes for this set, built the same way for the floor and the core.
  const record = (s) => ({
    type: 'bench/set',
    patches: [
      { op: 'replace', path: ['counter'], value: s.getState().counter },
    ],
  })
  const ms = await interleaved(
    {
      plain: () => plainStore.setState(update, false),
      floor: () => {
        floorStore.setState(update, false)
        fs.writeSync(floorFd, JSON.stringify(record(floorStore)) + '\n')
      },
      core: () => {
        coreStore.setState(update, false)
        coreLog.append(record(coreStore))
      },
      ours: () => store.setState(update, false, 'bench/set'),
    },
    OVERHEAD_TURNS,
  )
  fs.closeSync(floorFd)
  coreLog.closeSync()
  await store.aof.close()
  const floorUs = (ms.floor - ms.plain) * 1000
  const coreUs = (ms.core - ms.plain) * 1000
  const oursUs = (ms.ours - ms.plain) * 1000
  return {
    items: n,
    plainUs: ms.plain * 1000,
    floorUs,
    coreUs,
    oursUs,
    ratio: oursUs / floorUs,
    coreRatio: coreUs / floorUs,
  }
}

const OVERHEAD_TURNS = quick ? 600 : 3000
/** Independent runs per size, fresh stores each; the row of the median ratio is reported. */
const OVERHEAD_ROUNDS = quick ? 1 : ROUNDS
results.overhead.method = `workload (a), one set per timer turn; plain / floor / core / ours interleaved in random order per round, after ${WARMUP_TURNS} uncounted warm-up turns each (V8's optimizing compiler); busy time per turn = eventLoopUtilization().active until the next turn; median per store; overhead = median - plain median; floor = JSON.stringify(record) + one fs.writeSync per turn; core = the core append of the record alone (everysec); ours = aof() (everysec); ${OVERHEAD_ROUNDS} independent runs per size with fresh stores, the run of the median ratio reported (every run's ratio in rows[].rounds)`
results.overhead.turns = OVERHEAD_TURNS
results.overhead.rounds = OVERHEAD_ROUNDS
for (const n of SIZES) {
  const row = await medianRound(() => overhead(n), OVERHEAD_ROUNDS)
  results.overhead.rows.push(row)
  console.log(
    `measured overhead, ${n} items: floor ${row.floorUs.toFixed(1)} µs, core ${row.coreUs.toFixed(1)} µs, ours ${row.oursUs.toFixed(1)} µs = ${row.ratio.toFixed(2)}x the floor (median of rounds ${row.rounds.join(', ')})`,
  )
}

// ---- replaying a 4 MB log: the hand-written applier against immer's applyPatches ----------------
//
// A log written by aof() itself for a todo app: items added at the end, toggled in place, a few
// removed, a counter beside them, until the files pass 4 MB. Both replays get the same records
// freshly parsed (parsing is the same for both and not timed): ours is replayLog() (patches
// applied in place, as at start-up); immer's is the same loop with applyPatches of an Immer
// without auto-freeze, given every patch between two snapshots in one call (its fastest use:
// one draft for the whole run instead of one per record).

async function writeReplayLog() {
  const dir = freshDir()
  const store = createStore(
    aof(() => ({ todos: [], counter: 0 }), { dir, autoRewritePercentage: 0 }),
  )
  let seed = 1
  const random = () =>
    (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648
  for (let i = 0; store.aof.stats().currentSize < 4 * 1024 * 1024; i++) {
    const r = random()
    store.setState(
      (s) => {
        if (r < 0.35 || s.todos.length < 10)
          return {
            todos: [
              ...s.todos,
              {
                id: i,
                title: `todo ${i}, buy milk`,
                done: false,
                tags: ['home'],
              },
            ],
          }
        const k = Math.floor(random() * s.todos.length)
        if (r < 0.7)
          return {
            todos: s.todos.map((t, j) =>
              j === k ? { ...t, done: !t.done } : t,
            ),
          }
        if (r < 0.72) return { todos: s.todos.filter((_, j) => j !== k) }
        return { counter: s.counter + 1 }
      },
      false,
      'todos/change',
    )
  }
  const final = store.getState()
  const bytes = store.aof.stats().currentSize
  await store.aof.close()
  return { dir, final, bytes }
}

const freshRecords = (dir) =>
  [...readAofEntries({ dir })].flatMap((e) =>
    e.kind === 'record' ? [e.value] : [],
  )

function immerReplay(records, immer) {
  let state
  let run = []
  for (const record of records) {
    if (record.type === '@@aof/SNAPSHOT') {
      if (run.length) state = immer.applyPatches(state, run)
      run = []
      state = record.payload
    } else for (const p of record.patches) run.push(p)
  }
  return run.length ? immer.applyPatches(state, run) : state
}

async function replayComparison() {
  enablePatches()
  const immer = new Immer({ autoFreeze: false })
  const { dir, final, bytes } = await writeReplayLog()
  const records = freshRecords(dir).length
  const time = (fn) => {
    const input = freshRecords(dir)
    const t0 = now()
    const state = fn(input)
    return { ms: now() - t0, state }
  }
  let ours = Infinity
  for (let r = 0; r < 5; r++) {
    const run = time((recs) => replayLog(recs).state)
    if (
      JSON.stringify(run.state) !==
      JSON.stringify({ todos: final.todos, counter: final.counter })
    )
      throw new Error('replayLog did not rebuild the state')
    ours = Math.min(ours, run.ms)
  }
  // One run of immer: it takes seconds.
  const im = time((recs) => immerReplay(recs, immer))
  if (
    JSON.stringify(im.state) !==
    JSON.stringify({ todos: final.todos, counter: final.counter })
  )
    throw new Error("immer's applyPatches did not rebuild the state")
  fs.rmSync(dir, { recursive: true, force: true })
  return {
    logBytes: bytes,
    records,
    items: final.todos.length,
    oursMs: ours,
    immerMs: im.ms,
    speedup: im.ms / ours,
  }
}

results.replay = await replayComparison()
console.log(
  `measured replay of a ${fmtBytes(results.replay.logBytes)} log: ours ${fmtMs(results.replay.oursMs)}, immer ${fmtMs(results.replay.immerMs)}`,
)

for (const n of SIZES) {
  const s = await startup(n)
  results.startup.push({
    items: n,
    oursMs: s.ours,
    persistMs: s.persist,
    floorMs: s.floor,
    oursBytes: s.oursBytes,
    persistBytes: s.persistBytes,
  })
  console.log(`measured start-up, ${n} items`)
}

const a100 = results.workloads.a.rows.at(-1)
const b100 = results.workloads.b.rows.at(-1)
const bytesA = results.workloads.a.rows.map((r) => r.oursBytesPerSet)
const bytesB = results.workloads.b.rows.map((r) => r.oursBytesPerSet)
const s100 = results.startup.at(-1)
const o100 = results.overhead.rows.at(-1)
results.figures = {
  '(a) overhead per set over the floor, 100k items': {
    value: o100.oursUs,
    unit: 'µs',
    floor: o100.floorUs,
    ratio: o100.ratio,
    goal: '<= 1.5x the floor (JSON.stringify of the record + one write per turn)',
    note: `the core's append alone: ${o100.coreRatio.toFixed(2)}x`,
  },
  'replay of a 4 MB log, patches applied': {
    value: results.replay.oursMs,
    unit: 'ms',
    floor: results.replay.immerMs,
    ratio: results.replay.speedup,
    goal: "hand-written applier kept only if >= 2x faster than immer's applyPatches",
    note: `${results.replay.records} records, ${results.replay.items} items at the end`,
  },
  '(a) time per set, 100k items': {
    value: a100.oursMsPerSet,
    unit: 'ms',
    floor: a100.persistMsPerSet,
    ratio: a100.timeRatio,
    goal: '>= 1000x less than persist',
    note: `persist ${fmtMs(a100.persistMsPerSet)}, plain zustand ${fmtMs(a100.plainMsPerSet)}`,
  },
  '(a) bytes per set': {
    value: a100.oursBytesPerSet,
    unit: 'B',
    floor: a100.persistBytesPerSet,
    ratio: a100.bytesRatio,
    goal: 'independent of state size',
    note: `1k/10k/100k items: ${bytesA.map((b) => b.toFixed(0)).join(' / ')} B`,
  },
  '(b) time per set, 100k items': {
    value: b100.oursMsPerSet,
    unit: 'ms',
    floor: b100.persistMsPerSet,
    ratio: b100.timeRatio,
    goal: 'close to plain zustand',
    note: `plain zustand ${fmtMs(b100.plainMsPerSet)} (the updater's copy)`,
  },
  '(b) bytes per set': {
    value: b100.oursBytesPerSet,
    unit: 'B',
    floor: b100.persistBytesPerSet,
    ratio: b100.bytesRatio,
    goal: 'independent of state size',
    note: `1k/10k/100k items: ${bytesB.map((b) => b.toFixed(0)).join(' / ')} B`,
  },
  'start-up, 100k items': {
    value: s100.oursMs,
    unit: 'ms',
    floor: s100.persistMs,
    ratio: s100.persistMs / s100.oursMs,
    goal: 'about persist',
    note: `process start to store ready; node + zustand alone ${fmtMs(s100.floorMs)}`,
  },
}
results.seconds = Math.round((now() - started) / 100) / 10

// ---- print ---------------------------------------------------------------------------------

function table(head, rows) {
  const widths = head.map((h, i) =>
    Math.max(h.length, ...rows.map((r) => String(r[i]).length)),
  )
  const line = (cells) =>
    cells
      .map((c, i) =>
        i === 0 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]),
      )
      .join('  ')
  console.log(line(head))
  console.log(widths.map((w) => '-'.repeat(w)).join('  '))
  for (const r of rows) console.log(line(r))
}

console.log(
  `\n@aof-persist/zustand vs zustand persist (file-backed createJSONStorage), one set per turn`,
)
console.log(
  `Node ${process.version}, ${process.platform}, ${os.cpus().length} CPUs; items of ${results.method.itemBytes} bytes of JSON; best of ${RUNS}\n`,
)
for (const { title, rows } of Object.values(results.workloads)) {
  console.log(title)
  table(
    [
      'items',
      'plain zustand',
      'aof (everysec)',
      'aof (always)',
      'persist',
      'persist/aof',
      'aof bytes/set',
      'persist bytes/set',
    ],
    rows.map((r) => [
      r.items,
      fmtMs(r.plainMsPerSet),
      fmtMs(r.oursMsPerSet),
      fmtMs(r.oursAlwaysMsPerSet),
      fmtMs(r.persistMsPerSet),
      ratio(r.persistMsPerSet, r.oursMsPerSet),
      fmtBytes(r.oursBytesPerSet),
      fmtBytes(r.persistBytesPerSet),
    ]),
  )
  console.log('')
}
console.log(
  '(a) per-set overhead over plain zustand, as a ratio to the floor (interleaved, medians)',
)
table(
  [
    'items',
    'plain zustand',
    'floor',
    'core alone',
    'aof',
    'aof/floor',
    'core/floor',
  ],
  results.overhead.rows.map((r) => [
    r.items,
    `${r.plainUs.toFixed(1)} µs`,
    `${r.floorUs.toFixed(1)} µs`,
    `${r.coreUs.toFixed(1)} µs`,
    `${r.oursUs.toFixed(1)} µs`,
    `${r.ratio.toFixed(2)}x`,
    `${r.coreRatio.toFixed(2)}x`,
  ]),
)
console.log(
  "floor: JSON.stringify of the record + one fs.writeSync per turn. core alone: the core append of\nthe record (fsync 'everysec'), no adapter. aof: the store with aof() (fsync 'everysec').\n",
)
console.log(
  `replay of a ${fmtBytes(results.replay.logBytes)} log (${results.replay.records} records), patches applied: hand-written ${fmtMs(results.replay.oursMs)}, immer's applyPatches ${fmtMs(results.replay.immerMs)} (${ratio(results.replay.immerMs, results.replay.oursMs)})\n`,
)
console.log(
  'start-up: child process start to store ready (aof after a rewrite)',
)
table(
  [
    'items',
    'node + zustand',
    'aof',
    'persist',
    'persist/aof',
    'aof files',
    'persist file',
  ],
  results.startup.map((s) => [
    s.items,
    fmtMs(s.floorMs),
    fmtMs(s.oursMs),
    fmtMs(s.persistMs),
    ratio(s.persistMs, s.oursMs),
    fmtBytes(s.oursBytes),
    fmtBytes(s.persistBytes),
  ]),
)
console.log(
  `\ngoal (a) at 100k items: >= 1000x less time per set than persist; measured ${ratio(a100.persistMsPerSet, a100.oursMsPerSet)}`,
)
console.log(
  `goal (a) at 100k items: overhead <= 1.5x the floor; measured ${o100.ratio.toFixed(2)}x (the core alone ${o100.coreRatio.toFixed(2)}x)`,
)
console.log(
  `goal: the hand-written patch applier >= 2x faster than immer's on a 4 MB log, or use immer; measured ${ratio(results.replay.immerMs, results.replay.oursMs)}`,
)
console.log(
  `goal: bytes per set independent of state size; measured (a) ${bytesA.map((b) => b.toFixed(0)).join(' / ')} B, (b) ${bytesB.map((b) => b.toFixed(0)).join(' / ')} B for 1k / 10k / 100k items`,
)

const out = path.join(root, 'docs', 'bench', 'zustand.json')
fs.mkdirSync(path.dirname(out), { recursive: true })
fs.writeFileSync(out, JSON.stringify(results, null, 2) + '\n')
fs.rmSync(tmp, { recursive: true, force: true })
console.log(`\nwrote ${path.relative(root, out)} (${results.seconds} s)`)
