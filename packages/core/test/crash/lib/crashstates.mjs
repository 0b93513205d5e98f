// Power-loss crash states, in the manner of ALICE (Pillai et al., OSDI 2014): replay a trace of
// the fs ops a workload made (trace-child.mjs) against a model of what a file system may have
// on disk after a power loss, and build every state it allows at every crash point.
//
// The model (our own, deliberately weaker than ext4 so it covers more file systems):
// - File data: a write is durable once an fsync/fdatasync of that file that began after it has
//   completed. Truncations are kept in order with the file's other ops.
// - Names: creating, renaming, linking and deleting a name (a file's or a directory's) is
//   durable once an fsync of its directory that began after it has completed. Before that each
//   such op is independently lost or kept (so a later rename can survive an earlier create
//   that did not). A name whose directory is lost is lost with it. The trace covers the store
//   directory's parent, so the store directory's own creation is one of these names.
// - 'drop' mode: at each crash point keep only durable data, with every subset of the pending
//   name ops.
// - 'reorder' mode: additionally each pending write of a file is lost, kept, or kept torn (its
//   first half only), independently of the others, and the file's size may be any size it had
//   since its last fsync: bytes inside that size that no kept write covers read as zeros (the
//   size reached the disk before the data).
// A crash point is the moment after one recorded op; the states of a point are enumerated in
// full when there are at most `cap` of them and sampled with a seeded PRNG (always including
// the extremes) otherwise.
import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import * as fs from 'node:fs'
import * as path from 'node:path'
import { fileURLToPath } from 'node:url'
import { foldCoreRecords, prefixError, prng } from './model.mjs'

const TRACE_CHILD = fileURLToPath(new URL('./trace-child.mjs', import.meta.url))
const MANIFEST = 'appendonly.aof.manifest'
/** The lock says who writes, not what was written: it is left out of crash states. */
const isLock = (name) => name === 'aof.lock' || name.startsWith('aof.lock.')

/** Runs a traced workload in a child process and returns its ops (write data as Buffers). */
export function recordTrace({
  dir,
  traceFile,
  policy,
  workload,
  seed,
  pad = 0,
}) {
  const r = spawnSync(process.execPath, [TRACE_CHILD], {
    env: {
      ...process.env,
      AOF_TRACE: JSON.stringify({ dir, policy, workload, seed, pad }),
      AOF_TRACE_FILE: traceFile,
    },
    encoding: 'utf8',
    timeout: 60_000,
  })
  if (r.status !== 0)
    throw new Error(`trace child failed (${r.status} ${r.signal}): ${r.stderr}`)
  return fs
    .readFileSync(traceFile, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const op = JSON.parse(line)
      if (op.data !== undefined) op.data = Buffer.from(op.data, 'base64')
      return op
    })
}

/** Applies data ops (writes, truncations) to an empty file. */
function contentOf(ops, choose = null) {
  let buf = Buffer.alloc(0)
  let len = 0
  const ensure = (n) => {
    if (n <= buf.length) return
    const bigger = Buffer.alloc(Math.max(n, buf.length * 2))
    buf.copy(bigger, 0, 0, len)
    buf = bigger
  }
  for (let k = 0; k < ops.length; k++) {
    const op = ops[k]
    if (op.kind === 't') {
      if (op.len < len) buf.fill(0, op.len, len)
      ensure(op.len)
      len = op.len
      continue
    }
    const c = choose ? choose(k) : 1
    if (c === 0) continue
    const data =
      c === 2 ? op.data.subarray(0, Math.ceil(op.data.length / 2)) : op.data
    ensure(op.off + data.length)
    data.copy(buf, op.off)
    len = Math.max(len, op.off + data.length)
  }
  return Buffer.from(buf.subarray(0, len))
}

const resize = (buf, size) => {
  if (size <= buf.length) return buf.subarray(0, size)
  const out = Buffer.alloc(size)
  buf.copy(out)
  return out
}

/** The inode number of a directory in a name map. */
const DIR = -1
const parentOf = (name) => {
  const d = path.dirname(name)
  return d === '.' ? '' : d
}

/** Applies a name op to a name -> inode map. */
function applyNs(map, op) {
  if (op.kind === 'create' || op.kind === 'link' || op.kind === 'mkdir')
    map.set(op.name, op.ino)
  else if (op.kind === 'rename') {
    if (map.get(op.from) === op.ino) map.delete(op.from)
    map.set(op.to, op.ino)
  } else if (op.kind === 'unlink') {
    if (map.get(op.name) === op.ino) map.delete(op.name)
  }
}

/**
 * Walks the trace of the fs ops under `root` and yields each crash point: { index, op, floor,
 * issued, manifests, states() }, where states(mode, cap, rng) yields { files, dirs, choice }:
 * files maps names relative to `root` to their bytes, dirs lists the directories that exist.
 */
export function* crashPoints(ops, root) {
  root = path.resolve(root)
  const nameOf = (p) => path.relative(root, p)
  const inodes = [] // { ops: [], syncUpto }
  const names = new Map() // logical name -> ino (DIR for directories)
  const fdIno = new Map() // fd -> ino, or 'dir:<name>'
  const nsOps = []
  const dirUpto = new Map() // directory name -> the ops before this seq in it are durable
  let floor = 0
  let issued = 0
  const manifests = new Set() // hashes of every manifest content ever renamed into place
  const hash = (b) => createHash('sha1').update(b).digest('hex')
  const nsOp = (o) => nsOps.push({ ...o, parent: parentOf(o.name ?? o.to) })
  for (let index = 0; index < ops.length; index++) {
    const op = ops[index]
    if (op.mark) {
      if (op.mark === 'durable') floor = Math.max(floor, op.n)
      if (op.mark === 'issued') issued = Math.max(issued, op.n)
      continue
    }
    const seq = op.seq
    switch (op.op) {
      case 'mkdir': {
        const name = nameOf(op.path)
        nsOp({ seq, kind: 'mkdir', name, ino: DIR })
        names.set(name, DIR)
        break
      }
      case 'open': {
        const name = nameOf(op.path)
        if (op.dir) {
          fdIno.set(op.fd, `dir:${name}`)
          break
        }
        let ino = names.get(name)
        if (op.creat || ino === undefined) {
          ino = inodes.push({ ops: [], syncUpto: 0 }) - 1
          names.set(name, ino)
          nsOp({ seq, kind: 'create', name, ino })
        }
        if (op.trunc) inodes[ino].ops.push({ seq, kind: 't', len: 0 })
        fdIno.set(op.fd, ino)
        break
      }
      case 'write':
        inodes[fdIno.get(op.fd)].ops.push({
          seq,
          kind: 'w',
          off: op.off,
          data: op.data,
        })
        break
      case 'fsync': {
        const ino = fdIno.get(op.fd)
        if (typeof ino === 'string') {
          const d = ino.slice(4)
          dirUpto.set(d, Math.max(dirUpto.get(d) ?? 0, op.upto))
        } else inodes[ino].syncUpto = Math.max(inodes[ino].syncUpto, op.upto)
        break
      }
      case 'ftrunc':
        inodes[fdIno.get(op.fd)].ops.push({ seq, kind: 't', len: op.len })
        break
      case 'trunc':
        inodes[names.get(nameOf(op.path))].ops.push({
          seq,
          kind: 't',
          len: op.len,
        })
        break
      case 'rename': {
        const from = nameOf(op.from)
        const to = nameOf(op.to)
        if (parentOf(from) !== parentOf(to))
          throw new Error(`rename across directories: ${from} -> ${to}`)
        const ino = names.get(from)
        nsOp({ seq, kind: 'rename', from, to, ino })
        names.delete(from)
        names.set(to, ino)
        if (path.basename(to) === MANIFEST)
          manifests.add(hash(contentOf(inodes[ino].ops)))
        break
      }
      case 'unlink': {
        const name = nameOf(op.path)
        if (!names.has(name))
          throw new Error(`trace unlinks ${name}, which does not exist`)
        nsOp({ seq, kind: 'unlink', name, ino: names.get(name) })
        names.delete(name)
        break
      }
      case 'link': {
        const name = nameOf(op.to)
        const ino = names.get(nameOf(op.from))
        nsOp({ seq, kind: 'link', name, ino })
        names.set(name, ino)
        break
      }
      default:
        throw new Error(`unknown op ${op.op}`)
    }
    const durableNames = new Map()
    const pendingNs = []
    for (const o of nsOps) {
      if (o.seq < (dirUpto.get(o.parent) ?? 0)) applyNs(durableNames, o)
      else pendingNs.push(o)
    }
    const snapshot = inodes.map((ino) => ({
      ops: ino.ops.slice(),
      syncUpto: ino.syncUpto,
    }))
    yield {
      index,
      op,
      floor,
      issued,
      manifests,
      pendingNames: pendingNs.length,
      states: (mode, cap, rng) =>
        statesAt(snapshot, durableNames, pendingNs, mode, cap, rng),
    }
  }
}

/** Yields the crash states of one point; `exhaustive` on the generator's return value. */
function* statesAt(inodes, durableNames, pendingNs, mode, cap, rng) {
  // Which inodes can be reached at all: any name op, durable or pending, may point at them.
  const reachable = new Set(
    [...durableNames.values(), ...pendingNs.map((o) => o.ino)].filter(
      (i) => i !== DIR,
    ),
  )
  const durable = new Map()
  const files = []
  for (const ino of reachable) {
    const all = inodes[ino].ops
    const d = all.filter((o) => o.seq < inodes[ino].syncUpto)
    const pending = all.filter((o) => o.seq >= inodes[ino].syncUpto)
    durable.set(ino, contentOf(d))
    if (mode === 'reorder' && pending.length > 0) {
      const base = durable.get(ino)
      const sizes = [
        ...new Set([
          base.length,
          ...pending.map(
            (_, k) => contentOf([...d, ...pending.slice(0, k + 1)]).length,
          ),
        ]),
      ]
      const writes = pending
        .map((o, k) => (o.kind === 'w' ? k : -1))
        .filter((k) => k >= 0)
      files.push({ ino, d, pending, sizes, writes })
    }
  }
  // The choice vector: one digit per pending name op (kept?), then per file with pending data
  // one digit per write (lost / kept / torn) and one for the size (natural, or sizes[k]).
  const radix = pendingNs.map(() => 2)
  for (const f of files) {
    for (const _ of f.writes) radix.push(3)
    radix.push(f.sizes.length + 1)
  }
  const total = radix.reduce((a, r) => a * r, 1)
  const build = (digits) => {
    const map = new Map(durableNames)
    pendingNs.forEach((o, k) => digits[k] === 1 && applyNs(map, o))
    let at = pendingNs.length
    const content = new Map(durable)
    for (const f of files) {
      const choice = new Map()
      for (const k of f.writes) choice.set(k, digits[at++])
      const size = digits[at++]
      let buf = contentOf([...f.d, ...f.pending], (k) =>
        k < f.d.length ? 1 : (choice.get(k - f.d.length) ?? 1),
      )
      if (size > 0) buf = resize(buf, f.sizes[size - 1])
      content.set(f.ino, buf)
    }
    // A name exists only when every directory above it does.
    const visible = (name) => {
      for (let d = parentOf(name); d !== ''; d = parentOf(d))
        if (map.get(d) !== DIR) return false
      return true
    }
    const out = { files: new Map(), dirs: [] }
    for (const [name, ino] of map) {
      if (!visible(name)) continue
      if (ino === DIR) out.dirs.push(name)
      else if (!isLock(path.basename(name)))
        out.files.set(name, content.get(ino))
    }
    return out
  }
  if (total <= cap) {
    const digits = radix.map(() => 0)
    for (let s = 0; s < total; s++) {
      yield { ...build(digits), choice: digits.join('') }
      for (let k = 0; k < digits.length; k++) {
        if (++digits[k] < radix[k]) break
        digits[k] = 0
      }
    }
    return true
  }
  const seen = new Set()
  const extremes = [
    radix.map(() => 0), // nothing pending reached the disk
    radix.map((r, k) => (k < pendingNs.length ? 1 : r === 3 ? 1 : 0)), // everything did (a process crash)
    radix.map((r, k) => (k < pendingNs.length ? 1 : r === 3 ? 0 : r - 1)), // sizes did, data did not: zeros
  ]
  for (let s = 0; s < cap; s++) {
    const digits =
      s < extremes.length
        ? extremes[s]
        : radix.map((r) => Math.floor(rng.next() * r))
    const key = digits.join(',')
    if (seen.has(key)) continue
    seen.add(key)
    yield { ...build(digits), choice: key }
  }
  return false
}

/**
 * Checks one crash state: the manifest is one that was installed whole, and `openAof` with
 * default options on the store directory loads a prefix of the appended records holding every
 * durable one. Returns null or the reason it failed. `at` must not exist; it is left for the
 * caller. `store` is the store directory's name under the traced root.
 */
export function checkState(core, at, state, point, seed, store) {
  fs.mkdirSync(at, { recursive: true })
  for (const d of state.dirs)
    fs.mkdirSync(path.join(at, d), { recursive: true })
  for (const [name, buf] of state.files) {
    fs.mkdirSync(path.join(at, parentOf(name)), { recursive: true })
    fs.writeFileSync(path.join(at, name), buf)
  }
  const manifest = state.files.get(path.join(store, MANIFEST))
  if (
    manifest &&
    !point.manifests.has(createHash('sha1').update(manifest).digest('hex'))
  ) {
    return `the manifest is not one that was written whole: ${JSON.stringify(manifest.toString('latin1'))}`
  }
  let aof
  let records
  try {
    aof = core.openAof({ dir: path.join(at, store) })
    records = [...aof.records()]
  } catch (err) {
    aof?.closeSync()
    return `load failed: ${err?.code ?? err?.name}: ${err?.message}`
  }
  try {
    aof.closeSync()
  } catch (err) {
    return `close failed: ${err?.message}`
  }
  let state2
  try {
    state2 = foldCoreRecords(records)
  } catch (err) {
    return `records are not a prefix: ${err.message}`
  }
  const why = prefixError(seed, state2)
  if (why) return why
  if (state2.n < point.floor)
    return `loaded ${state2.n} records, but ${point.floor} were durable (acknowledged) at this point${state.dirs.includes(store) ? '' : ' (the store directory itself is gone)'}`
  if (state2.n > point.issued)
    return `loaded ${state2.n} records, but only ${point.issued} were appended`
  return null
}

const describeOp = (op, dir) => {
  const rel = (p) => path.relative(dir, p) || '(dir)'
  if (op.op === 'rename' || op.op === 'link')
    return `${op.op} ${rel(op.from)} -> ${rel(op.to)}`
  if (op.op === 'write')
    return `write ${op.data.length} bytes at ${op.off} of ${rel(op.path)}`
  return `${op.op} ${rel(op.path)}${op.len !== undefined ? ' to ' + op.len : ''}`
}

/**
 * Builds and checks every crash state of a trace in one mode. Identical states (same names,
 * same bytes) are checked once. Returns counts and failures (at most `maxFailures`).
 */
export function explore({
  core,
  ops,
  dir,
  mode,
  cap,
  seed,
  scratch,
  maxFailures = 10,
}) {
  const rng = prng(seed ^ 0x5bd1e995)
  const r = {
    mode,
    points: 0,
    exhaustivePoints: 0,
    sampledPoints: 0,
    states: 0,
    distinct: 0,
    failures: [],
    opsAtFailure: {},
  }
  const root = path.dirname(path.resolve(dir))
  const store = path.basename(dir)
  const seen = new Set()
  let k = 0
  for (const point of crashPoints(ops, root)) {
    r.points++
    const gen = point.states(mode, cap, rng)
    let step
    while (!(step = gen.next()).done) {
      const { choice, ...state } = step.value
      r.states++
      const h = createHash('sha1')
      for (const d of [...state.dirs].sort()) h.update(`dir ${d}\0`)
      for (const name of [...state.files.keys()].sort())
        h.update(name + '\0')
          .update(state.files.get(name))
          .update('\0')
      const key = `${h.digest('hex')}/${point.floor}/${point.issued}`
      if (seen.has(key)) continue
      seen.add(key)
      r.distinct++
      const at = path.join(scratch, `s${k++}`)
      const why = checkState(core, at, state, point, seed, store)
      fs.rmSync(at, { recursive: true, force: true })
      if (why) {
        const what = describeOp(point.op, root).replace(
          /\d+ bytes at \d+/,
          'bytes',
        )
        r.opsAtFailure[what] = (r.opsAtFailure[what] ?? 0) + 1
        if (r.opsAtFailure[what] <= 2 && r.failures.length < maxFailures) {
          r.failures.push(
            `${mode}: crash after op ${point.op.seq} (${what}), state ${choice} [${[...state.dirs.map((d) => d + '/'), ...state.files.keys()].join(', ')}]: ${why}`,
          )
        }
      }
    }
    if (step.value) r.exhaustivePoints++
    else r.sampledPoints++
  }
  return r
}
