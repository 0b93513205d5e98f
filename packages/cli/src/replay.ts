import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { readSnapshot, type AofKind } from '@aof-persist/core'
import { createJiti } from 'jiti'
import { CommandFailure, UsageError } from './args.js'

/** A Redux root reducer as the app passes it to `withAof` (plain, not wrapped). */
export type Reducer = (state: unknown, action: { type: string }) => unknown

/**
 * Loads the app's root reducer from a module: TypeScript (`.ts`, `.mts`, `.cts`), ESM or
 * CommonJS, the app's source or its build. It takes the default export, or the named export
 * `reducer`; a CommonJS `module.exports = reducer` arrives as the default export.
 *
 * The module is loaded with jiti (the loader ESLint uses for `eslint.config.ts`): it compiles
 * TypeScript on the fly and needs no build step, no native binary and no loader hooks, and the
 * same call loads ESM and CommonJS. Its disk cache is off: a read-only command must not write
 * into the app's node_modules.
 */
export async function loadReducer(spec: string, cwd: string): Promise<Reducer> {
  const path = resolve(cwd, spec)
  if (!existsSync(path)) {
    throw new UsageError(
      `--reducer ${spec}: no such file (${path}). Give the path of the module that exports the root reducer, relative to the current directory.`,
    )
  }
  let mod: Record<string, unknown>
  try {
    const jiti = createJiti(pathToFileURL(resolve(cwd, 'index.js')).href, {
      fsCache: false,
      moduleCache: false,
    })
    mod = await jiti.import<Record<string, unknown>>(path)
  } catch (cause) {
    throw new CommandFailure(
      `--reducer ${spec}: the module failed to load: ${(cause as Error)?.message ?? String(cause)}`,
    )
  }
  const def = mod.default as Record<string, unknown> | undefined
  // In order: ESM default export, ESM/CJS named `reducer`, and the same nested in a CommonJS
  // default (`exports.default = ...` or `exports.reducer = ...` compiled from TypeScript).
  for (const candidate of [def, mod.reducer, def?.default, def?.reducer]) {
    if (typeof candidate === 'function') return candidate as Reducer
  }
  throw new CommandFailure(
    `--reducer ${spec}: the module exports no reducer function (expected a default export or an export named "reducer")`,
  )
}

type ReplayLog = (
  records: Iterable<unknown>,
  reducer?: never,
) => { state: unknown; version: number }

/** The adapters' `replayLog` functions {@link replay} uses. */
export interface Replayers {
  /** Zustand patch logs and logs of nothing but snapshots. */
  patches: ReplayLog
  /** Redux action logs: loaded only with `--reducer`, as it needs `redux` itself. */
  actions:
    | ((
        records: Iterable<unknown>,
        reducer: Reducer,
      ) => { state: unknown; version: number })
    | undefined
}

/**
 * Imports the adapters when a command needs them (not at start-up): `check` and `fix` must work
 * even where an adapter or its peer dependency cannot load.
 */
export async function loadReplayers(withReducer: boolean): Promise<Replayers> {
  const zustand = await import('@aof-persist/zustand')
  const redux = withReducer ? await import('@aof-persist/redux') : undefined
  return {
    patches: zustand.replayLog as ReplayLog,
    actions: redux
      ? (records, reducer) => redux.replayLog(records, reducer as never)
      : undefined,
  }
}

/** What {@link replay} rebuilt. */
export interface Replayed {
  state: unknown
  version: number
  /** The adapter the log belongs to: as its snapshot records it, or as its records show; null when neither says. */
  logKind: AofKind | null
  /** `patches`: a Zustand patch log; `actions`: a Redux action log; `snapshots`: nothing but snapshots (or nothing). */
  kind: 'patches' | 'actions' | 'snapshots'
  /** Records read. */
  records: number
}

const hasPatches = (record: unknown): boolean =>
  typeof record === 'object' &&
  record !== null &&
  Array.isArray((record as { patches?: unknown }).patches)

/**
 * Rebuilds the state from `records` in one pass with the adapters' `replayLog`: a log is a
 * Zustand patch log when its first record that is not a snapshot carries a `patches` array,
 * otherwise a Redux action log, which needs the app's reducer. The leading snapshots read to
 * decide are held back and fed to the replay first, so the records are read only once.
 */
export function replay(
  records: Iterable<unknown>,
  replayers: Replayers,
  reducer: Reducer | undefined,
): Replayed {
  const it = records[Symbol.iterator]()
  const head: unknown[] = []
  let kind: Replayed['kind'] = 'snapshots'
  let recorded: string | null = null
  let done = false
  for (;;) {
    const next = it.next()
    if (next.done) {
      done = true
      break
    }
    head.push(next.value)
    const snap = readSnapshot(next.value)
    if (snap) {
      recorded = snap.kind ?? recorded
      continue
    }
    // The kind the log records decides; a log without one is judged by its records.
    kind =
      recorded === 'zustand'
        ? 'patches'
        : recorded === 'redux'
          ? 'actions'
          : hasPatches(next.value)
            ? 'patches'
            : 'actions'
    break
  }
  const logKind: AofKind | null =
    recorded === 'redux' || recorded === 'zustand'
      ? recorded
      : kind === 'patches'
        ? 'zustand'
        : kind === 'actions'
          ? 'redux'
          : null
  let count = 0
  function* all(): Generator<unknown> {
    for (const record of head) {
      count++
      yield record
    }
    if (done) return
    try {
      for (let next = it.next(); !next.done; next = it.next()) {
        count++
        yield next.value
      }
    } finally {
      it.return?.()
    }
  }

  if (kind === 'patches' && reducer) {
    it.return?.()
    throw new CommandFailure(
      'This is a Zustand patch log (its records carry patches); --reducer is for Redux action logs. Run the command without --reducer.',
    )
  }
  if (kind === 'actions' && !reducer) {
    it.return?.()
    throw new UsageError(
      "This is a Redux action log (its records carry no patches): pass the app's root reducer with --reducer <module>.",
    )
  }
  if (kind === 'snapshots') {
    // Nothing but snapshots: the state is the last one, whatever adapter wrote it.
    const last = readSnapshot(head.at(-1))
    return {
      state: last?.payload,
      version: last?.version ?? 0,
      logKind,
      kind,
      records: head.length,
    }
  }
  const result =
    reducer && replayers.actions
      ? replayers.actions(all(), reducer)
      : replayers.patches(all())
  return {
    state: result.state,
    version: result.version,
    logKind,
    kind,
    records: count,
  }
}
