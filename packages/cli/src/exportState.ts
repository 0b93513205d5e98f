import { readAofEntries } from '@aof-persist/core'
import { CommandFailure, EXIT_OK } from './args.js'
import { requireDirectory, storeOf, type Context } from './context.js'
import { loadReducer, loadReplayers, replay } from './replay.js'
import { formatTime, withProgress, withStatus } from './terminal.js'

/** Options of `aof export`. */
export interface ExportFlags {
  /** Module path of the app's root reducer (Redux action logs). */
  reducer: string | undefined
  /** Rebuild the state as it was at this unix time. */
  until: number | undefined
}

/**
 * `aof export <dir>`: prints the state rebuilt from the log as JSON. Read-only: it reads with the
 * core's reader, without the lock, so it also works while the app runs. With `--until T` it
 * stops at the first `#TS:` annotation later than T, the same point `truncate-to-timestamp T`
 * would cut at, without cutting anything.
 */
export async function exportState(
  ctx: Context,
  flags: ExportFlags,
): Promise<number> {
  requireDirectory(ctx)
  const spec = flags.reducer
  const reducer =
    spec === undefined
      ? undefined
      : await withStatus(ctx.io, `Loading ${spec}`, () =>
          loadReducer(spec, ctx.io.cwd),
        )
  if (reducer) ctx.reducerModule = flags.reducer
  const replayers = await loadReplayers(reducer !== undefined)
  const seen = {
    timestamps: 0,
    lastTime: undefined as number | undefined,
    stoppedAt: undefined as number | undefined,
    recordsBefore: 0,
  }
  const until = flags.until

  const result = withProgress(ctx.io, 'Reading', (onProgress) => {
    function* records(): Generator<unknown> {
      for (const entry of readAofEntries({ ...storeOf(ctx), onProgress })) {
        if (entry.kind === 'timestamp') {
          seen.timestamps++
          if (until !== undefined && entry.time > until) {
            seen.stoppedAt = entry.time
            return
          }
          seen.lastTime = entry.time
          continue
        }
        seen.recordsBefore++
        yield entry.value
      }
    }
    return replay(records(), replayers, reducer)
  })

  if (until !== undefined) {
    if (seen.timestamps === 0) {
      throw new CommandFailure(
        `--until ${until}: the log in ${ctx.dirArg} has no #TS: annotations, so it holds no point in time. ` +
          'Open the store with `timestamps: true` to record them.',
      )
    }
    if (seen.stoppedAt !== undefined && seen.recordsBefore === 0) {
      throw new CommandFailure(
        `--until ${formatTime(until)}: the log has nothing before that time (its first #TS: annotation is ${formatTime(seen.stoppedAt)}).`,
      )
    }
    ctx.warn(
      ctx.err.dim(
        seen.stoppedAt === undefined
          ? `No #TS: annotation is later than ${formatTime(until)}: this is the latest state.`
          : `State as of ${formatTime(until)}: ${seen.recordsBefore} records, up to the annotation #TS:${formatTime(seen.stoppedAt)}.`,
      ),
    )
  } else if (result.records === 0) {
    ctx.warn(ctx.err.dim('The log has no records.'))
  }
  ctx.print(JSON.stringify(result.state ?? null, null, 2))
  return EXIT_OK
}
