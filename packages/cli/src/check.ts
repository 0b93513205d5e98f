import { checkAof, type AofReport } from '@aof-persist/core'
import { EXIT_FAILURE, EXIT_OK } from './args.js'
import {
  printProblem,
  requireDirectory,
  storeOf,
  type Context,
} from './context.js'
import { checkKind, describeKind } from './kind.js'
import { table, withProgress } from './terminal.js'

/** Runs the core's read-only check with a progress bar. Never takes the lock, never writes. */
export function readReport(ctx: Context, label = 'Checking'): AofReport {
  requireDirectory(ctx)
  return withProgress(ctx.io, label, (onProgress) =>
    checkAof({ ...storeOf(ctx), onProgress }),
  )
}

/** `1 base, 2 incr, 1 history` */
export function describeManifest(report: AofReport): string {
  const count = (type: string) =>
    report.manifest.filter((e) => e.type === type).length
  const parts = [`${count('base')} base`, `${count('incr')} incr`]
  const history = count('history')
  if (history > 0) parts.push(`${history} history (not read)`)
  return parts.join(', ')
}

/** The per-file table of `aof check`. */
export function fileTable(ctx: Context, report: AofReport): string[] {
  const rows = [
    [
      'TYPE',
      'FILE',
      'BYTES',
      'RECORDS',
      'TIMESTAMPS',
      'LAST GOOD OFFSET',
      'LAST GOOD LINE',
      'STATUS',
    ],
  ]
  for (const f of report.files) {
    rows.push([
      f.type,
      f.name,
      String(f.size),
      String(f.records),
      String(f.timestamps),
      String(f.lastGoodOffset),
      String(f.lastGoodLine),
      f.problem ? f.problem.code : 'ok',
    ])
  }
  const lines = table(rows, { right: [2, 3, 4, 5, 6] })
  return lines.map((line, i) =>
    i === 0
      ? ctx.out.bold(line)
      : report.files[i - 1]?.problem
        ? ctx.out.red(line)
        : line,
  )
}

/**
 * `aof check <dir>`: like `redis-check-aof <manifest>`, without `--fix`; then, once the bytes
 * are sound, every record is read the way the adapter of the store's kind reads it.
 */
export async function check(ctx: Context): Promise<number> {
  const report = readReport(ctx)
  ctx.print(`Manifest ${report.manifestPath}: ${describeManifest(report)}`)
  for (const line of fileTable(ctx, report)) ctx.print(line)
  if (!report.ok && report.problem) {
    printProblem(ctx, report, report.problem)
    return EXIT_FAILURE
  }
  const kind = await checkKind(ctx)
  ctx.print(describeKind(kind))
  if (kind.error) {
    ctx.print(ctx.out.red(kind.error.message))
    return EXIT_FAILURE
  }
  ctx.print(ctx.out.green('All AOF files and manifest are valid'))
  return EXIT_OK
}
