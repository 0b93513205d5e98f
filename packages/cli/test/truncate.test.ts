import { readFileSync } from 'node:fs'
import { beforeAll, describe, expect, it } from 'vitest'
import {
  aof,
  aofOnTerminal,
  ensureBuilt,
  hasScript,
  hashDir,
  holdLock,
  lastFile,
  linesOf,
  makeStore,
  makeTimedStore,
} from './helpers.js'

beforeAll(ensureBuilt)

const add = (text: string) => ({ type: 'todos/added', payload: text })

/** a, b at 1000; c, d at 2000; e at 3000. */
const timed = () =>
  makeTimedStore([
    { at: 1000, records: [add('a'), add('b')] },
    { at: 2000, records: [add('c'), add('d')] },
    { at: 3000, records: [add('e')] },
  ])

describe('aof truncate-to-timestamp', () => {
  it('cuts the last file at the first #TS: annotation later than the time and says what it cut', () => {
    const dir = timed()
    const file = lastFile(dir)
    expect(linesOf(file)).toEqual([
      '#TS:1000',
      JSON.stringify(add('a')),
      JSON.stringify(add('b')),
      '#TS:2000',
      JSON.stringify(add('c')),
      JSON.stringify(add('d')),
      '#TS:3000',
      JSON.stringify(add('e')),
    ])
    const r = aof(['truncate-to-timestamp', dir, '1999', '--yes'])
    expect(r.stderr).toBe('')
    expect(r.status).toBe(0)
    expect(r.stdout).toMatch(
      /^This will shrink the AOF appendonly\.aof\.1\.incr\.aof from \d+ bytes to 83 bytes, removing \d+ bytes: lines 4 to 8 \(5 lines\), cutting at the first #TS: annotation later than 1999 \(1970-01-01T00:33:19Z\)\n/,
    )
    expect(r.stdout).toContain(
      'Successfully truncated AOF appendonly.aof.1.incr.aof to timestamp 1999 (1970-01-01T00:33:19Z): now 83 bytes',
    )
    expect(linesOf(file)).toEqual([
      '#TS:1000',
      JSON.stringify(add('a')),
      JSON.stringify(add('b')),
    ])
    expect(aof(['check', dir]).status).toBe(0)
  })

  it('keeps the records of the given second itself (only later annotations cut)', () => {
    const dir = timed()
    expect(aof(['truncate-to-timestamp', dir, '2000', '--yes']).status).toBe(0)
    expect(
      linesOf(lastFile(dir)).filter((l) => !l.startsWith('#')).length,
    ).toBe(4)
  })

  it('cuts nothing and exits 0 when no annotation is later', () => {
    const dir = timed()
    const before = hashDir(dir)
    const r = aof(['truncate-to-timestamp', dir, '3000'])
    expect(r.status).toBe(0)
    expect(r.stdout).toContain('Truncate nothing')
    expect(hashDir(dir)).toEqual(before)
  })

  it('refuses when the cut would leave the last file empty', () => {
    const dir = timed()
    const before = hashDir(dir)
    const r = aof(['truncate-to-timestamp', dir, '999'])
    expect(r.status).toBe(1)
    expect(r.stderr).toMatch(/empty/)
    expect(hashDir(dir)).toEqual(before)
  })

  it('refuses when the annotation is not in the last file', () => {
    const dir = makeTimedStore([
      { at: 1000, records: [add('a')] },
      { at: 2000, rewrite: { state: ['a'], version: 1 } },
      { at: 3000, records: [add('b')] },
    ])
    const before = hashDir(dir)
    const r = aof(['truncate-to-timestamp', dir, '1500'])
    expect(r.status).toBe(1)
    expect(r.stderr).toMatch(/not the last file/)
    expect(hashDir(dir)).toEqual(before)
  })

  it('fails with exit 1 on a log without #TS: annotations, saying how to get them', () => {
    const dir = makeStore([add('a'), add('b')])
    const r = aof(['truncate-to-timestamp', dir, '1000'])
    expect(r.status).toBe(1)
    expect(r.stderr).toContain('no #TS: annotations')
    expect(r.stderr).toContain('timestamps: true')
  })

  it('--dry-run says what it would cut and changes nothing', () => {
    const dir = timed()
    const before = hashDir(dir)
    const r = aof(['truncate-to-timestamp', dir, '1999', '--dry-run'])
    expect(r.status).toBe(0)
    expect(r.stdout).toContain('Dry run: nothing was changed.')
    expect(hashDir(dir)).toEqual(before)
  })

  it('rejects a timestamp that is not unix seconds, or none, with exit 2', () => {
    const dir = timed()
    for (const args of [
      ['truncate-to-timestamp', dir, 'yesterday'],
      ['truncate-to-timestamp', dir, '-5'],
      ['truncate-to-timestamp', dir],
    ]) {
      const r = aof(args)
      expect(r.status, args.join(' ')).toBe(2)
      expect(r.stderr).toContain('aof truncate-to-timestamp --help')
    }
  })

  it('refuses a directory another process holds the lock on', async () => {
    const dir = timed()
    const holder = await holdLock(dir)
    try {
      const before = readFileSync(lastFile(dir))
      const r = aof(['truncate-to-timestamp', dir, '1999', '--yes'])
      expect(r.status).toBe(1)
      expect(r.stderr).toContain('another process holds its lock')
      expect(readFileSync(lastFile(dir))).toEqual(before)
    } finally {
      await holder.release()
    }
  })

  it('removes data, so it follows the rule of aof fix: without a terminal and without --yes it refuses, changing nothing', () => {
    const dir = timed()
    const before = hashDir(dir)
    const r = aof(['truncate-to-timestamp', dir, '1999'], { input: 'y\n' })
    expect(r.status).toBe(1)
    expect(r.stdout).toContain('This will shrink the AOF')
    expect(r.stderr).toBe(
      'aof truncate-to-timestamp: Refusing to change appendonly.aof.1.incr.aof without confirmation: standard input is not a terminal. ' +
        'Re-run with --yes to go ahead, or with --dry-run to see what would be removed; nothing was changed.\n',
    )
    expect(hashDir(dir)).toEqual(before)
  })

  it.runIf(hasScript)(
    'on a terminal asks "Continue? [y/N]" and cuts only after y',
    () => {
      const dir = timed()
      const before = hashDir(dir)
      const no = aofOnTerminal(['truncate-to-timestamp', dir, '1999'], 'n\n')
      expect(no.stdout).toContain('Continue? [y/N]')
      expect(no.stdout).toContain('Aborted: nothing was changed.')
      expect(no.status).toBe(1)
      expect(hashDir(dir)).toEqual(before)
      const yes = aofOnTerminal(['truncate-to-timestamp', dir, '1999'], 'y\n')
      expect(yes.status).toBe(0)
      expect(linesOf(lastFile(dir)).length).toBe(3)
    },
  )
})
