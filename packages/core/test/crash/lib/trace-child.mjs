// Child process of the power-loss tests: runs one workload on a fresh store with every fs call
// on the store recorded (fsrec.mjs), and writes the trace as JSON lines to AOF_TRACE_FILE.
// Besides the fs ops, the trace holds marks from the workload:
//   { mark: 'issued', n }   n records may be in the files from now on (before append is called)
//   { mark: 'durable', n }  the first n records are promised durable (append returned under
//                           'always', flush() or closeSync() returned)
// Config (JSON in AOF_TRACE): dir, policy, workload ('append' | 'rewrite' | 'auto'), seed, pad.
import * as path from 'node:path'
import { patchFs, real } from './fsrec.mjs'
import { prng, stepAction } from './model.mjs'
import { CORE_DIST, importDist } from './paths.mjs'

const cfg = JSON.parse(process.env.AOF_TRACE)
const out = real.openSync(process.env.AOF_TRACE_FILE, 'w')
const emit = (obj) => real.writeSync(out, JSON.stringify(obj) + '\n')
// The recording covers the store directory's parent, so the creation of the store directory
// itself (and whether its name is durable) is part of the trace.
patchFs(path.dirname(cfg.dir), (op) => {
  if (op.data) op.data = op.data.toString('base64')
  emit(op)
})
const core = await importDist(CORE_DIST)
const rng = prng(cfg.seed)
const turn = () => new Promise((r) => setImmediate(r))
const until = async (cond) => {
  // Polls once per turn and every few ms: waiting for a background fdatasync or deletion.
  while (!cond()) await new Promise((r) => setTimeout(r, 5))
}

let n = 0
let log = []
// The pad makes the manual rewrite's base large enough to be written in several slices.
const pad = Array.from(
  { length: cfg.workload === 'rewrite' ? (cfg.pad ?? 0) : 0 },
  (_, k) => ({ k, text: `pad ${k}` }),
)
const snapshot = () => core.snapshotAction({ n, log: log.slice(), pad })
const options = {
  dir: cfg.dir,
  fsync: cfg.policy,
  autoRewritePercentage: cfg.workload === 'auto' ? 100 : 0,
  autoRewriteMinSize: 1500,
  snapshot,
}
let aof = core.openAof(options)

function append(count) {
  emit({ mark: 'issued', n: n + count })
  const go = () => {
    for (let k = 0; k < count; k++) {
      const a = stepAction(cfg.seed, n)
      aof.append(a)
      n++
      log.push(a.v)
    }
  }
  if (count > 1) aof.batch(go)
  else go()
  if (cfg.policy === 'always') emit({ mark: 'durable', n })
}
const burst = () => append(rng.int(1, 3))
const flush = () => {
  aof.flush()
  emit({ mark: 'durable', n })
}
const close = () => {
  aof.closeSync()
  emit({ mark: 'durable', n })
}
const historyGone = () =>
  !/ type h/.test(
    real.readFileSync(`${cfg.dir}/appendonly.aof.manifest`, 'utf8'),
  )

if (cfg.workload === 'append') {
  for (let t = 0; t < 5; t++) {
    burst()
    await turn()
  }
  flush()
  burst()
  await turn()
  if (cfg.policy === 'everysec') {
    // Let the once-a-second background fdatasync run, with appends before and after it.
    const before = aof.stats().lastFsyncAt
    burst()
    await until(
      () => aof.stats().lastFsyncAt > before && !aof.stats().pendingFsync,
    )
    burst()
    await turn()
  }
  close()
  aof = core.openAof(options)
  for (let t = 0; t < 3; t++) {
    burst()
    await turn()
  }
} else if (cfg.workload === 'rewrite') {
  for (let t = 0; t < 4; t++) {
    burst()
    await turn()
  }
  // A manual rewrite with appends landing in every turn while it runs.
  let done = false
  const p = aof.rewrite(snapshot()).then(() => (done = true))
  while (!done) {
    burst()
    await turn()
  }
  await p
  burst()
  await until(historyGone)
  await turn()
  // The synchronous rewrite the adapters use for migrations.
  aof.rewriteSync(snapshot())
  burst()
  await until(historyGone)
  close()
} else {
  // Automatic rewrites: the log passes autoRewriteMinSize and doubles over the base.
  while (aof.stats().rewrites < 2 || aof.stats().rewriteInProgress) {
    burst()
    await turn()
  }
  burst()
  await until(historyGone)
  close()
}
// process.exit runs the core's exit hook for a store left open; its ops are traced too.
process.exit(0)
