import { cutDurably, writeFileAtomic } from './durable.js'
import { AofError, DOCS, ioError } from './errors.js'
import { endsWithNewline, findTornStart } from './lineReader.js'
import {
  fileNames,
  nextSeq,
  persistManifest,
  readManifest,
  type Manifest,
} from './manifest.js'
import { recoverLostNames } from './lostNames.js'
import { io, type Step, type Storage, type StorageFile } from './storage.js'
import type { AofStats } from './types.js'

/** Everything an open store needs from its files, once loaded. */
export interface LoadedStore {
  manifest: Manifest
  /** Open handles of every file the manifest lists as base or incr, by name. */
  files: Map<string, StorageFile>
  /** The last incr file, where appends go, and its size. */
  incr: { name: string; file: StorageFile; size: number }
  /** Bytes of every other listed file (the base and older incr files). */
  otherSize: number
  /** The base file's size: after a restart, Redis measures growth against the base alone. */
  baseSize: number
  /** Set when the last incr file's torn tail was cut. */
  truncatedTail: AofStats['truncatedTail']
}

/** What loading needs to know of the options. */
export interface LoadOptions {
  storage: Storage
  fileName: string
  loadTruncated: boolean
  /** Receives the `AOF_TRUNCATED` report of a tail that was cut. */
  report: (err: AofError) => void
}

/**
 * Opens a store on its storage: reads and checks the manifest (creating a store when there is
 * none), deletes what an interrupted rewrite left, checks every listed file, cuts (or refuses)
 * a torn tail of the last incr file, and opens the incr file appends go to. The caller holds
 * the lock. On failure every file opened here is closed again and nothing was written but
 * the cleanup of temp and history files, which no manifest lists.
 */
export function* loadStore(o: LoadOptions): Step<LoadedStore> {
  const { storage, fileName } = o
  const names = fileNames(fileName)
  const files = new Map<string, StorageFile>()
  try {
    for (const leftover of [names.tempManifest, names.tempRewrite]) {
      // A crash during a rewrite or manifest switch leaves these behind; they are never listed.
      yield* io(storage.remove(leftover))
    }
    let m = yield* readManifest(storage, fileName)
    if (m === null || (m.base === null && m.incrs.length === 0)) {
      yield* refuseStrayFiles(storage, fileName)
      m = { base: null, history: m?.history ?? [], incrs: [] }
    }
    if (!storage.durableNames) {
      m = yield* recoverLostNames(storage, fileName, m, o.report)
    }
    if (m.history.length > 0 && storage.durableNames) {
      // History files are what a finished rewrite left to delete; a crash can interrupt that.
      // (Where names are not durable, the rewriter deletes them once the names settled.)
      for (const h of m.history) yield* io(storage.remove(h.name))
      m = { ...m, history: [] }
      yield* persistManifest(storage, fileName, m)
    }
    const listed = [...(m.base ? [m.base] : []), ...m.incrs]
    const sizes: number[] = []
    for (const [i, e] of listed.entries()) {
      yield* checkListed(storage, fileName, e)
      const isLast = i === listed.length - 1
      let file: StorageFile
      try {
        file = yield* io(storage.open(e.name, { write: isLast, create: false }))
      } catch (err) {
        throw unreadable(storage, fileName, e, err)
      }
      files.set(e.name, file)
      sizes.push(file.size())
    }
    // Every file but the last must end on a record boundary: only the file being appended to
    // can be torn by a crash. Only the last byte is read here (a base can be large); bad
    // records inside are found by records(), which reads everything anyway.
    for (const [i, e] of listed.slice(0, -1).entries()) {
      if (!endsWithNewline(files.get(e.name)!, sizes[i]!)) {
        const path = storage.describe(e.name)
        throw new AofError(
          'AOF_CORRUPT',
          `${path} ends in the middle of a record, but it is not the last file of the store, so this is not a torn write that can be cut off. Make a backup of ${storage.location}, then run "aof check ${storage.location}" for details.`,
          { file: path, offset: sizes[i] },
        )
      }
    }
    let truncatedTail: AofStats['truncatedTail'] = null
    const last = m.incrs.at(-1)
    if (last && listed.at(-1) === last) {
      const file = files.get(last.name)!
      truncatedTail = yield* cutTornTail(o, last.name, file, sizes.at(-1)!)
      if (truncatedTail) sizes[sizes.length - 1] = truncatedTail.offset
    }
    if (m.incrs.length === 0) {
      // A store with no incr file (new, or a base only): start one.
      const seq = nextSeq(m, 'incr')
      const name = names.incr(seq)
      files.set(name, yield* openFreshIncr(storage, fileName, name))
      m = { ...m, incrs: [{ name, seq, type: 'incr' }] }
      yield* persistManifest(storage, fileName, m)
      sizes.push(0)
    }
    const incrName = m.incrs.at(-1)!.name
    return {
      manifest: m,
      files,
      incr: { name: incrName, file: files.get(incrName)!, size: sizes.at(-1)! },
      otherSize: sizes.slice(0, -1).reduce((n, s) => n + s, 0),
      baseSize: m.base ? sizes[0]! : 0,
      truncatedTail,
    }
  } catch (err) {
    for (const file of files.values()) file.close()
    throw err
  }
}

/**
 * A listed file that does not exist is `AOF_MANIFEST_INVALID` (Redis refuses to start then,
 * too), and so is one that is not a regular file: a directory cannot be read as a log, and a
 * symbolic link would send appends and tail cuts to a file outside the store.
 */
export function* checkListed(
  storage: Storage,
  fileName: string,
  e: { name: string; seq: number; type: string },
): Step<void> {
  let st
  try {
    st = yield* io(storage.stat(e.name))
  } catch (err) {
    throw unreadable(storage, fileName, e, err)
  }
  if (st === null) {
    throw unreadable(
      storage,
      fileName,
      e,
      Object.assign(new Error('missing'), { code: 'ENOENT' }),
    )
  }
  if (st.type !== 'file') {
    const what =
      st.type === 'symlink'
        ? 'a symbolic link'
        : st.type === 'directory'
          ? 'a directory'
          : 'not a regular file'
    const manifest = storage.describe(fileNames(fileName).manifest)
    throw new AofError(
      'AOF_MANIFEST_INVALID',
      `The AOF manifest ${manifest} lists ${e.name} (seq ${e.seq}, ${e.type}), which is ${what}: the log files must be regular files inside the store directory. Fix that line of the manifest by hand (see ${DOCS}file-format.md).`,
      { file: manifest },
    )
  }
}

function unreadable(
  storage: Storage,
  fileName: string,
  e: { name: string; seq: number; type: string },
  err: unknown,
): AofError {
  const manifest = storage.describe(fileNames(fileName).manifest)
  const code = (err as { code?: unknown } | null)?.code ?? String(err)
  return new AofError(
    'AOF_MANIFEST_INVALID',
    `The AOF manifest ${manifest} lists ${e.name} (seq ${e.seq}, ${e.type}), which cannot be read: ${String(code)}. Restore that file, or remove its line from the manifest by hand if its records are lost (see ${DOCS}file-format.md).`,
    { file: manifest, cause: err },
  )
}

/** A store without a manifest must not silently start over files that hold records. */
function* refuseStrayFiles(storage: Storage, fileName: string): Step<void> {
  const prefix = `${fileName}.`
  for (const name of yield* io(storage.list())) {
    if (
      !name.startsWith(prefix) ||
      !/^\d+\.(base|incr)\.aof$/.test(name.slice(prefix.length))
    ) {
      continue
    }
    const st = yield* io(storage.stat(name))
    if (!st || st.size === 0) continue
    const manifest = storage.describe(fileNames(fileName).manifest)
    throw new AofError(
      'AOF_MANIFEST_INVALID',
      `${storage.describe(name)} holds records, but the manifest ${manifest} is missing or lists no files. Restore the manifest (one line per file: file <name> seq <n> type <b|i>, see ${DOCS}file-format.md) rather than starting an empty store over them.`,
      { file: manifest },
    )
  }
}

/**
 * Creates (or reuses) an incr file that is about to be listed in the manifest: an empty file of
 * that name (left by a crash before the manifest listed it) is reused, but one holding records
 * is someone's data and is refused, never truncated.
 */
export function* openFreshIncr(
  storage: Storage,
  fileName: string,
  name: string,
): Step<StorageFile> {
  let file: StorageFile
  try {
    file = yield* io(storage.open(name, { write: true, create: true }))
  } catch (err) {
    throw ioError(
      'Opening the incr file',
      storage.describe(name),
      err,
      "Check the directory's permissions and free space.",
    )
  }
  if (file.size() > 0) {
    file.close()
    const manifest = storage.describe(fileNames(fileName).manifest)
    throw new AofError(
      'AOF_MANIFEST_INVALID',
      `${storage.describe(name)} holds records, but the manifest ${manifest} does not list it, and a new incr file of that name was about to start. Add it to the manifest by hand (file <name> seq <n> type i, see ${DOCS}file-format.md) or move it away.`,
      { file: manifest },
    )
  }
  return file
}

/** Cuts (or refuses) a torn tail of the last incr file; says what it cut. */
function* cutTornTail(
  o: LoadOptions,
  name: string,
  file: StorageFile,
  size: number,
): Step<AofStats['truncatedTail']> {
  const { storage } = o
  const path = storage.describe(name)
  const torn = findTornStart(file, size)
  if (torn === -1) return null
  const bytes = size - torn
  if (!o.loadTruncated) {
    throw new AofError(
      'AOF_TRUNCATED',
      `${path} ends with a torn record: ${bytes} bytes from byte offset ${torn} (a crash in the middle of a write). Run "aof fix ${storage.location}" to cut it off, or open with loadTruncated: true (the default).`,
      { file: path, offset: torn },
    )
  }
  // A plain torn tail is half a record. A zero-filled region (a power loss that reached the
  // file's size but not its data) can be followed by complete lines written after it: they
  // cannot be applied without the lost ones (the state would not be a prefix), so they are
  // cut too, but first saved beside the file, so nothing that was on disk is destroyed.
  let saved: string | null = null
  let laterLines = 0
  try {
    const cut = new Uint8Array(bytes)
    file.read(cut, torn)
    const firstNl = cut.indexOf(10)
    if (firstNl !== -1 && firstNl < cut.length - 1) {
      for (let i = firstNl + 1; i < cut.length; i++)
        if (cut[i] === 10) laterLines++
      saved = `${name}.cut-${torn}`
      yield* writeFileAtomic(storage, saved, `${saved}.tmp`, cut)
    }
    cutDurably(file, torn)
  } catch (err) {
    throw ioError('Cutting the torn tail', path, err)
  }
  const what = saved
    ? `a region damaged by a crash (zero-filled) and ${laterLines} line(s) after it, which cannot be applied without the damaged ones; the cut bytes were saved to ${storage.describe(saved)}`
    : 'half a record left by a crash in the middle of a write; every complete record was kept'
  o.report(
    new AofError(
      'AOF_TRUNCATED',
      `Recovered: cut ${bytes} bytes at byte offset ${torn} of ${path}: ${what}.`,
      { file: path, offset: torn },
    ),
  )
  return { file: path, offset: torn, bytes }
}
