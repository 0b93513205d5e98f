// On a storage whose file names are not durable (OPFS), a power loss can keep a manifest that
// lists files whose names were lost. Such a store opens as a prefix of its log (lostNames.ts);
// on a storage with durable names the same damage is still refused.
import { afterEach, describe, expect, it, vi } from 'vitest'
import { memoryStorage, openAof, type AofError } from '../src/index.js'
import { NAME_SETTLE_MS } from '../src/lostNames.js'

const I = (n: number) => `appendonly.aof.${n}.incr.aof`
const B = (n: number) => `appendonly.aof.${n}.base.aof`
const M = 'appendonly.aof.manifest'
const line = (v: unknown) => JSON.stringify(v) + '\n'
const snap = (payload: unknown) =>
  line({ type: '@@aof/SNAPSHOT', payload, meta: { version: 0 } })

function open(storage: ReturnType<typeof memoryStorage>) {
  const reports: AofError[] = []
  const aof = openAof({ storage, onError: (e) => reports.push(e) })
  const records = [...aof.records()]
  return { aof, records, reports }
}

afterEach(() => {
  vi.useRealTimers()
})

describe('a store whose file names were lost by a power loss (names not durable)', () => {
  it('a lost base is read from the files it replaced, still listed as history', () => {
    const s = memoryStorage({ durableNames: false })
    // Rewrite 1 compacted I1 into B1; rewrite 2 compacted B1 + I2 into B2, whose name was lost.
    s.put(B(1), snap(['a']))
    s.put(I(1), line('a'))
    s.put(I(2), line('c'))
    // The manifest switched to base 2, whose name did not survive.
    s.put(
      M,
      `file ${B(2)} seq 2 type b\nfile ${I(2)} seq 2 type h\nfile ${B(1)} seq 1 type h\nfile ${I(1)} seq 1 type h\nfile ${I(3)} seq 3 type i\n`,
    )
    s.put(I(3), line('d'))
    const { aof, records, reports } = open(s)
    expect(records).toEqual([
      { type: '@@aof/SNAPSHOT', payload: ['a'], meta: { version: 0 } },
      'c',
      'd',
    ])
    expect(reports[0]?.code).toBe('AOF_TRUNCATED')
    expect(reports[0]?.message).toMatch(
      /the base appendonly\.aof\.2\.base\.aof was lost/,
    )
    expect(s.text(M)).toBe(
      `file ${B(1)} seq 1 type b\nfile ${I(1)} seq 1 type h\nfile ${I(2)} seq 2 type i\nfile ${I(3)} seq 3 type i\n`,
    )
    aof.closeSync()
  })

  it('a lost incr file ends the log there: it starts again empty, later files are set aside', () => {
    const s = memoryStorage({ durableNames: false })
    s.put(I(1), line(1))
    s.put(I(3), line(3))
    s.put(
      M,
      `file ${I(1)} seq 1 type i\nfile ${I(2)} seq 2 type i\nfile ${I(3)} seq 3 type i\n`,
    )
    const { aof, records, reports } = open(s)
    expect(records).toEqual([1]) // a prefix: 3 cannot follow 1 without 2
    expect(reports[0]?.message).toMatch(
      /appendonly\.aof\.2\.incr\.aof was lost/,
    )
    expect(s.text(`${I(3)}.lost-names`)).toBe(line(3)) // kept, not destroyed
    aof.append(2.5)
    aof.closeSync()
    expect(s.text(I(2))).toBe(line(2.5))
    expect(s.text(M)).toBe(
      `file ${I(1)} seq 1 type i\nfile ${I(2)} seq 2 type i\n`,
    )
  })

  it('a lost last incr file starts again empty under its own name', () => {
    const s = memoryStorage({ durableNames: false })
    s.put(B(1), snap(0))
    s.put(M, `file ${B(1)} seq 1 type b\nfile ${I(4)} seq 4 type i\n`)
    const { aof, records } = open(s)
    expect(records).toHaveLength(1)
    aof.append('x')
    aof.closeSync()
    expect(s.text(I(4))).toBe(line('x'))
  })

  it('with durable names the same damage is refused, and nothing is changed', () => {
    const s = memoryStorage({ durableNames: true })
    s.put(I(1), line(1))
    const manifest = `file ${I(1)} seq 1 type i\nfile ${I(2)} seq 2 type i\n`
    s.put(M, manifest)
    expect(() => openAof({ storage: s })).toThrow(
      expect.objectContaining({ code: 'AOF_MANIFEST_INVALID' }),
    )
    expect(s.text(M)).toBe(manifest)
  })
})

describe('history files where names are not durable', () => {
  it('are deleted only once the names settled, not at the end of the rewrite', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] })
    const s = memoryStorage({ durableNames: false })
    const aof = openAof({ storage: s, fsync: 'always' })
    aof.append(1)
    aof.rewriteSync({ type: '@@aof/SNAPSHOT', payload: 1 })
    expect(s.files().has(I(1))).toBe(true)
    expect(s.text(M)).toMatch(/type h/)
    await vi.advanceTimersByTimeAsync(NAME_SETTLE_MS - 1000)
    expect(s.files().has(I(1))).toBe(true)
    await vi.advanceTimersByTimeAsync(2000)
    expect(s.files().has(I(1))).toBe(false)
    expect(s.text(M)).not.toMatch(/type h/)
    aof.closeSync()
  })

  it('left listed at open are deleted a settle time later, not at once', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] })
    const s = memoryStorage({ durableNames: false })
    s.put(B(2), snap(1))
    s.put(I(1), line(1))
    s.put(I(2), '')
    s.put(
      M,
      `file ${B(2)} seq 2 type b\nfile ${I(1)} seq 1 type h\nfile ${I(2)} seq 2 type i\n`,
    )
    const aof = openAof({ storage: s })
    expect(s.files().has(I(1))).toBe(true)
    await vi.advanceTimersByTimeAsync(NAME_SETTLE_MS + 1000)
    expect(s.files().has(I(1))).toBe(false)
    aof.closeSync()
  })

  it('with durable names, are deleted by the rewrite itself', () => {
    const s = memoryStorage({ durableNames: true })
    const aof = openAof({ storage: s, fsync: 'always' })
    aof.append(1)
    aof.rewriteSync({ type: '@@aof/SNAPSHOT', payload: 1 })
    expect(s.files().has(I(1))).toBe(false)
    aof.closeSync()
  })
})
