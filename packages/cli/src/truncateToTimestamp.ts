import { truncateAofToTimestamp } from '@aof-persist/core'
import { CommandFailure, EXIT_FAILURE, EXIT_OK } from './args.js'
import { readReport } from './check.js'
import type { Context } from './context.js'
import { confirmChange, describeCut, type ChangeFlags } from './cut.js'
import { formatTime, withStep } from './terminal.js'

/**
 * `aof truncate-to-timestamp <dir> <unix-seconds>`: point-in-time recovery with the semantics of
 * `redis-check-aof --truncate-to-timestamp`: the last file is cut at the first `#TS:` annotation
 * later than the given time. It removes data, so it follows the rule of `aof fix`
 * ({@link confirmChange}): it says what it would cut, then asks, or needs `--yes`.
 */
export async function truncateToTimestamp(
  ctx: Context,
  timestamp: number,
  flags: ChangeFlags,
): Promise<number> {
  const report = readReport(ctx)
  const annotations = report.files.reduce((n, f) => n + f.timestamps, 0)
  if (annotations === 0 && report.ok) {
    throw new CommandFailure(
      `The log in ${ctx.dirArg} has no #TS: annotations, so it cannot be cut to a point in time; ` +
        'nothing was changed. Open the store with `timestamps: true` to record them.',
    )
  }

  const options = { dir: ctx.dir, fileName: ctx.fileName, timestamp }
  const plan = withStep(ctx.io, 'Finding the cut', (onProgress) =>
    truncateAofToTimestamp({ ...options, onProgress, dryRun: true }),
  )
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
  if (!(await confirmChange(ctx, flags, plan.file)))
    return flags.dryRun ? EXIT_OK : EXIT_FAILURE

  const made = withStep(ctx.io, `Cutting ${plan.file}`, (onProgress) =>
    truncateAofToTimestamp({
      ...options,
      onProgress,
      expect: { size: plan.size, newSize: plan.newSize },
    }),
  )
  if (!made) {
    ctx.print('Nothing was cut: the log changed in the meantime.')
    return EXIT_OK
  }
  ctx.print(
    ctx.out.green(
      `Successfully truncated AOF ${made.file} to timestamp ${formatTime(timestamp)}: now ${made.newSize} bytes`,
    ),
  )
  return EXIT_OK
}
