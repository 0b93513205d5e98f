import { statSync } from 'node:fs'
import { resolve } from 'node:path'
import type { AofProblem, AofReport, Storage } from '@aof-persist/core'
import { readArchive } from './archive.js'
import { CommandFailure, DEFAULT_FILE_NAME, shellQuote } from './args.js'
import { plural, styleFor, type CliIo, type Style } from './terminal.js'

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
  /** True for a command that changes the store (an archive cannot be changed). */
  changes: boolean
  /** A downloaded archive (a tar file) in place of a directory, once read: in memory. */
  storage?: Storage
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
  changes = false,
): Context {
  return {
    io,
    out: styleFor(io.stdout, io.env),
    err: styleFor(io.stderr, io.env),
    dir: resolve(io.cwd, dirArg),
    dirArg,
    fileName,
    changes,
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
 * Fails (exit 1) unless `ctx.dir` is an existing directory, or, for a command that only reads,
 * a store downloaded from a browser (a tar archive), which it reads into memory. Checked up
 * front because the core's `openAof` creates a missing directory, and a typo must not become
 * an empty store.
 */
export function requireDirectory(ctx: Context): void {
  if (ctx.storage) return
  let st
  try {
    st = statSync(ctx.dir)
  } catch {
    throw new CommandFailure(`${ctx.dirArg}: no such directory`)
  }
  if (st.isDirectory()) return
  if (!st.isFile()) throw new CommandFailure(`${ctx.dirArg}: not a directory`)
  if (ctx.changes) {
    throw new CommandFailure(
      `${ctx.dirArg} is a file (a store downloaded as an archive?): this command changes a store, and an archive is read-only. Extract it (tar -xf ${shellQuote(ctx.dirArg)}) and run it on the directory.`,
    )
  }
  const read = readArchive(ctx.dir, ctx.dirArg, ctx.fileName)
  ctx.storage = read.storage
  ctx.fileName = read.fileName
}

/** Where the core's read-only tools find the store: the directory, or the archive read into memory. */
export function storeOf(ctx: Context): {
  dir?: string
  storage?: Storage
  fileName: string
} {
  return ctx.storage
    ? { storage: ctx.storage, fileName: ctx.fileName }
    : { dir: ctx.dir, fileName: ctx.fileName }
}

/** True when `problem` is in the last file the manifest lists, the only one `aof fix` may cut. */
export function inLastFile(report: AofReport, problem: AofProblem): boolean {
  return report.files.at(-1)?.name === problem.file
}

/**
 * What is wrong at `problem`, in the CLI's words and without the core's advice (each command
 * gives its own next step): `it ends with a torn record (11 bytes at line 4, byte offset 57)...`.
 */
export function describeProblem(
  report: AofReport,
  problem: AofProblem,
): string {
  const where = `line ${problem.line}, byte offset ${problem.offset}`
  if (problem.code === 'AOF_TRUNCATED') {
    const size = report.files.find((f) => f.name === problem.file)?.size
    const bytes =
      size === undefined ? '' : `${plural(size - problem.offset, 'byte')} at `
    return `it ends with a torn record (${bytes}${where}), left by a crash in the middle of a write`
  }
  return `bad record at ${where}: ${problem.reason}`
}

/**
 * Prints the first problem of a store (to stdout, as part of a report): where it is, what is
 * wrong, and, unless `advice` is false (a command that repairs it itself), the command that
 * repairs it or why none can.
 */
export function printProblem(
  ctx: Context,
  report: AofReport,
  problem: AofProblem,
  options: { print?: (line?: string) => void; advice?: boolean } = {},
): void {
  const print = options.print ?? ctx.print
  const s = print === ctx.print ? ctx.out : ctx.err
  print(
    s.red(
      `AOF ${problem.file} is not valid: ${describeProblem(report, problem)}`,
    ),
  )
  print(
    `  first problem: ${problem.code} at line ${problem.line}, byte offset ${problem.offset} of ${problem.file}`,
  )
  if (options.advice === false) return
  if (!inLastFile(report, problem)) {
    print(
      `  "aof fix" cannot repair it: ${problem.file} is not the last file, and only the tail of the last file may be cut.` +
        ' Make a backup of the directory and repair the line by hand, or restore the directory from a backup.',
    )
  } else if (problem.code === 'AOF_TRUNCATED') {
    print(
      `  an app that opens the store cuts a torn tail off by itself (loadTruncated is on by default); to cut it now, run "${suggest(ctx, 'fix')}"`,
    )
  } else {
    print(
      `  to repair it, make a backup of the directory, then run "${suggest(ctx, 'fix')}": it cuts ${problem.file} back to byte offset ${problem.offset}, removing line ${problem.line} and every line after it`,
    )
  }
}
