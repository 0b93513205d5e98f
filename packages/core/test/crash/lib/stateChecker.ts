// A crash-state checker on memoryStorage: runs a workload once on a memory storage, taking an
// image of the storage at every operation that can change what a power loss leaves (an
// operation boundary), then, for every boundary and every crash state the storage's model
// allows there (memoryCrash.ts: unsynced data dropped, kept, in part, torn, zero-filled, out of
// order; pending name ops kept or lost), reopens the crashed storage and checks:
//   - it loads (any error is a failure: a crash must never leave a store that does not open);
//   - the values it replays are a prefix of the values appended;
//   - they include every value acknowledged as durable before the crash point.
// On a storage whose names are never durable (durableNames: false, OPFS), a power loss can undo
// a name operation whatever the engine does, so the third check applies only to the states in
// which every name operation reached the disk; for the others the checker counts what was lost
// (the documented cost) instead of failing.
// The checker knows nothing of the engine: the workload reports what it appended and what was
// acknowledged, and `replay` opens a store and returns its values.
import { digest } from '../../../src/memoryCrash.js'
import {
  MemoryStorage,
  type MemoryEvent,
  type MemoryStorageOptions,
} from '../../../src/memoryStorage.js'
import type { MemoryImage } from '../../../src/memoryCrash.js'

/** What a workload reports to the checker while it drives the engine. */
export interface WorkloadContext {
  /** The storage to open the store on. */
  storage: MemoryStorage
  /** Call before appending `value`: it may reach the disk from now on. */
  appended(value: unknown): void
  /** Call when the first `count` values appended are durable (default: all so far). */
  acked(count?: number): void
  /** How many values were appended so far (what a `durable()` call covers). */
  readonly count: number
}

/** A crash-state check. */
export interface CrashCheck {
  /** A name for reports. */
  name: string
  /** The storage's model (`durableNames: false` for OPFS). */
  model?: MemoryStorageOptions
  /** Prepares the storage before the workload (files of an earlier run); not checked. */
  setup?(storage: MemoryStorage): void
  /** Values the store already holds durably when the workload starts (from `setup`). */
  initial?: unknown[]
  /** Drives the engine on `ctx.storage`. */
  workload(ctx: WorkloadContext): Promise<void> | void
  /** Opens a crashed storage and returns the values it replays; throws when it cannot. */
  replay(storage: MemoryStorage): unknown[]
  /** Crash states per boundary at most. @default 64 */
  limit?: number
  /** Pending name ops: 'any' subset or only in order. @default 'any' */
  names?: 'any' | 'prefix'
}

/** One failed crash state, with what reproduces it. */
export interface CrashFailure {
  /** The boundary: the number of operations done when the power went. */
  boundary: number
  /** The operations up to the crash (the reproduction's steps). */
  ops: string[]
  /** What the crash state lost (memoryCrash.ts's label). */
  state: string
  problem: string
  /** The files the crash left (text, NULs shown as \0). */
  files: Record<string, string>
}

/** The outcome of a check, with counts for the report. */
export interface CrashReport {
  name: string
  /** Storage operations the workload made. */
  ops: number
  /** Boundaries at which the crash states were checked. */
  boundaries: number
  /** Crash states reopened (distinct per boundary and required count). */
  states: number
  /** Combinations the model allowed, summed over boundaries, before duplicates. */
  combinations: number
  /** Boundaries where the states were sampled rather than listed in full. */
  sampled: number
  /** Values appended, and acknowledged durable, by the end. */
  appended: number
  acked: number
  /** Names model only: states that lost acknowledged values with a name op, and the most lost. */
  nameLossStates: number
  nameLossMax: number
  failures: CrashFailure[]
}

/** Events that cannot change what a crash leaves. */
const inert = new Set(['read', 'list', 'stat', 'lock', 'prepare'])

const show = (s: MemoryStorage) =>
  Object.fromEntries(
    [...s.files()].map(([name, data]) => [
      name,
      new TextDecoder().decode(data).replace(/\0/g, '\\0'),
    ]),
  )

const describeEvent = (e: MemoryEvent) =>
  `${e.op}${e.name ? ` ${e.name}` : ''}${e.to ? ` -> ${e.to}` : ''}${e.error ? ` (${e.error})` : ''}`

/** Runs `check`; resolves with the report (failures included, never thrown). */
export async function checkCrashStates(
  check: CrashCheck,
): Promise<CrashReport> {
  const model = check.model ?? {}
  const storage = new MemoryStorage(model)
  check.setup?.(storage)
  const initial = check.initial ?? []
  const values: string[] = initial.map((v) => JSON.stringify(v))
  let acked = initial.length
  const events: string[] = []
  const points: {
    image: MemoryImage
    at: number
    issued: number
    acked: number
  }[] = [
    {
      image: storage.image(),
      at: 0,
      issued: values.length,
      acked,
    },
  ]
  storage.observe((e) => {
    events.push(describeEvent(e))
    if (inert.has(e.op) || (e.error && e.op !== 'write')) return
    points.push({
      image: storage.image(),
      at: events.length,
      issued: values.length,
      acked,
    })
  })
  const ctx: WorkloadContext = {
    storage,
    appended: (v) => void values.push(JSON.stringify(v)),
    acked: (count = values.length - initial.length) => {
      acked = Math.max(acked, initial.length + count)
    },
    get count() {
      return values.length - initial.length
    },
  }
  await check.workload(ctx)

  const report: CrashReport = {
    name: check.name,
    ops: events.length,
    boundaries: points.length,
    states: 0,
    combinations: 0,
    sampled: 0,
    appended: values.length - initial.length,
    acked: acked - initial.length,
    nameLossStates: 0,
    nameLossMax: 0,
    failures: [],
  }
  const seen = new Set<string>()
  for (const point of points) {
    const { states, total, exhaustive } = MemoryStorage.crashStatesOf(
      point.image,
      model,
      { limit: check.limit ?? 64, names: check.names },
    )
    report.combinations += total
    if (!exhaustive) report.sampled++
    for (const { label, lostNames, storage: crashed } of states) {
      const key = `${point.acked}|${[...crashed.files()]
        .map(([n, d]) => `${n}=${digest(d)}`)
        .sort()
        .join('/')}`
      if (seen.has(key)) continue
      seen.add(key)
      report.states++
      const before = show(crashed)
      const problem = judge(check, crashed, values, point, lostNames, report)
      if (problem)
        report.failures.push({
          boundary: point.at,
          ops: events.slice(0, point.at),
          state: label,
          problem,
          files: before,
        })
    }
  }
  return report
}

/** What is wrong with one crash state, or null. */
function judge(
  check: CrashCheck,
  crashed: MemoryStorage,
  values: string[],
  point: { issued: number; acked: number },
  lostNames: number,
  report: CrashReport,
): string | null {
  let got: string[]
  try {
    got = check.replay(crashed).map((v) => JSON.stringify(v))
  } catch (err) {
    const code = (err as { code?: string }).code
    return `does not load: ${code ? `${code} ` : ''}${(err as Error).message}`
  }
  for (let i = 0; i < got.length; i++)
    if (got[i] !== values[i])
      return `value ${i} is ${got[i]}, but ${values[i] ?? 'nothing'} was appended there (not a prefix)`
  if (got.length > point.issued)
    return `replays ${got.length} values, but only ${point.issued} had been appended`
  if (got.length >= point.acked) return null
  if (lostNames > 0 && !(check.model?.durableNames ?? true)) {
    report.nameLossStates++
    report.nameLossMax = Math.max(report.nameLossMax, point.acked - got.length)
    return null
  }
  return `replays ${got.length} values, but ${point.acked} were acknowledged durable`
}

/** A one-line summary of a report, for the test log. */
export function summary(r: CrashReport): string {
  return `[crash-states] ${r.name}: ops=${r.ops} boundaries=${r.boundaries} states=${r.states} combinations=${r.combinations} sampledBoundaries=${r.sampled} appended=${r.appended} acked=${r.acked}${r.nameLossStates ? ` nameLossStates=${r.nameLossStates} nameLossMax=${r.nameLossMax}` : ''} failures=${r.failures.length}`
}

/** The first failures of a report, readable (for an assertion message). */
export function explain(r: CrashReport, max = 3): string {
  return r.failures
    .slice(0, max)
    .map(
      (f) =>
        `${r.name}: after ${f.boundary} ops [... ${f.ops.slice(-6).join(', ')}], crash state "${f.state}": ${f.problem}\n  files: ${JSON.stringify(f.files)}`,
    )
    .join('\n')
}
