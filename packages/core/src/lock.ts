// The single-writer lock of the Node storage (nodeStorage.ts); OPFS uses Web Locks instead.
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { AofError } from './errors.js'

/** Mode of the lock file: owner read/write only. */
const FILE_MODE = 0o600

/** The lock file's name. One per directory, whatever `fileName` the store uses. */
export const LOCK_NAME = 'aof.lock'

interface LockInfo {
  pid: number
  host: string
  /** The holder's start time as the kernel reports it, to tell a reused pid from the holder. */
  start: string | null
}

/** Start time of process `pid` in clock ticks since boot (Linux), or null where unknown. */
function processStart(pid: number): string | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8')
    // Field 22 (starttime), counted after the command name, which may hold spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return fields[19] ?? null
  } catch {
    return null
  }
}

function isAlive(info: LockInfo): boolean {
  if (info.host !== os.hostname()) return true // cannot tell for another machine: assume held
  try {
    process.kill(info.pid, 0)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false
  }
  if (info.start === null) return true
  const start = processStart(info.pid)
  return start === null || start === info.start
}

const myInfo = (): LockInfo => ({
  pid: process.pid,
  host: os.hostname(),
  start: processStart(process.pid),
})

function readLock(
  file: string,
): { text: string; info: LockInfo | null } | null {
  let text: string
  try {
    text = fs.readFileSync(file, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null
    throw err
  }
  try {
    const info = JSON.parse(text) as LockInfo
    if (typeof info.pid === 'number' && typeof info.host === 'string')
      return { text, info }
  } catch {
    // a lock file torn by a crash while it was being written: nobody can hold it
  }
  return { text, info: null }
}

function lockedError(dir: string, file: string, info: LockInfo): AofError {
  const who =
    info.pid === process.pid && info.host === os.hostname()
      ? 'this process (another openAof on the same directory)'
      : `process ${info.pid} on ${info.host}`
  return new AofError(
    'AOF_LOCKED',
    `The store ${dir} is locked by ${who}. Only one writer may open a store: close the other one first, or use the read-only tools (checkAof, "aof check").`,
    { file },
  )
}

/**
 * Creates `file` holding `text`, or returns false when it exists. The text is written to a
 * temp file first and hard-linked into place, so nobody ever reads the lock empty or half
 * written: a reader would take such a lock for one torn by a crash and take it over from a
 * live holder. File systems without hard links get an exclusive create and a write instead.
 */
function createExclusive(file: string, text: string): boolean {
  const temp = `${file}.${process.pid}.tmp`
  try {
    fs.writeFileSync(temp, text, { mode: FILE_MODE })
    fs.linkSync(temp, file)
    return true
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'EEXIST') return false
    if (
      code !== 'EPERM' &&
      code !== 'ENOTSUP' &&
      code !== 'EOPNOTSUPP' &&
      code !== 'ENOSYS'
    )
      throw err
  } finally {
    fs.rmSync(temp, { force: true })
  }
  try {
    const fd = fs.openSync(file, 'wx', FILE_MODE)
    try {
      fs.writeSync(fd, text)
    } finally {
      fs.closeSync(fd)
    }
    return true
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false
    throw err
  }
}

/** Removes `aof.lock.<pid>.tmp` files that a process killed in the middle of createExclusive left. */
function removeDeadTemps(dir: string): void {
  let names: string[]
  try {
    names = fs.readdirSync(dir)
  } catch {
    return
  }
  for (const name of names) {
    const m = /^aof\.lock(?:\.takeover)?\.(\d+)\.tmp$/.exec(name)
    if (!m || Number(m[1]) === process.pid) continue
    try {
      process.kill(Number(m[1]), 0)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ESRCH')
        fs.rmSync(path.join(dir, name), { force: true })
    }
  }
}

/** Removes `file` if it still holds `text`. */
function removeIfUnchanged(file: string, text: string): void {
  try {
    if (fs.readFileSync(file, 'utf8') === text) fs.rmSync(file, { force: true })
  } catch {
    // gone already
  }
}

const sleeper = new Int32Array(new SharedArrayBuffer(4))
/** Blocks for `ms` milliseconds: acquire() is synchronous. */
const pause = (ms: number) => Atomics.wait(sleeper, 0, 0, ms)

/**
 * A single-writer lock on a store directory: an exclusively created `aof.lock` holding the
 * holder's pid, host and process start time. A lock whose holder is gone (killed, or its pid
 * reused by another process) is taken over.
 */
export class DirLock {
  readonly file: string
  #text: string
  #held = true

  private constructor(file: string, text: string) {
    this.file = file
    this.#text = text
  }

  /** Takes the lock on `dir` or throws `AOF_LOCKED` naming the holder. */
  static acquire(dir: string): DirLock {
    const file = path.join(dir, LOCK_NAME)
    const text = JSON.stringify(myInfo()) + '\n'
    removeDeadTemps(dir)
    for (let attempt = 0; attempt < 100; attempt++) {
      try {
        if (createExclusive(file, text)) return new DirLock(file, text)
      } catch (err) {
        throw new AofError(
          'AOF_IO',
          `Cannot create the lock file ${file}: ${(err as NodeJS.ErrnoException).code}. Check the directory's permissions.`,
          { file, cause: err },
        )
      }
      const current = readLock(file)
      if (current === null) continue // released meanwhile: try again
      if (current.info && isAlive(current.info))
        throw lockedError(dir, file, current.info)
      // Stale. Only the holder of a second lock, the takeover lock, may remove it: otherwise a
      // process that judged it stale could remove the fresh lock another process took after
      // it, leaving two holders. No one can create aof.lock while it exists, so what the
      // takeover holder reads again just before removing it is what it removes.
      const takeover = `${file}.takeover`
      let taking: boolean
      try {
        taking = createExclusive(takeover, text)
      } catch (err) {
        throw new AofError(
          'AOF_IO',
          `Cannot create ${takeover}: ${(err as NodeJS.ErrnoException).code}.`,
          { file: takeover, cause: err },
        )
      }
      if (!taking) {
        const other = readLock(takeover)
        if (other?.info && isAlive(other.info)) {
          pause(2) // another process is taking over: wait for it, then look again
        } else if (other) {
          // Its holder died while taking over (or a crash tore it): it is stale too.
          removeIfUnchanged(takeover, other.text)
        }
        continue
      }
      try {
        removeIfUnchanged(file, current.text)
      } finally {
        fs.rmSync(takeover, { force: true })
      }
    }
    throw new AofError(
      'AOF_LOCKED',
      `Could not take the lock on ${dir}: it keeps changing hands.`,
      {
        file,
      },
    )
  }

  /**
   * Throws `AOF_LOCKED` when a live process holds the lock on `dir`, without taking it: for
   * dry runs that must say up front that the real run would be refused.
   */
  static assertFree(dir: string): void {
    const file = path.join(dir, LOCK_NAME)
    const current = readLock(file)
    if (current?.info && isAlive(current.info))
      throw lockedError(dir, file, current.info)
  }

  /** Releases the lock if this process still holds it. Idempotent. */
  release(): void {
    if (!this.#held) return
    this.#held = false
    try {
      if (fs.readFileSync(this.file, 'utf8') === this.#text)
        fs.rmSync(this.file, { force: true })
    } catch {
      // already gone
    }
  }
}
