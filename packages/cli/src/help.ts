/** Help of one command: what `aof <command> --help` prints. */
export interface CommandHelp {
  usage: string
  summary: string
  description: string
  options: [string, string][]
  exit?: string
}

const FILE_NAME: [string, string] = [
  '--file-name <name>',
  "prefix of the store's files (default: appendonly.aof)",
]
const HELP: [string, string] = ['-h, --help', 'show this help']
const EXIT =
  'Exit status: 0 valid, 1 the store is not valid (the first problem is named), 2 usage error.'

/** The help of every command, in the order the top-level help lists them. */
export const COMMAND_HELP: Record<string, CommandHelp> = {
  check: {
    usage: 'aof check <dir>',
    summary: 'validate the manifest and every file it lists',
    description:
      'Validates the manifest and every base and incr file it lists, and prints per file its type,\n' +
      'size, record count and the last good offset and line. Read-only: it takes no lock and repairs\n' +
      'nothing, so it is safe while the app runs. Names the file, line and byte offset of the first\n' +
      'problem and the command that repairs it.',
    options: [FILE_NAME, HELP],
    exit: EXIT,
  },
  fix: {
    usage: 'aof fix <dir> [--yes] [--dry-run]',
    summary:
      'cut a torn or bad tail of the last file back to its last good record',
    description:
      'Cuts a torn or bad tail of the last incr file back to its last good record (like\n' +
      'redis-check-aof --fix). Says first how many bytes it removes; on a terminal it asks before\n' +
      'cutting, without a terminal it refuses unless --yes is given. Refuses, changing nothing, when\n' +
      "the damage is not in the last file, and when another process holds the directory's lock.\n" +
      'Every record before the damage is kept; after garbage in the middle of the last file, the\n' +
      'records behind it are removed too (the message counts the lines).',
    options: [
      ['-y, --yes', 'cut without asking (needed without a terminal)'],
      ['--dry-run', 'say what would be cut and change nothing'],
      FILE_NAME,
      HELP,
    ],
    exit: 'Exit status: 0 fixed or nothing to fix, 1 refused, aborted or failed, 2 usage error.',
  },
  'truncate-to-timestamp': {
    usage: 'aof truncate-to-timestamp <dir> <unix-seconds> [--yes] [--dry-run]',
    summary:
      'point-in-time recovery: cut the log at the first #TS: later than a time',
    description:
      'Point-in-time recovery with redis-check-aof --truncate-to-timestamp semantics: cuts the last\n' +
      'file at the first #TS: annotation later than the given unix time. Needs a log written with\n' +
      '`timestamps: true`. It removes records, so like aof fix it says first what it would cut; on a\n' +
      'terminal it asks before cutting, without a terminal it refuses unless --yes is given. Refuses\n' +
      'when that annotation is not in the last file, when the cut would leave the last file empty,\n' +
      'and when another process holds the lock.',
    options: [
      ['-y, --yes', 'cut without asking (needed without a terminal)'],
      ['--dry-run', 'say what would be cut and change nothing'],
      FILE_NAME,
      HELP,
    ],
    exit: 'Exit status: 0 cut or nothing to cut, 1 refused, aborted or failed, 2 usage error (a bad timestamp).',
  },
  inspect: {
    usage: 'aof inspect <dir> [--json] [--limit N]',
    summary: 'show the manifest, the files and the records',
    description:
      'Shows the manifest, the files and the records: tables on a terminal, plain text when piped,\n' +
      'JSON Lines with --json (one object per line with a "kind": manifest, file, record,\n' +
      'timestamp, limit, problem). Read-only and lock-free; on a damaged store it shows the records\n' +
      'before the problem, then the problem.',
    options: [
      ['--json', 'print JSON Lines'],
      ['-n, --limit <N>', 'show at most N records'],
      FILE_NAME,
      HELP,
    ],
    exit: EXIT,
  },
  stats: {
    usage:
      'aof stats <dir> [--auto-rewrite-percentage P] [--auto-rewrite-min-size BYTES] [--json]',
    summary: 'sizes, record counts, growth and whether a rewrite is due',
    description:
      'Prints the sizes of the base and incr files, the record counts, the growth since the base,\n' +
      "and whether an automatic rewrite is due by Redis's rule: current size > min size and\n" +
      'growth over the base >= percentage (current = base + incr sizes). Read-only and lock-free.',
    options: [
      [
        '--auto-rewrite-percentage <P>',
        'growth that triggers a rewrite; 0 disables (default: 100)',
      ],
      [
        '--auto-rewrite-min-size <BYTES>',
        'no rewrite below this size; accepts 4mb, 64mb (default: 4mb)',
      ],
      ['--json', 'print one JSON object'],
      FILE_NAME,
      HELP,
    ],
    exit: EXIT,
  },
  rewrite: {
    usage: 'aof rewrite <dir> [--reducer <module>]',
    summary: 'compact the log offline into one snapshot action',
    description:
      'Compacts the log into one snapshot action, keeping the stored version, while the app is not\n' +
      "running. Zustand patch logs need nothing else. Redux action logs need the app's plain root\n" +
      'reducer: a TypeScript, ESM or CommonJS module (.ts, .mts, .cts, .js, .mjs, .cjs; its default\n' +
      'export or an export named "reducer"), loaded as it is, without a build. The module must only\n' +
      "export the reducer, not create the store. The log is replayed from the reducer's initial\n" +
      'state, applying snapshot actions as withAof does.\n' +
      'Refuses a damaged store (run aof fix first) and a directory another process holds the lock on.',
    options: [
      ['--reducer <module>', "the app's root reducer module (Redux logs)"],
      FILE_NAME,
      HELP,
    ],
    exit: 'Exit status: 0 rewritten or nothing to rewrite, 1 refused or failed, 2 usage error.',
  },
  export: {
    usage: 'aof export <dir> [--reducer <module>] [--until <unix-seconds>]',
    summary: 'print the rebuilt state as JSON, optionally at a point in time',
    description:
      'Rebuilds the state from the log and prints it as JSON on stdout. With --until, stops at the\n' +
      'first #TS: annotation later than the given unix time: the state as it was then (needs a log\n' +
      'written with `timestamps: true`). Redux action logs need --reducer, as for aof rewrite.\n' +
      'Read-only and lock-free.',
    options: [
      ['--reducer <module>', "the app's root reducer module (Redux logs)"],
      ['--until <unix-seconds>', 'the state as of this time'],
      FILE_NAME,
      HELP,
    ],
    exit: 'Exit status: 0 printed, 1 the store is damaged or holds no such point in time, 2 usage error.',
  },
}

const optionLines = (options: [string, string][]): string[] => {
  const width = Math.max(...options.map(([flag]) => flag.length))
  return options.map(([flag, text]) => `  ${flag.padEnd(width)}  ${text}`)
}

/** `aof <command> --help` */
export function commandHelp(name: string): string {
  const h = COMMAND_HELP[name]
  if (!h) return topHelp()
  return [
    `Usage: ${h.usage}`,
    '',
    h.description,
    '',
    'Options:',
    ...optionLines(h.options),
    '',
    ...(h.exit ? [h.exit, ''] : []),
  ].join('\n')
}

/** `aof --help` */
export function topHelp(): string {
  const names = Object.keys(COMMAND_HELP)
  const width = Math.max(...names.map((n) => n.length))
  return [
    'Usage: aof <command> <dir> [options]',
    '',
    'Check, repair, inspect and compact an aof-persist store directory (the files',
    '<file-name>.manifest, <file-name>.<seq>.base.aof and <file-name>.<seq>.incr.aof).',
    '',
    'Commands:',
    ...names.map((n) => `  ${n.padEnd(width)}  ${COMMAND_HELP[n]!.summary}`),
    '',
    'Options:',
    ...optionLines([
      FILE_NAME,
      ['-h, --help', 'show help (also: aof <command> --help)'],
      ['-v, --version', 'print the version'],
    ]),
    '',
    'check, inspect, stats and export never write and never take the lock; fix,',
    'truncate-to-timestamp and rewrite refuse a directory another process holds the lock on.',
    'fix and truncate-to-timestamp remove records: they say what they would remove, then ask on',
    'a terminal; without one they refuse unless --yes is given (--dry-run only says).',
    'Exit status: 0 ok, 1 invalid store, refused or failed, 2 usage error.',
    '',
  ].join('\n')
}
