// Locks across processes, beyond test/process.test.ts (which covers one holder at a time, a
// lock left by SIGTERM or SIGKILL, and a reused pid): many processes racing for one directory,
// many racing to take over a lock a killed process left, a lock file torn by a crash while it
// was being written, and a lock held from another host. Every restart of the kill tests also
// takes over a lock left by SIGKILL.
import { spawn, type ChildProcess } from 'node:child_process'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { describe, expect, it } from 'vitest'
import { openAof } from '../../src/index.js'
import { CORE_DIST, startChild, waitForLine } from '../helpers.js'
import { requireBuilt, scratchDir, tally } from './env.js'

requireBuilt('core')

const RACERS = 6
const ROUNDS = Number(process.env.AOF_CRASH_LOCK_ROUNDS ?? 8)

/**
 * A child that waits for `go` to exist, then tries to open `dir`. The winner appends its name,
 * reports `won`, and holds the store until its stdin closes; the others report `locked`.
 */
function racer(dir: string, go: string, name: string): ChildProcess {
  const code = `
    import * as fs from 'node:fs'
    import * as core from ${JSON.stringify(CORE_DIST)}
    const wait = new Int32Array(new SharedArrayBuffer(4))
    while (!fs.existsSync(${JSON.stringify(go)})) Atomics.wait(wait, 0, 0, 1)
    let aof
    try {
      aof = core.openAof({ dir: ${JSON.stringify(dir)}, fsync: 'always' })
    } catch (e) {
      console.log(e.code === 'AOF_LOCKED' ? 'locked' : 'error ' + e.code + ' ' + e.message)
      process.exit(0)
    }
    aof.append({ holder: ${JSON.stringify(name)} })
    console.log('won')
    process.stdin.on('end', () => { aof.closeSync(); process.exit(0) })
    process.stdin.resume()`
  return spawn(process.execPath, ['--input-type=module', '-e', code], {
    stdio: ['pipe', 'pipe', 'pipe'],
  })
}

/** Starts RACERS racers on `dir`, releases them at once, and returns how many won. */
async function race(
  dir: string,
  tag: string,
): Promise<{ won: number; locked: number; other: string[] }> {
  const go = path.join(path.dirname(dir), `go-${tag}`)
  const kids = Array.from({ length: RACERS }, (_, k) =>
    racer(dir, go, `${tag}-${k}`),
  )
  const answers = kids.map((k) =>
    waitForLine(k, /^(won|locked|error)/).catch(
      (e: Error) => `error ${e.message}`,
    ),
  )
  // Let them all start and spin on the go file, then release them together.
  await new Promise((r) => setTimeout(r, 300))
  fs.writeFileSync(go, '')
  const lines = await Promise.all(answers)
  for (const k of kids) k.stdin!.end()
  await Promise.all(
    kids.map(
      (k) =>
        new Promise((r) => (k.exitCode !== null ? r(null) : k.once('exit', r))),
    ),
  )
  return {
    won: lines.filter((l) => l === 'won').length,
    locked: lines.filter((l) => l === 'locked').length,
    other: lines.filter((l) => l !== 'won' && l !== 'locked'),
  }
}

/** Leaves a lock behind: a child opens `dir` and is killed with SIGKILL. */
async function killHolder(dir: string): Promise<void> {
  const child = startChild(
    `const a = core.openAof({ dir: ${JSON.stringify(dir)}, fsync: 'always' }); a.append({ holder: 'killed' }); console.log('ready'); setInterval(() => {}, 1000)`,
  )
  await waitForLine(child, /ready/)
  child.kill('SIGKILL')
  await new Promise((r) => child.once('exit', r))
}

const holders = (dir: string) => {
  const aof = openAof({ dir })
  const got = [...aof.records()].map((r) => (r as { holder: string }).holder)
  aof.closeSync()
  return got
}

describe('processes racing for one directory', () => {
  it(
    `of ${RACERS} processes opening a free directory at once, exactly one gets it, every round`,
    { timeout: 120_000 },
    async () => {
      const results = []
      for (let round = 0; round < ROUNDS; round++) {
        const dir = path.join(scratchDir('aof-race-'), 'store')
        results.push(await race(dir, `free${round}`))
      }
      tally('lock race, free directory', { rounds: ROUNDS, racers: RACERS })
      expect(results.flatMap((r) => r.other)).toEqual([])
      expect(results.map((r) => r.won)).toEqual(results.map(() => 1))
    },
  )

  it(
    `of ${RACERS} processes taking over a lock left by SIGKILL at once, exactly one gets it, every round`,
    { timeout: 120_000 },
    async () => {
      const results = []
      for (let round = 0; round < ROUNDS; round++) {
        const dir = path.join(scratchDir('aof-stale-'), 'store')
        await killHolder(dir)
        results.push(await race(dir, `stale${round}`))
        // The killed holder's record is kept, then exactly one winner's.
        const got = holders(dir)
        expect(got[0]).toBe('killed')
        expect(got).toHaveLength(2)
      }
      tally('lock race, stale lock', { rounds: ROUNDS, racers: RACERS })
      expect(results.flatMap((r) => r.other)).toEqual([])
      expect(results.map((r) => r.won)).toEqual(results.map(() => 1))
    },
  )
})

describe('lock files a crash can leave', () => {
  it('an empty or torn lock file (a crash while it was being written) is taken over', () => {
    for (const text of ['', '{"pid":12', '\0\0\0\0']) {
      const dir = scratchDir('aof-torn-lock-')
      fs.writeFileSync(path.join(dir, 'aof.lock'), text)
      const aof = openAof({ dir })
      expect(
        JSON.parse(fs.readFileSync(path.join(dir, 'aof.lock'), 'utf8')).pid,
      ).toBe(process.pid)
      aof.closeSync()
      expect(fs.existsSync(path.join(dir, 'aof.lock'))).toBe(false)
    }
  })

  it('a lock held from another host is never taken over: AOF_LOCKED naming the host', () => {
    const dir = scratchDir('aof-host-lock-')
    fs.writeFileSync(
      path.join(dir, 'aof.lock'),
      JSON.stringify({ pid: 1, host: `not-${os.hostname()}`, start: '1' }),
    )
    expect(() => openAof({ dir })).toThrow(
      expect.objectContaining({
        code: 'AOF_LOCKED',
        message: expect.stringContaining(`not-${os.hostname()}`),
      }),
    )
    expect(
      JSON.parse(fs.readFileSync(path.join(dir, 'aof.lock'), 'utf8')).host,
    ).toBe(`not-${os.hostname()}`)
  })
})
