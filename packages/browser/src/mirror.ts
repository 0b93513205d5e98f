import type { Position } from './protocol.js'

const dec = new TextDecoder()

/** The seq of an incr file name (`<fileName>.<seq>.incr.aof`), or -1. */
export function incrSeq(fileName: string, name: string): number {
  const prefix = `${fileName}.`
  if (!name.startsWith(prefix) || !name.endsWith('.incr.aof')) return -1
  const digits = name.slice(prefix.length, -'.incr.aof'.length)
  return /^\d+$/.test(digits) ? Number(digits) : -1
}

/**
 * Splits complete log lines into the records' JSON texts: `#` annotation lines (`#TS:`) and
 * blank lines are not records, as the core's reader skips them.
 */
export function recordLines(text: string): string[] {
  const out: string[] = []
  for (const line of text.split('\n')) {
    if (line === '' || line.charCodeAt(0) === 35 /* # */) continue
    if (line.trim() === '') continue
    out.push(line)
  }
  return out
}

/**
 * A follower's copy of where the writer's log ends, fed with the bytes the writer wrote (in the
 * order it wrote them). It hands out complete lines only, so a record is applied once its line
 * is whole, and it says when it lost its place (a message it never saw), so the follower reads
 * the files again instead of guessing.
 */
export class Mirror {
  readonly #fileName: string
  #file: string
  /** End of the last complete line of `#file`. */
  #pos: number
  /** Bytes after `#pos` known so far (the start of a line not yet complete). */
  #partial = new Uint8Array(0)

  constructor(fileName: string, position: Position) {
    this.#fileName = fileName
    this.#file = position.file
    this.#pos = position.offset
  }

  get position(): Position {
    return { file: this.#file, offset: this.#pos }
  }

  /**
   * Takes the bytes the writer wrote at `at` of `file`: returns the records (JSON texts) of the
   * lines they complete, or null when they do not follow what this mirror knows.
   */
  write(file: string, at: number, bytes: Uint8Array): string[] | null {
    if (file !== this.#file) {
      const seq = incrSeq(this.#fileName, file)
      const mine = incrSeq(this.#fileName, this.#file)
      // Bytes of an older incr file: written before the switch this mirror already followed.
      if (seq !== -1 && seq < mine) return []
      // A rewrite (or the writer's open) started a new incr file; the old one ends on a line.
      if (seq > mine && at === 0 && this.#partial.length === 0) {
        this.#file = file
        this.#pos = 0
      } else return null
    }
    const known = this.#pos + this.#partial.length
    if (at > known) return null
    if (at + bytes.length <= known) return []
    const fresh = bytes.subarray(known - at)
    const all = new Uint8Array(this.#partial.length + fresh.length)
    all.set(this.#partial)
    all.set(fresh, this.#partial.length)
    const lastNl = all.lastIndexOf(10)
    if (lastNl === -1) {
      this.#partial = all
      return []
    }
    this.#partial = all.slice(lastNl + 1)
    this.#pos += lastNl + 1
    return recordLines(dec.decode(all.subarray(0, lastNl + 1)))
  }

  /** The writer cut `file` to `size` (a partial write it took back). False when that loses lines. */
  truncate(file: string, size: number): boolean {
    if (file !== this.#file) return true
    if (size < this.#pos) return false
    this.#partial = this.#partial.slice(0, size - this.#pos)
    return true
  }
}
