import { readFileSync } from 'node:fs'
import { memoryStorage, type Storage } from '@aof-persist/core'
import { CommandFailure, DEFAULT_FILE_NAME } from './args.js'

const BLOCK = 512

/** A NUL-terminated text field of a tar header. */
function field(h: Uint8Array, at: number, len: number): string {
  const bytes = h.subarray(at, at + len)
  const nul = bytes.indexOf(0)
  return new TextDecoder().decode(nul === -1 ? bytes : bytes.subarray(0, nul))
}

/** The files of a ustar archive (the browser package's download), by path. */
function untar(data: Uint8Array, what: string): Map<string, Uint8Array> {
  const files = new Map<string, Uint8Array>()
  for (let at = 0; at + BLOCK <= data.length;) {
    const h = data.subarray(at, at + BLOCK)
    if (h.every((b) => b === 0)) break // the end-of-archive blocks
    const name = field(h, 0, 100)
    const size = parseInt(field(h, 124, 12).trim() || '0', 8)
    const type = String.fromCharCode(h[156] ?? 0)
    const prefix = field(h, 257, 6) === 'ustar' ? field(h, 345, 155) : ''
    if (!Number.isFinite(size) || size < 0 || at + BLOCK + size > data.length) {
      throw new CommandFailure(
        `${what}: not a tar archive aof can read (the entry ${JSON.stringify(name)} is cut short or has no size). Download the store again, or extract it with tar and check the directory.`,
      )
    }
    if (type === '0' || type === '\0') {
      const path = prefix ? `${prefix}/${name}` : name
      files.set(path, data.slice(at + BLOCK, at + BLOCK + size))
    }
    at += BLOCK + Math.ceil(size / BLOCK) * BLOCK
  }
  return files
}

/**
 * A store downloaded from a browser (`BrowserAof.archive()`: a tar holding one directory with
 * the manifest and the base and incr files) as an in-memory storage the read-only tools take.
 * The store is the directory holding the manifest; with several, `--file-name` picks one.
 */
export function readArchive(
  path: string,
  what: string,
  fileName: string,
): { storage: Storage; fileName: string } {
  let data: Uint8Array
  try {
    data = readFileSync(path)
  } catch (err) {
    throw new CommandFailure(
      `${what}: cannot read it (${(err as NodeJS.ErrnoException).code ?? String(err)})`,
    )
  }
  const files = untar(data, what)
  const manifests = [...files.keys()].filter((p) => p.endsWith('.manifest'))
  const wanted =
    fileName === DEFAULT_FILE_NAME && manifests.length === 1
      ? manifests[0]
      : manifests.find((p) => p.split('/').pop() === `${fileName}.manifest`)
  if (wanted === undefined) {
    throw new CommandFailure(
      manifests.length === 0
        ? `${what}: the archive holds no AOF manifest (<fileName>.manifest), so it is not a store aof can read.`
        : `${what}: the archive holds ${manifests.length} stores (${manifests.join(', ')}); pick one with --file-name.`,
    )
  }
  const slash = wanted.lastIndexOf('/')
  const dir = slash === -1 ? '' : wanted.slice(0, slash + 1)
  const storage = memoryStorage({
    location: `${path}!/${dir.replace(/\/$/, '')}`,
  })
  for (const [p, bytes] of files) {
    const name = p.slice(dir.length)
    if (p.startsWith(dir) && name !== '' && !name.includes('/')) {
      storage.put(name, bytes)
    }
  }
  return { storage, fileName: wanted.slice(slash + 1, -'.manifest'.length) }
}
