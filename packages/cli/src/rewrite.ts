import { openAof, readAofEntries, snapshotAction } from '@aof-persist/core'
import { CommandFailure, EXIT_OK } from './args.js'
import { readReport } from './check.js'
import { printProblem, suggest, type Context } from './context.js'
import { loadReducer, loadReplayers, replay } from './replay.js'
import { formatBytes, plural, withProgress, withStatus } from './terminal.js'

/**
 * `aof rewrite <dir>`: offline compaction (BGREWRITEAOF while the app is not running). The log is
 * replayed with the adapters' `replayLog` and written back as one snapshot action keeping the
 * stored version. It refuses a damaged store rather than compacting around the damage, and opens
 * with `loadTruncated: false` so opening never cuts a file behind the user's back. It removes no
 * state (the snapshot holds all of it), so it does not ask, like the rewrites an app runs itself.
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
    printProblem(ctx, before, before.problem, { print: ctx.warn })
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
      : await withStatus(ctx.io, `Loading ${reducerSpec}`, () =>
          loadReducer(reducerSpec, ctx.io.cwd),
        )
  if (reducer) ctx.reducerModule = reducerSpec
  const replayers = await loadReplayers(reducer !== undefined)

  const aof = openAof({
    dir: ctx.dir,
    fileName: ctx.fileName,
    loadTruncated: false,
    autoRewritePercentage: 0,
    fsync: 'always',
  })
  let version: number
  try {
    ctx.print(
      `Rewriting ${ctx.dirArg}: ${plural(records, 'record')} in ${plural(before.files.length, 'file')}, ${formatBytes(before.files.reduce((n, f) => n + f.size, 0))}, into one snapshot action`,
    )
    // Replayed from the read-only reader, which reports its progress in bytes: the store is
    // open and locked, so what it reads is what the open store holds.
    const replayed = withProgress(ctx.io, 'Replaying', (onProgress) =>
      replay(
        (function* () {
          for (const entry of readAofEntries({
            dir: ctx.dir,
            fileName: ctx.fileName,
            onProgress,
          }))
            if (entry.kind === 'record') yield entry.value
        })(),
        replayers,
        reducer,
      ),
    )
    version = replayed.version
    withStatus(ctx.io, 'Writing the snapshot', () =>
      aof.rewriteSync(
        snapshotAction(
          replayed.state,
          replayed.version,
          replayed.logKind ?? undefined,
        ),
      ),
    )
  } finally {
    aof.closeSync()
  }

  const after = readReport(ctx, 'Checking the result')
  const size = after.files.reduce((n, f) => n + f.size, 0)
  ctx.print(
    ctx.out.green(
      `Rewrote ${ctx.dirArg} into one snapshot action (version ${version}): now ${after.files.map((f) => f.name).join(' + ')}, ${formatBytes(size)}`,
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
