import * as fs from 'node:fs'
import * as path from 'node:path'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { openAof, type AofError } from '../src/index.js'
import { isRewriteDue, rewriteDueSize } from '../src/options.js'
import { stringifyInSlices } from '../src/stringify.js'
import { ls, nextTurn, read, tempDir } from './helpers.js'

async function sliced(
  value: unknown,
  sliceMs = 8,
): Promise<string | undefined> {
  let out = ''
  const wrote = await stringifyInSlices(value, (s) => (out += s), sliceMs)
  return wrote ? out : undefined
}

describe('stringifyInSlices', () => {
  it('produces exactly what JSON.stringify produces, for any JSON-ish value', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.anything({
          maxDepth: 6,
          withNullPrototype: true,
          withBoxedValues: true,
          withDate: true,
          withSparseArray: true,
        }),
        async (value) => {
          let expected: string | undefined
          try {
            expected = JSON.stringify(value)
          } catch {
            return // BigInt etc.: covered below
          }
          expect(await sliced(value, 0)).toBe(expected)
        },
      ),
      { numRuns: 500 },
    )
  })

  it('matches JSON.stringify on large arrays and objects with toJSON, undefined and functions', async () => {
    const value = {
      items: Array.from({ length: 1000 }, (_, i) => ({
        id: i,
        text: `t${i}`,
        done: i % 2 === 0,
        at: i % 7 === 0 ? new Date(i) : undefined,
        f: () => 1,
      })),
      nested: {
        a: [undefined, () => 1, Symbol('s'), NaN, -0, Infinity],
        b: { toJSON: (k: string) => `key:${k}` },
      },
      big: Object.fromEntries(
        Array.from({ length: 100 }, (_, i) => [`k${i}`, [i, { x: i }]]),
      ),
    }
    expect(await sliced(value, 0)).toBe(JSON.stringify(value))
  })

  it('throws like JSON.stringify on cycles and BigInt', async () => {
    const cyclic: Record<string, unknown> = {
      list: Array.from({ length: 50 }, (_, i) => ({ i })),
    }
    ;(cyclic.list as unknown[]).push(cyclic)
    await expect(sliced(cyclic)).rejects.toThrow(TypeError)
    await expect(
      sliced({ list: Array.from({ length: 50 }, () => ({ n: 1n })) }),
    ).rejects.toThrow(TypeError)
  })

  it('lets the event loop turn while serializing a large state', async () => {
    const state = {
      todos: Array.from({ length: 200_000 }, (_, i) => ({
        id: i,
        text: `todo number ${i}`,
        done: false,
      })),
    }
    let turns = 0
    const ticker = setInterval(() => turns++, 0)
    await sliced(state, 1)
    clearInterval(ticker)
    expect(turns).toBeGreaterThan(1)
  })
})

describe('rewrite', () => {
  it('keeps appends made while the rewrite runs', async () => {
    const dir = tempDir()
    const aof = openAof({ dir })
    const state = {
      todos: Array.from({ length: 100_000 }, (_, i) => ({
        id: i,
        done: false,
      })),
    }
    aof.append({ type: 'before' })
    const done = aof.rewrite({ type: '@@aof/SNAPSHOT', payload: state })
    expect(aof.stats().rewriteInProgress).toBe(true)
    aof.append({ type: 'during-1' })
    await nextTurn()
    aof.append({ type: 'during-2' })
    await done
    aof.append({ type: 'after' })
    await aof.close()
    const again = openAof({ dir })
    const records = [...again.records()] as { type: string }[]
    again.closeSync()
    expect(records.map((r) => r.type)).toEqual([
      '@@aof/SNAPSHOT',
      'during-1',
      'during-2',
      'after',
    ])
    expect(
      (records[0] as unknown as { payload: typeof state }).payload,
    ).toEqual(state)
  })

  it('rejects a second rewrite while one runs with AOF_REWRITE_IN_PROGRESS', async () => {
    const dir = tempDir()
    const aof = openAof({ dir })
    const first = aof.rewrite({
      big: Array.from({ length: 50_000 }, (_, i) => ({ i })),
    })
    await expect(aof.rewrite({ x: 1 })).rejects.toMatchObject({
      code: 'AOF_REWRITE_IN_PROGRESS',
    })
    await first
    await aof.close()
  })

  it('a failed rewrite leaves the previous files loadable and reports err', async () => {
    const dir = tempDir()
    const aof = openAof({ dir })
    aof.append({ n: 1 })
    await expect(aof.rewrite({ bad: 1n })).rejects.toMatchObject({
      code: 'AOF_NOT_SERIALIZABLE',
    })
    expect(aof.stats()).toMatchObject({
      lastRewriteStatus: 'err',
      rewritesConsecutiveFailures: 1,
      rewriteInProgress: false,
    })
    aof.append({ n: 2 })
    await aof.close()
    expect(ls(dir).filter((f) => f.startsWith('temp-'))).toEqual([])
    const again = openAof({ dir })
    expect([...again.records()]).toEqual([{ n: 1 }, { n: 2 }])
    again.closeSync()
  })

  it('rewriteSync is durable when it returns', () => {
    const dir = tempDir()
    const aof = openAof({ dir, fsync: 'always' })
    aof.append({ n: 1 })
    aof.rewriteSync({ snap: true })
    expect(read(dir, 'appendonly.aof.manifest')).toBe(
      'file appendonly.aof.1.base.aof seq 1 type b\nfile appendonly.aof.2.incr.aof seq 2 type i\n',
    )
    expect(read(dir, 'appendonly.aof.1.base.aof')).toBe('{"snap":true}\n')
    aof.closeSync()
  })

  it('closeSync during a rewrite abandons it and leaves a loadable store', async () => {
    const dir = tempDir()
    const aof = openAof({ dir })
    aof.append({ n: 1 })
    const p = aof.rewrite({
      big: Array.from({ length: 300_000 }, (_, i) => ({ i })),
    })
    aof.append({ n: 2 })
    aof.closeSync()
    await expect(p).rejects.toBeDefined()
    const again = openAof({ dir })
    expect([...again.records()]).toEqual([{ n: 1 }, { n: 2 }])
    again.closeSync()
    expect(ls(dir).filter((f) => f.startsWith('temp-'))).toEqual([])
  })

  it('stats: currentSize equals the files on disk after flush, baseSize follows the base', async () => {
    const dir = tempDir()
    const aof = openAof({ dir })
    for (let i = 0; i < 50; i++) aof.append({ i })
    aof.flush()
    const onDisk = () =>
      ls(dir)
        .filter((f) => f.endsWith('.aof'))
        .reduce((n, f) => n + fs.statSync(path.join(dir, f)).size, 0)
    expect(aof.stats().currentSize).toBe(onDisk())
    await aof.rewrite({ snapshot: 50 })
    aof.append({ i: 51 })
    aof.flush()
    const s = aof.stats()
    expect(s.currentSize).toBe(onDisk())
    expect(s).toMatchObject({
      rewrites: 1,
      lastRewriteStatus: 'ok',
      rewriteInProgress: false,
    })
    expect(s.baseSize).toBe(
      fs.statSync(path.join(dir, 'appendonly.aof.1.base.aof')).size,
    )
    expect(s.lastRewriteTimeMs).toBeGreaterThanOrEqual(0)
    await aof.close()
  })
})

describe('automatic rewrite', () => {
  it('starts when the log is over autoRewriteMinSize and has grown autoRewritePercentage over the base', async () => {
    const dir = tempDir()
    let count = 0
    let snapshots = 0
    const aof = openAof({
      dir,
      autoRewriteMinSize: 1000,
      autoRewritePercentage: 100,
      snapshot: (): unknown => {
        snapshots++
        return { type: '@@aof/SNAPSHOT', payload: count }
      },
    })
    while (aof.stats().rewrites === 0) {
      count++
      aof.append({ type: 'inc' })
      await nextTurn()
    }
    while (aof.stats().rewriteInProgress) await nextTurn()
    expect(snapshots).toBe(1)
    expect(aof.stats().files.map((f) => f.type)).toEqual(['base', 'incr'])
    // Replaying base + incr gives the count: nothing missing, nothing counted twice.
    for (let i = 0; i < 5; i++) {
      count++
      aof.append({ type: 'inc' })
    }
    await aof.close()
    const again = openAof({ dir })
    let replayed = 0
    for (const r of again.records() as Iterable<{
      type: string
      payload?: number
    }>) {
      replayed = r.type === '@@aof/SNAPSHOT' ? r.payload! : replayed + 1
    }
    again.closeSync()
    expect(replayed).toBe(count)
  })

  it('skips the check only below a size where the rule cannot be met (rewriteDueSize errs low)', () => {
    fc.assert(
      fc.property(
        fc.nat({ max: 2 ** 40 }),
        fc.integer({ min: 1, max: 1000 }),
        fc.nat({ max: 2 ** 30 }),
        (baseSize, autoRewritePercentage, autoRewriteMinSize) => {
          const o = { autoRewritePercentage, autoRewriteMinSize }
          const at = rewriteDueSize(baseSize, o)
          const due = (currentSize: number) =>
            isRewriteDue({ currentSize, baseSize, ...o })
          expect(due(at - 1)).toBe(false)
          expect(due(Math.floor(at / 2))).toBe(false)
          // ...and it is no more than 2 bytes low.
          expect(due(at + 2)).toBe(true)
        },
      ),
    )
    const never = { autoRewritePercentage: 0, autoRewriteMinSize: 0 }
    expect(rewriteDueSize(100, never)).toBe(Infinity)
  })

  it('starts at the first turn past the size, after a rewrite moved the base too', async () => {
    const dir = tempDir()
    const aof = openAof({
      dir,
      timestamps: false,
      autoRewriteMinSize: 100,
      autoRewritePercentage: 100,
      snapshot: () => ({ type: 'snap' }),
    })
    const line = { type: 'x'.repeat(19) } // 31 bytes with its newline
    for (let round = 0; round < 2; round++) {
      const rewrites = aof.stats().rewrites
      let appended = 0
      while (aof.stats().rewrites === rewrites) {
        const before = aof.stats()
        expect(before.rewriteInProgress).toBe(false)
        // Not due yet (the rule on the size before this append): no rewrite has started.
        expect(
          isRewriteDue({
            currentSize: before.currentSize,
            baseSize: before.baseSize,
            autoRewritePercentage: 100,
            autoRewriteMinSize: 100,
          }),
        ).toBe(false)
        aof.append(line)
        appended++
        await nextTurn()
        while (aof.stats().rewriteInProgress) await nextTurn()
      }
      expect(appended).toBeGreaterThan(1)
    }
    await aof.close()
  })

  it('never starts with autoRewritePercentage 0 or without snapshot', async () => {
    const dir = tempDir()
    const a = openAof({
      dir,
      autoRewriteMinSize: 10,
      autoRewritePercentage: 0,
      snapshot: () => ({}),
    })
    for (let i = 0; i < 100; i++) a.append({ i })
    await nextTurn()
    await nextTurn()
    expect(a.stats().rewrites).toBe(0)
    await a.close()
  })

  it('backs off after three failures in a row and reports each to onError', async () => {
    const dir = tempDir()
    const errors: AofError[] = []
    const aof = openAof({
      dir,
      autoRewriteMinSize: 10,
      snapshot: (): unknown => ({ bad: 1n }),
      onError: (e) => errors.push(e),
    })
    for (let i = 0; i < 50; i++) {
      aof.append({ i })
      await nextTurn()
    }
    // 3 failures, then the next try waits a minute.
    expect(aof.stats().rewritesConsecutiveFailures).toBe(3)
    expect(errors.map((e) => e.code)).toEqual([
      'AOF_NOT_SERIALIZABLE',
      'AOF_NOT_SERIALIZABLE',
      'AOF_NOT_SERIALIZABLE',
    ])
    await aof.close()
  })
})

describe('records()', () => {
  it('reads lines longer than the read buffer', async () => {
    const dir = tempDir()
    const aof = openAof({ dir })
    const big = 'x'.repeat(3 * 1024 * 1024)
    aof.append({ n: 1 })
    aof.append({ big })
    aof.append({ n: 2 })
    await aof.close()
    const again = openAof({ dir })
    expect([...again.records()]).toEqual([{ n: 1 }, { big }, { n: 2 }])
    again.closeSync()
  })

  it('timestamps: writes #TS annotations, which records() skips', async () => {
    const dir = tempDir()
    const aof = openAof({ dir, timestamps: true })
    aof.append({ n: 1 })
    aof.append({ n: 2 })
    aof.flush()
    expect(read(dir, 'appendonly.aof.1.incr.aof')).toMatch(
      /^#TS:\d+\n\{"n":1\}\n\{"n":2\}\n$/,
    )
    await aof.rewrite({ snap: 1 })
    await aof.close()
    expect(read(dir, 'appendonly.aof.1.base.aof')).toMatch(
      /^#TS:\d+\n\{"snap":1\}\n$/,
    )
    const again = openAof({ dir })
    expect([...again.records()]).toEqual([{ snap: 1 }])
    again.closeSync()
  })

  it('batch: appends inside share one write', async () => {
    const dir = tempDir()
    const aof = openAof({ dir, fsync: 'always' })
    aof.batch(() => {
      aof.append({ n: 1 })
      aof.append({ n: 2 })
      expect(read(dir, 'appendonly.aof.1.incr.aof')).toBe('')
    })
    expect(read(dir, 'appendonly.aof.1.incr.aof')).toBe('{"n":1}\n{"n":2}\n')
    aof.closeSync()
  })
})
