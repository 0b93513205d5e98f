/**
 * The power-loss model of {@link memoryStorage}: what the disk may hold after a power loss, as
 * pure functions over a frozen image of the storage. (The storage itself is in
 * memoryStorage.ts; this file holds only the model, so each stays one concept.)
 *
 * File data. Each file has the bytes its last `sync` made durable and the data operations
 * (writes, truncations) issued since, in order. A power loss may leave, per file:
 * - the first k of those operations, for every k (none: everything since the sync dropped; all:
 *   everything kept);
 * - the first k, then the next write torn at its first byte, its middle or its last byte;
 * - the first k with the file at its current size, the bytes past them read as zeros (the
 *   size reached the disk before the data, as ext4 can leave an appended file);
 * - every operation but one earlier write (pages reach the disk out of order).
 * Files are independent of each other.
 *
 * Names. Each creation, rename and removal since the names were last made durable is kept or
 * lost independently of the others, and the kept ones apply in order (a rename can survive
 * while the creation before it does not; the file then keeps the name with the data it had).
 * `names: 'prefix'` narrows this to the ops reaching the disk in order (a journaling file
 * system). Which ops are pending depends on the storage: with `durableNames` a `syncDir` makes
 * every earlier one durable; without (OPFS) nothing does, until the test says the platform wrote
 * its name database back (`settle()`).
 *
 * Every combination of the files' and the names' variants is a crash state. When there are
 * more combinations than `limit`, the states are chosen systematically first (everything
 * dropped, everything kept, each variant of each file or of the names with the rest dropped,
 * then with the rest kept) and then by a seeded sample. Equal states are returned once.
 */

/** A data operation on a file since its last sync. `data` is a private copy, never changed. */
export type DataOp =
  | { kind: 'write'; at: number; data: Uint8Array }
  | { kind: 'truncate'; size: number }

/** A name operation since the names were last durable. `ino` is the file it concerns. */
export type NameOp =
  | { kind: 'create'; name: string; ino: number }
  | { kind: 'rename'; from: string; to: string; ino: number }
  | { kind: 'remove'; name: string; ino: number }

/** What an entry of the directory is; only files have data. */
export type EntryType = 'file' | 'directory' | 'symlink' | 'other'

/** One inode of an image: its type, durable bytes and the data operations since. */
export interface InodeImage {
  readonly type: EntryType
  readonly durable: Uint8Array
  readonly pending: readonly DataOp[]
}

/** A frozen memory storage: durable names, pending name ops, and every inode. */
export interface MemoryImage {
  readonly names: ReadonlyMap<string, number>
  readonly pendingNames: readonly NameOp[]
  readonly inodes: ReadonlyMap<number, InodeImage>
}

/** Options of a crash-state enumeration. */
export interface CrashStateOptions {
  /**
   * At most this many distinct states; all of them when the model allows no more.
   * @default 256
   */
  limit?: number
  /**
   * Seed of the sample taken when there are more states than `limit`.
   * @default 1
   */
  seed?: number
  /**
   * `'any'`: each pending name operation is kept or lost independently. `'prefix'`: they reach
   * the disk in order.
   * @default 'any'
   */
  names?: 'any' | 'prefix'
}

/** One crash state: a label saying what was lost, and what the disk holds. */
export interface CrashImage {
  label: string
  /** How many pending name operations this state lost. */
  lostNames: number
  files: Map<string, { type: EntryType; data: Uint8Array }>
}

/** Applies data operations to `base` in order. */
export function applyData(
  base: Uint8Array,
  ops: readonly DataOp[],
): Uint8Array {
  let size = base.length
  for (const op of ops)
    size =
      op.kind === 'truncate' ? op.size : Math.max(size, op.at + op.data.length)
  let out = new Uint8Array(Math.max(size, base.length))
  out.set(base)
  let len = base.length
  for (const op of ops) {
    if (op.kind === 'truncate') {
      if (op.size < len) out.fill(0, op.size, len)
      if (op.size > out.length) {
        const bigger = new Uint8Array(op.size)
        bigger.set(out.subarray(0, len))
        out = bigger
      }
      len = op.size
    } else {
      const end = op.at + op.data.length
      if (end > out.length) {
        const bigger = new Uint8Array(end)
        bigger.set(out.subarray(0, len))
        out = bigger
      }
      out.set(op.data, op.at)
      len = Math.max(len, end)
    }
  }
  return out.slice(0, len)
}

/** Applies name operations to a name -> inode map, in order. */
export function applyNames(
  names: ReadonlyMap<string, number>,
  ops: readonly NameOp[],
): Map<string, number> {
  const out = new Map(names)
  for (const op of ops) {
    if (op.kind === 'create') out.set(op.name, op.ino)
    else if (op.kind === 'remove') {
      if (out.get(op.name) === op.ino) out.delete(op.name)
    } else {
      if (out.get(op.from) === op.ino) out.delete(op.from)
      out.set(op.to, op.ino)
    }
  }
  return out
}

const zeroExtend = (data: Uint8Array, size: number) => {
  if (data.length >= size) return data
  const out = new Uint8Array(size)
  out.set(data)
  return out
}

/** The contents a power loss may leave in one file, labelled; the first drops, the second keeps. */
export function dataVariants(
  inode: InodeImage,
): { label: string; data: Uint8Array }[] {
  const { durable, pending } = inode
  const n = pending.length
  const out = [{ label: 'unsynced data dropped', data: durable }]
  if (n === 0) return out
  const current = applyData(durable, pending)
  out.push({ label: 'unsynced data kept', data: current })
  const prefix = (k: number) => applyData(durable, pending.slice(0, k))
  for (let k = 1; k < n; k++)
    out.push({ label: `first ${k} of ${n} ops kept`, data: prefix(k) })
  pending.forEach((op, k) => {
    if (op.kind !== 'write') return
    const len = op.data.length
    for (const b of new Set([1, len >> 1, len - 1])) {
      if (b <= 0 || b >= len) continue
      const torn = { ...op, data: op.data.subarray(0, b) }
      out.push({
        label: `op ${k + 1} of ${n} torn at byte ${b}`,
        data: applyData(durable, [...pending.slice(0, k), torn]),
      })
    }
  })
  for (let k = 0; k < n; k++)
    if (prefix(k).length < current.length)
      out.push({
        label: `size kept, data after op ${k} of ${n} zeros`,
        data: zeroExtend(prefix(k), current.length),
      })
  pending.forEach((op, j) => {
    if (op.kind !== 'write' || j === n - 1) return
    out.push({
      label: `op ${j + 1} of ${n} lost, later ones kept`,
      data: applyData(
        durable,
        pending.filter((_, k) => k !== j),
      ),
    })
  })
  return dedupe(out, (v) => digest(v.data))
}

/** The subsets (as sorted index lists) of `m` pending name ops that the model allows. */
function nameSubsets(
  m: number,
  mode: 'any' | 'prefix',
  limit: number,
  rng: () => number,
): number[][] {
  const range = (k: number) => Array.from({ length: k }, (_, i) => i)
  if (mode === 'prefix') return range(m + 1).map(range)
  if (m <= 12)
    return range(2 ** m).map((bits) => range(m).filter((i) => bits & (1 << i)))
  // Too many to list: none, all, every prefix, all but one, each alone, then a sample.
  const out = [[], range(m)]
  for (let k = 1; k < m; k++) out.push(range(k))
  for (let j = 0; j < m; j++)
    out.push(
      range(m).filter((i) => i !== j),
      [j],
    )
  while (out.length < limit) out.push(range(m).filter(() => rng() < 0.5))
  return out
}

/** FNV-1a, twice with different bases, plus the length: a content fingerprint. */
export function digest(data: Uint8Array): string {
  let a = 0x811c9dc5
  let b = 0x01000193
  for (let i = 0; i < data.length; i++) {
    const x = data[i]!
    a = Math.imul(a ^ x, 0x01000193)
    b = Math.imul(b ^ x, 0x5bd1e995) ^ (b >>> 15)
  }
  return `${data.length}:${(a >>> 0).toString(36)}:${(b >>> 0).toString(36)}`
}

function dedupe<T>(items: T[], key: (t: T) => string): T[] {
  const seen = new Set<string>()
  return items.filter((t) => {
    const k = key(t)
    if (seen.has(k)) return false
    seen.add(k)
    return true
  })
}

/** A small seeded PRNG (mulberry32). */
export function prng(seed: number): () => number {
  let s = seed >>> 0
  return () => {
    s = (s + 0x6d2b79f5) >>> 0
    let t = s
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/**
 * Every crash state the model allows for `image` (or `limit` of them, chosen as the file's
 * comment says), each distinct; `total` counts the combinations before duplicates were removed.
 */
export function crashImages(
  image: MemoryImage,
  options: CrashStateOptions = {},
): { states: CrashImage[]; total: number; exhaustive: boolean } {
  const limit = options.limit ?? 256
  const rng = prng(options.seed ?? 1)
  const ops = image.pendingNames
  const subsets = nameSubsets(ops.length, options.names ?? 'any', limit, rng)
  const nameMaps = subsets.map((keep) => ({
    lost: ops.length - keep.length,
    label:
      ops.length === 0
        ? ''
        : keep.length === ops.length
          ? 'name ops kept'
          : keep.length === 0
            ? 'name ops lost'
            : `name ops ${keep.map((i) => i + 1).join(',')} of ${ops.length} kept`,
    map: applyNames(
      image.names,
      keep.map((i) => ops[i]!),
    ),
  }))
  // Put "all kept" second, as for the files.
  if (nameMaps.length > 1) {
    const all = nameMaps.findIndex((v) => v.label === 'name ops kept')
    nameMaps.splice(1, 0, ...nameMaps.splice(all, 1))
  }
  const reachable = new Set<number>()
  for (const { map } of nameMaps)
    for (const ino of map.values()) reachable.add(ino)
  const files = [...reachable]
    .sort((x, y) => x - y)
    .map((ino) => ({ ino, variants: dataVariants(image.inodes.get(ino)!) }))
    .filter((f) => f.variants.length > 1)
  const dims = [nameMaps.length, ...files.map((f) => f.variants.length)]
  const total = dims.reduce((p, n) => p * n, 1)

  const build = (choice: number[]): CrashImage => {
    const names = nameMaps[choice[0]!]!
    const labels = names.label ? [names.label] : []
    const chosen = new Map<number, Uint8Array>()
    files.forEach((f, i) => {
      const v = f.variants[choice[i + 1]!]!
      if ([...names.map.values()].includes(f.ino)) {
        chosen.set(f.ino, v.data)
        if (choice[i + 1] !== 0) labels.push(`#${f.ino}: ${v.label}`)
      }
    })
    const out: CrashImage['files'] = new Map()
    for (const [name, ino] of names.map) {
      const inode = image.inodes.get(ino)!
      out.set(name, {
        type: inode.type,
        data: chosen.get(ino) ?? inode.durable,
      })
    }
    return {
      label: labels.join('; ') || 'nothing pending',
      lostNames: names.lost,
      files: out,
    }
  }
  const key = (s: CrashImage) =>
    [...s.files]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([name, f]) => `${name}=${f.type}:${digest(f.data)}`)
      .join('/')

  const choices: number[][] = []
  if (total <= limit) {
    const walk = (prefix: number[]) => {
      if (prefix.length === dims.length) choices.push(prefix)
      else for (let v = 0; v < dims[prefix.length]!; v++) walk([...prefix, v])
    }
    walk([])
  } else {
    const fill = (v: number) => dims.map((n) => Math.min(v, n - 1))
    choices.push(fill(0), fill(1))
    const oneAtATime: number[][] = []
    for (const rest of [0, 1])
      dims.forEach((n, d) => {
        for (let v = 0; v < n; v++) {
          const c = fill(rest)
          c[d] = v
          oneAtATime.push(c)
        }
      })
    // More of them than the limit: a seeded shuffle, so no one dimension takes every slot.
    if (oneAtATime.length > limit)
      for (let i = oneAtATime.length - 1; i > 0; i--) {
        const j = Math.floor(rng() * (i + 1))
        ;[oneAtATime[i], oneAtATime[j]] = [oneAtATime[j]!, oneAtATime[i]!]
      }
    choices.push(...oneAtATime.slice(0, limit * 2))
    for (
      let tries = 0;
      choices.length < limit * 3 && tries < limit * 4;
      tries++
    )
      choices.push(dims.map((n) => Math.floor(rng() * n)))
  }
  const states = dedupe(choices.map(build), key).slice(0, limit)
  return { states, total, exhaustive: total <= limit }
}
