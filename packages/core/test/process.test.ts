import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { openAof } from '../src/index.js'
import {
  CORE_DIST,
  read,
  runChild,
  startChild,
  tempDir,
  waitForLine,
} from './helpers.js'

beforeAll(() => {
  if (!fs.existsSync(CORE_DIST))
    throw new Error('build @aof-persist/core first (pnpm build)')
})

describe('single-writer lock', () => {
  it('a second openAof in the same process throws AOF_LOCKED', () => {
    const dir = tempDir()
    const aof = openAof({ dir })
    expect(() => openAof({ dir })).toThrow(
      expect.objectContaining({
        code: 'AOF_LOCKED',
        message: expect.stringContaining('this process'),
      }),
    )
    aof.closeSync()
    openAof({ dir }).closeSync()
  })

  it('another process cannot open a directory this process holds', () => {
    const dir = tempDir()
    const aof = openAof({ dir })
    const r = runChild(
      `try { core.openAof({ dir: ${JSON.stringify(dir)} }); console.log('opened') } catch (e) { console.log(e.code, e.message) }`,
    )
    expect(r.stdout).toMatch(new RegExp(`^AOF_LOCKED .*process ${process.pid}`))
    aof.closeSync()
  })

  it('this process cannot open a directory a live child holds, and can once it exits', async () => {
    const dir = tempDir()
    const child = startChild(
      `const a = core.openAof({ dir: ${JSON.stringify(dir)} }); console.log('locked'); setInterval(() => {}, 1000)`,
    )
    await waitForLine(child, /locked/)
    expect(() => openAof({ dir })).toThrow(
      expect.objectContaining({ code: 'AOF_LOCKED' }),
    )
    child.kill('SIGTERM')
    await new Promise((r) => child.once('exit', r))
    // SIGTERM ends the child without its exit handler: the lock file is left behind, stale.
    expect(fs.existsSync(path.join(dir, 'aof.lock'))).toBe(true)
    const aof = openAof({ dir })
    expect(aof.status).toBe('open')
    aof.closeSync()
  })

  it('takes over the lock left by a process killed with SIGKILL', async () => {
    const dir = tempDir()
    const child = startChild(
      `const a = core.openAof({ dir: ${JSON.stringify(dir)}, fsync: 'always' }); a.append({ n: 1 }); console.log('ready'); setInterval(() => {}, 1000)`,
    )
    await waitForLine(child, /ready/)
    child.kill('SIGKILL')
    await new Promise((r) => child.once('exit', r))
    const lock = JSON.parse(read(dir, 'aof.lock')) as { pid: number }
    expect(lock.pid).toBe(child.pid)
    const aof = openAof({ dir })
    expect([...aof.records()]).toEqual([{ n: 1 }])
    expect(JSON.parse(read(dir, 'aof.lock')).pid).toBe(process.pid)
    aof.closeSync()
  })

  it('treats a lock whose pid now belongs to another process as stale', () => {
    const dir = tempDir()
    // pid 1 is alive, but its start time differs from the one recorded.
    fs.writeFileSync(
      path.join(dir, 'aof.lock'),
      JSON.stringify({ pid: 1, host: os.hostname(), start: '1' }),
    )
    const aof = openAof({ dir })
    aof.closeSync()
  })
})

describe('leaving the process', () => {
  it('a normal exit flushes what is buffered under everysec', () => {
    const dir = tempDir()
    const r = runChild(
      `const a = core.openAof({ dir: ${JSON.stringify(dir)} }); for (let i = 0; i < 100; i++) a.append({ i }); process.exit(0)`,
    )
    expect(r.status).toBe(0)
    const aof = openAof({ dir })
    expect([...aof.records()]).toHaveLength(100)
    aof.closeSync()
  })

  it('an uncaught exception flushes what is buffered and releases the lock', () => {
    const dir = tempDir()
    const r = runChild(
      `const a = core.openAof({ dir: ${JSON.stringify(dir)}, fsync: 'no' }); a.append({ last: true }); throw new Error('app crashed')`,
    )
    expect(r.status).toBe(1)
    expect(r.stderr).toContain('app crashed')
    expect(fs.existsSync(path.join(dir, 'aof.lock'))).toBe(false)
    const aof = openAof({ dir })
    expect([...aof.records()]).toEqual([{ last: true }])
    aof.closeSync()
  })

  it('under always, every append that returned survives SIGKILL', async () => {
    const dir = tempDir()
    const child = startChild(`
      const a = core.openAof({ dir: ${JSON.stringify(dir)}, fsync: 'always' })
      let i = 0
      const tick = () => { for (let k = 0; k < 20; k++) { a.append({ i }); process.stdout.write('acked ' + i + '\\n'); i++ } setImmediate(tick) }
      tick()`)
    const acked: number[] = []
    child.stdout!.on('data', (d: Buffer) => {
      for (const m of d.toString().matchAll(/acked (\d+)/g))
        acked.push(Number(m[1]))
    })
    // Kill it in the middle of the burst: after the first acknowledgements, at a time the
    // scheduler decides.
    await waitForLine(child, /acked \d+/)
    await new Promise((r) => setTimeout(r, 100))
    child.kill('SIGKILL')
    await new Promise((r) => child.once('exit', r))
    expect(acked.length).toBeGreaterThan(0)
    const aof = openAof({ dir })
    const got = [...aof.records()].map((r) => (r as { i: number }).i)
    aof.closeSync()
    // A prefix of the appends, containing every acknowledged one.
    expect(got).toEqual(got.map((_, k) => k))
    expect(got.length).toBeGreaterThanOrEqual(acked.length)
  })
})
