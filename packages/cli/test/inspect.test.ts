import { appendFileSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import {
  aof,
  ensureBuilt,
  hashDir,
  hasAnsi,
  holdLock,
  lastFile,
  makeStore,
  makeTimedStore,
  replaceLine,
  todos,
} from './helpers.js'

beforeAll(ensureBuilt)

type Line = { kind: string } & Record<string, unknown>
const jsonLines = (text: string): Line[] =>
  text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Line)

describe('aof inspect --json', () => {
  it('prints JSON Lines: one object per manifest entry, file and record, each with a kind', () => {
    const dir = makeStore(todos(2), {
      snapshot: { state: { n: 2 }, version: 4 },
      after: todos(3),
    })
    const r = aof(['inspect', dir, '--json'])
    expect(r.status).toBe(0)
    const all = jsonLines(r.stdout)
    // Every manifest line, history entries (a rewrite may leave one) included.
    const manifest = readFileSync(join(dir, 'appendonly.aof.manifest'), 'utf8')
      .trim()
      .split('\n')
    expect(all.filter((l) => l.kind === 'manifest').length).toBe(
      manifest.length,
    )
    // The store's kind first: what its snapshot records.
    expect(all.shift()).toEqual({ kind: 'store', logKind: null, version: 4 })
    expect(all[0]).toEqual({
      kind: 'manifest',
      name: 'appendonly.aof.1.base.aof',
      seq: 1,
      type: 'base',
    })
    const lines = all.slice(manifest.length)
    expect(lines.map((l) => l.kind)).toEqual([
      'file',
      'file',
      'record',
      'record',
      'record',
      'record',
    ])
    expect(lines[0]).toMatchObject({
      kind: 'file',
      name: 'appendonly.aof.1.base.aof',
      type: 'base',
      records: 1,
      problem: null,
    })
    expect(lines[1]).toMatchObject({
      kind: 'file',
      type: 'incr',
      records: 3,
      problem: null,
    })
    expect(lines[2]).toMatchObject({
      kind: 'record',
      file: 'appendonly.aof.1.base.aof',
      line: 1,
      offset: 0,
      value: {
        type: '@@aof/SNAPSHOT',
        payload: { n: 2 },
        meta: { version: 4 },
      },
    })
    expect(lines.slice(3).map((l) => l.value)).toEqual(todos(3))
    expect(lines.slice(3).map((l) => l.line)).toEqual([1, 2, 3])
  })

  it('shows #TS: annotations as kind "timestamp" with their time', () => {
    const dir = makeTimedStore([
      { at: 1000, records: todos(1) },
      { at: 2000, records: todos(1) },
    ])
    const lines = jsonLines(aof(['inspect', dir, '--json']).stdout).filter(
      (l) => l.kind === 'timestamp' || l.kind === 'record',
    )
    expect(
      lines.map((l) => (l.kind === 'timestamp' ? l.time : l.kind)),
    ).toEqual([1000, 'record', 2000, 'record'])
  })

  it('--limit N shows N records and says how many there are', () => {
    const dir = makeStore(todos(10))
    const lines = jsonLines(
      aof(['inspect', dir, '--json', '--limit', '3']).stdout,
    )
    expect(
      lines.filter((l) => l.kind === 'record').map((l) => l.value),
    ).toEqual(todos(3))
    expect(lines.at(-1)).toEqual({
      kind: 'limit',
      limit: 3,
      shown: 3,
      records: 10,
    })
  })

  it('on a damaged store lists the records before the problem, then the problem, exit 1, changing nothing', () => {
    const dir = makeStore(todos(5))
    replaceLine(lastFile(dir), 4, '{broken')
    const before = hashDir(dir)
    const r = aof(['inspect', dir, '--json'])
    expect(r.status).toBe(1)
    const lines = jsonLines(r.stdout)
    expect(lines.filter((l) => l.kind === 'record').length).toBe(3)
    expect(lines.at(-1)).toMatchObject({
      kind: 'problem',
      code: 'AOF_CORRUPT',
      file: 'appendonly.aof.1.incr.aof',
      line: 4,
    })
    expect(hashDir(dir)).toEqual(before)
  })
})

describe('aof inspect (text)', () => {
  it('prints the manifest, the files and the records as plain text when piped', () => {
    const dir = makeStore(todos(3))
    const r = aof(['inspect', dir])
    expect(r.status).toBe(0)
    expect(hasAnsi(r.stdout + r.stderr)).toBe(false)
    expect(r.stdout).toContain('Manifest ')
    expect(r.stdout).toMatch(/1\s+incr\s+appendonly\.aof\.1\.incr\.aof/)
    expect(r.stdout).toContain('Records in appendonly.aof.1.incr.aof')
    expect(r.stdout).toMatch(/LINE\s+OFFSET\s+BYTES\s+RECORD/)
    expect(r.stdout).toContain(JSON.stringify(todos(3)[2]))
  })

  it('--limit says how many records it left out', () => {
    const dir = makeStore(todos(7))
    const r = aof(['inspect', dir, '-n', '2'])
    expect(r.stdout).toContain(JSON.stringify(todos(7)[1]))
    expect(r.stdout).not.toContain(JSON.stringify(todos(7)[2]))
    expect(r.stdout).toContain('5 more of 7 records not shown (--limit 2)')
  })

  it('names the problem of a torn store and takes no lock', async () => {
    const dir = makeStore(todos(2))
    const holder = await holdLock(dir)
    try {
      appendFileSync(lastFile(dir), '{"to')
      const r = aof(['inspect', dir])
      expect(r.status).toBe(1)
      expect(r.stdout).toContain('AOF_TRUNCATED at line 3')
      expect(r.stdout).toContain(`run "aof fix ${dir}"`)
    } finally {
      await holder.release()
    }
  })

  it('rejects a --limit that is not a count with exit 2', () => {
    const dir = makeStore(todos(1))
    const r = aof(['inspect', dir, '--limit', 'many'])
    expect(r.status).toBe(2)
    expect(r.stderr).toContain('--limit must be a non-negative integer')
  })
})

describe('aof stats', () => {
  it('prints sizes, counts and growth, and no rewrite is due below the default minimum size', () => {
    const dir = makeStore(todos(3), {
      snapshot: { state: { n: 3 }, version: 0 },
      after: todos(4),
    })
    const r = aof(['stats', dir])
    expect(r.status).toBe(0)
    expect(r.stdout).toMatch(/Records\s+5 \(base 1, incr 4\)/)
    expect(r.stdout).toContain('No rewrite is due')
    expect(r.stdout).toContain('min size 4194304 bytes')
  })

  it("says a rewrite is due by Redis's rule: above the minimum size and grown by the percentage over the base", () => {
    const dir = makeStore(todos(1), {
      snapshot: { state: { n: 1 }, version: 0 },
      after: todos(40),
    })
    const s = JSON.parse(
      aof(['stats', dir, '--json', '--auto-rewrite-min-size', '10']).stdout,
    ) as Record<string, number | boolean>
    const base = statSync(`${dir}/appendonly.aof.1.base.aof`).size
    const incr = statSync(`${dir}/appendonly.aof.2.incr.aof`).size
    expect(s).toMatchObject({
      baseSize: base,
      incrSize: incr,
      currentSize: base + incr,
      records: 41,
      rewriteDue: true,
    })
    expect(s.growthPercentage).toBe(
      Math.floor(((base + incr) * 100) / base) - 100,
    )

    const high = JSON.parse(
      aof([
        'stats',
        dir,
        '--json',
        '--auto-rewrite-min-size',
        '10',
        '--auto-rewrite-percentage',
        String((s.growthPercentage as number) + 1),
      ]).stdout,
    ) as Record<string, unknown>
    expect(high.rewriteDue).toBe(false)
    const atMin = JSON.parse(
      aof([
        'stats',
        dir,
        '--json',
        '--auto-rewrite-min-size',
        String(base + incr),
      ]).stdout,
    ) as Record<string, unknown>
    expect(atMin.rewriteDue).toBe(false)
    const off = aof([
      'stats',
      dir,
      '--auto-rewrite-min-size',
      '1kb',
      '--auto-rewrite-percentage',
      '0',
    ])
    expect(off.stdout).toContain('automatic rewrites are disabled')
  })

  it('accepts redis.conf size units and rejects others with exit 2', () => {
    const dir = makeStore(todos(1))
    const s = JSON.parse(
      aof(['stats', dir, '--json', '--auto-rewrite-min-size', '64mb']).stdout,
    ) as Record<string, unknown>
    expect(s.autoRewriteMinSize).toBe(64 * 1024 * 1024)
    expect(aof(['stats', dir, '--auto-rewrite-min-size', 'lots']).status).toBe(
      2,
    )
  })

  it('never writes, and exits 1 naming the problem of a damaged store', () => {
    const dir = makeStore(todos(2))
    appendFileSync(lastFile(dir), '{"x')
    const before = hashDir(dir)
    const r = aof(['stats', dir])
    expect(r.status).toBe(1)
    expect(r.stdout).toContain('AOF_TRUNCATED')
    expect(hashDir(dir)).toEqual(before)
  })

  it('on a store without a base says so instead of a growth percentage, and a rewrite is due above the minimum size', () => {
    const dir = makeStore(todos(40))
    const r = aof(['stats', dir, '--auto-rewrite-min-size', '100'])
    expect(r.status).toBe(0)
    expect(r.stdout).toMatch(
      /\nGrowth since base {2}no base yet \(the log has not been rewritten\)\n/,
    )
    expect(r.stdout).not.toMatch(/\d{4,}%/)
    expect(r.stdout).toMatch(
      /\nA rewrite is due: there is no base yet and the current size \d+ bytes \(\d\.\d KiB\) is above the minimum 100 bytes\. Run "aof rewrite \S+" or let the app compact it\.\n/,
    )
    const json = JSON.parse(aof(['stats', dir, '--json']).stdout) as Record<
      string,
      unknown
    >
    expect(json.growthPercentage).toBeNull()
    expect(json.rewriteDue).toBe(false)
  })
})
