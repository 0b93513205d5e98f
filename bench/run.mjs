// `pnpm bench`: runs every benchmark of the repository, one child process each with its output
// streamed, merges the JSON they write into docs/bench/results.json and regenerates the charts
// (docs/bench/*.svg) from it with bench/charts.mjs.
//
//   node bench/run.mjs                  run every benchmark, merge, chart
//   node bench/run.mjs --only redux     run only these (comma-separated); the others' JSON is reused
//   node bench/run.mjs --charts-only    run nothing: merge the JSON already there and chart it
//   node bench/run.mjs -- --quick       pass the arguments after -- to every benchmark
//
// A benchmark that is missing or fails does not stop the others: the run says so, keeps the
// JSON an earlier run left (marked "stale" in results.json and on the charts), charts what
// exists, and exits 1 so a failure is not mistaken for a complete run.
import { spawn } from 'node:child_process'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { fileURLToPath } from 'node:url'
import { renderCharts } from './charts.mjs'

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)))
const benchDir = path.join(root, 'docs', 'bench')

/** Every benchmark: the script and the JSON file it writes. */
const BENCHMARKS = [
  {
    name: 'core',
    script: 'bench/core.bench.mjs',
    output: 'docs/bench/core.json',
  },
  {
    name: 'redux',
    script: 'packages/redux/bench/redux.bench.mjs',
    output: 'docs/bench/redux.json',
  },
  {
    name: 'zustand',
    script: 'packages/zustand/bench/zustand.bench.mjs',
    output: 'docs/bench/zustand.json',
  },
  {
    name: 'browser',
    script: 'bench/browser.bench.mjs',
    output: 'docs/bench/browser.json',
  },
]

function parseArgs(argv) {
  const dash = argv.indexOf('--')
  const own = dash === -1 ? argv : argv.slice(0, dash)
  const passThrough = dash === -1 ? [] : argv.slice(dash + 1)
  let only = null
  let chartsOnly = false
  for (let i = 0; i < own.length; i++) {
    const a = own[i]
    if (a === '--charts-only') chartsOnly = true
    else if (a === '--only') only = (own[++i] ?? '').split(',').filter(Boolean)
    else if (a.startsWith('--only='))
      only = a.slice(7).split(',').filter(Boolean)
    else if (a === '-h' || a === '--help') {
      console.log(
        'usage: node bench/run.mjs [--charts-only] [--only core,redux,zustand,browser] [-- args for the benchmarks]',
      )
      process.exit(0)
    } else {
      console.error(`bench/run.mjs: unknown argument ${a} (see --help)`)
      process.exit(2)
    }
  }
  for (const name of only ?? []) {
    if (!BENCHMARKS.some((b) => b.name === name)) {
      console.error(
        `bench/run.mjs: no benchmark named "${name}" (have: ${BENCHMARKS.map((b) => b.name).join(', ')})`,
      )
      process.exit(2)
    }
  }
  return { only, chartsOnly, passThrough }
}

const mtime = (file) => {
  try {
    return fs.statSync(file).mtimeMs
  } catch {
    return null
  }
}

function readJson(file) {
  try {
    return { data: JSON.parse(fs.readFileSync(file, 'utf8')) }
  } catch (err) {
    return { error: err.code === 'ENOENT' ? 'no such file' : err.message }
  }
}

/** The package directory a script belongs to: its cwd when it runs (as `pnpm --filter` would). */
function packageDir(script) {
  let dir = path.dirname(script)
  while (dir.startsWith(root) && dir !== root) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir
    dir = path.dirname(dir)
  }
  return root
}

/** Runs one benchmark as a child process with its output streamed; resolves with the outcome. */
function runOne(bench, args) {
  const script = path.join(root, bench.script)
  const output = path.join(root, bench.output)
  const before = mtime(output)
  const started = performance.now()
  console.log(
    `\n=== ${bench.name}: node ${bench.script}${args.length ? ' ' + args.join(' ') : ''}\n`,
  )
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [script, ...args], {
      cwd: packageDir(script),
      stdio: 'inherit',
    })
    child.on('error', (err) =>
      resolve({
        exitCode: null,
        signal: null,
        error: err.message,
        wrote: false,
        seconds: 0,
      }),
    )
    child.on('exit', (exitCode, signal) => {
      const after = mtime(output)
      resolve({
        exitCode,
        signal,
        wrote: after !== null && after !== before,
        seconds: Math.round((performance.now() - started) / 100) / 10,
      })
    })
  })
}

/**
 * The entry of one benchmark in results.json: `status` is `ok` (run now, wrote its JSON),
 * `failed` (run now, failed or wrote nothing; no JSON), `stale` (not run now or failed, JSON of
 * an earlier run kept), `existing` (charts only: the JSON there), `missing` (no script, no JSON).
 */
function entry(bench, run) {
  const file = path.join(root, bench.output)
  const json = readJson(file)
  const base = { script: bench.script, file: bench.output }
  if (run && run.exitCode === 0 && run.wrote && json.data) {
    return { ...base, status: 'ok', seconds: run.seconds, data: json.data }
  }
  const why = !run
    ? null
    : run.error
      ? `could not start: ${run.error}`
      : run.exitCode !== 0
        ? `exited with ${run.signal ?? `code ${run.exitCode}`}`
        : !run.wrote
          ? `exited 0 but did not write ${bench.output}`
          : `wrote ${bench.output}, which does not parse: ${json.error}`
  if (json.data) {
    return {
      ...base,
      status: run ? 'stale' : 'existing',
      ...(why ? { problem: why } : {}),
      data: json.data,
    }
  }
  const exists = fs.existsSync(path.join(root, bench.script))
  return {
    ...base,
    status: run ? 'failed' : 'missing',
    problem:
      why ?? (exists ? `no ${bench.output} yet` : `no ${bench.script} yet`),
  }
}

async function main() {
  const { only, chartsOnly, passThrough } = parseArgs(process.argv.slice(2))
  const runs = new Map()
  if (!chartsOnly) {
    for (const bench of BENCHMARKS) {
      if (only && !only.includes(bench.name)) continue
      if (!fs.existsSync(path.join(root, bench.script))) {
        console.log(
          `\n=== ${bench.name}: skipped, ${bench.script} does not exist`,
        )
        continue
      }
      runs.set(bench.name, await runOne(bench, passThrough))
    }
  }

  const sources = {}
  for (const bench of BENCHMARKS)
    sources[bench.name] = entry(bench, runs.get(bench.name))
  const results = {
    generatedBy: 'bench/run.mjs',
    mode: chartsOnly ? 'charts-only' : only ? `only ${only.join(',')}` : 'all',
    ...(chartsOnly
      ? {}
      : {
          runOn: {
            node: process.version,
            platform: process.platform,
            arch: process.arch,
            cpus: os.cpus().length,
          },
        }),
    sources,
  }
  fs.mkdirSync(benchDir, { recursive: true })
  fs.writeFileSync(
    path.join(benchDir, 'results.json'),
    JSON.stringify(results, null, 2) + '\n',
  )

  console.log('\n=== summary\n')
  for (const [name, s] of Object.entries(sources)) {
    const ran = runs.has(name) ? ` in ${runs.get(name).seconds} s` : ''
    console.log(
      `${name.padEnd(8)} ${s.status.padEnd(8)} ${s.file}${ran}${s.problem ? `: ${s.problem}` : ''}`,
    )
  }
  console.log('\nwrote docs/bench/results.json')
  for (const c of renderCharts(results, benchDir)) {
    console.log(
      `${c.written ? 'wrote  ' : 'skipped'} docs/bench/${c.file}${c.reason ? `: ${c.reason}` : ''}`,
    )
  }
  const failed = [...runs.keys()].filter(
    (name) => sources[name].status !== 'ok',
  )
  if (failed.length > 0) {
    console.log(
      `\n${failed.join(', ')} failed: the charts use what the other benchmarks (and earlier runs) wrote.`,
    )
    process.exitCode = 1
  }
}

await main()
