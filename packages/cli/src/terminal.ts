import { writeSync } from 'node:fs'
import { createInterface } from 'node:readline'
import { isatty } from 'node:tty'
import { styleText } from 'node:util'

/**
 * A stream the CLI writes to: {@link fdOutput} on a file descriptor (what the binary uses), or
 * a fake in tests. `write` may throw {@link OutputClosed} when the reader went away.
 */
export interface OutputStream {
  write(chunk: string): unknown
  /** Writes out what is buffered; called before the CLI waits for input and at the end. */
  flush?(): void
  /** True on a terminal: enables colours, tables fitted to `columns` and the progress bar. */
  isTTY?: boolean
  /** Terminal width in characters. */
  columns?: number
}

/**
 * The reader of an output stream went away: `aof inspect dir | head` after `head` exited
 * (EPIPE). A command that only reads stops at once and exits 0, as `git log | head` does.
 */
export class OutputClosed extends Error {
  override readonly name = 'OutputClosed'
}

/** Bytes gathered before one write to a pipe or a file (a terminal gets every write at once). */
export const OUTPUT_BUFFER_SIZE = 64 * 1024

const pause = (ms: number) =>
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms)

/**
 * An {@link OutputStream} on file descriptor `fd` (1 or 2) that writes synchronously, through a
 * buffer of {@link OUTPUT_BUFFER_SIZE} on a pipe or a file. Synchronous writes block while the
 * pipe is full, so memory stays bounded by the buffer however large the store (`process.stdout`
 * on a pipe would queue what the reader has not taken yet), and a closed pipe is seen by the
 * write that meets it (EPIPE), not by an 'error' event after the whole store was printed.
 */
export function fdOutput(fd: number): OutputStream {
  const tty = isatty(fd)
  let pending = ''
  let closed = false
  const writeOut = (text: string) => {
    const bytes = Buffer.from(text, 'utf8')
    let done = 0
    let wait = 1
    while (done < bytes.length) {
      try {
        done += writeSync(fd, bytes, done, bytes.length - done)
        wait = 1
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code
        if (code === 'EPIPE') {
          closed = true
          throw new OutputClosed(
            `the reader of file descriptor ${fd} went away`,
          )
        }
        // A descriptor shared with a non-blocking stream (2>&1 next to Node's own stderr)
        // answers EAGAIN while the pipe is full: wait for the reader, as a blocking write would.
        if (code !== 'EAGAIN') throw err
        pause(wait)
        wait = Math.min(wait * 2, 50)
      }
    }
  }
  const stream: OutputStream = {
    isTTY: tty,
    write(chunk) {
      if (closed) throw new OutputClosed(`file descriptor ${fd} is closed`)
      pending += chunk
      if (tty || pending.length >= OUTPUT_BUFFER_SIZE) stream.flush!()
      return true
    },
    flush() {
      if (pending === '' || closed) return
      const text = pending
      pending = ''
      writeOut(text)
    },
  }
  if (tty) {
    Object.defineProperty(stream, 'columns', {
      get: () =>
        (fd === 2 ? process.stderr : process.stdout).columns ??
        Number(process.env.COLUMNS ?? 80),
    })
  }
  return stream
}

/** The stream the CLI reads a confirmation from. */
export type InputStream = NodeJS.ReadableStream & {
  /** True on a terminal: `aof fix` asks before cutting. */
  isTTY?: boolean
}

/** Everything the CLI touches outside the store directory; {@link run} defaults it to the process's. */
export interface CliIo {
  stdout: OutputStream
  stderr: OutputStream
  stdin: InputStream
  /** Environment variables (`NO_COLOR`, `TERM`). */
  env: Record<string, string | undefined>
  /** Directory that relative paths (`<dir>`, `--reducer`) are resolved against. */
  cwd: string
}

/** Text styles; each returns its input unchanged when colours are off. */
export interface Style {
  bold(text: string): string
  dim(text: string): string
  red(text: string): string
  green(text: string): string
  yellow(text: string): string
  cyan(text: string): string
}

/**
 * Colours only on a terminal, never when `NO_COLOR` is set to anything non-empty
 * (https://no-color.org) or `TERM=dumb`: piped output must stay plain text for grep and files.
 */
export function colorsEnabled(
  stream: OutputStream,
  env: CliIo['env'],
): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false
  if (env.TERM === 'dumb') return false
  return stream.isTTY === true
}

type Format = Parameters<typeof styleText>[0]

/** The styles for `stream`. */
export function styleFor(stream: OutputStream, env: CliIo['env']): Style {
  const on = colorsEnabled(stream, env)
  // validateStream: false because the decision above is ours; newer Node versions would
  // otherwise look at process.stdout instead of the stream we actually write to.
  const paint =
    (format: Format) =>
    (text: string): string =>
      on ? styleText(format, text, { validateStream: false }) : text
  return {
    bold: paint('bold'),
    dim: paint('dim'),
    red: paint('red'),
    green: paint('green'),
    yellow: paint('yellow'),
    cyan: paint('cyan'),
  }
}

/** Below this many bytes a progress bar would only flash; it is not drawn. */
export const PROGRESS_MIN_BYTES = 1024 * 1024

/** A progress bar with bytes done, drawn on one line of a terminal. */
export interface Progress {
  /** The core's `onProgress` callback. */
  update(done: number, total: number): void
  /** Erases the bar so the next output starts on a clean line. */
  end(): void
}

const BAR_WIDTH = 30

/**
 * A progress bar on `stream` when it is a terminal and the work is at least
 * {@link PROGRESS_MIN_BYTES}; otherwise it draws nothing (piped output stays clean). It redraws
 * only when the bar or the percentage changes, so a fast read of a large file stays cheap.
 */
export function progressBar(stream: OutputStream, label: string): Progress {
  if (stream.isTTY !== true) return { update() {}, end() {} }
  let drawn = false
  let last = -1
  return {
    update(done, total) {
      if (total < PROGRESS_MIN_BYTES) return
      const permille = Math.min(1000, Math.floor((done * 1000) / total))
      if (permille === last) return
      last = permille
      const filled = Math.floor((permille * BAR_WIDTH) / 1000)
      const bar =
        '='.repeat(filled) +
        (filled < BAR_WIDTH ? '>' : '') +
        ' '.repeat(Math.max(0, BAR_WIDTH - filled - 1))
      const pct = `${Math.floor(permille / 10)}%`.padStart(4)
      stream.write(
        `\r${label} [${bar}] ${formatSize(done)} / ${formatSize(total)} ${pct}\x1b[K`,
      )
      drawn = true
    },
    end() {
      if (drawn) stream.write('\r\x1b[K')
      drawn = false
    },
  }
}

/** Runs `work` with a progress bar on `io.stderr` and erases it afterwards, also on a throw. */
export function withProgress<T>(
  io: CliIo,
  label: string,
  work: (onProgress: (done: number, total: number) => void) => T,
): T {
  const bar = progressBar(io.stderr, label)
  try {
    return work((done, total) => bar.update(done, total))
  } finally {
    bar.end()
  }
}

/**
 * Runs `work`, a step whose progress cannot be counted in bytes, with `label…` shown on a
 * terminal's stderr for as long as it lasts, then erased (also on a throw). Without a terminal
 * it shows nothing.
 */
export function withStatus<T>(io: CliIo, label: string, work: () => T): T {
  if (io.stderr.isTTY !== true) return work()
  io.stderr.write(`${label}…`)
  const erase = () => void io.stderr.write('\r\x1b[K')
  let result: T
  try {
    result = work()
  } catch (err) {
    erase()
    throw err
  }
  if (result instanceof Promise) return result.finally(erase) as T
  erase()
  return result
}

/**
 * Asks `question` on stderr and reads one line from stdin; true for `y` or `yes`. The question
 * goes to stderr so `aof fix dir > log` still shows it. End of input counts as no.
 */
export function confirm(io: CliIo, question: string): Promise<boolean> {
  io.stdout.flush?.()
  io.stderr.write(question)
  io.stderr.flush?.()
  return new Promise((resolve) => {
    const rl = createInterface({ input: io.stdin, terminal: false })
    let answered = false
    rl.once('line', (line) => {
      answered = true
      rl.close()
      resolve(/^\s*y(es)?\s*$/i.test(line))
    })
    rl.once('close', () => {
      if (!answered) {
        io.stderr.write('\n')
        resolve(false)
      }
    })
  })
}

/** `1 file`, `2 files` */
export const plural = (n: number, word: string): string =>
  `${n} ${word}${n === 1 ? '' : 's'}`

/** `1536` → `1.5 KiB`; bytes below 1 KiB are printed as such. */
export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`
  const units = ['KiB', 'MiB', 'GiB', 'TiB']
  let value = bytes / 1024
  let unit = 0
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024
    unit++
  }
  return `${value.toFixed(1)} ${units[unit]}`
}

/** Exact bytes, with the rounded size beside them from 1 KiB on: `4096 bytes (4.0 KiB)`. */
export function formatBytes(bytes: number): string {
  return bytes < 1024
    ? `${bytes} bytes`
    : `${bytes} bytes (${formatSize(bytes)})`
}

/** `1700000000` → `1700000000 (2023-11-14T22:13:20Z)`. */
export function formatTime(seconds: number): string {
  const date = new Date(seconds * 1000)
  return Number.isNaN(date.getTime())
    ? String(seconds)
    : `${seconds} (${date.toISOString().replace('.000Z', 'Z')})`
}

/**
 * Lays out `rows` (the first one is the header) in columns separated by two spaces; columns
 * listed in `right` are right-aligned (numbers). The last column is not padded, and is cut to
 * `width` when given (a terminal), so long records stay on one line.
 */
export function table(
  rows: string[][],
  options: { right?: number[]; width?: number } = {},
): string[] {
  const right = new Set(options.right ?? [])
  const widths: number[] = []
  for (const row of rows) {
    row.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, cell.length)
    })
  }
  return rows.map((row) => {
    let line = row
      .map((cell, i) => {
        if (i === row.length - 1 && !right.has(i)) return cell
        const w = widths[i] ?? 0
        return right.has(i) ? cell.padStart(w) : cell.padEnd(w)
      })
      .join('  ')
    if (
      options.width !== undefined &&
      options.width > 1 &&
      line.length > options.width
    ) {
      line = line.slice(0, options.width - 1) + '…'
    }
    return line
  })
}

/**
 * A step that reads the store: its label at once (a small store is done before a bar would
 * show), replaced by a progress bar once enough bytes are read to be worth one.
 */
export function withStep<T>(
  io: CliIo,
  label: string,
  work: (onProgress: (done: number, total: number) => void) => T,
): T {
  return withStatus(io, label, () => withProgress(io, label, work))
}
