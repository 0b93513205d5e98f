import { closeSync, openSync, readSync } from 'node:fs'
import type { AofCut } from '@aof-persist/core'
import { CommandFailure } from './args.js'
import type { Context } from './context.js'
import { confirm, formatBytes } from './terminal.js'

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

/** `from 4096 bytes (4.0 KiB) to 3000 bytes (2.9 KiB), removing 1096 bytes: lines 12 to 40 (29 lines)` */
export function describeCut(cut: AofCut): string {
  const removed = cut.size - cut.newSize
  const lines = countLines(cut.path, cut.newSize, cut.size)
  const span =
    lines === null || lines === 0
      ? `line ${cut.line} and every line after it`
      : lines === 1
        ? `line ${cut.line}`
        : `lines ${cut.line} to ${cut.line + lines - 1} (${lines} lines)`
  return `from ${formatBytes(cut.size)} to ${formatBytes(cut.newSize)}, removing ${removed} ${removed === 1 ? 'byte' : 'bytes'}: ${span}`
}

/** How a command that removes data was asked to go ahead: `--yes`, `--dry-run`. */
export interface ChangeFlags {
  /** Go ahead without asking. */
  yes: boolean
  /** Say what would be removed and stop. */
  dryRun: boolean
}

/**
 * The one rule of every command that removes data (`fix`, `truncate-to-timestamp`), once it
 * has said what it would remove: `--dry-run` stops here; `--yes` goes ahead; otherwise it asks
 * `Continue? [y/N]` on a terminal, and without one (a script, a pipe) it refuses. True to go
 * ahead; false when it stopped, having said why.
 */
export async function confirmChange(
  ctx: Context,
  flags: ChangeFlags,
  file: string,
): Promise<boolean> {
  if (flags.dryRun) {
    ctx.print('Dry run: nothing was changed.')
    return false
  }
  if (flags.yes) return true
  if (ctx.io.stdin.isTTY !== true) {
    throw new CommandFailure(
      `Refusing to change ${file} without confirmation: standard input is not a terminal. ` +
        'Re-run with --yes to go ahead, or with --dry-run to see what would be removed; nothing was changed.',
    )
  }
  if (await confirm(ctx.io, 'Continue? [y/N]: ')) return true
  ctx.warn('Aborted: nothing was changed.')
  return false
}
