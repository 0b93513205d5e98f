import { AofError } from './errors.js'
import { fileNames, persistManifest, type Manifest } from './manifest.js'
import { io, type Step, type Storage } from './storage.js'
import type { ManifestEntry } from './types.js'

/**
 * How long after a rewrite the files it retired are kept, on a storage whose names are not
 * durable (OPFS): long enough for the browser's name database to reach the disk on its own
 * (Linux writes dirty pages back within about 35 s), so that a power loss cannot keep a
 * deletion while losing the manifest switch that allowed it.
 */
export const NAME_SETTLE_MS = 60_000

const isBase = (name: string) => /\.\d+\.base\.aof$/.test(name)

/**
 * On a storage whose file names survive a process crash but not a power loss (OPFS, see
 * storage.ts), a manifest can outlive the creation or rename of a file it lists. Such a store
 * still opens, as a prefix of its log:
 * - a missing base falls back to the files it replaced, which the manifest still lists as
 *   history (they are only deleted {@link NAME_SETTLE_MS} after the rewrite);
 * - the log ends at the first missing incr file, which is created again, empty: later incr
 *   files are renamed aside (`<name>.lost-names`), since their records cannot be applied
 *   without the missing ones. (Keeping the missing file's name, rather than dropping it, keeps
 *   every seq the manifest lists in use: a new incr file never takes the name of a history
 *   file.)
 * What was done is reported (`AOF_TRUNCATED`); the repaired manifest is written. A store on a
 * storage with durable names never gets here: a missing file is `AOF_MANIFEST_INVALID` there.
 */
export function* recoverLostNames(
  storage: Storage,
  fileName: string,
  m: Manifest,
  report: (err: AofError) => void,
): Step<Manifest> {
  const exists = function* (name: string): Step<boolean> {
    return (yield* io(storage.stat(name))) !== null
  }
  const said: string[] = []
  let out = m
  if (m.base && !(yield* exists(m.base.name))) {
    const chain = yield* olderChain(m, exists)
    if (chain === null) return m // cannot be rebuilt: the loader says which file is missing
    out = chain
    said.push(
      `the base ${m.base.name} was lost, so the files it replaced are read instead (${[
        ...(chain.base ? [chain.base] : []),
        ...chain.incrs.slice(0, chain.incrs.length - m.incrs.length),
      ]
        .map((e) => e.name)
        .join(', ')})`,
    )
  }
  const gap = yield* firstMissing(out.incrs, exists)
  if (gap !== -1) {
    const dropped = out.incrs.slice(gap + 1)
    for (const e of dropped) {
      if (yield* exists(e.name))
        yield* io(storage.rename(e.name, `${e.name}.lost-names`))
    }
    const lost = out.incrs[gap]!.name
    const file = yield* io(storage.open(lost, { write: true, create: true }))
    file.close()
    said.push(
      `the incr file ${lost} was lost with its records and starts again empty` +
        (dropped.length > 0
          ? `, and the log ends there: ${dropped.map((e) => e.name).join(', ')} could not be applied without it and were renamed to <name>.lost-names`
          : ''),
    )
    out = { ...out, incrs: out.incrs.slice(0, gap + 1) }
  }
  if (out === m) return m
  const rewritten = out.incrs.length !== m.incrs.length || out.base !== m.base
  if (rewritten) yield* persistManifest(storage, fileName, out)
  const manifest = storage.describe(fileNames(fileName).manifest)
  report(
    new AofError(
      'AOF_TRUNCATED',
      `Recovered after a power loss: ${storage.location} does not keep file names durable, and ${said.join('; ')}.${rewritten ? ` The manifest ${manifest} was rewritten to match.` : ''}`,
      { file: manifest },
    ),
  )
  return out
}

/**
 * The newest complete chain of files that holds what a missing base held: history is
 * newest-retired first, so walking it back, the first base that exists, with every incr file
 * retired after it (or, with no base left, every incr file since seq 1), rebuilds the same
 * records (a missing incr file among them ends the log there, as for any other). Null when
 * the chain is not complete in the manifest.
 */
function* olderChain(
  m: Manifest,
  exists: (name: string) => Step<boolean>,
): Step<Manifest | null> {
  const newer: ManifestEntry[] = []
  let base: ManifestEntry | null = null
  let rest: ManifestEntry[] = []
  for (let i = 0; i < m.history.length; i++) {
    const h = m.history[i]!
    if (!isBase(h.name)) {
      newer.push(h)
      continue
    }
    if (yield* exists(h.name)) {
      base = { ...h, type: 'base' }
      rest = m.history.slice(i + 1)
      break
    }
  }
  const incrs = newer
    .reverse()
    .map((h): ManifestEntry => ({ ...h, type: 'incr' }))
  // Incr seqs grow by one at each switch: a hole means a file of the chain is not listed.
  const seqs = [...incrs, ...m.incrs].map((e) => e.seq)
  const first = base ? (seqs[0] ?? 0) : 1
  if (seqs.some((seq, i) => seq !== first + i)) return null
  return { base, history: rest, incrs: [...incrs, ...m.incrs] }
}

function* firstMissing(
  incrs: ManifestEntry[],
  exists: (name: string) => Step<boolean>,
): Step<number> {
  for (let i = 0; i < incrs.length; i++)
    if (!(yield* exists(incrs[i]!.name))) return i
  return -1
}
