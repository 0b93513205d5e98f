import { growthPercent, isRewriteDue, type AofReport } from '@aof-persist/core'
import { EXIT_FAILURE, EXIT_OK } from './args.js'
import { describeManifest, readReport } from './check.js'
import { printProblem, suggest, type Context } from './context.js'
import { formatBytes, table } from './terminal.js'

/** Options of `aof stats`. */
export interface StatsFlags {
  json: boolean
  autoRewritePercentage: number
  autoRewriteMinSize: number
}

/** Sizes, growth and the automatic-rewrite decision, computed from a read-only report. */
export interface StoreStats {
  files: number
  baseSize: number
  incrSize: number
  currentSize: number
  records: number
  baseRecords: number
  incrRecords: number
  timestamps: number
  /**
   * Growth of the current size over the base, in percent, as Redis computes it; null while
   * there is no base (Redis then divides by 1, which makes any size a growth past every
   * percentage: a rewrite is due as soon as the current size is above the minimum).
   */
  growthPercentage: number | null
  autoRewritePercentage: number
  autoRewriteMinSize: number
  rewriteDue: boolean
  /** Why a rewrite is or is not due. */
  reason: string
}

/**
 * Redis's rule (`serverCron`): a rewrite is due when rewrites are enabled (percentage > 0), the
 * current size is above the minimum, and `current * 100 / base - 100 >= percentage`, with the
 * base size taken as 1 when it is 0. After a restart Redis, like this, takes the base file's size
 * as the growth reference.
 */
export function computeStats(
  report: AofReport,
  percentage: number,
  minSize: number,
): StoreStats {
  let baseSize = 0
  let incrSize = 0
  let baseRecords = 0
  let incrRecords = 0
  let timestamps = 0
  for (const f of report.files) {
    if (f.type === 'base') {
      baseSize += f.size
      baseRecords += f.records
    } else {
      incrSize += f.size
      incrRecords += f.records
    }
    timestamps += f.timestamps
  }
  const currentSize = baseSize + incrSize
  const growth = growthPercent(currentSize, baseSize)
  const growthPercentage = baseSize === 0 ? null : growth
  const grown =
    growthPercentage === null
      ? 'there is no base yet'
      : `growth ${growthPercentage}%`
  // The decision is the core's own rule; the reason says which part of it decided.
  const rewriteDue = isRewriteDue({
    currentSize,
    baseSize,
    autoRewritePercentage: percentage,
    autoRewriteMinSize: minSize,
  })
  let reason: string
  if (percentage === 0) {
    reason = 'automatic rewrites are disabled (--auto-rewrite-percentage 0)'
  } else if (currentSize <= minSize) {
    reason = `the current size ${formatBytes(currentSize)} is not above the minimum ${formatBytes(minSize)}`
  } else if (growth < percentage) {
    reason = `${grown} is below ${percentage}%`
  } else {
    reason = `${growthPercentage === null ? grown : `${grown} >= ${percentage}%`} and the current size ${formatBytes(currentSize)} is above the minimum ${formatBytes(minSize)}`
  }
  return {
    files: report.files.length,
    baseSize,
    incrSize,
    currentSize,
    records: baseRecords + incrRecords,
    baseRecords,
    incrRecords,
    timestamps,
    growthPercentage,
    autoRewritePercentage: percentage,
    autoRewriteMinSize: minSize,
    rewriteDue,
    reason,
  }
}

/** `aof stats <dir>`: read-only sizes and counts, and whether an automatic rewrite is due. */
export function stats(ctx: Context, flags: StatsFlags): number {
  const report = readReport(ctx)
  const s = computeStats(
    report,
    flags.autoRewritePercentage,
    flags.autoRewriteMinSize,
  )
  if (flags.json) {
    ctx.print(
      JSON.stringify({
        dir: report.dir,
        fileName: report.fileName,
        ...s,
        problem: report.problem,
      }),
    )
    return report.problem ? EXIT_FAILURE : EXIT_OK
  }
  const rows = [
    ['Directory', report.dir],
    ['Manifest', `${report.manifestPath} (${describeManifest(report)})`],
    ['Base size', formatBytes(s.baseSize)],
    ['Incr size', formatBytes(s.incrSize)],
    ['Current size', formatBytes(s.currentSize)],
    ['Records', `${s.records} (base ${s.baseRecords}, incr ${s.incrRecords})`],
    ['Timestamps', `${s.timestamps} #TS: annotations`],
    [
      'Growth since base',
      s.growthPercentage === null
        ? 'no base yet (the log has not been rewritten)'
        : `${s.growthPercentage}%`,
    ],
    [
      'Auto rewrite',
      `percentage ${s.autoRewritePercentage}%, min size ${formatBytes(s.autoRewriteMinSize)}`,
    ],
  ]
  for (const line of table(rows)) ctx.print(line)
  ctx.print(
    s.rewriteDue
      ? ctx.out.yellow(
          `A rewrite is due: ${s.reason}. Run "${suggest(ctx, 'rewrite')}" or let the app compact it.`,
        )
      : `No rewrite is due: ${s.reason}.`,
  )
  if (report.problem) {
    ctx.print()
    ctx.print(ctx.out.yellow('The counts above stop at the first problem:'))
    printProblem(ctx, report, report.problem)
    return EXIT_FAILURE
  }
  return EXIT_OK
}
