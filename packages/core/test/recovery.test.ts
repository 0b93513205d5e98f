import * as fs from 'node:fs'
import * as path from 'node:path'
import { describe, expect, it } from 'vitest'
import { checkAof, fixAof, openAof, type AofError } from '../src/index.js'
import { read, runChild, tempDir } from './helpers.js'

const INCR = 'appendonly.aof.1.incr.aof'

/** A store with three records in its only incr file; returns the dir and the file's text. */
async function storeWithRecords(): Promise<{ dir: string; text: string }> {
  const dir = tempDir()
  const aof = openAof({ dir })
  aof.append({ type: 'a', v: 'αβγ' })
  aof.append({ type: 'b', v: [1, 2, 3] })
  aof.append({ type: 'c', v: { deep: true } })
  await aof.close()
  return { dir, text: read(dir, INCR) }
}

describe('torn tail of the last incr file', () => {
  it('is cut back to the last complete record at every byte offset of the last record', async () => {
    const { dir, text } = await storeWithRecords()
    const bytes = Buffer.from(text)
    const lastStart = bytes.lastIndexOf(10, bytes.length - 2) + 1
    const expected = [
      { type: 'a', v: 'αβγ' },
      { type: 'b', v: [1, 2, 3] },
    ]
    for (let cut = lastStart + 1; cut < bytes.length; cut++) {
      fs.writeFileSync(path.join(dir, INCR), bytes.subarray(0, cut))
      const errors: AofError[] = []
      const aof = openAof({ dir, onError: (e) => errors.push(e) })
      expect(aof.stats().truncatedTail).toEqual({
        file: path.join(dir, INCR),
        offset: lastStart,
        bytes: cut - lastStart,
      })
      expect(errors).toHaveLength(1)
      expect(errors[0]!.code).toBe('AOF_TRUNCATED')
      expect([...aof.records()]).toEqual(expected)
      // The next append starts on a clean line.
      aof.append({ type: 'd' })
      aof.closeSync()
      expect(fs.statSync(path.join(dir, INCR)).size).toBe(
        lastStart + '{"type":"d"}\n'.length,
      )
      const again = openAof({ dir })
      expect([...again.records()]).toEqual([...expected, { type: 'd' }])
      again.closeSync()
    }
  })

  it('with loadTruncated false throws AOF_TRUNCATED naming file and offset, and changes nothing', async () => {
    const { dir, text } = await storeWithRecords()
    const torn = text + '{"type":"d","v'
    fs.writeFileSync(path.join(dir, INCR), torn)
    try {
      openAof({ dir, loadTruncated: false })
      expect.unreachable()
    } catch (err) {
      expect(err).toMatchObject({
        code: 'AOF_TRUNCATED',
        file: path.join(dir, INCR),
        offset: Buffer.byteLength(text),
      })
      expect((err as Error).message).toMatch(/aof fix/)
    }
    expect(read(dir, INCR)).toBe(torn)
  })

  it('cuts a zero-filled tail left by a power loss', async () => {
    const { dir, text } = await storeWithRecords()
    const zeros = Buffer.concat([
      Buffer.from(text),
      Buffer.alloc(100),
      Buffer.from('"x"}\n'),
    ])
    fs.writeFileSync(path.join(dir, INCR), zeros)
    const aof = openAof({ dir })
    expect(aof.stats().truncatedTail?.offset).toBe(Buffer.byteLength(text))
    expect([...aof.records()]).toHaveLength(3)
    aof.closeSync()
  })

  it('saves complete lines after a zero-filled region beside the file before cutting them', async () => {
    const { dir, text } = await storeWithRecords()
    const later = '{"type":"later-1"}\n{"type":"later-2"}\n'
    const damaged = Buffer.concat([
      Buffer.from(text),
      Buffer.alloc(64),
      Buffer.from('\n' + later),
    ])
    fs.writeFileSync(path.join(dir, INCR), damaged)
    const errors: AofError[] = []
    const aof = openAof({ dir, onError: (e) => errors.push(e) })
    const offset = Buffer.byteLength(text)
    const saved = path.join(dir, `${INCR}.cut-${offset}`)
    expect(errors[0]?.message).toContain(saved)
    expect(errors[0]?.message).toMatch(/2 line\(s\) after it/)
    expect(fs.readFileSync(saved)).toEqual(damaged.subarray(offset))
    // The state is a prefix: the later lines cannot be applied without the lost ones.
    expect([...aof.records()]).toHaveLength(3)
    aof.closeSync()
    expect(openAof({ dir }).stats().truncatedTail).toBeNull()
  })

  it('a plain torn tail is cut without a saved copy', async () => {
    const { dir } = await storeWithRecords()
    fs.appendFileSync(path.join(dir, INCR), '{"half')
    const errors: AofError[] = []
    openAof({ dir, onError: (e) => errors.push(e) }).closeSync()
    expect(errors[0]?.message).toMatch(/every complete record was kept/)
    expect(fs.readdirSync(dir).filter((f) => f.includes('.cut-'))).toEqual([])
  })

  it('without onError, says the recovery once on the console in development, never in production', async () => {
    const { dir } = await storeWithRecords()
    const tear = () => fs.appendFileSync(path.join(dir, INCR), '{"half')
    const open = `const log = core.openAof({ dir: ${JSON.stringify(dir)} }); log.append({ type: 'x' }); log.closeSync()`
    tear()
    const dev = runChild(open, { NODE_ENV: 'development' })
    expect(dev.status).toBe(0)
    const said = dev.stderr
      .split('\n')
      .filter((l) => l.includes('aof-persist:'))
    expect(said).toHaveLength(1)
    expect(said[0]).toMatch(
      /Recovered: cut 6 bytes at byte offset \d+ of .*appendonly\.aof\.1\.incr\.aof/,
    )
    tear()
    const prod = runChild(open, { NODE_ENV: 'production' })
    expect(prod.status).toBe(0)
    expect(prod.stderr).not.toMatch(/aof-persist/)
    // With onError the app hears of it there, and the console stays quiet.
    tear()
    const heard = runChild(
      `const log = core.openAof({ dir: ${JSON.stringify(dir)}, onError: (e) => console.log('heard', e.code) }); log.closeSync()`,
      { NODE_ENV: 'development' },
    )
    expect(heard.stdout).toMatch(/heard AOF_TRUNCATED/)
    expect(heard.stderr).not.toMatch(/aof-persist/)
  })
})

describe('damage that is not a torn tail', () => {
  it('a bad record in the middle is AOF_CORRUPT naming file, line and offset, never skipped', async () => {
    const { dir, text } = await storeWithRecords()
    const lines = text.split('\n')
    lines[1] = '{"type":"b", oops}'
    fs.writeFileSync(path.join(dir, INCR), lines.join('\n'))
    const aof = openAof({ dir })
    const seen: unknown[] = []
    try {
      for (const r of aof.records()) seen.push(r)
      expect.unreachable()
    } catch (err) {
      expect(err).toMatchObject({
        code: 'AOF_CORRUPT',
        file: path.join(dir, INCR),
        line: 2,
        offset: Buffer.byteLength(lines[0]!) + 1,
      })
      expect((err as Error).message).toMatch(/line 2/)
    }
    expect(seen).toEqual([{ type: 'a', v: 'αβγ' }])
    aof.closeSync()
    expect(read(dir, INCR)).toBe(lines.join('\n'))
  })

  it('a torn record in a file that is not the last is AOF_CORRUPT at open', async () => {
    const dir = tempDir()
    const aof = openAof({ dir })
    aof.append({ n: 1 })
    await aof.close()
    // A second incr file after the first, as a failed rewrite leaves.
    fs.appendFileSync(path.join(dir, INCR), '{"n":2')
    fs.writeFileSync(path.join(dir, 'appendonly.aof.2.incr.aof'), '{"n":3}\n')
    fs.appendFileSync(
      path.join(dir, 'appendonly.aof.manifest'),
      'file appendonly.aof.2.incr.aof seq 2 type i\n',
    )
    expect(() => openAof({ dir })).toThrow(
      expect.objectContaining({
        code: 'AOF_CORRUPT',
        message: expect.stringContaining('not the last file'),
      }),
    )
    expect(read(dir, INCR)).toBe('{"n":1}\n{"n":2')
  })

  it('invalid UTF-8 is AOF_CORRUPT, not replaced by U+FFFD', async () => {
    const { dir, text } = await storeWithRecords()
    const bytes = Buffer.from(text)
    const bad = Buffer.concat([
      Buffer.from('{"type":"x","v":"'),
      Buffer.from([0xc3, 0x28]),
      Buffer.from('"}\n'),
      bytes,
    ])
    fs.writeFileSync(path.join(dir, INCR), bad)
    const aof = openAof({ dir })
    expect(() => [...aof.records()]).toThrow(
      expect.objectContaining({
        code: 'AOF_CORRUPT',
        line: 1,
        message: expect.stringContaining('UTF-8'),
      }),
    )
    aof.closeSync()
  })
})

describe('checkAof and fixAof', () => {
  it('check reports the torn tail without writing; fix cuts it and keeps every record before it', async () => {
    const { dir, text } = await storeWithRecords()
    fs.appendFileSync(path.join(dir, INCR), '{"type":"d"')
    const before = read(dir, INCR)
    const report = checkAof({ dir })
    expect(report.ok).toBe(false)
    expect(report.problem).toMatchObject({
      code: 'AOF_TRUNCATED',
      file: INCR,
      line: 4,
      offset: Buffer.byteLength(text),
    })
    expect(report.files[0]).toMatchObject({
      records: 3,
      lastGoodLine: 3,
      lastGoodOffset: Buffer.byteLength(text),
    })
    expect(read(dir, INCR)).toBe(before)
    expect(fixAof({ dir, dryRun: true })).toMatchObject({
      newSize: Buffer.byteLength(text),
      size: Buffer.byteLength(before),
    })
    expect(read(dir, INCR)).toBe(before)
    expect(fixAof({ dir })).toMatchObject({
      file: INCR,
      newSize: Buffer.byteLength(text),
      line: 4,
    })
    expect(read(dir, INCR)).toBe(text)
    expect(checkAof({ dir }).ok).toBe(true)
    expect(fixAof({ dir })).toBeNull()
  })

  it('fix refuses damage in a file that is not the last', async () => {
    const dir = tempDir()
    const aof = openAof({ dir })
    aof.append({ n: 1 })
    await aof.rewrite({ snap: 1 })
    aof.append({ n: 2 })
    await aof.close()
    fs.writeFileSync(path.join(dir, 'appendonly.aof.1.base.aof'), '{"snap":\n')
    expect(() => fixAof({ dir })).toThrow(
      expect.objectContaining({ code: 'AOF_REFUSED' }),
    )
  })
})

describe('repairs and the lock', () => {
  it('a dry run says AOF_LOCKED while a writer holds the store, and so does the real run', async () => {
    const { dir, text } = await storeWithRecords()
    const lines = text.split('\n')
    lines[2] = '{"bad'
    fs.writeFileSync(path.join(dir, INCR), lines.join('\n'))
    const writer = openAof({ dir }) // a bad record in the middle is only found by records()
    expect(() => fixAof({ dir, dryRun: true })).toThrow(
      expect.objectContaining({ code: 'AOF_LOCKED' }),
    )
    expect(() => fixAof({ dir })).toThrow(
      expect.objectContaining({ code: 'AOF_LOCKED' }),
    )
    writer.closeSync()
    const plan = fixAof({ dir, dryRun: true })!
    expect(() =>
      fixAof({ dir, expect: { size: plan.size + 1, newSize: plan.newSize } }),
    ).toThrow(expect.objectContaining({ code: 'AOF_REFUSED' }))
    expect(read(dir, INCR)).toBe(lines.join('\n'))
    expect(
      fixAof({ dir, expect: { size: plan.size, newSize: plan.newSize } }),
    ).toEqual(plan)
    expect(read(dir, INCR)).toBe(lines.slice(0, 2).join('\n') + '\n')
  })
})
