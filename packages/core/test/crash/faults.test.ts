// Disk faults. (1) An LD_PRELOAD shim (lib/fault-shim.c, compiled here with cc) makes write and
// fsync fail with ENOSPC or EIO on the store's files while a control file exists; a child
// process appends before, during and after the fault (lib/fault-child.mjs). (2) A really full
// file system: a small tmpfs mounted here (as root) and filled to the last byte.
// Either way: under everysec and no the app keeps running and the error reaches onError and
// stats(); under always append throws AOF_IO; the incr file ends on a record boundary while the
// fault lasts; writes resume when the disk works again; every append is in the log, in order.
import { spawn, spawnSync } from 'node:child_process'
import * as fs from 'node:fs'
import * as path from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openAof, type AofError, type FsyncPolicy } from '../../src/index.js'
import { requireBuilt, scratchDir, tally } from './env.js'

requireBuilt('core')

const SHIM_SRC = fileURLToPath(new URL('./lib/fault-shim.c', import.meta.url))
const CHILD = fileURLToPath(new URL('./lib/fault-child.mjs', import.meta.url))
const policies = ['always', 'everysec', 'no'] as const
const faults = [
  {
    fault: 'write ENOSPC partial',
    what: 'ENOSPC on write, after a short write',
    cause: 'ENOSPC',
  },
  { fault: 'write EIO', what: 'EIO on write', cause: 'EIO' },
  { fault: 'fsync EIO', what: 'EIO on fsync', cause: 'EIO' },
  { fault: 'fsync ENOSPC', what: 'ENOSPC on fsync', cause: 'ENOSPC' },
] as const

let shim: string | null = null
let noShim = ''
let injected = 0
let runs = 0

beforeAll(() => {
  const out = path.join(scratchDir('aof-shim-'), 'fault-shim.so')
  const r = spawnSync(
    'cc',
    ['-shared', '-fPIC', '-O2', '-o', out, SHIM_SRC, '-ldl'],
    { encoding: 'utf8' },
  )
  if (r.error || r.status !== 0) {
    noShim = `no C compiler to build the fault shim (cc: ${r.error?.message ?? r.stderr.trim()})`
    console.warn(`[crash] skipping LD_PRELOAD fault injection: ${noShim}`)
  } else {
    shim = out
  }
})

afterAll(() =>
  tally('disk faults (LD_PRELOAD)', { runs, faultsInjected: injected }),
)

interface Report {
  rewriteDuring: string
  tempFilesAfterRewrite: string[]
  errors: string[]
  threw: string[]
  boundary: string[]
  statsDuring: {
    lastWriteStatus: string
    error: string | null
    bufferLength: number
  }
  statsAfter: { lastWriteStatus: string; bufferLength: number }
  flushDuring: string | null
  recovered: boolean
  sawFault: boolean
  appended: number
  injected: number
}

function runFault(
  policy: FsyncPolicy,
  fault: string,
): Promise<{ report: Report; dir: string }> {
  const base = scratchDir('aof-fault-')
  const dir = path.join(base, 'store')
  const env = {
    ...process.env,
    LD_PRELOAD: shim!,
    // libuv may hand fsync to io_uring, which the shim cannot see.
    UV_USE_IO_URING: '0',
    AOF_FAULT_DIR: dir,
    AOF_FAULT_CTL: path.join(base, 'ctl'),
    AOF_FAULT_LOG: path.join(base, 'injected'),
    AOF_FAULT: JSON.stringify({
      dir,
      policy,
      fault,
      ctl: path.join(base, 'ctl'),
      log: path.join(base, 'injected'),
    }),
  }
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let out = ''
    let err = ''
    child.stdout.on('data', (d: Buffer) => (out += d.toString()))
    child.stderr.on('data', (d: Buffer) => (err += d.toString()))
    child.on('close', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('report '))
      if (code !== 0 || !line)
        return reject(new Error(`fault child exited ${code}: ${out}\n${err}`))
      const report = JSON.parse(line.slice(7)) as Report
      runs++
      injected += report.injected
      resolve({ report, dir })
    })
  })
}

/** The store's records are exactly appends 0..n-1, in order: none lost, none doubled. */
function expectAllAppends(dir: string, n: number): void {
  const aof = openAof({ dir })
  const got = [...aof.records()].map((r) => (r as { i: number }).i)
  aof.closeSync()
  expect(got).toEqual(Array.from({ length: n }, (_, k) => k))
}

describe.concurrent.each(faults)(
  '$what, injected with LD_PRELOAD',
  ({ fault, cause }) => {
    for (const policy of policies) {
      const expectation =
        policy === 'always'
          ? 'append throws AOF_IO while it lasts'
          : 'the app keeps appending, the error reaches onError and stats()'
      it(
        `${policy}: ${expectation}; no half record stays; writes resume; every append is kept`,
        { timeout: 60_000 },
        async (ctx) => {
          if (!shim) return ctx.skip(noShim)
          const { report: r, dir } = await runFault(policy, fault)
          expect(r.sawFault).toBe(true)
          expect(r.boundary.every((b) => b === 'whole')).toBe(true)
          if (policy === 'always') {
            // Every append made during the fault threw, naming the cause.
            expect(r.threw).toHaveLength(9)
            for (const t of r.threw)
              expect(t).toMatch(new RegExp(`^\\d+:AOF_IO/${cause}$`))
          } else {
            expect(r.threw).toEqual([])
            if (fault.startsWith('fsync') && policy === 'no') {
              expect(r.flushDuring).toBe(`AOF_IO/${cause}`)
            } else {
              expect(r.errors).toContain(`AOF_IO/${cause}`)
            }
            expect(r.statsDuring.lastWriteStatus).toBe('err')
            expect(r.statsDuring.error).toBe(`AOF_IO/${cause}`)
            expect(r.recovered).toBe(true)
          }
          expect(r.statsAfter).toEqual({
            lastWriteStatus: 'ok',
            bufferLength: 0,
          })
          // A rewrite tried during the fault failed cleanly.
          expect(r.rewriteDuring).toBe('AOF_REWRITE_FAILED')
          expect(r.tempFilesAfterRewrite).toEqual([])
          expectAllAppends(dir, r.appended)
        },
      )
    }
  },
)

describe('a short write that cannot be cut back (ftruncate fails too)', () => {
  it(
    'everysec: the record is completed once the disk works, as Redis does; every append is kept',
    { timeout: 60_000 },
    async (ctx) => {
      if (!shim) return ctx.skip(noShim)
      const { report: r, dir } = await runFault(
        'everysec',
        'write ENOSPC partial notrunc',
      )
      // Documented exception: the half record stays while the fault lasts (a crash then would
      // cut it as a torn tail at the next open, losing appends made during the fault).
      expect(r.boundary.some((b) => b.startsWith('torn'))).toBe(true)
      expect(r.recovered).toBe(true)
      expectAllAppends(dir, r.appended)
    },
  )
})

// ---- a really full file system ---------------------------------------------------------------

const mountPoint = (() => {
  const dir = scratchDir('aof-tmpfs-')
  const r = spawnSync(
    'mount',
    ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', dir],
    { encoding: 'utf8' },
  )
  if (r.error || r.status !== 0) {
    console.warn(
      `[crash] skipping the full-file-system tests: cannot mount a tmpfs (${r.error?.message ?? r.stderr.trim()}); run as root with CAP_SYS_ADMIN`,
    )
    return null
  }
  return dir
})()

afterAll(() => {
  if (mountPoint) spawnSync('umount', [mountPoint])
})

/** Fills the file system holding `dir` with a file, to the last byte it accepts. */
function fill(dir: string): string {
  const file = path.join(dir, 'filler')
  const fd = fs.openSync(file, 'w')
  const chunk = Buffer.alloc(4096, 0x61)
  try {
    for (;;) fs.writeSync(fd, chunk)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err
  }
  // The last page may still take a few bytes.
  try {
    for (;;) fs.writeSync(fd, chunk, 0, 1)
  } catch {
    // full
  }
  fs.closeSync(fd)
  return file
}

const waitFor = async (cond: () => boolean) => {
  for (let k = 0; k < 2000 && !cond(); k++)
    await new Promise((r) => setTimeout(r, 10))
  return cond()
}

describe.skipIf(!mountPoint)('a full tmpfs (real ENOSPC)', () => {
  for (const policy of policies) {
    it(`${policy}: fills, reports ENOSPC, keeps records whole, resumes when space returns`, async () => {
      const dir = path.join(mountPoint!, policy)
      const errors: AofError[] = []
      const aof = openAof({
        dir,
        fsync: policy,
        onError: (e) => errors.push(e),
      })
      let n = 0
      const threw: string[] = []
      const append = () => {
        const i = n++
        try {
          // Records wider than a page's leftovers, so a full disk cuts one short.
          aof.append({ type: 'step', i, text: 'x'.repeat(700) })
        } catch (e) {
          threw.push((e as AofError).code)
        }
      }
      for (let k = 0; k < 5; k++) append()
      aof.flush()
      const filler = fill(mountPoint!)
      for (let k = 0; k < 12; k++) {
        append()
        await new Promise((r) => setImmediate(r))
        const text = fs.readFileSync(
          path.join(dir, aof.stats().files.at(-1)!.name),
          'utf8',
        )
        expect(text.endsWith('\n')).toBe(true)
      }
      if (policy === 'always') {
        expect(threw.length).toBeGreaterThan(0)
        expect(new Set(threw)).toEqual(new Set(['AOF_IO']))
      } else {
        expect(threw).toEqual([])
        expect(
          errors.map(
            (e) => `${e.code}/${(e.cause as NodeJS.ErrnoException)?.code}`,
          ),
        ).toContain('AOF_IO/ENOSPC')
        expect(aof.stats().lastWriteStatus).toBe('err')
      }
      fs.rmSync(filler)
      if (policy === 'always') append()
      else
        expect(
          await waitFor(
            () =>
              aof.stats().lastWriteStatus === 'ok' &&
              aof.stats().bufferLength === 0,
          ),
        ).toBe(true)
      append()
      aof.closeSync()
      const again = openAof({ dir })
      expect([...again.records()].map((r) => (r as { i: number }).i)).toEqual(
        Array.from({ length: n }, (_, k) => k),
      )
      again.closeSync()
      runs++
    })
  }
})
