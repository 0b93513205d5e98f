import { truncateAofToTimestamp } from '@aof-persist/core'
import { CommandFailure, EXIT_OK } from './args.js'
import { readReport } from './check.js'
import type { Context } from './context.js'
import { describeCut, warnIfDifferent } from './cut.js'
import { formatTime } from './terminal.js'

/**
 * `aof truncate-to-timestamp <dir> <unix-seconds>`: point-in-time recovery with the semantics of
 * `redis-check-aof --truncate-to-timestamp`: the last file is cut at the first `#TS:` annotation
 * later than the given time. Like Redis it does not ask, but it says what it cuts before it does.
 */
export function truncateToTimestamp(
  ctx: Context,
  timestamp: number,
  dryRun: boolean,
): number {
  const report = readReport(ctx)
  const annotations = report.files.reduce((n, f) => n + f.timestamps, 0)
  if (annotations === 0 && report.ok) {
    throw new CommandFailure(
      `The log in ${ctx.dirArg} has no #TS: annotations, so it cannot be cut to a point in time; ` +
        'nothing was changed. Open the store with `timestamps: true` to record them.',
    )
  }

  const plan = truncateAofToTimestamp({
    dir: ctx.dir,
    fileName: ctx.fileName,
    timestamp,
    dryRun: true,
  })
  if (!plan) {
    ctx.print(
      `Truncate nothing in AOF ${report.files.at(-1)?.name ?? ctx.fileName} to timestamp ${formatTime(timestamp)}: ` +
        'no #TS: annotation is later than that; nothing was changed.',
    )
    return EXIT_OK
  }
  ctx.print(
    `This will shrink the AOF ${plan.file} ${describeCut(plan)}, cutting at the first #TS: annotation later than ${formatTime(timestamp)}`,
  )
  if (dryRun) {
    ctx.print('Dry run: nothing was changed.')
    return EXIT_OK
  }
  const made = truncateAofToTimestamp({
    dir: ctx.dir,
    fileName: ctx.fileName,
    timestamp,
  })
  if (!made) {
    ctx.print('Nothing was cut: the log changed in the meantime.')
    return EXIT_OK
  }
  warnIfDifferent(ctx, plan, made)
  ctx.print(
    ctx.out.green(
      `Successfully truncated AOF ${made.file} to timestamp ${formatTime(timestamp)} (${made.newSize} bytes)`,
    ),
  )
  return EXIT_OK
}
