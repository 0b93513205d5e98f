// Parent side of the kill tests: runs a chain of child processes (workload.mjs) on one store
// directory, each killed with SIGKILL at a seeded point, each restarting from what the previous
// one left, and checks every restart:
//   - the store opens and its state is the state after some prefix of the run's actions;
//   - nothing goes backwards: a restart holds at least what the previous restart held, and every
//     action dispatched in an event-loop turn that had ended before the kill (under every
//     policy the core writes a turn's appends to the OS at the end of the turn);
//   - nothing appears that was never dispatched: at most the last announced burst;
//   - under `always`, every action whose dispatch returned (its `a <k>` line was read from the
//     pipe) is there.
// Three kinds of kill: 'ack' (the parent kills after reading a seeded number of acks: the kill
// lands wherever the child is by then), 'ops' (the child kills itself right after a seeded
// number of fs ops on the store: reproducible points inside rewrites and manifest switches) and
// 'acked' (the child kills itself right after reporting a seeded return: nothing buffered after
// the return can reach the file).
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { prng } from './model.mjs'

const WORKLOAD = fileURLToPath(new URL('./workload.mjs', import.meta.url))

function runChild(cfg, killAfterAcks, timeoutMs) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [WORKLOAD], {
      env: { ...process.env, AOF_CRASH: JSON.stringify(cfg) },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    const out = {
      written: 0,
      inRewrite: false,
      killOp: null,
      restored: null,
      lastAck: -1,
      acks: 0,
      announced: -1,
      lines: [],
      stderr: '',
      killedByUs: false,
    }
    let buf = ''
    const timer = setTimeout(() => {
      out.timedOut = true
      child.kill('SIGKILL')
    }, timeoutMs)
    child.stdout.on('data', (d) => {
      buf += d.toString()
      let nl
      while ((nl = buf.indexOf('\n')) !== -1) {
        const line = buf.slice(0, nl)
        buf = buf.slice(nl + 1)
        if (line.startsWith('a ')) {
          out.lastAck = Math.max(out.lastAck, Number(line.slice(2)))
          if (++out.acks === killAfterAcks && !out.killedByUs) {
            out.killedByUs = true
            child.kill('SIGKILL')
          }
        } else if (line.startsWith('w ')) {
          out.written = Math.max(out.written, Number(line.slice(2)))
        } else if (line.startsWith('s ')) {
          out.announced = Math.max(out.announced, Number(line.slice(2)))
        } else if (line === 'idle') {
          // It ran out of actions before its kill point: kill it now.
          out.killedAtIdle = true
          if (!out.killedByUs) {
            out.killedByUs = true
            child.kill('SIGKILL')
          }
        } else if (line === 'r+' || line === 'r-') {
          out.inRewrite = line === 'r+'
        } else if (line.startsWith('k ')) {
          out.killOp = line.slice(2)
        } else {
          if (line.startsWith('restored ')) out.restored = line
          out.lines.push(line)
        }
      }
    })
    child.stderr.on('data', (d) => (out.stderr += d.toString()))
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      resolve({ ...out, code, signal })
    })
  })
}

/**
 * Runs `kills` killed children on `dir`, then one that only restarts and checks. Returns the
 * counts and a list of failures (empty when every check held).
 */
export async function runChain({
  kind,
  policy,
  mode,
  seed,
  dir,
  kills,
  style = 'mixed',
  maxAckKill = 150,
  maxSelfKillOps = 160,
  maxActions = 4000,
  maxBurst = 12,
  timeoutMs = 30_000,
}) {
  const rng = prng(seed)
  const tag = `${kind}/${policy}/${mode} seed ${seed}`
  const r = {
    tag,
    kills: 0,
    ackKills: 0,
    opsKills: 0,
    ackedKills: 0,
    killsInRewrite: 0,
    killsAtIdle: 0,
    cleanExits: 0,
    restarts: 0,
    tornTails: 0,
    maxN: 0,
    selfKillOps: {},
    failures: [],
  }
  let prev = null // what the round before did, for failure messages
  let floor = 0 // what every later restart must hold
  let ceiling = 0 // one past the highest action ever issued
  for (let round = 0; round <= kills; round++) {
    const last = round === kills
    // 'ack': the parent kills after reading a seeded number of acks; 'ops': the child kills
    // itself after a seeded number of fs ops; 'acked': right after reporting a seeded ack.
    const how = last
      ? 'none'
      : style === 'mixed'
        ? rng.pick(['ack', 'ops', 'acked'])
        : style
    const self = how === 'ops' || how === 'acked'
    const cfg = {
      kind,
      policy,
      mode,
      dir,
      seed,
      round,
      maxActions,
      maxBurst,
      verifyOnly: last,
    }
    if (how === 'ops') {
      // In rewrite runs half the self-kills count only structural ops, to land inside rewrites.
      const structural = mode === 'rewrite' && rng.chance(0.5)
      cfg.selfKillOn = structural ? 'structural' : 'any'
      cfg.selfKillAfter = rng.int(1, structural ? 40 : maxSelfKillOps)
    }
    if (how === 'acked') cfg.selfKillAtAck = rng.int(1, maxAckKill)
    const ackKill = how === 'ack' ? rng.int(1, maxAckKill) : 0
    const res = await runChild(cfg, ackKill, timeoutMs)
    const what =
      how === 'ops'
        ? `self-kill after ${cfg.selfKillAfter} ${cfg.selfKillOn} fs ops`
        : how === 'acked'
          ? `self-kill right after ack ${cfg.selfKillAtAck}`
          : `kill after ${ackKill} acks`
    const where = `${tag} round ${round} (${last ? 'final check' : what})`
    const fail = (msg) =>
      r.failures.push(
        `${where}: ${msg}${prev ? `\n  round before: ${prev}` : ''}${res.stderr ? `\n  stderr: ${res.stderr.trim().slice(0, 800)}` : ''}`,
      )
    r.tornTails += res.lines.filter((l) => l === 'onerror AOF_TRUNCATED').length
    for (const l of res.lines) {
      if (
        l.startsWith('error') ||
        (l.startsWith('onerror') && l !== 'onerror AOF_TRUNCATED')
      )
        fail(l)
    }
    if (res.timedOut) fail('timed out')
    if (!res.restored) {
      // Killed before it reported the restore (a self-kill inside open) is fine; anything else not.
      if (!(self && res.signal === 'SIGKILL'))
        fail(
          `no restore reported; code ${res.code} signal ${res.signal}; ${res.lines.join(' | ')}`,
        )
    } else {
      r.restarts++
      const [, nText, status, ...why] = res.restored.split(' ')
      const n = Number(nText)
      r.maxN = Math.max(r.maxN, n)
      if (status !== 'ok')
        fail(`restored state is not a prefix of the actions: ${why.join(' ')}`)
      if (n < floor)
        fail(
          `restored ${n} actions, but ${floor} were on record before (acknowledged under always, written in an earlier turn, or restored before)`,
        )
      if (n > ceiling)
        fail(`restored ${n} actions, but only ${ceiling} were ever issued`)
      floor = Math.max(floor, n)
      ceiling = Math.max(ceiling, n)
    }
    prev = `${what}, ${res.restored}, wrote up to ${res.written}, last return ${res.lastAck}, announced ${res.announced}, ended by ${res.signal ?? res.code}, last lines ${res.lines.slice(-4).join(' | ')}`
    ceiling = Math.max(ceiling, res.announced + 1)
    // Under every policy a process kill keeps what earlier turns wrote; under always also
    // every action whose append returned.
    floor = Math.max(floor, res.written)
    if (policy === 'always') floor = Math.max(floor, res.lastAck + 1)
    if (last) {
      if (res.code !== 0) fail(`final check exited ${res.code} ${res.signal}`)
    } else if (res.signal === 'SIGKILL') {
      r.kills++
      if (how === 'ops') r.opsKills++
      else if (how === 'acked') r.ackedKills++
      else r.ackKills++
      if (res.inRewrite) r.killsInRewrite++
      if (res.killedAtIdle) r.killsAtIdle++
      if (res.killOp)
        r.selfKillOps[res.killOp] = (r.selfKillOps[res.killOp] ?? 0) + 1
    } else if (res.code === 0 && res.lines.includes('done')) {
      r.cleanExits++
    } else {
      fail(
        `child ended with code ${res.code} signal ${res.signal}: ${res.lines.slice(-3).join(' | ')}`,
      )
    }
  }
  return r
}
