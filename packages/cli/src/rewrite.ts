import { openAof, snapshotAction } from '@aof-persist/core'
import { CommandFailure, EXIT_OK } from './args.js'
import { readReport } from './check.js'
import { printProblem, suggest, type Context } from './context.js'
import { loadReducer, loadReplayers, replay } from './replay.js'
import { formatBytes, plural } from './terminal.js'

/**
 * `aof rewrite <dir>`: offline compaction (BGREWRITEAOF while the app is not running). The log is
 * replayed with the adapters' `replayLog` and written back as one snapshot action keeping the
 * stored version. It refuses a damaged store rather than compacting around the damage, and opens
 * with `loadTruncated: false` so opening never cuts a file behind the user's back.
 */
export async function rewrite(
  ctx: Context,
  reducerSpec: string | undefined,
): Promise<number> {
  const before = readReport(ctx)
  if (before.problem) {
    ctx.warn(
      ctx.err.red(
        `Refusing to rewrite ${ctx.dirArg}: the store is damaged; nothing was changed.`,
      ),
    )
    printProblem(ctx, before, before.problem, ctx.warn)
    throw new CommandFailure()
  }
  const records = before.files.reduce((n, f) => n + f.records, 0)
  if (records === 0) {
    ctx.print(
      'Nothing to rewrite: the log has no records; nothing was changed.',
    )
    return EXIT_OK
  }
  const reducer =
    reducerSpec === undefined
      ? undefined
      : await loadReducer(reducerSpec, ctx.io.cwd)
  if (reducer) ctx.reducerModule = reducerSpec
  const replayers = await loadReplayers(reducer !== undefined)

  const aof = openAof({
    dir: ctx.dir,
    fileName: ctx.fileName,
    loadTruncated: false,
    autoRewritePercentage: 0,
    fsync: 'always',
  })
  let replayed
  try {
    replayed = replay(aof.records(), replayers, reducer)
    ctx.print(
      `Rewriting ${ctx.dirArg}: ${plural(replayed.records, 'record')} in ${plural(before.files.length, 'file')} (${formatBytes(before.files.reduce((n, f) => n + f.size, 0))}) into one snapshot, version ${replayed.version}`,
    )
    aof.rewriteSync(snapshotAction(replayed.state, replayed.version))
  } finally {
    aof.closeSync()
  }

  const after = readReport(ctx, 'Checking')
  const size = after.files.reduce((n, f) => n + f.size, 0)
  ctx.print(
    ctx.out.green(
      `Rewrote ${ctx.dirArg}: now ${after.files.map((f) => f.name).join(' + ')}, ${formatBytes(size)}`,
    ),
  )
  if (after.problem) {
    printProblem(ctx, after, after.problem)
    throw new CommandFailure(
      `The rewritten store does not check; run "${suggest(ctx, 'check')}".`,
    )
  }
  return EXIT_OK
}
