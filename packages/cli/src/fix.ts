import { fixAof } from '@aof-persist/core'
import { CommandFailure, EXIT_FAILURE, EXIT_OK } from './args.js'
import { fileTable, readReport } from './check.js'
import { inLastFile, printProblem, type Context } from './context.js'
import { describeCut, warnIfDifferent } from './cut.js'
import { confirm } from './terminal.js'

/** Options of `aof fix`. */
export interface FixFlags {
  /** Cut without asking. */
  yes: boolean
  /** Say what would be cut and stop. */
  dryRun: boolean
}

/**
 * `aof fix <dir>`: like `redis-check-aof --fix`. Checks read-only first so it can name the
 * problem, asks the core what it would cut (a dry run, which also fails early on a locked
 * directory), says so, asks, and only then cuts.
 */
export async function fix(ctx: Context, flags: FixFlags): Promise<number> {
  const report = readReport(ctx)
  if (report.ok || !report.problem) {
    ctx.print(
      ctx.out.green('Nothing to fix: all AOF files and manifest are valid'),
    )
    return EXIT_OK
  }
  printProblem(ctx, report, report.problem)
  if (!inLastFile(report, report.problem)) {
    throw new CommandFailure(
      `Failed to fix AOF ${report.problem.file} because it is not the last file; nothing was changed.`,
    )
  }

  const plan = fixAof({ dir: ctx.dir, fileName: ctx.fileName, dryRun: true })
  if (!plan) {
    ctx.print(
      'Nothing to fix: the core found nothing to cut; nothing was changed.',
    )
    return EXIT_OK
  }
  ctx.print(`This will shrink the AOF ${plan.file} ${describeCut(plan)}`)
  if (flags.dryRun) {
    ctx.print('Dry run: nothing was changed.')
    return EXIT_OK
  }
  if (!flags.yes) {
    if (ctx.io.stdin.isTTY !== true) {
      throw new CommandFailure(
        `Refusing to change ${plan.file} without confirmation: standard input is not a terminal. ` +
          'Re-run with --yes to cut it; nothing was changed.',
      )
    }
    if (!(await confirm(ctx.io, 'Continue? [y/N]: '))) {
      ctx.warn('Aborted: nothing was changed.')
      return EXIT_FAILURE
    }
  }

  const made = fixAof({ dir: ctx.dir, fileName: ctx.fileName })
  if (!made) {
    ctx.print('Nothing was cut: the file was repaired in the meantime.')
    return EXIT_OK
  }
  warnIfDifferent(ctx, plan, made)
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
