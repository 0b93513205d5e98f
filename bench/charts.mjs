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
const FONT =
  'font-family="system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif"'

/** Colours by series name, so a library keeps its colour across charts. */
const PALETTE = [
  '#d1495b',
  '#00798c',
  '#edae49',
  '#30638e',
  '#6a4c93',
  '#66a182',
  '#8d96a3',
]
const FIXED = {
  'aof-persist': '#d1495b',
  'aof-persist (redux)': '#d1495b',
  'aof-persist (zustand)': '#e07a5f',
  'redux-persist': '#30638e',
  'zustand persist': '#00798c',
  'Redux Toolkit alone': '#7a7a7a',
  'zustand alone': '#b3b3b3',
}

function colourFor(name, i) {
  return FIXED[name] ?? PALETTE[(i + 1) % PALETTE.length]
}

const esc = (s) =>
  String(s).replace(
    /[&<>"]/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c],
  )

const r2 = (n) => Math.round(n * 100) / 100

/** Trims a number to at most 3 significant digits without trailing zeros. */
export function num(n) {
  if (n === 0) return '0'
  const abs = Math.abs(n)
  const digits =
    abs >= 100
      ? 0
      : abs >= 10
        ? 1
        : abs >= 1
          ? 2
          : Math.min(6, 2 - Math.floor(Math.log10(abs)))
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
  return {
    ticks: ticks.filter((t) => t >= 10 ** lo && t <= 10 ** hi),
    min: 10 ** lo,
    max: 10 ** hi,
  }
}

function linearTicks(max) {
  if (!(max > 0)) return { ticks: [0, 1], min: 0, max: 1 }
  const raw = max / 5
  const mag = 10 ** Math.floor(Math.log10(raw))
  const step = [1, 2, 2.5, 5, 10].map((s) => s * mag).find((s) => s >= raw)
  const top = Math.ceil(max / step) * step
  const ticks = []
  for (let t = 0; t <= top + step / 2; t += step)
    ticks.push(Number(t.toPrecision(12)))
  return { ticks, min: 0, max: top }
}

function axis(kind, values) {
  const pos = values.filter(
    (v) => Number.isFinite(v) && (kind === 'log' ? v > 0 : true),
  )
  if (kind === 'log') {
    const { ticks, min, max } = logTicks(Math.min(...pos), Math.max(...pos))
    return {
      ticks,
      min,
      max,
      map: (v, a, b) =>
        a +
        ((Math.log10(v) - Math.log10(min)) /
          (Math.log10(max) - Math.log10(min))) *
          (b - a),
    }
  }
  const { ticks, min, max } = linearTicks(Math.max(...pos))
  return {
    ticks,
    min,
    max,
    map: (v, a, b) => a + ((v - min) / (max - min)) * (b - a),
  }
}

/** Splits `text` into lines of at most `width` characters at spaces. */
function wrap(text, width) {
  const lines = []
  let line = ''
  for (const word of text.split(' ').filter(Boolean)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line)
      line = word
    } else line = line ? `${line} ${word}` : word
  }
  if (line) lines.push(line)
  return lines
}

/** Extra height the footer's second and later lines need. */
const footSpace = (footer) =>
  Math.max(0, wrap(footer ?? '', 118).length - 1) * 13

function frame(title, subtitle, body, footer, height = HEIGHT) {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" role="img" aria-labelledby="t d">`,
    `<title id="t">${esc(title)}</title>`,
    `<desc id="d">${esc(subtitle.replace(/\n/g, ' '))}</desc>`,
    `<rect width="${WIDTH}" height="${height}" fill="#ffffff"/>`,
    `<g ${FONT} fill="#222">`,
    `<text x="${M.left}" y="26" font-size="17" font-weight="600">${esc(title)}</text>`,
    ...subtitle
      .split('\n')
      .map(
        (line, i) =>
          `<text x="${M.left}" y="${46 + i * 15}" font-size="12" fill="#555">${esc(line)}</text>`,
      ),
    ...body,
    ...wrap(footer ?? '', 118)
      .reverse()
      .map(
        (line, i) =>
          `<text x="${M.left}" y="${height - 10 - i * 13}" font-size="10.5" fill="#777">${esc(line)}</text>`,
      ),
    `</g>`,
    `</svg>`,
    '',
  ].join('\n')
}

/** Lays the legend out in rows that fit the width; returns the rows of { name, x }. */
function layoutLegend(names) {
  const rows = [[]]
  let x = M.left
  for (const name of names) {
    const w = 30 + name.length * 6.6
    if (x + w > WIDTH - M.right && rows.at(-1).length > 0) {
      rows.push([])
      x = M.left
    }
    rows.at(-1).push({ name, x })
    x += w
  }
  return rows
}

function legend(rows, names, y) {
  const out = []
  rows.forEach((row, r) => {
    for (const { name, x } of row) {
      const c = colourFor(name, names.indexOf(name))
      const ly = y + r * 17
      out.push(
        `<rect x="${r2(x)}" y="${ly - 9}" width="12" height="12" rx="2" fill="${c}"/>`,
      )
      out.push(
        `<text x="${r2(x + 17)}" y="${ly + 1}" font-size="12">${esc(name)}</text>`,
      )
    }
  })
  return out
}

/** Room the subtitle's extra lines and the legend's extra rows take above the plot. */
function headSpace(subtitle, names) {
  const rows = layoutLegend(names)
  const sub = (subtitle.split('\n').length - 1) * 15
  return { rows, sub, extra: sub + (rows.length - 1) * 17 }
}

/**
 * A line chart. `series`: [{ name, points: [[x, y], ...], dashed? }]. Axes `x`/`y`:
 * { label, scale: 'log' | 'linear', format(v) }. Points are labelled with their value when
 * `labelPoints` is set (useful with few points).
 */
function lineChart({
  title,
  subtitle,
  x,
  y,
  series,
  footer,
  labelPoints = true,
}) {
  const all = series.flatMap((s) => s.points)
  const ax = axis(
    x.scale,
    all.map((p) => p[0]),
  )
  const ay = axis(
    y.scale,
    all.map((p) => p[1]),
  )
  const x0 = M.left
  const x1 = WIDTH - M.right
  const names = series.map((s) => s.name)
  const { rows, sub, extra } = headSpace(subtitle, names)
  const height = HEIGHT + extra + footSpace(footer)
  const y0 = height - M.bottom - footSpace(footer)
  const y1 = M.top + extra
  const px = (v) => r2(ax.map(v, x0, x1))
  const py = (v) => r2(ay.map(v, y0, y1))
  const body = [...legend(rows, names, 62 + sub)]
  for (const t of ay.ticks) {
    body.push(
      `<line x1="${x0}" x2="${x1}" y1="${py(t)}" y2="${py(t)}" stroke="#e6e6e6"/>`,
    )
    body.push(
      `<text x="${x0 - 8}" y="${py(t) + 4}" font-size="11" text-anchor="end" fill="#555">${esc(y.format(t))}</text>`,
    )
  }
  const xTicks = x.ticks ?? ax.ticks
  for (const t of xTicks) {
    body.push(
      `<line x1="${px(t)}" x2="${px(t)}" y1="${y0}" y2="${y0 + 5}" stroke="#888"/>`,
    )
    body.push(
      `<text x="${px(t)}" y="${y0 + 19}" font-size="11" text-anchor="middle" fill="#555">${esc(x.format(t))}</text>`,
    )
  }
  body.push(`<line x1="${x0}" x2="${x1}" y1="${y0}" y2="${y0}" stroke="#888"/>`)
  body.push(
    `<text x="${(x0 + x1) / 2}" y="${y0 + 40}" font-size="12" text-anchor="middle">${esc(x.label)}</text>`,
  )
  body.push(
    `<text transform="translate(18 ${(y0 + y1) / 2}) rotate(-90)" font-size="12" text-anchor="middle">${esc(y.label)}</text>`,
  )
  const labels = []
  const lastX = Math.max(...all.map((p) => p[0]))
  series.forEach((s, i) => {
    const c = colourFor(s.name, i)
    const pts = [...s.points].sort((a, b) => a[0] - b[0])
    const d = pts
      .map((p, j) => `${j === 0 ? 'M' : 'L'}${px(p[0])} ${py(p[1])}`)
      .join(' ')
    body.push(
      `<path d="${d}" fill="none" stroke="${c}" stroke-width="2.2"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/>`,
    )
    for (const p of pts) {
      body.push(
        `<circle cx="${px(p[0])}" cy="${py(p[1])}" r="3.5" fill="${c}"/>`,
      )
      if (labelPoints)
        labels.push({
          at: p[0],
          x: px(p[0]),
          y: py(p[1]) - 7,
          text: y.format(p[1]),
          c,
          end: p[0] === lastX,
        })
    }
  })
  // Labels at the same x are pushed apart vertically so that close lines stay readable.
  for (const at of new Set(labels.map((l) => l.at))) {
    const col = labels.filter((l) => l.at === at).sort((a, b) => a.y - b.y)
    // From the bottom up: a label too close to the one below it moves up, away from the lines.
    for (let k = col.length - 2; k >= 0; k--)
      if (col[k + 1].y - col[k].y < 12) col[k].y = col[k + 1].y - 12
  }
  for (const l of labels) {
    const x = l.end ? l.x - 7 : l.x + 7
    body.push(
      `<text x="${r2(x)}" y="${r2(l.y)}" font-size="10.5" fill="${l.c}"${l.end ? ' text-anchor="end"' : ''}>${esc(l.text)}</text>`,
    )
  }
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
  const { rows, sub, extra } = headSpace(subtitle, names)
  const height = HEIGHT + extra + footSpace(footer)
  const y0 = height - M.bottom - footSpace(footer)
  const y1 = M.top + extra
  const py = (v) => r2(ay.map(v, y0, y1))
  const body = [...legend(rows, names, 62 + sub)]
  for (const t of ay.ticks) {
    body.push(
      `<line x1="${x0}" x2="${x1}" y1="${py(t)}" y2="${py(t)}" stroke="#e6e6e6"/>`,
    )
    body.push(
      `<text x="${x0 - 8}" y="${py(t) + 4}" font-size="11" text-anchor="end" fill="#555">${esc(y.format(t))}</text>`,
    )
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
      body.push(
        `<rect x="${bx + 2}" y="${top}" width="${r2(barW - 4)}" height="${r2(Math.max(0.5, base - top))}" fill="${c}"/>`,
      )
      body.push(
        `<text x="${r2(bx + barW / 2)}" y="${top - 5}" font-size="10.5" text-anchor="middle" fill="#333">${esc(b.note ?? y.format(b.value))}</text>`,
      )
    })
    body.push(
      `<text x="${r2(x0 + gi * groupW + groupW / 2)}" y="${y0 + 19}" font-size="11.5" text-anchor="middle">${esc(g.label)}</text>`,
    )
  })
  body.push(`<line x1="${x0}" x2="${x1}" y1="${y0}" y2="${y0}" stroke="#888"/>`)
  body.push(
    `<text transform="translate(18 ${(y0 + y1) / 2}) rotate(-90)" font-size="12" text-anchor="middle">${esc(y.label)}</text>`,
  )
  return frame(title, subtitle, body, footer, height)
}

// ---- the charts -----------------------------------------------------------------------------

const ok = (source) =>
  source &&
  source.data &&
  (source.status === 'ok' ||
    source.status === 'stale' ||
    source.status === 'existing')

/** The figure of core.json whose name matches `re`, or undefined. */
function coreFigure(core, re) {
  const figures = core?.figures ?? {}
  const key = Object.keys(figures).find((k) => re.test(k))
  return key === undefined ? undefined : figures[key]
}

/** A footer naming where the numbers come from and on what machine. */
function provenance(entries) {
  const machine = entries
    .map(([, s]) => s.data.machine)
    .find((m) => m && m.node)
  const files = entries.map(
    ([name, s]) =>
      `${name}.json${typeof s.data.at === 'string' ? ` (${s.data.at.slice(0, 10)})` : ''}${s.status === 'stale' ? ' from an earlier run' : ''}`,
  )
  const on = machine
    ? ` on Node ${machine.node}, ${machine.platform}, ${machine.cpus} CPUs`
    : ''
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
      if (!always && !everysec && !no)
        return { skip: 'core.json has no append figures' }
      const groups = []
      const floorName = 'floor (same run, no aof-persist)'
      if (always) {
        groups.push({
          label: "fsync 'always' (write + fdatasync each)",
          bars: [
            { name: 'aof-persist', value: always.value },
            ...(always.floor ? [{ name: floorName, value: always.floor }] : []),
          ],
        })
      }
      if (everysec) {
        groups.push({
          label: "fsync 'everysec' (bursts)",
          bars: [
            { name: 'aof-persist', value: everysec.value },
            ...(everysec.floor
              ? [{ name: floorName, value: everysec.floor }]
              : []),
          ],
        })
      }
      if (no)
        groups.push({
          label: "fsync 'no' (bursts)",
          bars: [{ name: 'aof-persist', value: no.value }],
        })
      return {
        svg: barChart({
          title: 'Append throughput per fsync policy',
          subtitle:
            'Records appended per second, log scale. The floors are measured in the same run without aof-persist:\n' +
            "a raw write + fdatasync loop for 'always', JSON.stringify + one write per 64 KB for 'everysec'.",
          groups,
          y: { label: 'records / s', scale: 'log', format: fmtCount },
          footer: provenance([['core', core]]),
        }),
      }
    },
  },
]

// The adapters' benchmarks (packages/redux/bench, packages/zustand/bench) write
// `workloads.{a,b}.rows` with one row per state size (`todos` or `items`) and per-action figures
// named `ours...`, `reduxPersist...` / `persist...` and `plain...` (the store without any
// persistence); and `startup.rows` (or `startup` as an array) with `oursMs` and the peer's `...Ms`.
// The fields are found by pattern so that `...PerAction` (Redux) and `...PerSet` (Zustand) both fit.

const ADAPTERS = [
  {
    source: 'redux',
    ours: 'aof-persist (redux)',
    peer: 'redux-persist',
    plain: 'Redux Toolkit alone',
    peerKey: /^reduxPersist/,
  },
  {
    source: 'zustand',
    ours: 'aof-persist (zustand)',
    peer: 'zustand persist',
    plain: 'zustand alone',
    peerKey: /^persist/,
  },
]

const field = (row, re) => {
  const key = Object.keys(row).find((k) => re.test(k))
  return key === undefined ? undefined : row[key]
}
const sizeOf = (row) => row.todos ?? row.items ?? row.size
const rowsOf = (x) =>
  Array.isArray(x) ? x : Array.isArray(x?.rows) ? x.rows : []
const isNum = (v) => typeof v === 'number' && Number.isFinite(v) && v > 0

/** Series of (state size, value) for each adapter present: ours, the peer and (optionally) plain. */
function adapterSeries(sources, workload, metric, withPlain = false) {
  const series = []
  for (const a of ADAPTERS) {
    const src = sources[a.source]
    if (!src) continue
    const rows = rowsOf(src.data.workloads?.[workload])
    const pts = (re) =>
      rows
        .map((r) => [sizeOf(r), field(r, re)])
        .filter(([x, y]) => isNum(x) && isNum(y))
    const kinds = [
      [a.ours, new RegExp(`^ours${metric}Per`)],
      [a.peer, new RegExp(`${a.peerKey.source}${metric}Per`)],
      ...(withPlain ? [[a.plain, new RegExp(`^plain${metric}Per`)]] : []),
    ]
    for (const [name, re] of kinds) {
      const points = pts(re)
      if (points.length > 0)
        series.push({ name, points, dashed: name === a.plain })
    }
  }
  return series
}

const sizeTicks = (series) =>
  [...new Set(series.flatMap((s) => s.points.map((p) => p[0])))].sort(
    (a, b) => a - b,
  )

const adapterSources = (sources) =>
  ADAPTERS.filter((a) => sources[a.source]).map((a) => [
    a.source,
    sources[a.source],
  ])

function perActionChart(sources, workload, title, subtitle, withPlain) {
  const series = adapterSeries(sources, workload, 'Ms', withPlain)
  if (series.length === 0)
    return { skip: `no workload (${workload}) rows with per-action times` }
  return {
    svg: lineChart({
      title,
      subtitle,
      x: {
        label: 'items in the state (log scale)',
        scale: 'log',
        format: fmtCount,
        ticks: sizeTicks(series),
      },
      y: { label: 'time per action (log scale)', scale: 'log', format: fmtMs },
      series,
      footer: provenance(adapterSources(sources)),
    }),
  }
}

CHARTS.push(
  {
    file: 'per-action-time.svg',
    needs: [],
    optional: ['redux', 'zustand'],
    build: (sources) =>
      perActionChart(
        sources,
        'a',
        'Time per action against state size',
        'Workload (a): each action changes a small field beside a list that stays unchanged; one action per turn.\n' +
          "aof-persist: fsync 'everysec' (default). redux-persist and zustand persist: a file storage.",
        false,
      ),
  },
  {
    file: 'per-action-time-toggle.svg',
    needs: [],
    optional: ['redux', 'zustand'],
    build: (sources) =>
      perActionChart(
        sources,
        'b',
        'Time per action against state size: toggling one item',
        'Workload (b): each action toggles one item, so the state library copies the list itself.\n' +
          'Dashed: the same store without any persistence, for the part that is not persistence.',
        true,
      ),
  },
  {
    file: 'bytes-per-action.svg',
    needs: [],
    optional: ['redux', 'zustand'],
    build(sources) {
      const series = adapterSeries(sources, 'a', 'Bytes')
      if (series.length === 0)
        return { skip: 'no workload (a) rows with bytes per action' }
      return {
        svg: lineChart({
          title: 'Bytes written per action against state size',
          subtitle:
            'Workload (a). aof-persist appends the action (or the patches); the others write the whole persisted state.',
          x: {
            label: 'items in the state (log scale)',
            scale: 'log',
            format: fmtCount,
            ticks: sizeTicks(series),
          },
          y: {
            label: 'bytes written per action (log scale)',
            scale: 'log',
            format: fmtBytes,
          },
          series,
          footer: provenance(adapterSources(sources)),
        }),
      }
    },
  },
  {
    file: 'startup.svg',
    needs: [],
    optional: ['redux', 'zustand'],
    build(sources) {
      const bySize = new Map()
      for (const a of ADAPTERS) {
        const src = sources[a.source]
        if (!src) continue
        for (const r of rowsOf(src.data.startup)) {
          const size = sizeOf(r)
          if (!isNum(size)) continue
          const bars = bySize.get(size) ?? []
          const ours = r.oursMs
          const peer = field(r, new RegExp(`${a.peerKey.source}Ms$`))
          if (isNum(ours)) bars.push({ name: a.ours, value: ours })
          if (isNum(peer)) bars.push({ name: a.peer, value: peer })
          bySize.set(size, bars)
        }
      }
      if (bySize.size === 0) return { skip: 'no start-up rows' }
      const groups = [...bySize.entries()]
        .sort((x, y) => x[0] - y[0])
        .map(([size, bars]) => ({ label: `${fmtCount(size)} items`, bars }))
      return {
        svg: barChart({
          title:
            'Start-up time: from process start to a store holding the saved state',
          subtitle:
            'The state was saved by each library beforehand (aof-persist: rewritten into one snapshot).\n' +
            'Wall time of a fresh process, starting Node included.',
          groups,
          y: {
            label: 'milliseconds',
            scale: 'linear',
            format: (v) => `${num(v)} ms`,
          },
          footer: provenance(adapterSources(sources)),
        }),
      }
    },
  },
)

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
    for (const name of optional)
      if (ok(results.sources?.[name])) sources[name] = results.sources[name]
    if (
      missing.length > 0 ||
      (chart.needs.length === 0 && Object.keys(sources).length === 0)
    ) {
      report.push({
        file: chart.file,
        written: false,
        reason: `no results from ${[...missing, ...(chart.needs.length === 0 ? optional : [])].join(', ')}`,
      })
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
if (
  process.argv[1] &&
  fileURLToPath(import.meta.url) === path.resolve(process.argv[1])
) {
  const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)))
  const input =
    process.argv[2] ?? path.join(root, 'docs', 'bench', 'results.json')
  const outDir = process.argv[3] ?? path.dirname(input)
  const results = JSON.parse(fs.readFileSync(input, 'utf8'))
  for (const r of renderCharts(results, outDir))
    console.log(
      `${r.written ? 'wrote  ' : 'skipped'} ${r.file}${r.reason ? `: ${r.reason}` : ''}`,
    )
}
