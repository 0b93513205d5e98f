// A real redis-server 7 for the differential tests of the manifest parser: each call starts its
// own server in a fresh temp directory, on a unix socket (no TCP port), with a manifest the test
// wrote, and reports whether Redis started or refused it.
import { spawn, spawnSync } from 'node:child_process'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'

/** The `appendfilename` the servers run with; the parser is given the same `fileName`. */
export const REDIS_FILE_NAME = 'redis.aof'
const AOF_DIR = 'aofdir'
const MANIFEST = `${REDIS_FILE_NAME}.manifest`
/** The line Redis logs once it has loaded everything (7.0: "...now ready to accept connections at"). */
const READY = /ready to accept connections/i

/**
 * Redis fsyncs the manifest it rewrites at start-up, and the base it creates; on tmpfs
 * (/dev/shm) an fsync costs nothing, which keeps hundreds of starts within seconds.
 */
const TMP = (() => {
  try {
    fs.accessSync('/dev/shm', fs.constants.W_OK)
    return '/dev/shm'
  } catch {
    return os.tmpdir()
  }
})()

const ADVICE =
  'The manifest differential tests need Redis 7 (redis-server), which this machine lacks. ' +
  '`pnpm test` installs it on a Debian/Ubuntu machine when run as root ' +
  '(node scripts/setup-test-machine.mjs); otherwise install the package redis-server ' +
  "(or your platform's Redis 7), or set REDIS_SERVER_PATH to the binary, then run the tests again."

/** The redis-server binary to run, or an Error saying how to get one. */
export function findRedisServer(): string | Error {
  const candidates = [
    process.env.REDIS_SERVER_PATH,
    '/usr/bin/redis-server',
    '/usr/local/bin/redis-server',
  ]
  for (const bin of candidates) {
    if (!bin || !fs.existsSync(bin)) continue
    const version = spawnSync(bin, ['--version'], { encoding: 'utf8' })
    const v = /v=(\d+)\.(\d+)\.(\d+)/.exec(version.stdout ?? '')
    if (!v) return new Error(`${bin} --version printed no version. ${ADVICE}`)
    if (v[1] !== '7') {
      return new Error(
        `${bin} is Redis ${v[0].slice(2)}; the tests are written against Redis 7.0's manifest loader. ${ADVICE}`,
      )
    }
    return bin
  }
  return new Error(ADVICE)
}

/** What Redis made of a manifest at start-up. */
export interface RedisVerdict {
  /** True when the server started (got as far as accepting connections). */
  accepted: boolean
  /** The manifest as Redis left it when it rewrote it at start-up (history dropped, an incr or base added), else null. */
  rewritten: Buffer | null
  /** What the server logged. */
  log: string
}

/**
 * Starts `bin` with `appendonly yes` on a directory holding `manifest` and an empty file for
 * each of `files` (names as bytes, so names that are not UTF-8 work), and resolves once the
 * server is ready (then kills it) or has exited.
 */
export async function redisStart(
  bin: string,
  manifest: Buffer,
  files: readonly Buffer[],
): Promise<RedisVerdict> {
  const dir = fs.mkdtempSync(path.join(TMP, 'aof-redis-'))
  try {
    const aofDir = path.join(dir, AOF_DIR)
    fs.mkdirSync(aofDir)
    fs.writeFileSync(path.join(aofDir, MANIFEST), manifest)
    for (const name of files)
      fs.writeFileSync(Buffer.concat([Buffer.from(aofDir + '/'), name]), '')
    const child = spawn(
      bin,
      [
        '--port',
        '0',
        '--unixsocket',
        path.join(dir, 'redis.sock'),
        '--dir',
        dir,
        '--appendonly',
        'yes',
        '--appenddirname',
        AOF_DIR,
        '--appendfilename',
        REDIS_FILE_NAME,
        '--appendfsync',
        'no',
        '--save',
        '',
        '--daemonize',
        'no',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    )
    let log = ''
    const accepted = await new Promise<boolean>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL')
        reject(new Error(`redis-server neither started nor exited:\n${log}`))
      }, 20_000)
      const onData = (chunk: Buffer) => {
        log += chunk.toString('utf8')
        if (READY.test(log)) {
          clearTimeout(timer)
          resolve(true)
        }
      }
      child.stdout.on('data', onData)
      child.stderr.on('data', onData)
      child.on('error', (err) => {
        clearTimeout(timer)
        reject(err)
      })
      // 'close', not 'exit': the log is complete by then.
      child.on('close', (code) => {
        clearTimeout(timer)
        if (code === 0)
          reject(
            new Error(
              `redis-server exited with 0 before it was ready:\n${log}`,
            ),
          )
        resolve(false)
      })
    })
    if (child.exitCode === null && child.signalCode === null) {
      const closed = new Promise((r) => child.once('close', r))
      child.kill('SIGKILL')
      await closed
    }
    const after = fs.readFileSync(path.join(aofDir, MANIFEST))
    return {
      accepted,
      rewritten: accepted && !after.equals(manifest) ? after : null,
      log,
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
}

/** Runs `fn` over `items`, at most `limit` at a time, keeping the order. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const out: R[] = new Array(items.length)
  let next = 0
  const worker = async () => {
    while (next < items.length) {
      const i = next++
      out[i] = await fn(items[i]!)
    }
  }
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, worker),
  )
  return out
}

/**
 * A name as Redis writes it into a manifest (`sdsneedsrepr`, then `sdscatrepr`): bare unless it
 * holds a blank, a backslash, a double quote or a byte outside printable ASCII; quoted with C
 * escapes otherwise. Unlike this library's writer, an apostrophe does not make Redis quote.
 */
export function redisRepr(name: Buffer): string {
  const needs = [...name].some(
    (b) => b < 0x21 || b > 0x7e || b === 0x5c || b === 0x22,
  )
  if (!needs) return name.toString('latin1')
  const named: Record<number, string> = {
    0x5c: '\\\\',
    0x22: '\\"',
    0x0a: '\\n',
    0x0d: '\\r',
    0x09: '\\t',
    0x07: '\\a',
    0x08: '\\b',
  }
  let out = '"'
  for (const b of name) {
    out +=
      named[b] ??
      (b >= 0x20 && b <= 0x7e
        ? String.fromCharCode(b)
        : '\\x' + b.toString(16).padStart(2, '0'))
  }
  return out + '"'
}
