import { spawnSync } from 'node:child_process'
import { appendFileSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { openAof } from '@aof-persist/core'
import { beforeAll, describe, expect, it } from 'vitest'
import { run } from '../src/index.js'
import { OutputClosed } from '../src/terminal.js'
import {
  BIN,
  ensureBuilt,
  lastFile,
  makeStore,
  tempDir,
  todos,
} from './helpers.js'

beforeAll(ensureBuilt)

/** What the probe saw of one run of the binary. */
interface Probe {
  status: number
  /** Bytes the process read (`rchar` of /proc/self/io): how far into the store it got. */
  read: number
  /** Peak resident set size, bytes. */
  maxRss: number
  stderr: string
}

/**
 * Runs the binary in a shell pipeline `aof <args> | <consumer>`, as a user would, with a probe
 * preloaded that records at exit the status, the bytes read and the peak memory.
 */
function pipeline(args: string[], consumer: string): Probe {
  const dir = tempDir('aof-probe-')
  const probe = join(dir, 'probe.cjs')
  const out = join(dir, 'probe.json')
  writeFileSync(
    probe,
    `process.on('exit', (status) => {
      const io = require('fs').readFileSync('/proc/self/io', 'utf8')
      const read = Number(/rchar: (\\d+)/.exec(io)[1])
      require('fs').writeFileSync(${JSON.stringify(out)}, JSON.stringify({
        status, read, maxRss: process.resourceUsage().maxRSS * 1024,
      }))
    })`,
  )
  const quote = (a: string) => `'${a.replace(/'/g, `'\\''`)}'`
  const command = [process.execPath, '--require', probe, BIN, ...args]
    .map(quote)
    .join(' ')
  const r = spawnSync(
    'sh',
    ['-c', `${command} 2>${quote(join(dir, 'err'))} | ${consumer}`],
    {
      encoding: 'utf8',
      maxBuffer: 1024 * 1024 * 1024,
    },
  )
  expect(r.status).toBe(0)
  return {
    ...(JSON.parse(readFileSync(out, 'utf8')) as Omit<Probe, 'stderr'>),
    stderr: readFileSync(join(dir, 'err'), 'utf8'),
  }
}

/** A store of about 40 MB: 300,000 records of about 135 bytes. */
function largeStore(): { dir: string; size: number } {
  const dir = join(tempDir(), 'store')
  const log = openAof({ dir, fsync: 'no' })
  const text = 'x'.repeat(100)
  log.batch(() => {
    for (let i = 0; i < 300_000; i++)
      log.append({ type: 'todos/added', payload: { i, text } })
  })
  log.closeSync()
  return { dir, size: statSync(lastFile(dir)).size }
}

describe('aof in a pipeline whose reader stops early (| head)', () => {
  let store: { dir: string; size: number }
  beforeAll(() => {
    store = largeStore()
  }, 120_000)

  it.each([[['inspect']], [['inspect', '--json']]])(
    '%j stops as soon as head exits: exit 0, nothing on stderr, the rest of the store unread, memory no more than a full run',
    (args) => {
      const full = pipeline([...args, store.dir], 'cat > /dev/null')
      expect(full.status).toBe(0)
      // The full run reads the store twice: the check, then the records it lists.
      expect(full.read).toBeGreaterThan(2 * store.size)

      const head = pipeline([...args, store.dir], 'head -n 12 > /dev/null')
      expect(head.status).toBe(0)
      expect(head.stderr).toBe('')
      // The check reads the store once; the listing stopped within its first tenth.
      expect(head.read).toBeLessThan(store.size * 1.1)
      // Before the fix, the records written after head had gone piled up in memory.
      expect(head.maxRss).toBeLessThan(full.maxRss + store.size / 4)
    },
    120_000,
  )
})

/** A stdout whose reader goes away after `lines` writes: every later write throws. */
function closingAfter(lines: number) {
  const stream = {
    text: '',
    writes: 0,
    write(chunk: string) {
      if (++stream.writes > lines) throw new OutputClosed('gone')
      stream.text += chunk
      return true
    },
  }
  return stream
}

describe('a closed output', () => {
  it('ends a command that reads at once, exit 0, nothing more written', async () => {
    const dir = makeStore(todos(50))
    const stdout = closingAfter(3)
    const stderr = closingAfter(Infinity)
    const status = await run(['inspect', dir], { stdout, stderr, env: {} })
    expect(status).toBe(0)
    expect(stdout.writes).toBe(4)
    expect(stderr.text).toBe('')
  })

  it('does not stop a command that changes the store half-way: aof fix --yes still cuts and says so by its status', async () => {
    const dir = makeStore(todos(3))
    const file = lastFile(dir)
    const good = readFileSync(file, 'utf8')
    appendFileSync(file, '{"type":"tod')
    const stdout = closingAfter(0)
    const status = await run(['fix', dir, '--yes'], {
      stdout,
      stderr: closingAfter(0),
      env: {},
    })
    expect(status).toBe(0)
    expect(readFileSync(file, 'utf8')).toBe(good)
  })
})
