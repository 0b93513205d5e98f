import type { StorageFile } from './storage.js'

/** Bytes read per chunk: large enough to amortise calls, small enough to bound memory. */
export const CHUNK_SIZE = 1 << 20

/** A long line grows the read buffer straight to the rest of the file up to this size. */
const MAX_DIRECT_GROWTH = 256 * 1024 * 1024

const NL = 10

/** A run of complete lines read from a log file. */
export interface LineChunk {
  kind: 'lines'
  /** The lines, decoded, without their newlines. */
  lines: string[]
  /**
   * Where line `i` of this chunk starts in the file, its 1-based number and its byte length
   * (newline included). Valid only until the next chunk is pulled: the buffer is reused.
   */
  locate(i: number): { offset: number; line: number; length: number }
}

/** Bytes that cannot be read as lines: a tail without a newline, or invalid UTF-8. */
export interface BadBytes {
  kind: 'bad'
  reason: 'tail' | 'utf8'
  /** Byte offset where the bad line starts. */
  offset: number
  /** Its 1-based line number. */
  line: number
  /** True when the bad line holds a NUL byte (the mark of a zero-filled, torn tail). */
  hasNul: boolean
}

// fatal: invalid UTF-8 throws instead of turning into U+FFFD, so damage is found, not hidden.
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

/** Decodes UTF-8, throwing on invalid bytes (a storage may offer a faster one). */
export type Decode = (bytes: Uint8Array) => string

const decodeUtf8: Decode = (bytes) => utf8.decode(bytes)

/**
 * Reads the first `size` bytes of `file` line by line in chunks of about `chunkSize` bytes (a
 * longer line grows the buffer for as long as it lasts), so a log of any size loads with
 * memory bounded by the chunk size plus the longest line. Yields runs of complete lines; ends
 * with a `bad` item when the bytes end without a newline or hold invalid UTF-8, and reads no
 * further then.
 */
export function* readLines(
  file: StorageFile,
  size: number,
  onBytes?: (n: number) => void,
  decode: Decode = decodeUtf8,
  chunkSize = CHUNK_SIZE,
): Generator<LineChunk | BadBytes> {
  const isUtf8 = (bytes: Uint8Array): boolean => {
    try {
      decode(bytes)
      return true
    } catch {
      return false
    }
  }
  let buf = new Uint8Array(Math.min(chunkSize, Math.max(size, 1)))
  let filled = 0 // bytes in buf not yet handed out
  let bufStart = 0 // file offset of buf[0]
  let line = 1 // number of the first line in buf
  let eof = false
  while (true) {
    while (!eof && filled < buf.length) {
      const want = Math.min(buf.length - filled, size - bufStart - filled)
      const n =
        want > 0
          ? file.read(buf.subarray(filled, filled + want), bufStart + filled)
          : 0
      if (n === 0) eof = true
      else {
        filled += n
        onBytes?.(n)
      }
    }
    const lastNl = filled === 0 ? -1 : buf.lastIndexOf(NL, filled - 1)
    if (lastNl === -1) {
      if (eof) {
        if (filled > 0) {
          const hasNul = buf.subarray(0, filled).includes(0)
          yield { kind: 'bad', reason: 'tail', offset: bufStart, line, hasNul }
        }
        return
      }
      // One line longer than the buffer: grow it, keeping what was read. A base file is one
      // snapshot line: when the rest of the file is not huge, grow straight to it instead of
      // doubling (and copying) several times.
      const rest = size - bufStart
      const want =
        rest > buf.length && rest <= MAX_DIRECT_GROWTH ? rest : buf.length * 2
      const bigger = new Uint8Array(want)
      bigger.set(buf.subarray(0, filled))
      buf = bigger
      continue
    }
    const end = lastNl + 1
    const bytes = buf.subarray(0, end)
    const start = bufStart
    const first = line
    let text: string
    try {
      text = decode(bytes.subarray(0, lastNl))
    } catch {
      // Hand out the valid lines before the bad one, then report it.
      let pos = 0
      const good: string[] = []
      while (pos < end) {
        const nl = bytes.indexOf(NL, pos)
        const one = bytes.subarray(pos, nl)
        if (!isUtf8(one)) break
        good.push(decode(one))
        pos = nl + 1
      }
      if (good.length > 0)
        yield chunkOf(bytes.subarray(0, pos), start, first, good)
      const nl = bytes.indexOf(NL, pos)
      const hasNul = bytes.subarray(pos, nl).includes(0)
      yield {
        kind: 'bad',
        reason: 'utf8',
        offset: start + pos,
        line: first + good.length,
        hasNul,
      }
      return
    }
    const lines = text.split('\n')
    // locate() reads `bytes`, which stay valid until the consumer pulls the next chunk.
    yield chunkOf(bytes, start, first, lines)
    line += lines.length
    buf.copyWithin(0, end, filled)
    filled -= end
    bufStart += end
  }
}

function chunkOf(
  bytes: Uint8Array,
  start: number,
  first: number,
  lines: string[],
): LineChunk {
  let offsets: number[] | null = null
  return {
    kind: 'lines',
    lines,
    locate(i) {
      // Byte offsets are only worked out when asked (errors, the CLI): the load path skips them.
      if (offsets === null) {
        offsets = [0]
        let pos = 0
        for (;;) {
          const nl = bytes.indexOf(NL, pos)
          if (nl === -1) break
          pos = nl + 1
          offsets.push(pos)
        }
      }
      const off = offsets[i] ?? 0
      return {
        offset: start + off,
        line: first + i,
        length: (offsets[i + 1] ?? bytes.length) - off,
      }
    },
  }
}

/**
 * Where a torn tail of the first `size` bytes of `file` starts, or -1 when they end cleanly.
 * Torn means: bytes after the last newline (a crash in the middle of a write), or from the
 * start of the first line that holds a NUL byte (a power loss can leave the end of a file
 * zero-filled when its size reached the disk before its data). Reads the whole file with a
 * fast byte search; parses nothing.
 */
export function findTornStart(file: StorageFile, size: number): number {
  const buf = new Uint8Array(Math.min(CHUNK_SIZE, Math.max(size, 1)))
  let lastNlEnd = 0 // offset just past the last newline seen
  let pos = 0
  while (pos < size) {
    const n = file.read(buf.subarray(0, Math.min(buf.length, size - pos)), pos)
    if (n === 0) break
    const chunk = buf.subarray(0, n)
    const nul = chunk.indexOf(0)
    const limit = nul === -1 ? n : nul
    const nl = chunk.lastIndexOf(NL, limit - 1)
    if (nl !== -1 && limit > 0) lastNlEnd = pos + nl + 1
    if (nul !== -1) return lastNlEnd
    pos += n
  }
  return lastNlEnd === size ? -1 : lastNlEnd
}

/** True when the byte before `size` is a newline (or the file is empty). */
export function endsWithNewline(file: StorageFile, size: number): boolean {
  if (size === 0) return true
  const last = new Uint8Array(1)
  return file.read(last, size - 1) === 1 && last[0] === NL
}
