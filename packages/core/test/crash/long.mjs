#!/usr/bin/env node
// The long crash run (`pnpm crash:long`): hundreds of SIGKILLs across the core, the Redux
// adapter and the Zustand adapter under every fsync policy, during bursts of appends and during
// rewrites, then power-loss crash states of every traced workload with larger samples than the
// fast subset in `pnpm test`. Prints its counts and every failure; exits 1 on any failure.
//
//   node packages/core/test/crash/long.mjs [--kills 300] [--seed N] [--concurrency 2]
//        [--cap-drop 256] [--cap-reorder 64] [--pad 5000] [--no-kills] [--no-powerloss]
//
// Needs the built packages (pnpm build). Stores live in the OS temp directory (a real disk);
// power-loss states are checked on /dev/shm when it exists.
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { parseArgs } from 'node:util'
import { explore, recordTrace } from './lib/crashstates.mjs'
import { runChain } from './lib/kill.mjs'
import {
  CORE_DIST,
  REDUX_DIST,
  ZUSTAND_DIST,
  importDist,
} from './lib/paths.mjs'

const { values: opt } = parseArgs({
  // `pnpm crash:long -- --kills 900` passes the `--` through.
  args: process.argv.slice(2).filter((a, i) => !(i === 0 && a === '--')),
  options: {
    kills: { type: 'string', default: '300' },
    seed: { type: 'string', default: String(Date.now() % 1_000_000) },
    concurrency: { type: 'string', default: '2' },
    'cap-drop': { type: 'string', default: '256' },
    'cap-reorder': { type: 'string', default: '64' },
    pad: { type: 'string', default: '5000' },
    'no-kills': { type: 'boolean', default: false },
    'no-powerloss': { type: 'boolean', default: false },
  },
})
const seed = Number(opt.seed)
for (const dist of [CORE_DIST, REDUX_DIST, ZUSTAND_DIST]) {
  if (!fs.existsSync(dist)) {
    console.error(`missing ${dist}: run pnpm build first`)
    process.exit(2)
  }
}
console.log(`crash:long seed ${seed} (rerun with --seed ${seed})`)
const started = Date.now()
const failures = []
const temp = (prefix, fast = false) => {
  const base = fast && fs.existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir()
  return fs.mkdtempSync(path.join(base, prefix))
}

if (!opt['no-kills']) {
  const chains = []
  for (const kind of ['core', 'redux', 'zustand'])
    for (const policy of ['always', 'everysec', 'no'])
      for (const mode of ['burst', 'rewrite'])
        chains.push({ kind, policy, mode })
  const perChain = Math.ceil(Number(opt.kills) / chains.length)
  const totals = {
    chains: 0,
    kills: 0,
    ackKills: 0,
    opsKills: 0,
    ackedKills: 0,
    killsInRewrite: 0,
    killsAtIdle: 0,
    restarts: 0,
    tornTails: 0,
  }
  const killOps = {}
  const queue = chains.map((c, k) => ({ ...c, seed: seed + k }))
  const worker = async () => {
    for (let job = queue.shift(); job; job = queue.shift()) {
      const dir = temp('aof-long-kill-')
      const r = await runChain({
        ...job,
        dir,
        kills: perChain,
        maxAckKill: 400,
        maxSelfKillOps: 300,
      })
      if (r.failures.length === 0)
        fs.rmSync(dir, { recursive: true, force: true })
      else r.failures.push(`${r.tag}: the store is kept in ${dir}`)
      totals.chains++
      for (const k of Object.keys(totals)) if (k !== 'chains') totals[k] += r[k]
      for (const [op, n] of Object.entries(r.selfKillOps))
        killOps[op] = (killOps[op] ?? 0) + n
      failures.push(...r.failures)
      console.log(
        `  ${r.tag}: ${r.kills} kills (${r.killsInRewrite} in a rewrite), ${r.restarts} restarts, up to ${r.maxN} actions, ${r.failures.length} failures`,
      )
    }
  }
  await Promise.all(Array.from({ length: Number(opt.concurrency) }, worker))
  console.log(
    `SIGKILL: ${Object.entries(totals)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ')}`,
  )
  console.log(
    `  self-kills by the fs op they followed: ${JSON.stringify(killOps)}`,
  )
}

if (!opt['no-powerloss']) {
  const core = await importDist(CORE_DIST)
  const sums = {}
  for (const workload of ['append', 'rewrite', 'auto']) {
    for (const [p, policy] of ['always', 'everysec', 'no'].entries()) {
      const base = temp('aof-long-power-', true)
      const dir = path.join(base, 'store')
      const ops = recordTrace({
        dir,
        traceFile: path.join(base, 'trace.jsonl'),
        policy,
        workload,
        seed: seed + p,
        pad: Number(opt.pad),
      })
      for (const mode of ['drop', 'reorder']) {
        const scratch = temp('aof-long-states-', true)
        const r = explore({
          core,
          ops,
          dir,
          mode,
          cap: Number(opt[`cap-${mode}`]),
          seed: seed + p,
          scratch,
          maxFailures: 20,
        })
        fs.rmSync(scratch, { recursive: true, force: true })
        const s = (sums[mode] ??= {
          traces: 0,
          crashPoints: 0,
          enumeratedInFull: 0,
          sampled: 0,
          states: 0,
          distinctStatesChecked: 0,
        })
        s.traces++
        s.crashPoints += r.points
        s.enumeratedInFull += r.exhaustivePoints
        s.sampled += r.sampledPoints
        s.states += r.states
        s.distinctStatesChecked += r.distinct
        failures.push(
          ...r.failures.map((f) => `power loss ${workload}/${policy}: ${f}`),
        )
        console.log(
          `  power loss ${workload}/${policy}/${mode}: ${r.points} crash points (${r.exhaustivePoints} in full), ${r.states} states, ${r.distinct} distinct, ${r.failures.length} failures`,
        )
      }
      fs.rmSync(base, { recursive: true, force: true })
    }
  }
  for (const [mode, s] of Object.entries(sums)) {
    console.log(
      `power loss, ${mode} (cap ${opt[`cap-${mode}`]}): ${Object.entries(s)
        .map(([k, v]) => `${k}=${v}`)
        .join(' ')}`,
    )
  }
}

console.log(
  `done in ${Math.round((Date.now() - started) / 1000)} s, seed ${seed}: ${failures.length} failures`,
)
for (const f of failures) console.log(`FAIL ${f}`)
process.exit(failures.length === 0 ? 0 : 1)
