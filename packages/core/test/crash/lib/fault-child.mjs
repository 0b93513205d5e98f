// Child process of the disk-fault tests, run with the fault shim preloaded (fault-shim.c). It
// appends records before, during and after a fault the control file switches on and off, and
// prints one line `report <json>` with what it saw: which appends threw, what onError and
// stats() said, and whether the incr file ended on a record boundary at every look during the
// fault. The parent then reopens the store and checks the records.
// Config (JSON in AOF_FAULT): dir, policy, fault (the control line), ctl, log.
import * as fs from 'node:fs'
import * as path from 'node:path'
import { stepAction } from './model.mjs'
import { CORE_DIST, importDist } from './paths.mjs'

const cfg = JSON.parse(process.env.AOF_FAULT)
const core = await importDist(CORE_DIST)
const turn = () => new Promise((r) => setImmediate(r))
const sleep = (ms) => new Promise((r) => setTimeout(r, ms))
/** Waits for `cond`, polling; gives up after `limitMs` (the parent then sees what was missing). */
const until = async (cond, limitMs = 15_000) => {
  for (let waited = 0; !cond() && waited < limitMs; waited += 10)
    await sleep(10)
  return cond()
}
const injected = () => {
  try {
    return fs.statSync(cfg.log).size
  } catch {
    return 0
  }
}

const report = {
  errors: [],
  threw: [],
  boundary: [],
  statsDuring: null,
  flushDuring: null,
  recovered: false,
  appended: 0,
}
const aof = core.openAof({
  dir: cfg.dir,
  fsync: cfg.policy,
  onError: (e) => report.errors.push(`${e.code}/${e.cause?.code}`),
})
let n = 0
const append = () => {
  const i = n++
  try {
    aof.append(stepAction(1, i))
  } catch (e) {
    report.threw.push(`${i}:${e.code}/${e.cause?.code}`)
  }
}
const incr = () => path.join(cfg.dir, aof.stats().files.at(-1).name)
/** Where the incr file stands: on a record boundary (every line complete JSON) or not. */
const look = () => {
  const text = fs.readFileSync(incr(), 'utf8')
  const whole =
    text === '' ||
    (text.endsWith('\n') &&
      text
        .slice(0, -1)
        .split('\n')
        .every((l) => {
          try {
            JSON.parse(l)
            return true
          } catch {
            return false
          }
        }))
  report.boundary.push(whole ? 'whole' : `torn at ${text.length}`)
}

for (let k = 0; k < 10; k++) append()
aof.flush()

// The disk fails.
fs.writeFileSync(cfg.ctl, cfg.fault)
const before = injected()
for (let round = 0; round < 3; round++) {
  for (let k = 0; k < 3; k++) append()
  await turn()
  look()
}
if (cfg.fault.startsWith('fsync') && cfg.policy === 'no') {
  // `no` never fsyncs on its own: an explicit flush() meets the fault.
  try {
    aof.flush()
    report.flushDuring = 'ok'
  } catch (e) {
    report.flushDuring = `${e.code}/${e.cause?.code}`
  }
}
// Let the background retries (writes every 250 ms, fdatasync every second) meet the fault a
// few more times, looking at the file after each.
report.sawFault = await until(() => injected() > before)
const seen = injected()
const retried =
  cfg.policy !== 'always' &&
  (cfg.fault.startsWith('write') || cfg.policy === 'everysec')
if (retried) await until(() => injected() >= seen + 2)
look()
// A rewrite during the fault fails and leaves the previous files (and no temp files).
try {
  await aof.rewrite({
    type: '@@aof/SNAPSHOT',
    payload: { n },
    meta: { version: 0 },
  })
  report.rewriteDuring = 'ok'
} catch (e) {
  report.rewriteDuring = e.code
}
report.tempFilesAfterRewrite = fs
  .readdirSync(cfg.dir)
  .filter((f) => f.startsWith('temp-'))
const s = aof.stats()
report.statsDuring = {
  lastWriteStatus: s.lastWriteStatus,
  error: s.lastWriteError
    ? `${s.lastWriteError.code}/${s.lastWriteError.cause?.code}`
    : null,
  bufferLength: s.bufferLength,
}

// The disk works again.
fs.rmSync(cfg.ctl)
if (cfg.policy === 'always') {
  append()
} else {
  if (cfg.fault.startsWith('fsync') && cfg.policy === 'no') aof.flush()
  report.recovered = await until(
    () =>
      aof.stats().lastWriteStatus === 'ok' && aof.stats().bufferLength === 0,
  )
}
report.statsAfter = {
  lastWriteStatus: aof.stats().lastWriteStatus,
  bufferLength: aof.stats().bufferLength,
}
for (let k = 0; k < 5; k++) append()
aof.flush()
aof.closeSync()
report.appended = n
report.injected = injected()
console.log('report ' + JSON.stringify(report))
