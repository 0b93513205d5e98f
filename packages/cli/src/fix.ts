import { fixAof } from '@aof-persist/core'
import { CommandFailure, EXIT_FAILURE, EXIT_OK } from './args.js'
import { fileTable, readReport } from './check.js'
import { inLastFile, printProblem, type Context } from './context.js'
import { confirmChange, describeCut, type ChangeFlags } from './cut.js'
import { withStep } from './terminal.js'

/** Options of `aof fix`. */
export type FixFlags = ChangeFlags

/**
 * `aof fix <dir>`: like `redis-check-aof --fix`. Checks read-only first so it can name the
 * problem, asks the core what it would cut (a dry run, which also fails early on a locked
 * directory), says so, asks (see {@link confirmChange}), and only then cuts: exactly the cut it
 * announced, or nothing if the file changed in between.
 */
export async function fix(ctx: Context, flags: FixFlags): Promise<number> {
  const report = readReport(ctx)
  if (report.ok || !report.problem) {
    ctx.print(
      ctx.out.green('Nothing to fix: all AOF files and manifest are valid'),
    )
    return EXIT_OK
  }
  printProblem(ctx, report, report.problem, { advice: false })
  if (!inLastFile(report, report.problem)) {
    throw new CommandFailure(
      `Failed to fix AOF ${report.problem.file} because it is not the last file, and only the tail of the last file may be cut; nothing was changed. ` +
        'Make a backup of the directory and repair the line by hand, or restore the directory from a backup.',
    )
  }

  const options = { dir: ctx.dir, fileName: ctx.fileName }
  const plan = withStep(ctx.io, 'Working out the cut', (onProgress) =>
    fixAof({ ...options, onProgress, dryRun: true }),
  )
  if (!plan) {
    ctx.print(
      'Nothing to fix: the core found nothing to cut; nothing was changed.',
    )
    return EXIT_OK
  }
  ctx.print(`This will shrink the AOF ${plan.file} ${describeCut(plan)}`)
  if (!(await confirmChange(ctx, flags, plan.file)))
    return flags.dryRun ? EXIT_OK : EXIT_FAILURE

  const made = withStep(ctx.io, `Cutting ${plan.file}`, (onProgress) =>
    fixAof({
      ...options,
      onProgress,
      expect: { size: plan.size, newSize: plan.newSize },
    }),
  )
  if (!made) {
    ctx.print('Nothing was cut: the file was repaired in the meantime.')
    return EXIT_OK
  }
  ctx.print(
    ctx.out.green(
      `Successfully truncated AOF ${made.file} to ${made.newSize} bytes`,
    ),
  )

  const after = readReport(ctx, 'Checking again')
  for (const line of fileTable(ctx, after)) ctx.print(line)
  if (after.ok || !after.problem) {
    ctx.print(ctx.out.green('All AOF files and manifest are valid'))
    return EXIT_OK
  }
  printProblem(ctx, after, after.problem)
  return EXIT_FAILURE
}
