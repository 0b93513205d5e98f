import type { LogFiles } from './protocol.js'

const BLOCK = 512
const enc = new TextEncoder()

/** Writes `text` as ASCII into `buf` at `at`, at most `len` bytes. */
function put(buf: Uint8Array, at: number, len: number, text: string): void {
  buf.set(enc.encode(text).subarray(0, len), at)
}

/** A number as the zero-padded octal a ustar header field holds, with its terminating NUL. */
const octal = (n: number, len: number): string =>
  n.toString(8).padStart(len - 1, '0')

function header(
  prefix: string,
  name: string,
  size: number,
  mtime: number,
  type: '0' | '5',
): Uint8Array {
  if (enc.encode(name).length > 100 || enc.encode(prefix).length > 155) {
    throw new TypeError(
      `aof-persist: cannot pack ${prefix}/${name} into a tar archive: names are limited to 100 bytes (and the directory to 155). Use a shorter fileName or store name.`,
    )
  }
  const h = new Uint8Array(BLOCK)
  put(h, 0, 100, name)
  put(h, 100, 8, octal(type === '5' ? 0o755 : 0o644, 8))
  put(h, 108, 8, octal(0, 8))
  put(h, 116, 8, octal(0, 8))
  put(h, 124, 12, octal(size, 12))
  put(h, 136, 12, octal(mtime, 12))
  put(h, 148, 8, '        ') // the checksum is computed over spaces in its place
  put(h, 156, 1, type)
  put(h, 257, 6, 'ustar\0')
  put(h, 263, 2, '00')
  put(h, 345, 155, prefix)
  let sum = 0
  for (const b of h) sum += b
  put(h, 148, 8, `${octal(sum, 7)}\0`)
  return h
}

/**
 * Packs a store's files as a POSIX ustar archive holding one directory, `<dir>/`, with the
 * manifest and the base and incr files under their names in the store: what `tar -xf` turns
 * back into a store directory that `aof check` and `aof inspect` read, and what those commands
 * read directly (docs/learn/browser.md says what they expect).
 */
export function packStore(log: LogFiles, dir: string): Uint8Array {
  const entries: { name: string; bytes: Uint8Array }[] = []
  if (log.manifest)
    entries.push({ name: `${log.fileName}.manifest`, bytes: log.manifest })
  for (const f of log.files) entries.push({ name: f.name, bytes: f.bytes })
  const mtime = Math.floor(Date.now() / 1000)
  const blocks = (n: number) => Math.ceil(n / BLOCK) * BLOCK
  let total = BLOCK + 2 * BLOCK // the directory entry and the two zero blocks that end it
  for (const e of entries) total += BLOCK + blocks(e.bytes.length)
  const out = new Uint8Array(total)
  out.set(header('', `${dir}/`, 0, mtime, '5'), 0)
  let at = BLOCK
  for (const e of entries) {
    out.set(header(dir, e.name, e.bytes.length, mtime, '0'), at)
    at += BLOCK
    out.set(e.bytes, at)
    at += blocks(e.bytes.length)
  }
  return out
}
