import {
  isAofError,
  readAofEntries,
  type AofEntry,
  type AofReport,
} from '@aof-persist/core'
import { EXIT_FAILURE, EXIT_OK } from './args.js'
import { describeManifest, fileTable, readReport } from './check.js'
import { recordedKind } from './kind.js'
import {
  printProblem,
  requireDirectory,
  storeOf,
  type Context,
} from './context.js'
import { formatTime, progressBar, table } from './terminal.js'

/** Options of `aof inspect`. */
export interface InspectFlags {
  /** JSON Lines instead of tables. */
  json: boolean
  /** Show at most this many records (`#TS:` lines before the last one shown are shown too). */
  limit: number | undefined
}

/**
 * Reads the entries of the store until `limit` records, the end, or the first problem (which
 * {@link checkAof} has already reported, so it ends the listing quietly). Read-only.
 */
function* entriesUpTo(
  ctx: Context,
  limit: number | undefined,
  onProgress: (d: number, t: number) => void,
): Generator<AofEntry> {
  if (limit === 0) return
  let records = 0
  try {
    for (const entry of readAofEntries({ ...storeOf(ctx), onProgress })) {
      yield entry
      if (entry.kind === 'record' && ++records === limit) return
    }
  } catch (err) {
    if (isAofError(err, 'AOF_CORRUPT') || isAofError(err, 'AOF_TRUNCATED'))
      return
    throw err
  }
}

/**
 * The progress bar while records stream to stdout: none when stdout is a terminal too, where the
 * rows themselves show the progress and a bar would be drawn into them.
 */
const readingBar = (ctx: Context) =>
  progressBar(
    ctx.io.stdout.isTTY === true ? { write: () => true } : ctx.io.stderr,
    'Reading',
  )

/** The kind and version the store's first record (its snapshot) records; none for a damaged first file. */
function storeKind(
  ctx: Context,
  report: AofReport,
): { kind: string | null; version: number } {
  if (report.files[0]?.problem) return { kind: null, version: 0 }
  try {
    return recordedKind(ctx)
  } catch (err) {
    if (isAofError(err, 'AOF_CORRUPT') || isAofError(err, 'AOF_TRUNCATED'))
      return { kind: null, version: 0 }
    throw err
  }
}

const totalRecords = (report: AofReport) =>
  report.files.reduce((n, f) => n + f.records, 0)

/**
 * `aof inspect <dir>`: the manifest, the files and the records. JSON Lines with `--json` (one
 * object per line, each with a `kind`: `manifest`, `file`, `record`, `timestamp`, `problem`,
 * `limit`); otherwise tables, fitted to the width of a terminal. Exit 1 when the store is damaged.
 */
export function inspect(ctx: Context, flags: InspectFlags): number {
  requireDirectory(ctx)
  const report = readReport(ctx)
  return flags.json
    ? inspectJson(ctx, report, flags.limit)
    : inspectText(ctx, report, flags.limit)
}

function inspectJson(
  ctx: Context,
  report: AofReport,
  limit: number | undefined,
): number {
  const emit = (value: object) =>
    ctx.io.stdout.write(JSON.stringify(value) + '\n')
  const { kind, version } = storeKind(ctx, report)
  emit({ kind: 'store', logKind: kind, version })
  for (const e of report.manifest)
    emit({ kind: 'manifest', name: e.name, seq: e.seq, type: e.type })
  for (const f of report.files) {
    emit({
      kind: 'file',
      name: f.name,
      type: f.type,
      seq: f.seq,
      size: f.size,
      records: f.records,
      timestamps: f.timestamps,
      lastGoodOffset: f.lastGoodOffset,
      lastGoodLine: f.lastGoodLine,
      problem: f.problem,
    })
  }
  let shown = 0
  const bar = readingBar(ctx)
  try {
    for (const entry of entriesUpTo(ctx, limit, (d, t) => bar.update(d, t))) {
      if (entry.kind === 'record') {
        shown++
        emit({
          kind: 'record',
          file: entry.file,
          line: entry.line,
          offset: entry.offset,
          length: entry.length,
          value: entry.value,
        })
      } else {
        emit({
          kind: 'timestamp',
          file: entry.file,
          line: entry.line,
          offset: entry.offset,
          length: entry.length,
          time: entry.time,
        })
      }
    }
  } finally {
    bar.end()
  }
  const total = totalRecords(report)
  if (limit !== undefined && shown < total)
    emit({ kind: 'limit', limit, shown, records: total })
  if (report.problem) {
    emit({ kind: 'problem', ...report.problem })
    return EXIT_FAILURE
  }
  return EXIT_OK
}

/** The record column: its JSON, or the annotation with its date. */
const describeEntry = (entry: AofEntry): string =>
  entry.kind === 'record'
    ? (JSON.stringify(entry.value) ?? 'undefined')
    : `#TS:${formatTime(entry.time)}`

function inspectText(
  ctx: Context,
  report: AofReport,
  limit: number | undefined,
): number {
  const { out } = ctx
  const width = ctx.io.stdout.isTTY === true ? ctx.io.stdout.columns : undefined
  ctx.print(
    out.bold(`Manifest ${report.manifestPath}`) +
      ` (${describeManifest(report)})`,
  )
  const { kind, version } = storeKind(ctx, report)
  ctx.print(
    kind === null
      ? 'Kind not recorded (a store of the core alone, or of aof-persist 0.1)'
      : `Kind ${kind}, version ${version}`,
  )
  const manifestRows = [
    ['SEQ', 'TYPE', 'FILE'],
    ...report.manifest.map((e) => [String(e.seq), e.type, e.name]),
  ]
  for (const [i, line] of table(manifestRows, { right: [0] }).entries())
    ctx.print('  ' + (i === 0 ? out.bold(line) : line))
  ctx.print()
  ctx.print(out.bold('Files'))
  for (const line of fileTable(ctx, report)) ctx.print('  ' + line)

  const bar = readingBar(ctx)
  let shown = 0
  let file: string | undefined
  let row = (_: string[]) => ''
  try {
    // Streamed, not buffered: the number columns are as wide as the file's size in digits,
    // which bounds every line number, offset and length in it.
    for (const entry of entriesUpTo(ctx, limit, (d, t) => bar.update(d, t))) {
      if (entry.file !== file) {
        bar.end()
        file = entry.file
        const digits = String(
          report.files.find((f) => f.name === file)?.size ?? 0,
        ).length
        const w = [
          Math.max(4, digits),
          Math.max(6, digits),
          Math.max(5, digits),
        ] as const
        row = (cells) => {
          const line = `  ${cells[0]!.padStart(w[0])}  ${cells[1]!.padStart(w[1])}  ${cells[2]!.padStart(w[2])}  ${cells[3]}`
          return width !== undefined && width > 1 && line.length > width
            ? line.slice(0, width - 1) + '…'
            : line
        }
        ctx.print()
        ctx.print(out.bold(`Records in ${file}`))
        ctx.print(out.bold(row(['LINE', 'OFFSET', 'BYTES', 'RECORD'])))
      }
      if (entry.kind === 'record') shown++
      ctx.print(
        row([
          String(entry.line),
          String(entry.offset),
          String(entry.length),
          describeEntry(entry),
        ]),
      )
    }
  } finally {
    bar.end()
  }
  const total = totalRecords(report)
  if (limit !== undefined && shown < total) {
    ctx.print()
    ctx.print(
      out.dim(
        `… ${total - shown} more of ${total} records not shown (--limit ${limit})`,
      ),
    )
  }
  if (report.problem) {
    ctx.print()
    printProblem(ctx, report, report.problem)
    return EXIT_FAILURE
  }
  return EXIT_OK
}
