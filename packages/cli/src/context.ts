import { statSync } from 'node:fs'
import { resolve } from 'node:path'
import type { AofProblem, AofReport } from '@aof-persist/core'
import { CommandFailure, DEFAULT_FILE_NAME, shellQuote } from './args.js'
import { styleFor, type CliIo, type Style } from './terminal.js'

/** What every command gets: the streams, the store directory and how to name it back to the user. */
export interface Context {
  io: CliIo
  /** Styles for stdout and stderr (plain when that stream is not a terminal). */
  out: Style
  err: Style
  /** The store directory, absolute. */
  dir: string
  /** The store directory as the user typed it, for commands we suggest. */
  dirArg: string
  fileName: string
  /** The `--reducer` module as the user typed it, once it is loaded. */
  reducerModule?: string
  /** Writes a line to stdout. */
  print(line?: string): void
  /** Writes a line to stderr. */
  warn(line?: string): void
}

/** Builds the context of a command on `dirArg`. */
export function makeContext(
  io: CliIo,
  dirArg: string,
  fileName: string,
): Context {
  return {
    io,
    out: styleFor(io.stdout, io.env),
    err: styleFor(io.stderr, io.env),
    dir: resolve(io.cwd, dirArg),
    dirArg,
    fileName,
    print: (line = '') => void io.stdout.write(line + '\n'),
    warn: (line = '') => void io.stderr.write(line + '\n'),
  }
}

/** `aof <command> <dir>` with `--file-name` when it is not the default: a command to paste. */
export function suggest(
  ctx: Context,
  command: string,
  ...args: string[]
): string {
  const parts = ['aof', command, shellQuote(ctx.dirArg), ...args]
  if (ctx.fileName !== DEFAULT_FILE_NAME)
    parts.push('--file-name', shellQuote(ctx.fileName))
  return parts.join(' ')
}

/**
 * Fails (exit 1) unless `ctx.dir` is an existing directory. Checked up front because the core's
 * `openAof` creates a missing directory, and a typo must not become an empty store.
 */
export function requireDirectory(ctx: Context): void {
  let isDir = false
  try {
    isDir = statSync(ctx.dir).isDirectory()
  } catch {
    throw new CommandFailure(`${ctx.dirArg}: no such directory`)
  }
  if (!isDir) throw new CommandFailure(`${ctx.dirArg}: not a directory`)
}

/** True when `problem` is in the last file the manifest lists, the only one `aof fix` may cut. */
export function inLastFile(report: AofReport, problem: AofProblem): boolean {
  return report.files.at(-1)?.name === problem.file
}

/**
 * Prints the first problem of a store (to stdout, as part of a report): where it is, what is
 * wrong, and the command that repairs it or why none can.
 */
export function printProblem(
  ctx: Context,
  report: AofReport,
  problem: AofProblem,
  print = ctx.print,
): void {
  const s = print === ctx.print ? ctx.out : ctx.err
  print(s.red(`AOF ${problem.file} is not valid: ${problem.message}`))
  print(
    `  first problem: ${problem.code} at line ${problem.line}, byte offset ${problem.offset} of ${problem.file}`,
  )
  if (inLastFile(report, problem)) {
    print(
      `  to repair it, run "${suggest(ctx, 'fix')}" (cuts ${problem.file} back to its last good record)`,
    )
  } else {
    print(
      `  "aof fix" cannot repair it: ${problem.file} is not the last file, and only the tail of the last file may be cut.` +
        ' Restore the directory from a backup.',
    )
  }
}
