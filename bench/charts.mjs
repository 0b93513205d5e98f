// Generates the benchmark charts (docs/bench/*.svg) from docs/bench/results.json, the merged
// output of every benchmark (bench/run.mjs writes it). The charts are SVG written by the small
// functions below: no chart library, no dependency, and the same JSON always gives the same
// bytes, so a chart only changes in git when its numbers do. Never edit an SVG by hand: change
// the benchmark or this file and run `pnpm bench` (or `node bench/run.mjs --charts-only`).
import * as fs from 'node:fs'
import * as path from 'node:path'
import { fileURLToPath } from 'node:url'

const WIDTH = 760
const HEIGHT = 440
const M = { top: 78, right: 24, bottom: 64, left: 84 }
const FONT = 'font-family="system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif"'

/** Colours by series name, so a library keeps its colour across charts. */
const PALETTE = ['#d1495b', '#00798c', '#edae49', '#30638e', '#6a4c93', '#66a182', '#8d96a3']
const FIXED = {
  'aof-persist': '#d1495b',
  'aof-persist (redux)': '#d1495b',
  'aof-persist (zustand)': '#e07a5f',
  'redux-persist': '#30638e',
  'zustand persist': '#00798c',
}

function colourFor(name, i) {
  return FIXED[name] ?? PALETTE[(i + 1) % PALETTE.length]
}

const esc = (s) =>
  String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c])

const r2 = (n) => Math.round(n * 100) / 100

/** Trims a number to at most 3 significant digits without trailing zeros. */
export function num(n) {
  if (n === 0) return '0'
  const abs = Math.abs(n)
  const digits = abs >= 100 ? 0 : abs >= 10 ? 1 : abs >= 1 ? 2 : Math.min(6, 2 - Math.floor(Math.log10(abs)))
  return String(Number(n.toFixed(digits)))
}

/** Formats milliseconds: ns, µs, ms or s. */
export function fmtMs(ms) {
  if (ms === 0) return '0'
  if (ms < 0.001) return `${num(ms * 1e6)} ns`
  if (ms < 1) return `${num(ms * 1000)} µs`
  if (ms < 1000) return `${num(ms)} ms`
  return `${num(ms / 1000)} s`
}

/** Formats bytes with decimal units (kB = 1000 B): decade ticks read 1 kB, 10 kB, 1 MB. */
export function fmtBytes(b) {
  if (b < 1000) return `${num(b)} B`
  if (b < 1e6) return `${num(b / 1e3)} kB`
  if (b < 1e9) return `${num(b / 1e6)} MB`
  return `${num(b / 1e9)} GB`
}

/** Formats a count: 1k, 10k, 1.5M. */
export function fmtCount(n) {
  if (n < 1000) return num(n)
  if (n < 1e6) return `${num(n / 1e3)}k`
  return `${num(n / 1e6)}M`
}

function logTicks(min, max) {
  const lo = Math.floor(Math.log10(min))
  const hi = Math.ceil(Math.log10(max))
  const ticks = []
  const steps = hi - lo <= 2 ? [1, 2, 5] : [1]
  for (let e = lo; e <= hi; e++) for (const s of steps) ticks.push(s * 10 ** e)
  return { ticks: ticks.filter((t) => t >= 10 ** lo && t <= 10 ** hi), min: 10 ** lo, max: 10 ** hi }
}

function linearTicks(max) {
  if (!(max > 0)) return { ticks: [0, 1], min: 0, max: 1 }
  const raw = max / 5
  const mag = 10 ** Math.floor(Math.log10(raw))
  const step = [1, 2, 2.5, 5, 10].map((s) => s * mag).find((s) => s >= raw)
  const top = Math.ceil(max / step) * step
  const ticks = []
  for (let t = 0; t <= top + step / 2; t += step) ticks.push(Number(t.toPrecision(12)))
  return { ticks, min: 0, max: top }
}

function axis(kind, values) {
  const pos = values.filter((v) => Number.isFinite(v) && (kind === 'log' ? v > 0 : true))
  if (kind === 'log') {
    const { ticks, min, max } = logTicks(Math.min(...pos), Math.max(...pos))
    return { ticks, min, max, map: (v, a, b) => a + ((Math.log10(v) - Math.log10(min)) / (Math.log10(max) - Math.log10(min))) * (b - a) }
  }
  const { ticks, min, max } = linearTicks(Math.max(...pos))
  return { ticks, min, max, map: (v, a, b) => a + ((v - min) / (max - min)) * (b - a) }
}

function frame(title, subtitle, body, footer, height = HEIGHT) {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" role="img" aria-labelledby="t d">`,
    `<title id="t">${esc(title)}</title>`,
    `<desc id="d">${esc(subtitle.replace(/\n/g, ' '))}</desc>`,
    `<rect width="${WIDTH}" height="${height}" fill="#ffffff"/>`,
    `<g ${FONT} fill="#222">`,
    `<text x="${M.left}" y="26" font-size="17" font-weight="600">${esc(title)}</text>`,
    ...subtitle.split('\n').map((line, i) => `<text x="${M.left}" y="${46 + i * 15}" font-size="12" fill="#555">${esc(line)}</text>`),
    ...body,
    ...(footer ? [`<text x="${M.left}" y="${height - 10}" font-size="10.5" fill="#777">${esc(footer)}</text>`] : []),
    `</g>`,
    `</svg>`,
    '',
  ].join('\n')
}

function legend(names, y = 62) {
  const out = []
  let x = M.left
  names.forEach((name, i) => {
    const c = colourFor(name, i)
    out.push(`<rect x="${x}" y="${y - 9}" width="12" height="12" rx="2" fill="${c}"/>`)
    out.push(`<text x="${x + 17}" y="${y + 1}" font-size="12">${esc(name)}</text>`)
    x += 30 + name.length * 6.6
  })
  return out
}

/**
 * A line chart. `series`: [{ name, points: [[x, y], ...], dashed? }]. Axes `x`/`y`:
 * { label, scale: 'log' | 'linear', format(v) }. Points are labelled with their value when
 * `labelPoints` is set (useful with few points).
 */
function lineChart({ title, subtitle, x, y, series, footer, labelPoints = true }) {
  const all = series.flatMap((s) => s.points)
  const ax = axis(x.scale, all.map((p) => p[0]))
  const ay = axis(y.scale, all.map((p) => p[1]))
  const x0 = M.left
  const x1 = WIDTH - M.right
  const extra = (subtitle.split('\n').length - 1) * 15
  const height = HEIGHT + extra
  const y0 = height - M.bottom
  const y1 = M.top + extra
  const px = (v) => r2(ax.map(v, x0, x1))
  const py = (v) => r2(ay.map(v, y0, y1))
  const body = [...legend(series.map((s) => s.name), 62 + extra)]
  for (const t of ay.ticks) {
    body.push(`<line x1="${x0}" x2="${x1}" y1="${py(t)}" y2="${py(t)}" stroke="#e6e6e6"/>`)
    body.push(`<text x="${x0 - 8}" y="${py(t) + 4}" font-size="11" text-anchor="end" fill="#555">${esc(y.format(t))}</text>`)
  }
  const xTicks = x.ticks ?? ax.ticks
  for (const t of xTicks) {
    body.push(`<line x1="${px(t)}" x2="${px(t)}" y1="${y0}" y2="${y0 + 5}" stroke="#888"/>`)
    body.push(`<text x="${px(t)}" y="${y0 + 19}" font-size="11" text-anchor="middle" fill="#555">${esc(x.format(t))}</text>`)
  }
  body.push(`<line x1="${x0}" x2="${x1}" y1="${y0}" y2="${y0}" stroke="#888"/>`)
  body.push(`<text x="${(x0 + x1) / 2}" y="${y0 + 40}" font-size="12" text-anchor="middle">${esc(x.label)}</text>`)
  body.push(`<text transform="translate(18 ${(y0 + y1) / 2}) rotate(-90)" font-size="12" text-anchor="middle">${esc(y.label)}</text>`)
  series.forEach((s, i) => {
    const c = colourFor(s.name, i)
    const pts = [...s.points].sort((a, b) => a[0] - b[0])
    const d = pts.map((p, j) => `${j === 0 ? 'M' : 'L'}${px(p[0])} ${py(p[1])}`).join(' ')
    body.push(`<path d="${d}" fill="none" stroke="${c}" stroke-width="2.2"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/>`)
    for (const p of pts) {
      body.push(`<circle cx="${px(p[0])}" cy="${py(p[1])}" r="3.5" fill="${c}"/>`)
      if (labelPoints) {
        body.push(`<text x="${px(p[0]) + 6}" y="${py(p[1]) - 6}" font-size="10.5" fill="${c}">${esc(y.format(p[1]))}</text>`)
      }
    }
  })
  return frame(title, subtitle, body, footer, height)
}

/**
 * A grouped bar chart. `groups`: [{ label, bars: [{ name, value, note? }] }]; bars with the same
 * name share a colour and a legend entry. `y`: { label, scale, format }.
 */
function barChart({ title, subtitle, groups, y, footer }) {
  const names = [...new Set(groups.flatMap((g) => g.bars.map((b) => b.name)))]
  const values = groups.flatMap((g) => g.bars.map((b) => b.value))
  const ay = axis(y.scale, y.scale === 'log' ? values : [0, ...values])
  const x0 = M.left
  const x1 = WIDTH - M.right
  const extra = (subtitle.split('\n').length - 1) * 15
  const height = HEIGHT + extra
  const y0 = height - M.bottom
  const y1 = M.top + extra
  const py = (v) => r2(ay.map(v, y0, y1))
  const body = [...legend(names, 62 + extra)]
  for (const t of ay.ticks) {
    body.push(`<line x1="${x0}" x2="${x1}" y1="${py(t)}" y2="${py(t)}" stroke="#e6e6e6"/>`)
    body.push(`<text x="${x0 - 8}" y="${py(t) + 4}" font-size="11" text-anchor="end" fill="#555">${esc(y.format(t))}</text>`)
  }
  const groupW = (x1 - x0) / groups.length
  const barW = Math.min(56, (groupW * 0.8) / Math.max(1, names.length))
  groups.forEach((g, gi) => {
    const gx = x0 + gi * groupW + (groupW - barW * g.bars.length) / 2
    g.bars.forEach((b, bi) => {
      const c = colourFor(b.name, names.indexOf(b.name))
      const top = py(b.value)
      const bx = r2(gx + bi * barW)
      const base = y.scale === 'log' ? y0 : py(0)
      body.push(`<rect x="${bx + 2}" y="${top}" width="${r2(barW - 4)}" height="${r2(Math.max(0.5, base - top))}" fill="${c}"/>`)
      body.push(`<text x="${r2(bx + barW / 2)}" y="${top - 5}" font-size="10.5" text-anchor="middle" fill="#333">${esc(b.note ?? y.format(b.value))}</text>`)
    })
    body.push(`<text x="${r2(x0 + gi * groupW + groupW / 2)}" y="${y0 + 19}" font-size="11.5" text-anchor="middle">${esc(g.label)}</text>`)
  })
  body.push(`<line x1="${x0}" x2="${x1}" y1="${y0}" y2="${y0}" stroke="#888"/>`)
  body.push(`<text transform="translate(18 ${(y0 + y1) / 2}) rotate(-90)" font-size="12" text-anchor="middle">${esc(y.label)}</text>`)
  return frame(title, subtitle, body, footer, height)
}

// ---- the charts -----------------------------------------------------------------------------

const ok = (source) => source && source.data && (source.status === 'ok' || source.status === 'stale' || source.status === 'existing')

/** The figure of core.json whose name matches `re`, or undefined. */
function coreFigure(core, re) {
  const figures = core?.figures ?? {}
  const key = Object.keys(figures).find((k) => re.test(k))
  return key === undefined ? undefined : figures[key]
}

/** A footer naming where the numbers come from and on what machine. */
function provenance(entries) {
  const machine = entries.map(([, s]) => s.data.machine).find((m) => m && m.node)
  const files = entries.map(
    ([name, s]) =>
      `${name}.json${typeof s.data.at === 'string' ? ` (${s.data.at.slice(0, 10)})` : ''}${s.status === 'stale' ? ' from an earlier run' : ''}`,
  )
  const on = machine ? ` on Node ${machine.node}, ${machine.platform}, ${machine.cpus} CPUs` : ''
  return `Measured${on}. Data: docs/bench/${files.join(', ')}. Drawn by bench/charts.mjs.`
}

const CHARTS = [
  {
    file: 'append-throughput.svg',
    needs: ['core'],
    build({ core }) {
      const c = core.data
      const always = coreFigure(c, /^append always/)
      const everysec = coreFigure(c, /^append everysec/)
      const no = coreFigure(c, /^append no/)
      if (!always && !everysec && !no) return { skip: 'core.json has no append figures' }
      const groups = []
      const floorName = 'floor (same run, no aof-persist)'
      if (always) {
        groups.push({
          label: "fsync 'always' (write + fdatasync each)",
          bars: [{ name: 'aof-persist', value: always.value }, ...(always.floor ? [{ name: floorName, value: always.floor }] : [])],
        })
      }
      if (everysec) {
        groups.push({
          label: "fsync 'everysec' (bursts)",
          bars: [{ name: 'aof-persist', value: everysec.value }, ...(everysec.floor ? [{ name: floorName, value: everysec.floor }] : [])],
        })
      }
      if (no) groups.push({ label: "fsync 'no' (bursts)", bars: [{ name: 'aof-persist', value: no.value }] })
      return {
        svg: barChart({
          title: 'Append throughput per fsync policy',
          subtitle:
            "Records appended per second, log scale. The floors are measured in the same run without aof-persist:\n" +
            "a raw write + fdatasync loop for 'always', JSON.stringify + one write per 64 KB for 'everysec'.",
          groups,
          y: { label: 'records / s', scale: 'log', format: fmtCount },
          footer: provenance([['core', core]]),
        }),
      }
    },
  },
]

/** Renders every chart whose sources are there; says which were skipped and why. */
export function renderCharts(results, outDir) {
  const report = []
  for (const chart of CHARTS) {
    const sources = {}
    const missing = []
    for (const name of chart.needs) {
      if (ok(results.sources?.[name])) sources[name] = results.sources[name]
      else missing.push(name)
    }
    const optional = chart.optional ?? []
    for (const name of optional) if (ok(results.sources?.[name])) sources[name] = results.sources[name]
    if (missing.length > 0 || (chart.needs.length === 0 && Object.keys(sources).length === 0)) {
      report.push({ file: chart.file, written: false, reason: `no results from ${[...missing, ...(chart.needs.length === 0 ? optional : [])].join(', ')}` })
      continue
    }
    let out
    try {
      out = chart.build(sources)
    } catch (err) {
      out = { skip: `could not read the results: ${err.message}` }
    }
    if (out.skip) {
      report.push({ file: chart.file, written: false, reason: out.skip })
      continue
    }
    fs.mkdirSync(outDir, { recursive: true })
    fs.writeFileSync(path.join(outDir, chart.file), out.svg)
    report.push({ file: chart.file, written: true, reason: out.note ?? '' })
  }
  return report
}

// `node bench/charts.mjs [results.json] [outDir]`: regenerate the charts from a results file.
if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)))
  const input = process.argv[2] ?? path.join(root, 'docs', 'bench', 'results.json')
  const outDir = process.argv[3] ?? path.dirname(input)
  const results = JSON.parse(fs.readFileSync(input, 'utf8'))
  for (const r of renderCharts(results, outDir)) console.log(`${r.written ? 'wrote  ' : 'skipped'} ${r.file}${r.reason ? `: ${r.reason}` : ''}`)
}
