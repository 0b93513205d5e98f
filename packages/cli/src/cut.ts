import { closeSync, openSync, readSync } from 'node:fs'
import type { AofCut } from '@aof-persist/core'
import type { Context } from './context.js'
import { formatBytes } from './terminal.js'

/**
 * Lines in bytes `[from, to)` of `path` (a last line without a newline counts), read-only.
 * Tells the user how much a cut loses: after garbage in the middle of the last file, the cut
 * removes the good records behind it too. Returns null when the file cannot be read.
 */
export function countLines(
  path: string,
  from: number,
  to: number,
): number | null {
  let fd: number
  try {
    fd = openSync(path, 'r')
  } catch {
    return null
  }
  try {
    const buf = Buffer.alloc(64 * 1024)
    let lines = 0
    let pos = from
    let last = -1
    while (pos < to) {
      const n = readSync(fd, buf, 0, Math.min(buf.length, to - pos), pos)
      if (n === 0) break
      for (let i = 0; i < n; i++) if (buf[i] === 0x0a) lines++
      last = buf[n - 1] ?? -1
      pos += n
    }
    if (pos > from && last !== 0x0a) lines++
    return lines
  } catch {
    return null
  } finally {
    closeSync(fd)
  }
}

/** `from 4096 bytes to 3000 bytes (removing 1096 bytes: lines 12 to 40, 29 lines)` */
export function describeCut(cut: AofCut): string {
  const removed = cut.size - cut.newSize
  const lines = countLines(cut.path, cut.newSize, cut.size)
  const span =
    lines === null || lines === 0
      ? `from line ${cut.line} on`
      : lines === 1
        ? `line ${cut.line}`
        : `lines ${cut.line} to ${cut.line + lines - 1}, ${lines} lines`
  return `from ${formatBytes(cut.size)} to ${formatBytes(cut.newSize)} (removing ${removed} bytes: ${span})`
}

/** Warns when the cut made differs from the one announced (the file changed in between). */
export function warnIfDifferent(
  ctx: Context,
  announced: AofCut,
  made: AofCut,
): void {
  if (
    announced.file === made.file &&
    announced.size === made.size &&
    announced.newSize === made.newSize
  )
    return
  ctx.warn(
    ctx.err.yellow(
      `Warning: ${made.file} changed after the plan above was shown; the cut made was ${describeCut(made)}`,
    ),
  )
}
