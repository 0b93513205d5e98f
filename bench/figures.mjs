// The figure table the engine benchmarks share (bench/core.bench.mjs, bench/browser.bench.mjs):
// each figure is kept in the results' `figures` under its name and printed as one row.

/** A number as the tables print it: whole from 100, two decimals from 1, else 3 digits. */
export const fmt = (n) =>
  n === null
    ? ''
    : n >= 100
      ? n.toFixed(0)
      : n >= 1
        ? n.toFixed(2)
        : n.toPrecision(3)

/**
 * A table over `figures` (the results' object, filled as figures are recorded): `record` keeps
 * one figure with the floor measured beside it and its goal; `print` writes the table.
 */
export function figureTable(figures) {
  const rows = []
  const record = (name, value, unit, floor, ratio, goal, note = '') => {
    figures[name] = { value, unit, floor, ratio, goal, note }
    rows.push([
      name,
      `${fmt(value)} ${unit}`,
      floor === null ? '' : `${fmt(floor)} ${unit}`,
      ratio === null ? '' : `${ratio.toFixed(2)}x`,
      goal,
      note,
    ])
  }
  const print = () => {
    const head = ['figure', 'aof-persist', 'floor', 'ratio', 'goal', 'note']
    const widths = head.map((h, i) =>
      Math.max(h.length, ...rows.map((r) => r[i].length)),
    )
    const line = (r) => r.map((c, i) => c.padEnd(widths[i])).join('  ')
    console.log(line(head))
    console.log(widths.map((w) => '-'.repeat(w)).join('  '))
    for (const r of rows) console.log(line(r))
  }
  return { record, print }
}
