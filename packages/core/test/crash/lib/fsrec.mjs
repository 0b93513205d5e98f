// A recording layer over the node:fs calls the core makes. It must be installed before the
// core is imported: the core does `import * as fs from 'node:fs'`, and that namespace only sees
// patched functions after module.syncBuiltinESMExports().
//
// Every call that changes a file under `dir` (or fsyncs one) becomes an op, reported to `onOp`
// after the call succeeded (an async call: when it completes, before its callback runs):
//   { op: 'open', fd, path, dir, creat, trunc }  every open under dir (fds are mapped to files)
//   { op: 'mkdir', path }                     a directory created under dir
//   { op: 'write', fd, path, off, data }      data: Buffer of the bytes the call wrote
//   { op: 'fsync', fd, path, upto }           fsync/fdatasync; covers the ops numbered < upto
//   { op: 'ftrunc', fd, path, len } / { op: 'trunc', path, len }
//   { op: 'rename', from, to } / { op: 'unlink', path } / { op: 'link', from, to }
// Ops are numbered in the order they complete (`seq`); `upto` is the number the fsync got
// when it was called, so a background fdatasync covers only what was written before it began.
import { createRequire, syncBuiltinESMExports } from 'node:module'
import * as path from 'node:path'

// The CommonJS view of node:fs is the mutable object behind the ESM namespace.
const fs = createRequire(import.meta.url)('node:fs')

const { O_APPEND, O_CREAT, O_TRUNC, O_WRONLY, O_RDWR, O_EXCL } = fs.constants
const FLAGS = {
  r: 0,
  'r+': O_RDWR,
  w: O_WRONLY | O_CREAT | O_TRUNC,
  wx: O_WRONLY | O_CREAT | O_TRUNC | O_EXCL,
  'w+': O_RDWR | O_CREAT | O_TRUNC,
  a: O_WRONLY | O_CREAT | O_APPEND,
  ax: O_WRONLY | O_CREAT | O_APPEND | O_EXCL,
  'a+': O_RDWR | O_CREAT | O_APPEND,
}

/** The untouched functions, for the recorder's own I/O. */
export const real = { ...fs, promises: { ...fs.promises } }

export function patchFs(dir, onOp) {
  const root = path.resolve(dir)
  const under = (p) => {
    if (typeof p !== 'string' && !(p instanceof URL) && !Buffer.isBuffer(p))
      return null
    const abs = path.resolve(String(p instanceof URL ? p.pathname : p))
    return abs === root || abs.startsWith(root + path.sep) ? abs : null
  }
  /** The recording versions of the sync calls; installed below behind a re-entry guard. */
  const impl = {}
  /** fd -> { path, append, pos } for files opened under dir. */
  const fds = new Map()
  let seq = 0
  const emit = (op) => {
    op.seq = seq++
    onOp(op)
  }
  const exists = (p) => {
    try {
      real.lstatSync(p)
      return true
    } catch {
      return false
    }
  }

  impl.openSync = function (p, flags = 'r', mode) {
    const abs = under(p)
    if (!abs) return real.openSync(p, flags, mode)
    const f = typeof flags === 'number' ? flags : FLAGS[flags]
    if (f === undefined) throw new Error(`fsrec: unknown open flags ${flags}`)
    const existed = exists(abs)
    const fd = real.openSync(p, flags, mode)
    fds.set(fd, { path: abs, append: (f & O_APPEND) !== 0, pos: 0 })
    const dir = real.fstatSync(fd).isDirectory()
    emit({
      op: 'open',
      fd,
      path: abs,
      dir,
      creat: !existed && (f & O_CREAT) !== 0,
      trunc: existed && (f & O_TRUNC) !== 0,
    })
    return fd
  }

  const closeFd = (fd) => fds.delete(fd)
  impl.closeSync = function (fd) {
    real.closeSync(fd)
    closeFd(fd)
  }
  fs.close = function (fd, cb = () => {}) {
    real.close(fd, (err) => {
      if (!err) closeFd(fd)
      cb(err)
    })
  }

  impl.writeSync = function (fd, buffer, ...rest) {
    const f = fds.get(fd)
    if (!f) return real.writeSync(fd, buffer, ...rest)
    let bytes
    let position = null
    if (typeof buffer === 'string') {
      // writeSync(fd, string[, position[, encoding]])
      position = typeof rest[0] === 'number' ? rest[0] : null
      bytes = Buffer.from(
        buffer,
        typeof rest[1] === 'string' ? rest[1] : 'utf8',
      )
    } else {
      const offset = rest[0] ?? 0
      const length = rest[1] ?? buffer.byteLength - offset
      position = typeof rest[2] === 'number' ? rest[2] : null
      bytes = Buffer.from(buffer.buffer, buffer.byteOffset + offset, length)
    }
    const before = f.append ? real.fstatSync(fd).size : f.pos
    const n = real.writeSync(fd, buffer, ...rest)
    const off = position ?? before
    if (position === null) f.pos = off + n
    emit({
      op: 'write',
      fd,
      path: f.path,
      off,
      data: Buffer.from(bytes.subarray(0, n)),
    })
    return n
  }

  const syncFd = (name) =>
    function (fd) {
      const f = fds.get(fd)
      if (!f) return real[name](fd)
      const upto = seq
      real[name](fd)
      emit({ op: 'fsync', fd, path: f.path, upto })
    }
  impl.fdatasyncSync = syncFd('fdatasyncSync')
  impl.fsyncSync = syncFd('fsyncSync')
  const syncFdAsync = (name) =>
    function (fd, cb) {
      const f = fds.get(fd)
      if (!f) return real[name](fd, cb)
      const upto = seq
      const p = f.path
      real[name](fd, (err) => {
        if (!err) emit({ op: 'fsync', fd, path: p, upto })
        cb(err)
      })
    }
  fs.fdatasync = syncFdAsync('fdatasync')
  fs.fsync = syncFdAsync('fsync')

  impl.mkdirSync = function (p, opts) {
    const abs = under(p)
    const first = real.mkdirSync(p, opts)
    if (abs && first !== undefined) {
      // recursive: every level from the first one created down to p was created, in order.
      const levels = []
      for (let d = abs; ; d = path.dirname(d)) {
        levels.unshift(d)
        if (d === path.resolve(first) || d === path.dirname(d)) break
      }
      for (const d of levels)
        if (under(d) && d !== root) emit({ op: 'mkdir', path: d })
    } else if (abs && opts?.recursive !== true) {
      emit({ op: 'mkdir', path: abs })
    }
    return first
  }
  impl.ftruncateSync = function (fd, len = 0) {
    const f = fds.get(fd)
    real.ftruncateSync(fd, len)
    if (f) emit({ op: 'ftrunc', fd, path: f.path, len })
  }
  impl.truncateSync = function (p, len = 0) {
    const abs = under(p)
    real.truncateSync(p, len)
    if (abs) emit({ op: 'trunc', path: abs, len })
  }
  impl.renameSync = function (a, b) {
    const from = under(a)
    const to = under(b)
    real.renameSync(a, b)
    if (from && to) emit({ op: 'rename', from, to })
    else if (from || to)
      throw new Error(`fsrec: rename across the store boundary: ${a} -> ${b}`)
  }
  impl.linkSync = function (a, b) {
    const from = under(a)
    const to = under(b)
    real.linkSync(a, b)
    if (from && to) emit({ op: 'link', from, to })
  }
  const removed = (abs, existed) => {
    if (abs && existed && !exists(abs)) emit({ op: 'unlink', path: abs })
  }
  impl.rmSync = function (p, opts) {
    const abs = under(p)
    const existed = abs ? exists(abs) : false
    real.rmSync(p, opts)
    removed(abs, existed)
  }
  impl.unlinkSync = function (p) {
    const abs = under(p)
    real.unlinkSync(p)
    if (abs) emit({ op: 'unlink', path: abs })
  }
  // fs.rm and fs.promises.rm unlink through fs.unlink / fs.promises.unlink: one op per removal.
  const removing = new Set()
  fs.rm = function (p, opts, cb) {
    if (typeof opts === 'function') [opts, cb] = [{}, opts]
    const abs = under(p)
    const existed = abs ? exists(abs) : false
    if (abs) removing.add(abs)
    real.rm(p, opts, (err) => {
      if (abs) removing.delete(abs)
      if (!err) removed(abs, existed)
      cb(err)
    })
  }
  fs.unlink = function (p, cb) {
    const abs = under(p)
    real.unlink(p, (err) => {
      if (!err && abs && !removing.has(abs)) emit({ op: 'unlink', path: abs })
      cb(err)
    })
  }
  fs.promises.rm = async function (p, opts) {
    const abs = under(p)
    const existed = abs ? exists(abs) : false
    if (abs) removing.add(abs)
    try {
      await real.promises.rm(p, opts)
    } finally {
      if (abs) removing.delete(abs)
    }
    removed(abs, existed)
  }
  fs.promises.unlink = async function (p) {
    const abs = under(p)
    await real.promises.unlink(p)
    if (abs && !removing.has(abs)) emit({ op: 'unlink', path: abs })
  }
  fs.promises.rename = async function (a, b) {
    const from = under(a)
    const to = under(b)
    await real.promises.rename(a, b)
    if (from && to) emit({ op: 'rename', from, to })
  }
  // writeFileSync on the store: an open (create, truncate), one write, a close.
  impl.writeFileSync = function (p, data, opts) {
    if (typeof p === 'number' || !under(p))
      return real.writeFileSync(p, data, opts)
    const o = typeof opts === 'string' ? { encoding: opts } : (opts ?? {})
    const bytes =
      typeof data === 'string'
        ? Buffer.from(data, o.encoding ?? 'utf8')
        : Buffer.from(data.buffer, data.byteOffset, data.byteLength)
    const fd = impl.openSync(p, o.flag ?? 'w', o.mode)
    try {
      let done = 0
      while (done < bytes.length)
        done += impl.writeSync(fd, bytes, done, bytes.length - done)
    } finally {
      impl.closeSync(fd)
    }
  }
  // Calls the recorder does not model must not reach the store unseen.
  for (const name of ['appendFileSync', 'writevSync', 'copyFileSync']) {
    const orig = real[name]
    impl[name] = function (p, ...rest) {
      if (typeof p === 'number' ? fds.has(p) : under(p))
        throw new Error(`fsrec: ${name} on the store is not recorded`)
      return orig.call(this, p, ...rest)
    }
  }
  for (const name of [
    'write',
    'writev',
    'writeFile',
    'appendFile',
    'truncate',
    'ftruncate',
    'rename',
    'link',
  ]) {
    const orig = real[name]
    fs[name] = function (p, ...rest) {
      if (typeof p === 'number' ? fds.has(p) : under(p))
        throw new Error(`fsrec: fs.${name} on the store is not recorded`)
      return orig.call(this, p, ...rest)
    }
  }
  // Node implements some calls with others (rmSync unlinks through fs.unlinkSync): only the
  // outermost call is the core's, nested ones pass straight through.
  let depth = 0
  for (const [name, patched] of Object.entries(impl)) {
    fs[name] = function (...args) {
      if (depth > 0) return real[name].apply(this, args)
      depth++
      try {
        return patched.apply(this, args)
      } finally {
        depth--
      }
    }
  }
  syncBuiltinESMExports()
  return { ops: () => seq }
}
