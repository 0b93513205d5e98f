import * as fs from 'node:fs'
import * as path from 'node:path'
import { describe, expect, it } from 'vitest'
import {
  memoryStorage,
  openAof,
  type AofError,
  type StorageFile,
} from '../src/index.js'
import { nextTurn, pinClock, tempDir } from './helpers.js'

const encoder = new TextEncoder()
const INCR = 'appendonly.aof.1.incr.aof'

/**
 * A memory storage whose files also write strings (as nodeStorage's do), through their byte
 * `write`: injected write faults (short, failed) reach the engine's string path.
 */
function textMemoryStorage() {
  const mem = memoryStorage()
  const open = mem.open.bind(mem)
  const texts: string[] = []
  mem.open = (name, options) => {
    const file = open(name, options) as StorageFile
    file.writeText = (text, at) => {
      texts.push(text)
      return file.write(encoder.encode(text), at)
    }
    return file
  }
  return { mem, texts }
}

/** A log on `mem` without timestamps whose reported errors are collected. */
function openReporting(mem: ReturnType<typeof memoryStorage>) {
  const errors: AofError[] = []
  const aof = openAof({
    storage: mem,
    timestamps: false,
    onError: (e) => errors.push(e),
  })
  return { aof, errors }
}

describe('writing records as text (StorageFile.writeText)', () => {
  it('writes non-ASCII records and lone surrogates as TextEncoder encodes them, each after the last', async () => {
    const dir = tempDir()
    const aof = openAof({ dir, timestamps: false })
    // 2-, 3- and 4-byte characters, and a lone surrogate (U+FFFD, 3 bytes, when encoded).
    const lines = [
      '{"t":"é€😀"}',
      '{"t":"x\ud800y\ud800é"}',
      '"\udc00"',
      '{"t":"ok"}',
    ]
    aof.appendJson(lines[0]!)
    aof.appendJson(lines[1]!)
    await nextTurn()
    aof.appendJson(lines[2]!)
    await nextTurn()
    aof.appendJson(lines[3]!)
    await nextTurn()
    const bytes = fs.readFileSync(path.join(dir, INCR))
    expect([...bytes]).toEqual([...encoder.encode(lines.join('\n') + '\n')])
    expect(aof.stats().currentSize).toBe(bytes.length)
    expect([...aof.records()]).toEqual([
      { t: 'é€😀' },
      { t: 'x\ufffdy\ufffdé' },
      '\ufffd',
      { t: 'ok' },
    ])
    await aof.close()
  })

  it('hands a turn of records to the file as one string', async () => {
    const { mem, texts } = textMemoryStorage()
    const aof = openAof({ storage: mem, timestamps: false })
    texts.length = 0
    const clock = pinClock()
    try {
      // The first is written alone, at once; the burst after it as one string.
      aof.append({ n: 1 })
      aof.append({ n: 2 })
      aof.append({ n: 3 })
    } finally {
      clock.restore()
    }
    await nextTurn()
    expect(texts).toEqual(['{"n":1}\n', '{"n":2}\n{"n":3}\n'])
    aof.append({ n: 4 }) // (not timed: may be alone or not, and reaches the file either way)
    await nextTurn()
    expect(mem.text(INCR)).toBe('{"n":1}\n{"n":2}\n{"n":3}\n{"n":4}\n')
    await aof.close()
  })

  it('finishes a short string write from the byte where the file stopped, without an error', async () => {
    const { mem } = textMemoryStorage()
    const { aof, errors } = openReporting(mem)
    // 5 bytes end inside "é" (bytes 4 and 5 of the record): the rest starts mid-character.
    mem.inject({ op: 'write', name: INCR, short: 5 })
    aof.append({ t: 'é€😀' })
    aof.append({ n: 2 })
    await nextTurn()
    expect(errors).toEqual([])
    expect(mem.text(INCR)).toBe('{"t":"é€😀"}\n{"n":2}\n')
    expect(aof.stats().bufferLength).toBe(0)
    aof.append({ n: 3 })
    await aof.close()
    const again = openAof({ storage: mem.reopen() })
    expect([...again.records()].slice(-3)).toEqual([
      { t: 'é€😀' },
      { n: 2 },
      { n: 3 },
    ])
    again.closeSync()
  })

  it('keeps the records of a failed string write queued, reports it once and retries', async () => {
    const { mem } = textMemoryStorage()
    const { aof, errors } = openReporting(mem)
    // Three failures: the first append's own write, its task's retry, the next task's.
    mem.inject({ op: 'write', name: INCR, code: 'ENOSPC', times: 3 })
    aof.append({ t: 'é' })
    await nextTurn()
    aof.append({ n: 2 })
    await nextTurn()
    expect(errors.map((e) => e.code)).toEqual(['AOF_IO'])
    expect(mem.text(INCR)).toBe('')
    expect(aof.stats().bufferLength).toBe(
      encoder.encode('{"t":"é"}\n{"n":2}\n').length,
    )
    aof.flush()
    expect(mem.text(INCR)).toBe('{"t":"é"}\n{"n":2}\n')
    expect(aof.stats().bufferLength).toBe(0)
    await aof.close()
  })
})
