import { describe, expect, it } from 'vitest'
import { incrSeq, Mirror, recordLines } from '../src/mirror.js'

const enc = new TextEncoder()
const incr = (seq: number) => `appendonly.aof.${seq}.incr.aof`

describe('Mirror (a follower tracking the bytes the writer wrote)', () => {
  it('hands out complete lines only, joining a line split across writes', () => {
    const m = new Mirror('appendonly.aof', { file: incr(1), offset: 0 })
    expect(m.write(incr(1), 0, enc.encode('{"n":0}\n{"n"'))).toEqual([
      '{"n":0}',
    ])
    expect(m.position).toEqual({ file: incr(1), offset: 8 })
    expect(m.write(incr(1), 12, enc.encode(':1}\n'))).toEqual(['{"n":1}'])
    expect(m.position).toEqual({ file: incr(1), offset: 16 })
  })

  it('skips bytes it already has (a write before its read of the files) and takes the rest', () => {
    const m = new Mirror('appendonly.aof', { file: incr(1), offset: 8 })
    expect(m.write(incr(1), 0, enc.encode('{"n":0}\n'))).toEqual([])
    expect(m.write(incr(1), 0, enc.encode('{"n":0}\n{"n":1}\n'))).toEqual([
      '{"n":1}',
    ])
  })

  it('leaves out #TS: annotations and blank lines, which are not records', () => {
    const m = new Mirror('appendonly.aof', { file: incr(1), offset: 0 })
    expect(
      m.write(incr(1), 0, enc.encode('#TS:1764000000\n{"n":0}\n\n{"n":1}\n')),
    ).toEqual(['{"n":0}', '{"n":1}'])
  })

  it('follows the switch to a new incr file, and ignores late bytes of older ones', () => {
    const m = new Mirror('appendonly.aof', { file: incr(1), offset: 0 })
    m.write(incr(1), 0, enc.encode('{"n":0}\n'))
    expect(m.write(incr(2), 0, enc.encode('{"n":1}\n'))).toEqual(['{"n":1}'])
    expect(m.position).toEqual({ file: incr(2), offset: 8 })
    expect(m.write(incr(1), 8, enc.encode('{"late":1}\n'))).toEqual([])
  })

  it('says it lost its place at a gap, at a new file that does not start at 0, or mid-line', () => {
    const gap = new Mirror('appendonly.aof', { file: incr(1), offset: 8 })
    expect(gap.write(incr(1), 20, enc.encode('{"n":9}\n'))).toBeNull()
    const skipped = new Mirror('appendonly.aof', { file: incr(1), offset: 0 })
    expect(skipped.write(incr(3), 8, enc.encode('{"n":9}\n'))).toBeNull()
    const torn = new Mirror('appendonly.aof', { file: incr(1), offset: 0 })
    torn.write(incr(1), 0, enc.encode('{"n":'))
    expect(torn.write(incr(2), 0, enc.encode('{"n":1}\n'))).toBeNull()
  })

  it('drops a partial write the writer cut back, and refuses a cut below lines it applied', () => {
    const m = new Mirror('appendonly.aof', { file: incr(1), offset: 0 })
    m.write(incr(1), 0, enc.encode('{"n":0}\n{"n":1'))
    expect(m.truncate(incr(1), 8)).toBe(true)
    expect(m.write(incr(1), 8, enc.encode('{"n":2}\n'))).toEqual(['{"n":2}'])
    expect(m.truncate(incr(1), 4)).toBe(false)
    expect(m.truncate(incr(2), 0)).toBe(true)
  })
})

describe('incrSeq and recordLines', () => {
  it('reads the seq of an incr file name of this store only', () => {
    expect(incrSeq('appendonly.aof', incr(12))).toBe(12)
    expect(incrSeq('appendonly.aof', 'appendonly.aof.1.base.aof')).toBe(-1)
    expect(incrSeq('other.aof', incr(1))).toBe(-1)
    expect(incrSeq('appendonly.aof', 'appendonly.aof.x.incr.aof')).toBe(-1)
  })

  it('keeps record lines, drops annotations and whitespace-only lines', () => {
    expect(recordLines('{"a":1}\n#TS:1\n  \n{"b":2}\n')).toEqual([
      '{"a":1}',
      '{"b":2}',
    ])
  })
})
