import { basename } from 'node:path'
import { parseArgs, type ParseArgsConfig } from 'node:util'
import {
  DEFAULT_AUTO_REWRITE_MIN_SIZE,
  DEFAULT_AUTO_REWRITE_PERCENTAGE,
  isAofError,
} from '@aof-persist/core'
import {
  CommandFailure,
  EXIT_FAILURE,
  EXIT_OK,
  EXIT_USAGE,
  parseCount,
  parseFileName,
  parseSize,
  parseTimestamp,
  UsageError,
} from './args.js'
import { check } from './check.js'
import { makeContext, suggest, type Context } from './context.js'
import { exportState } from './exportState.js'
import { fix } from './fix.js'
import { commandHelp, topHelp } from './help.js'
import { inspect } from './inspect.js'
import { rewrite } from './rewrite.js'
import { stats } from './stats.js'
import {
  fdOutput,
  OutputClosed,
  styleFor,
  type CliIo,
  type OutputStream,
} from './terminal.js'
import { truncateToTimestamp } from './truncateToTimestamp.js'

declare const __AOF_CLI_VERSION__: string | undefined

/** The package version, set at build time (`dev` when run from the sources). */
export const VERSION: string =
  typeof __AOF_CLI_VERSION__ === 'string' ? __AOF_CLI_VERSION__ : 'dev'

type Options = NonNullable<ParseArgsConfig['options']>
type Values = Record<string, string | boolean | undefined>

interface Command {
  /**
   * True for the commands that change the store. They are not stopped half-way when their
   * output is closed: they finish (or refuse) and their exit status says which.
   */
  changes?: boolean
  options: Options
  /** Names of the positional arguments after `<dir>`. */
  args: string[]
  run(ctx: Context, values: Values, args: string[]): number | Promise<number>
}

const GLOBAL: Options = {
  'file-name': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
}

const str = (v: string | boolean | undefined): string | undefined =>
  typeof v === 'string' ? v : undefined

const COMMANDS: Record<string, Command> = {
  check: { options: {}, args: [], run: (ctx) => check(ctx) },
  fix: {
    changes: true,
    options: {
      yes: { type: 'boolean', short: 'y' },
      'dry-run': { type: 'boolean' },
    },
    args: [],
    run: (ctx, v) =>
      fix(ctx, { yes: v.yes === true, dryRun: v['dry-run'] === true }),
  },
  'truncate-to-timestamp': {
    changes: true,
    options: {
      yes: { type: 'boolean', short: 'y' },
      'dry-run': { type: 'boolean' },
    },
    args: ['unix-seconds'],
    run: (ctx, v, [time]) =>
      truncateToTimestamp(
        ctx,
        parseTimestamp(time ?? '', 'truncate-to-timestamp'),
        { yes: v.yes === true, dryRun: v['dry-run'] === true },
      ),
  },
  inspect: {
    options: {
      json: { type: 'boolean' },
      limit: { type: 'string', short: 'n' },
    },
    args: [],
    run: (ctx, v) => {
      const limit = str(v.limit)
      return inspect(ctx, {
        json: v.json === true,
        limit: limit === undefined ? undefined : parseCount(limit, '--limit'),
      })
    },
  },
  stats: {
    options: {
      json: { type: 'boolean' },
      'auto-rewrite-percentage': { type: 'string' },
      'auto-rewrite-min-size': { type: 'string' },
    },
    args: [],
    run: (ctx, v) => {
      const p = str(v['auto-rewrite-percentage'])
      const m = str(v['auto-rewrite-min-size'])
      return stats(ctx, {
        json: v.json === true,
        autoRewritePercentage:
          p === undefined
            ? DEFAULT_AUTO_REWRITE_PERCENTAGE
            : parseCount(p, '--auto-rewrite-percentage'),
        autoRewriteMinSize:
          m === undefined
            ? DEFAULT_AUTO_REWRITE_MIN_SIZE
            : parseSize(m, '--auto-rewrite-min-size'),
      })
    },
  },
  rewrite: {
    changes: true,
    options: { reducer: { type: 'string' } },
    args: [],
    run: (ctx, v) => rewrite(ctx, str(v.reducer)),
  },
  export: {
    options: { reducer: { type: 'string' }, until: { type: 'string' } },
    args: [],
    run: (ctx, v) => {
      const until = str(v.until)
      return exportState(ctx, {
        reducer: str(v.reducer),
        until:
          until === undefined ? undefined : parseTimestamp(until, '--until'),
      })
    },
  },
}

/**
 * Finds the command: the first argument that is not an option. Before it only the global
 * options are allowed, so a value like `--limit 5` cannot be mistaken for the command.
 */
function splitCommand(argv: string[]): {
  before: string[]
  name: string | undefined
  rest: string[]
} {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    if (arg === '--file-name') {
      i++
      continue
    }
    if (arg.startsWith('-') && arg !== '-') {
      if (!/^(--file-name=.*|-h|--help|-v|--version)$/s.test(arg)) {
        throw new UsageError(
          `unknown option ${arg.split('=')[0]} before the command`,
        )
      }
      continue
    }
    return { before: argv.slice(0, i), name: arg, rest: argv.slice(i + 1) }
  }
  return { before: argv, name: undefined, rest: [] }
}

/** Normalizes Node's parseArgs errors ("Unknown option '--x'...") into usage errors. */
function parse(
  args: string[],
  options: Options,
): { values: Values; positionals: string[] } {
  try {
    const { values, positionals } = parseArgs({
      args,
      options,
      allowPositionals: true,
      strict: true,
    })
    return { values: values as Values, positionals }
  } catch (err) {
    throw new UsageError(
      (err as Error).message.replace(
        /\. To specify a positional argument.*$/s,
        '',
      ),
    )
  }
}

/** Explains an error from the core in the terms of the command that met it. */
function explain(ctx: Context | undefined, err: unknown): string {
  if (isAofError(err, 'AOF_LOCKED')) {
    const where = ctx ? ctx.dirArg : 'the directory'
    const module = ctx?.reducerModule
    const why =
      module === undefined
        ? 'another process holds its lock (is the app running?)'
        : `it is locked: either the app is running, or the --reducer module ${module} created the store itself when it was loaded. A reducer module must only export the reducer; move the store into another module`
    return `Refusing to change ${where}: ${why}. Nothing was changed. ${err.message}`
  }
  if (
    ctx &&
    (isAofError(err, 'AOF_CORRUPT') || isAofError(err, 'AOF_TRUNCATED')) &&
    err.file !== undefined &&
    err.line !== undefined &&
    err.offset !== undefined
  ) {
    // A read met damage after the check passed it, or a command that reads without checking
    // first (export). Named in the CLI's words, like the check does, with the command to run.
    const what =
      err.code === 'AOF_TRUNCATED'
        ? 'ends with a torn record'
        : 'holds a bad record'
    return `The store is damaged: ${basename(err.file)} ${what} at line ${err.line}, byte offset ${err.offset} (${err.code}); nothing was changed. Run "${suggest(ctx, 'check')}" for details and the repair.`
  }
  if (isAofError(err)) return err.message
  return err instanceof Error ? (err.stack ?? err.message) : String(err)
}

/** `stream`, with writes after its reader went away dropped instead of thrown. */
function dropWhenClosed(stream: OutputStream): OutputStream {
  let closed = false
  const guard = (fn: () => unknown): unknown => {
    if (closed) return true
    try {
      return fn()
    } catch (e) {
      if (!(e instanceof OutputClosed)) throw e
      closed = true
      return true
    }
  }
  return {
    get isTTY() {
      return stream.isTTY
    },
    get columns() {
      return stream.columns
    },
    write: (chunk) => guard(() => stream.write(chunk)),
    flush: () => void guard(() => stream.flush?.()),
  }
}

/** The streams of a command that changes the store: a closed output does not stop it. */
const keepGoing = (io: CliIo): CliIo => ({
  ...io,
  stdout: dropWhenClosed(io.stdout),
  stderr: dropWhenClosed(io.stderr),
})

/**
 * Runs the `aof` command line `argv` (without `node` and the script) and resolves to its exit
 * status: 0 success, 1 invalid store, refusal or failure, 2 usage error. `io` defaults to the
 * process's streams; tests pass fakes to play a terminal.
 */
export async function run(
  argv: string[],
  io: Partial<CliIo> = {},
): Promise<number> {
  const full: CliIo = {
    stdout: io.stdout ?? fdOutput(1),
    stderr: io.stderr ?? fdOutput(2),
    stdin: io.stdin ?? process.stdin,
    env: io.env ?? process.env,
    cwd: io.cwd ?? process.cwd(),
  }
  try {
    const status = await runCommand(argv, full)
    full.stdout.flush?.()
    full.stderr.flush?.()
    return status
  } catch (e) {
    // Only a command that reads gets here: its reader went away, so it has nothing left to do.
    if (e instanceof OutputClosed) return EXIT_OK
    throw e
  }
}

async function runCommand(argv: string[], full: CliIo): Promise<number> {
  const err = styleFor(full.stderr, full.env)
  let name: string | undefined
  let ctx: Context | undefined
  try {
    const split = splitCommand(argv)
    name = split.name
    const top = parse(split.before, {
      ...GLOBAL,
      version: { type: 'boolean', short: 'v' },
    })
    if (name === 'help') {
      full.stdout.write(commandHelp(split.rest[0] ?? ''))
      return EXIT_OK
    }
    if (top.values.help === true && name === undefined) {
      full.stdout.write(topHelp())
      return EXIT_OK
    }
    if (top.values.version === true) {
      full.stdout.write(`aof ${VERSION}\n`)
      return EXIT_OK
    }
    if (name === undefined) {
      full.stderr.write(topHelp())
      return EXIT_USAGE
    }
    const command = COMMANDS[name]
    if (!command) {
      name = undefined
      throw new UsageError(`unknown command "${split.name}"`)
    }
    const { values, positionals } = parse([...split.before, ...split.rest], {
      ...GLOBAL,
      ...command.options,
    })
    if (values.help === true) {
      full.stdout.write(commandHelp(name))
      return EXIT_OK
    }
    const fileName = parseFileName(str(values['file-name']))
    const [dir, ...args] = positionals
    if (dir === undefined || dir === '')
      throw new UsageError('missing <dir>: the store directory')
    const wanted = command.args
    if (args.length < wanted.length)
      throw new UsageError(`missing <${wanted[args.length]}>`)
    if (args.length > wanted.length)
      throw new UsageError(`unexpected argument "${args[wanted.length]}"`)
    const target = command.changes ? keepGoing(full) : full
    ctx = makeContext(target, dir, fileName, command.changes === true)
    return await command.run(ctx, values, args)
  } catch (e) {
    if (e instanceof OutputClosed) throw e
    if (e instanceof UsageError) {
      const helpCmd = name ? `aof ${name} --help` : 'aof --help'
      full.stderr.write(
        `${err.red(`aof${name ? ` ${name}` : ''}: ${e.message}`)}\nRun "${helpCmd}" for usage.\n`,
      )
      return EXIT_USAGE
    }
    if (e instanceof CommandFailure) {
      if (e.message)
        full.stderr.write(err.red(`aof ${name}: ${e.message}`) + '\n')
      return EXIT_FAILURE
    }
    full.stderr.write(
      err.red(`aof${name ? ` ${name}` : ''}: ${explain(ctx, e)}`) + '\n',
    )
    return EXIT_FAILURE
  }
}
