import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { aof, CLI_DIR, ensureBuilt, hashDir, makeStore } from './helpers.js'

beforeAll(ensureBuilt)

const COMMANDS = [
  'check',
  'fix',
  'truncate-to-timestamp',
  'inspect',
  'stats',
  'rewrite',
  'export',
]

describe('help and version', () => {
  it('aof --help lists every command on stdout, exit 0', () => {
    for (const flag of ['--help', '-h']) {
      const r = aof([flag])
      expect(r.status).toBe(0)
      expect(r.stdout).toContain('Usage: aof <command> <dir>')
      for (const name of COMMANDS)
        expect(r.stdout).toMatch(new RegExp(`^  ${name}\\s`, 'm'))
    }
  })

  it.each(COMMANDS)(
    'aof %s --help (also -h and aof help <command>) prints its usage and options, exit 0',
    (name) => {
      for (const args of [
        [name, '--help'],
        [name, '-h'],
        ['help', name],
        [name, 'some-dir', '--help'],
      ]) {
        const r = aof(args)
        expect(r.status, args.join(' ')).toBe(0)
        expect(r.stdout).toContain(`Usage: aof ${name}`)
        expect(r.stdout).toContain('--file-name <name>')
        expect(r.stdout).toContain('Exit status:')
      }
    },
  )

  it('aof --version prints the package version', () => {
    const { version } = JSON.parse(
      readFileSync(join(CLI_DIR, 'package.json'), 'utf8'),
    ) as { version: string }
    const r = aof(['--version'])
    expect(r.status).toBe(0)
    expect(r.stdout.trim()).toBe(`aof ${version}`)
  })
})

describe('usage errors exit 2 and point at --help', () => {
  it.each([
    [[], 'Usage: aof <command>'],
    [['frobnicate', 'x'], 'unknown command "frobnicate"'],
    [['check'], 'missing <dir>'],
    [['check', 'a', 'b'], 'unexpected argument "b"'],
    [['check', '.', '--bogus'], "Unknown option '--bogus'"],
    [
      ['--limit', '3', 'inspect', '.'],
      'unknown option --limit before the command',
    ],
    [['check', '.', '--file-name', 'a/b.aof'], "--file-name can't be a path"],
    [['check', '.', '--file-name', ''], "--file-name can't be empty"],
    [
      ['inspect', '.', '--limit'],
      "Option '-n, --limit <value>' argument missing",
    ],
  ])('aof %j', (args, message) => {
    const r = aof(args as string[])
    expect(r.status).toBe(2)
    expect(r.stderr).toContain(message)
    expect(r.stdout).toBe('')
  })

  it('a usage error changes nothing, also for commands that write', () => {
    const d = makeStore([{ type: 'x' }])
    const before = hashDir(d)
    expect(aof(['fix', d, '--yes', '--bogus']).status).toBe(2)
    expect(aof(['rewrite', d, 'extra']).status).toBe(2)
    expect(aof(['truncate-to-timestamp', d, 'soon']).status).toBe(2)
    expect(hashDir(d)).toEqual(before)
  })

  it('accepts --file-name before the command too', () => {
    const d = makeStore([{ type: 'x' }], { fileName: 'app.aof' })
    const r = aof(['--file-name', 'app.aof', 'check', d])
    expect(r.status).toBe(0)
    expect(aof(['--file-name=app.aof', 'check', d]).status).toBe(0)
  })
})
