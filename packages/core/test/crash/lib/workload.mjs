// Child process of the kill tests. Opens (restarts) a store with the core, the Redux adapter or
// the Zustand adapter, checks the restored state, then dispatches the run's actions in bursts
// until it is killed, reporting over stdout:
//   restored <n> ok | restored <n> bad <why> | openerror <code> <message>
//   w <k>      actions before k were written to the OS (their turn's write has run)
//   s <k>      a burst is about to issue actions up to k (an upper bound for the next restore)
//   a <k>      the dispatch/append of action k has returned
//   r+ / r-    a rewrite is running / has ended (seen at the start of a burst)
//   k <op> <file>  a self-kill is about to happen right after this fs op
//   idle       out of actions: waiting to be killed
//   onerror <code> / error <message> / done
// Config (JSON in AOF_CRASH): kind, policy, mode ('burst' | 'rewrite'), dir, seed, round,
// maxActions, maxBurst, selfKillAfter (die by SIGKILL right after that many fs ops on the
// store), selfKillOn ('any' or 'structural': count only the ops of opens, rewrites and manifest
// switches, so kills land inside them), selfKillAtAck (die by SIGKILL right after reporting
// that many returns: the strictest point for the `always` promise), verifyOnly.
import * as fs from 'node:fs'
import { patchFs } from './fsrec.mjs'
import { foldCoreRecords, prefixError, prng, stepAction } from './model.mjs'
import {
  CORE_DIST,
  REDUX_DIST,
  ZUSTAND_DIST,
  importDist,
  reduxLib,
  zustandLib,
} from './paths.mjs'

const cfg = JSON.parse(process.env.AOF_CRASH)
const say = (line) => fs.writeSync(1, line + '\n')

if (cfg.selfKillAfter) {
  let ops = 0
  // 'structural' counts only ops other than the appends' writes and fsyncs of incr files:
  // creating files, temp files, renames, deletes, directory fsyncs (rewrites, manifest switches).
  const counts = (op) =>
    cfg.selfKillOn !== 'structural' ||
    !(
      /\.incr\.aof$/.test(op.path ?? '') &&
      (op.op === 'write' || op.op === 'fsync')
    )
  patchFs(cfg.dir, (op) => {
    if (!counts(op) || ++ops !== cfg.selfKillAfter) return
    // Where the kill lands, for the tally: the op and the file it touched.
    const file =
      op.path === cfg.dir ? '(dir)' : (op.path ?? op.to ?? '').split('/').pop()
    say(`k ${op.op} ${file.replace(/\.\d+\./, '.N.')}`)
    process.kill(process.pid, 'SIGKILL')
  })
}

const core = await importDist(CORE_DIST)
const rewriting = cfg.mode === 'rewrite'
const options = {
  dir: cfg.dir,
  fsync: cfg.policy,
  autoRewritePercentage: rewriting ? 100 : 0,
  autoRewriteMinSize: 8 * 1024,
  onError: (err) => say(`onerror ${err.code}`),
}

/** Opens the store for `cfg.kind`; returns the restored state and the app's operations. */
async function open() {
  if (cfg.kind === 'core') {
    let n = 0
    let log = []
    const aof = core.openAof({
      ...options,
      snapshot: () => core.snapshotAction({ n, log: log.slice() }),
    })
    ;({ n, log } = foldCoreRecords(aof.records()))
    return {
      state: () => ({ n, log }),
      step(i) {
        const a = stepAction(cfg.seed, i)
        aof.append(a)
        n++
        log.push(a.v)
      },
      batch: (fn) => aof.batch(fn),
      rewrite: () => aof.rewrite(core.snapshotAction({ n, log: log.slice() })),
      close: () => aof.close(),
      stats: () => aof.stats(),
    }
  }
  if (cfg.kind === 'redux') {
    const { aofPersist, withAof } = await importDist(REDUX_DIST)
    const { createStore, applyMiddleware } = await reduxLib()
    const reducer = (s = { n: 0, log: [] }, a) => {
      if (a.type !== 'step') return s
      if (a.i !== s.n) return { ...s, bad: `step ${a.i} reduced at n = ${s.n}` }
      return { n: s.n + 1, log: [...s.log, a.v] }
    }
    const persist = aofPersist(options)
    const store = createStore(withAof(reducer), applyMiddleware(persist))
    return {
      state: () => store.getState(),
      step: (i) => store.dispatch(stepAction(cfg.seed, i)),
      batch: (fn) => fn(),
      rewrite: () => persist.rewrite(),
      close: () => persist.close(),
      stats: () => persist.stats(),
    }
  }
  const { aof } = await importDist(ZUSTAND_DIST)
  const { createStore } = await zustandLib()
  const store = createStore(
    aof(
      (set) => ({
        n: 0,
        log: [],
        step: (v) =>
          set((s) => ({ n: s.n + 1, log: [...s.log, v] }), false, 'step'),
      }),
      options,
    ),
  )
  return {
    state: () => ({ n: store.getState().n, log: store.getState().log }),
    step: (i) => store.getState().step(stepAction(cfg.seed, i).v),
    batch: (fn) => fn(),
    rewrite: () => store.aof.rewrite(),
    close: () => store.aof.close(),
    stats: () => store.aof.stats(),
  }
}

let app
try {
  app = await open()
} catch (err) {
  say(
    `openerror ${err?.code ?? err?.name} ${String(err?.message).replace(/\n/g, ' ')}`,
  )
  process.exit(3)
}
const restored = app.state()
const why =
  prefixError(cfg.seed, restored) ?? (restored.bad ? restored.bad : null)
say(`restored ${restored.n} ${why ? 'bad ' + why : 'ok'}`)
if (cfg.verifyOnly) {
  await app.close()
  say('done')
  process.exit(0)
}

let acks = 0
const ack = (k) => {
  say(`a ${k}`)
  if (++acks === cfg.selfKillAtAck) process.kill(process.pid, 'SIGKILL')
}

const rng = prng((cfg.seed ^ Math.imul(cfg.round + 1, 0x9e3779b1)) >>> 0)
let i = restored.n
const end = i + cfg.maxActions
let inRewrite = false
let viaImmediate = false
const tick = () => {
  // When this tick was queued with setImmediate at the end of the previous one, the core's
  // write of the previous burst (at the end of that tick, or after many tasks in a turn a
  // setImmediate its first append queued, ahead of this one) ran before it: every earlier
  // action is in the OS, and a process kill cannot lose it. (A tick queued with setTimeout may
  // run before a write queued with setImmediate, in the next loop's timers phase.)
  if (viaImmediate) say(`w ${i}`)
  const now = app.stats().rewriteInProgress
  if (now !== inRewrite) say(now ? 'r+' : 'r-')
  inRewrite = now
  if (i >= end) {
    // Out of actions before any kill came (a slow parent): wait for it, so that every round
    // ends in a kill whatever the machine's speed.
    say('idle')
    setInterval(() => {}, 1000)
    return
  }
  const b = rng.int(1, cfg.maxBurst)
  say(`s ${i + b - 1}`)
  if (rng.chance(0.25)) {
    // A group commit: every step of the burst returns when the batch does.
    const first = i
    app.batch(() => {
      for (let k = 0; k < b; k++) app.step(i++)
    })
    for (let k = first; k < i; k++) ack(k)
  } else {
    for (let k = 0; k < b; k++) {
      app.step(i)
      ack(i)
      i++
    }
  }
  if (rewriting && rng.chance(0.08)) {
    app.rewrite().catch((err) => {
      if (err?.code !== 'AOF_REWRITE_IN_PROGRESS')
        say(`error rewrite ${err?.code} ${err?.message}`)
    })
  }
  viaImmediate = !rng.chance(0.1)
  if (viaImmediate) setImmediate(tick)
  else setTimeout(tick, rng.int(0, 3))
}
tick()
