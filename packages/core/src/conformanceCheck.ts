// Assertions and small I/O helpers of the storage conformance suite (conformance.ts). No test
// runner is imported: the suite runs under any runner and in a browser page.
import type { Storage, StorageFile } from './storage.js'

/** Registers one conformance test over a fresh, prepared storage. */
export type DefineTest = (
  name: string,
  fn: (storage: Storage) => Promise<void> | void,
) => void

const enc = new TextEncoder()
export const dec = new TextDecoder()
export const bytes = (text: string) => enc.encode(text)

/** A failed conformance check. */
class ConformanceError extends Error {
  override readonly name = 'ConformanceError'
}

export function ok(condition: unknown, what: string): asserts condition {
  if (!condition) throw new ConformanceError(`storage conformance: ${what}`)
}

export function equal<T>(actual: T, expected: T, what: string) {
  const a = JSON.stringify(actual)
  const e = JSON.stringify(expected)
  ok(a === e, `${what}: expected ${e}, got ${a}`)
}

/** Runs `fn` (which may throw or reject) and checks that it fails with `code`. */
export async function fails(
  fn: () => unknown,
  code: string | null,
  what: string,
) {
  let error: unknown = null
  try {
    await fn()
  } catch (err) {
    error = err ?? new Error(String(err))
  }
  ok(
    error !== null,
    `${what}: expected an error${code ? ` ${code}` : ''}, none was thrown`,
  )
  if (code !== null) {
    const got = (error as { code?: unknown }).code
    ok(
      got === code,
      `${what}: expected code ${code}, got ${String(got)} (${String(error)})`,
    )
  }
}

/** Writes all of `data` at `at`, looping on short writes as the engine does. */
export function writeAll(file: StorageFile, data: Uint8Array, at: number) {
  let done = 0
  while (done < data.length) {
    const n = file.write(data.subarray(done), at + done)
    ok(
      Number.isInteger(n) && n > 0 && n <= data.length - done,
      `write returns the bytes written, 1..${data.length - done}: got ${n}`,
    )
    done += n
  }
}

/** Reads `length` bytes at `at` (fewer at the end). */
export function readAt(
  file: StorageFile,
  at: number,
  length: number,
): Uint8Array {
  const buf = new Uint8Array(length)
  let done = 0
  while (done < length) {
    const n = file.read(buf.subarray(done), at + done)
    if (n === 0) break
    done += n
  }
  return buf.subarray(0, done)
}

export const textOf = (file: StorageFile) =>
  dec.decode(readAt(file, 0, file.size()))

export const rw = { write: true, create: true }

/** Creates `name` holding `text`, and closes it. */
export async function put(s: Storage, name: string, text: string) {
  const f = await s.open(name, rw)
  writeAll(f, bytes(text), 0)
  f.close()
}

/** The text of `name`, through a read-only handle. */
export async function read(s: Storage, name: string): Promise<string> {
  const f = await s.open(name, { write: false, create: false })
  try {
    return textOf(f)
  } finally {
    f.close()
  }
}

/**
 * The names the tests made, sorted (a storage may keep files of its own in the store, such as
 * Node's lock file).
 */
export async function names(s: Storage): Promise<string[]> {
  return (await s.list()).filter((n) => /^t\d|^[ab]\./.test(n)).sort()
}
