// The main job (`pnpm demo`): a scripted walk through aof-persist that shows state surviving a
// restart and a kill -9, a rewrite compacting the log, and a torn tail being repaired: first with
// the core alone, then with the two example CLIs, the Redux Toolkit todo list
// (examples/redux-todo-cli) and the Zustand notes (examples/zustand-notes-cli).
import { spawn, spawnSync } from 'node:child_process'
import * as fs from 'node:fs'
import { createRequire } from 'node:module'
import * as os from 'node:os'
import * as path from 'node:path'
import { fileURLToPath } from 'node:url'
import { checkAof, openAof } from '@aof-persist/core'

const here = path.dirname(fileURLToPath(import.meta.url))
const require = createRequire(import.meta.url)
const aofBin = path.join(
  path.dirname(require.resolve('@aof-persist/cli/package.json')),
  'dist',
  'cli.js',
)
const coreUrl = import.meta.resolve('@aof-persist/core')

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aof-demo-'))
const store = path.join(dir, 'counter')
let step = 0
const say = (title) => console.log(`\n== ${++step}. ${title}`)
const part = (title) => console.log(`\n\n######## ${title}`)
const show = (text) => console.log(text.replace(/^/gm, '   '))
const listFiles = () =>
  fs
    .readdirSync(store)
    .filter((f) => f !== 'aof.lock')
    .sort()
    .map(
      (f) =>
        `${f.padEnd(32)} ${String(fs.statSync(path.join(store, f)).size).padStart(8)} bytes`,
    )
    .join('\n')

/** Rebuilds the counter by replaying the log: a snapshot sets it, each action adds. */
function replay(aof) {
  let count = 0
  for (const r of aof.records())
    count = r.type === '@@aof/SNAPSHOT' ? r.payload.count : count + r.by
  return count
}

function aof(args) {
  const r = spawnSync(process.execPath, [aofBin, ...args], { encoding: 'utf8' })
  show((r.stdout + r.stderr).trimEnd())
  show(`(exit code ${r.status})`)
  return r.status
}

part('Part 1: the core (@aof-persist/core), appending counter actions')

say(`Append 1000 actions to ${store} and close`)
{
  const log = openAof({ dir: store, fsync: 'everysec' })
  for (let i = 0; i < 1000; i++) log.append({ type: 'counter/add', by: 1 })
  await log.close()
  show(listFiles())
  const lines = fs
    .readFileSync(path.join(store, 'appendonly.aof.1.incr.aof'), 'utf8')
    .trimEnd()
    .split('\n')
  show(
    `the incr file holds ${lines.length} lines, one JSON action each; the first two:\n${lines.slice(0, 2).join('\n')}`,
  )
}

say('Restart: the state is rebuilt by replaying the log')
{
  const log = openAof({ dir: store })
  show(`count = ${replay(log)} (1000 actions replayed, each adding 1)`)
  log.closeSync()
}

say(
  "Kill -9 a process in the middle of a burst of appends under fsync 'always'",
)
{
  const child = spawn(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      `import { openAof } from ${JSON.stringify(coreUrl)}
       const log = openAof({ dir: ${JSON.stringify(store)}, fsync: 'always' })
       let acked = 0
       const burst = () => { for (let i = 0; i < 50; i++) { log.append({ type: 'counter/add', by: 1 }); acked++ } process.stdout.write(acked + '\\n'); setImmediate(burst) }
       burst()`,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  )
  let acked = 0
  child.stdout.on('data', (d) => {
    const lines = d.toString().trim().split('\n')
    acked = Number(lines.at(-1))
  })
  await new Promise((r) => setTimeout(r, 400))
  child.kill('SIGKILL')
  await new Promise((r) => child.once('exit', r))
  const log = openAof({ dir: store })
  const count = replay(log)
  log.closeSync()
  show(`child acknowledged at least ${acked} appends before SIGKILL`)
  show(
    `after restart: count = ${count} (1000 + ${count - 1000}); nothing acknowledged was lost: ${count - 1000 >= acked}`,
  )
}

say('Rewrite: compact the log into one snapshot action (BGREWRITEAOF)')
{
  const log = openAof({ dir: store })
  const count = replay(log)
  show(`count = ${count}; the files before:\n${listFiles()}`)
  await log.rewrite({ type: '@@aof/SNAPSHOT', payload: { count } })
  const added = { type: 'counter/add', by: 5 }
  log.append(added)
  await log.close()
  show(`after the rewrite, and one more append of ${JSON.stringify(added)}:`)
  show(listFiles())
  show(
    `manifest:\n${fs.readFileSync(path.join(store, 'appendonly.aof.manifest'), 'utf8').trimEnd()}`,
  )
  const base = fs.readdirSync(store).find((f) => f.endsWith('.base.aof'))
  const incr = fs.readdirSync(store).find((f) => f.endsWith('.incr.aof'))
  show(
    `${base} (the snapshot): ${fs.readFileSync(path.join(store, base), 'utf8').trimEnd()}`,
  )
  show(
    `${incr} (appended after it): ${fs.readFileSync(path.join(store, incr), 'utf8').trimEnd()}`,
  )
  const again = openAof({ dir: store })
  const after = replay(again)
  again.closeSync()
  show(
    `count after restart = ${after} (the snapshot's ${count} + 5 from the append after the rewrite)`,
  )
  if (after !== count + 5) throw new Error('the rewrite lost an action')
}

say('Tear the tail: a crash in the middle of a write leaves half a record')
{
  const incr = fs.readdirSync(store).find((f) => f.endsWith('.incr.aof'))
  const half = '{"type":"counter/add","b'
  fs.appendFileSync(path.join(store, incr), half)
  show(`appended ${Buffer.byteLength(half)} bytes of half a record to ${incr}`)
  show('$ aof check <dir>')
  aof(['check', store])
  show('$ aof fix <dir> --yes')
  aof(['fix', store, '--yes'])
  show('$ aof check <dir>')
  aof(['check', store])
  const report = checkAof({ dir: store })
  const log = openAof({ dir: store })
  show(`store valid: ${report.ok}; count = ${replay(log)}`)
  log.closeSync()
}

// ---- Parts 2 and 3: the example CLIs, one process per command --------------------------------

const examples = path.join(here, '..')

/** Runs one command of an example CLI, printing it and its output; returns stdout. */
function cli(name, script, stateDir, args) {
  const r = spawnSync(process.execPath, [script, ...args, '--dir', stateDir], {
    encoding: 'utf8',
  })
  show(
    `$ ${name} ${args.map((a) => (/\s/.test(a) ? JSON.stringify(a) : a)).join(' ')}`,
  )
  const out = (r.stdout + r.stderr).trimEnd()
  if (out)
    show(
      out.split('\n').length > 8
        ? `${out.split('\n').slice(0, 3).join('\n')}\n... (${out.split('\n').length} lines)`
        : out,
    )
  if (r.status !== 0)
    throw new Error(`${name} ${args.join(' ')} exited with ${r.status}`)
  return r.stdout
}

/** The store's files with their sizes. */
const filesOf = (d) =>
  fs
    .readdirSync(d)
    .filter((f) => f !== 'aof.lock')
    .sort()
    .map(
      (f) =>
        `${f.padEnd(32)} ${String(fs.statSync(path.join(d, f)).size).padStart(8)} bytes`,
    )
    .join('\n')

/** The last incr file the manifest lists (where appends go). */
const lastIncr = (d) =>
  fs
    .readFileSync(path.join(d, 'appendonly.aof.manifest'), 'utf8')
    .trim()
    .split('\n')
    .filter((l) => l.endsWith('type i'))
    .at(-1)
    .split(' ')[1]

/**
 * Starts `<script> burst` (one add per line printed, each under fsync 'always'), kills it with
 * SIGKILL once it has reported `atLeast` adds, and returns the last id it reported.
 */
async function burstAndKill(script, stateDir, atLeast) {
  const child = spawn(
    process.execPath,
    [script, 'burst', '1000000', '--dir', stateDir],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  )
  let last = 0
  let count = 0
  let buffered = ''
  const exited = new Promise((r) =>
    child.once('exit', (_code, signal) => r(signal)),
  )
  await new Promise((resolve) => {
    child.stdout.on('data', (chunk) => {
      buffered += chunk.toString()
      const lines = buffered.split('\n')
      buffered = lines.pop()
      for (const l of lines) {
        if (!l.startsWith('ok ')) continue
        last = Number(l.slice(3))
        count++
      }
      if (count >= atLeast && !child.killed) {
        child.kill('SIGKILL')
        resolve()
      }
    })
    child.once('exit', resolve)
  })
  const signal = await exited
  show(
    `killed the burst with ${signal} after it had reported ${count} adds (last id ${last})`,
  )
  return last
}

/** Appends half a record to the last incr file, then shows aof check, aof fix and aof check. */
function tearAndFix(stateDir) {
  const incr = lastIncr(stateDir)
  const half = '{"type":"half a rec'
  fs.appendFileSync(path.join(stateDir, incr), half)
  show(
    `appended ${Buffer.byteLength(half)} bytes of half a record to ${incr}, as a crash in the middle of a write would`,
  )
  show('$ aof check <dir>')
  const bad = aof(['check', stateDir])
  show('$ aof fix <dir> --yes')
  const fixed = aof(['fix', stateDir, '--yes'])
  if (bad !== 1 || fixed !== 0)
    throw new Error(
      `expected aof check to fail (1) and aof fix to succeed (0), got ${bad} and ${fixed}`,
    )
}

async function walkExample({
  title,
  name,
  script,
  stateDir,
  first,
  second,
  change,
  ids,
}) {
  part(title)

  say(
    `Use the ${name} CLI: each command is a process that opens the store, changes it and exits`,
  )
  cli(name, script, stateDir, first)
  cli(name, script, stateDir, second)
  cli(name, script, stateDir, change)
  const listed = cli(name, script, stateDir, ['list'])
  show(`the store directory:\n${filesOf(stateDir)}`)
  const base = fs.readdirSync(stateDir).find((f) => f.endsWith('.base.aof'))
  if (base) {
    show(
      `${base} exists before any rewrite: the middleware wrote it when it created the log, a snapshot of the initial state for the records to apply to (so the log replays without the app's code):`,
    )
    show(fs.readFileSync(path.join(stateDir, base), 'utf8').trimEnd())
  } else {
    show(
      'no base file yet: the log starts with the first action, replayed by the reducers from their initial state; the first rewrite writes a base',
    )
  }
  show(`the log, one record per line (${lastIncr(stateDir)}):`)
  show(
    fs
      .readFileSync(path.join(stateDir, lastIncr(stateDir)), 'utf8')
      .trimEnd()
      .split('\n')
      .slice(-3)
      .join('\n'),
  )

  say(
    `Kill -9 a ${name} process in the middle of a burst of adds (fsync 'always')`,
  )
  const lastReported = await burstAndKill(script, stateDir, 200)
  const after = ids(cli(name, script, stateDir, ['list']))
  const ok =
    after.includes(lastReported) &&
    after.every((id, i) => i === 0 || id > after[i - 1])
  show(
    `after the restart: ${after.length} items, the last one reported (id ${lastReported}) ${after.includes(lastReported) ? 'is there' : 'IS MISSING'}`,
  )
  if (!ok) throw new Error('an acknowledged add was lost')
  cli(name, script, stateDir, ['add', 'after the crash'])

  say('Rewrite: compact the log into one snapshot action')
  const beforeRewrite = cli(name, script, stateDir, ['list'])
  show(`before:\n${filesOf(stateDir)}`)
  cli(name, script, stateDir, ['rewrite'])
  show(`after:\n${filesOf(stateDir)}`)
  show(
    `manifest:\n${fs.readFileSync(path.join(stateDir, 'appendonly.aof.manifest'), 'utf8').trimEnd()}`,
  )
  const newBase = fs.readdirSync(stateDir).find((f) => f.endsWith('.base.aof'))
  const snapshot = fs.readFileSync(path.join(stateDir, newBase), 'utf8')
  show(
    `${newBase} is one snapshot action (${snapshot.trimEnd().split('\n').length} line): ${snapshot.slice(0, 90)}…`,
  )
  const afterRewrite = cli(name, script, stateDir, ['list'])
  show(
    `the list after the rewrite is the same as before it: ${afterRewrite === beforeRewrite}`,
  )
  if (afterRewrite !== beforeRewrite)
    throw new Error('the state changed across the rewrite')

  say('Tear the tail of the log and repair it with aof fix')
  cli(name, script, stateDir, ['add', 'after the rewrite'])
  const before = cli(name, script, stateDir, ['list'])
  tearAndFix(stateDir)
  const repaired = cli(name, script, stateDir, ['list'])
  show(
    `state after the repair is the same as before the tear: ${repaired === before}`,
  )
  if (repaired !== before) throw new Error('the state changed across aof fix')
  return listed
}

const idsFrom = (pattern) => (out) =>
  out
    .split('\n')
    .map((l) => pattern.exec(l)?.[1])
    .filter(Boolean)
    .map(Number)

await walkExample({
  title: 'Part 2: Redux Toolkit (@aof-persist/redux), examples/redux-todo-cli',
  name: 'todo',
  script: path.join(examples, 'redux-todo-cli', 'todo.mjs'),
  stateDir: path.join(dir, 'todos'),
  first: ['add', 'buy milk'],
  second: ['add', 'write the docs'],
  change: ['toggle', '1'],
  ids: idsFrom(/^\[[ x]\] (\d+) /),
})

await walkExample({
  title: 'Part 3: Zustand (@aof-persist/zustand), examples/zustand-notes-cli',
  name: 'notes',
  script: path.join(examples, 'zustand-notes-cli', 'notes.mjs'),
  stateDir: path.join(dir, 'notes'),
  first: ['add', 'call the plumber'],
  second: ['add', 'buy milk'],
  change: ['edit', '1', 'call the plumber at 9'],
  ids: idsFrom(/^(\d+) /),
})

fs.rmSync(dir, { recursive: true, force: true })
console.log(
  '\nDone. Every step above ran against real files in a temp directory.',
)
