import { AofError } from './errors.js'
import { encodeRecord } from './record.js'
import { afterTurn } from './turns.js'

/** Lets the event loop turn: timers, I/O and appends run before the serializer goes on. */
const yieldToLoop = () => new Promise<void>((resolve) => afterTurn(resolve))

/** Longest stretch the serializer runs before it lets the event loop turn. */
export const SLICE_MS = 8

/** A subtree of at most this many values is serialized by one native JSON.stringify call. */
const SMALL_NODES = 64
/** Array elements serialized by one native call when none of them needs descending into. */
const RUN = 256

const isPlain = (v: object): boolean => {
  if (Array.isArray(v)) return true
  const proto = Object.getPrototypeOf(v) as unknown
  return proto === Object.prototype || proto === null
}

/** Counts the values in `v`, stopping as soon as the count passes `budget`. */
function countUpTo(v: unknown, budget: number): number {
  if (typeof v !== 'object' || v === null) return 1
  let n = 1
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length && n <= budget; i++)
      n += countUpTo(v[i], budget - n)
  } else {
    for (const k in v) {
      n += countUpTo((v as Record<string, unknown>)[k], budget - n)
      if (n > budget) break
    }
  }
  return n
}

/**
 * True when a value should be walked entry by entry instead of handed to JSON.stringify in one
 * call: a plain array or object holding more than a few dozen values. Counting stops at the
 * budget, so deciding costs at most that much; a small subtree (a todo item) goes native.
 */
function shouldDescend(v: unknown): v is object {
  if (typeof v !== 'object' || v === null || !isPlain(v)) return false
  if (typeof (v as { toJSON?: unknown }).toJSON === 'function') return false
  return countUpTo(v, SMALL_NODES) > SMALL_NODES
}

type Frame =
  | { array: true; v: unknown[]; i: number }
  | {
      array: false
      v: Record<string, unknown>
      keys: string[]
      i: number
      wrote: boolean
    }

/**
 * Serializes `value` exactly as `JSON.stringify(value)` would, in slices: it hands text to
 * `write` in pieces and lets the event loop turn whenever it has run for `sliceMs`, so a large
 * state does not stall the app. The value must not change meanwhile: immutable state (Redux,
 * Zustand) is a consistent snapshot for free. Throws what JSON.stringify throws (cycles, BigInt).
 * Returns false when the value serializes to nothing (undefined, a function).
 */
export async function stringifyInSlices(
  value: unknown,
  write: (text: string) => void,
  sliceMs = SLICE_MS,
  shouldStop: () => boolean = () => false,
): Promise<boolean> {
  let out: string[] = []
  let outLen = 0
  const emit = (s: string) => {
    out.push(s)
    outLen += s.length
    if (outLen >= 1 << 20) {
      write(out.join(''))
      out = []
      outLen = 0
    }
  }
  const root = toJsonValue(value, '')
  if (!shouldDescend(root)) {
    const s = JSON.stringify(root)
    if (s === undefined) return false
    write(s)
    return true
  }
  const stack: Frame[] = []
  const onStack = new Set<object>()
  const open = (v: object) => {
    if (onStack.has(v))
      throw new TypeError('Converting circular structure to JSON')
    onStack.add(v)
    if (Array.isArray(v)) {
      emit('[')
      stack.push({ array: true, v, i: 0 })
    } else {
      emit('{')
      stack.push({
        array: false,
        v: v as Record<string, unknown>,
        keys: Object.keys(v),
        i: 0,
        wrote: false,
      })
    }
  }
  open(root)
  let sliceStart = performance.now()
  let steps = 0
  while (stack.length > 0) {
    if (++steps >= 64) {
      steps = 0
      if (performance.now() - sliceStart >= sliceMs) {
        if (outLen > 0) {
          write(out.join(''))
          out = []
          outLen = 0
        }
        await yieldToLoop()
        if (shouldStop()) throw new Error('rewrite abandoned')
        sliceStart = performance.now()
      }
    }
    const f = stack[stack.length - 1]!
    if (f.array) {
      if (f.i >= f.v.length) {
        emit(']')
        onStack.delete(f.v)
        stack.pop()
        continue
      }
      const item = toJsonValue(f.v[f.i], String(f.i))
      if (shouldDescend(item)) {
        if (f.i > 0) emit(',')
        f.i++
        open(item)
        continue
      }
      // A run of elements that need no walking goes through one native call.
      let end = f.i + 1
      while (end < f.v.length && end - f.i < RUN) {
        const x = f.v[end]
        if (shouldDescend(x) || hasToJson(x)) break
        end++
      }
      const slice = end === f.i + 1 ? [item] : f.v.slice(f.i, end)
      if (end === f.i + 1) slice[0] = item
      // A run is as much work as its elements: count them, so the clock is read often enough
      // for a slice to stay near sliceMs (64 runs of 256 items would be ~20 ms).
      steps += slice.length - 1
      const s = JSON.stringify(slice)
      if (f.i > 0) emit(',')
      emit(s.slice(1, -1))
      f.i = end
    } else {
      if (f.i >= f.keys.length) {
        emit('}')
        onStack.delete(f.v)
        stack.pop()
        continue
      }
      const key = f.keys[f.i++]!
      const item = toJsonValue(f.v[key], key)
      if (
        item === undefined ||
        typeof item === 'function' ||
        typeof item === 'symbol'
      )
        continue
      emit((f.wrote ? ',' : '') + JSON.stringify(key) + ':')
      f.wrote = true
      if (shouldDescend(item)) open(item)
      else emit(JSON.stringify(item))
    }
  }
  if (outLen > 0) write(out.join(''))
  return true
}

const hasToJson = (x: unknown): boolean =>
  typeof x === 'object' &&
  x !== null &&
  typeof (x as { toJSON?: unknown }).toJSON === 'function'

/** Applies `toJSON(key)` as JSON.stringify does before it looks at a value. */
function toJsonValue(v: unknown, key: string): unknown {
  return hasToJson(v) ? (v as { toJSON(k: string): unknown }).toJSON(key) : v
}

/**
 * Writes a snapshot record's JSON text through `write`, in pieces; returns false when the
 * snapshot serializes to nothing. May answer later (a serializer that yields to the loop).
 */
export type Source = (
  write: (text: string) => void,
) => boolean | Promise<boolean>

/** A snapshot value, serialized in slices; `stop` abandons it at the next slice. */
export function slicedSource(snapshot: unknown, stop: () => boolean): Source {
  return async (write) => {
    try {
      return await stringifyInSlices(snapshot, write, SLICE_MS, stop)
    } catch (err) {
      if (err instanceof TypeError) throw encodeFailure(snapshot, err)
      throw err
    }
  }
}

/** A snapshot already serialized elsewhere, arriving in pieces (no newlines). */
export function chunkSource(
  chunks: Iterable<string> | AsyncIterable<string>,
  stop: () => boolean,
): Source {
  return async (write) => {
    for await (const chunk of chunks) {
      if (stop()) throw new Error('rewrite abandoned')
      if (typeof chunk !== 'string' || chunk.includes('\n')) {
        throw new TypeError(
          'rewriteFrom(): every chunk must be a string without newlines',
        )
      }
      write(chunk)
    }
    return true
  }
}

/** The error for a snapshot JSON cannot hold, naming where when it can. */
export function encodeFailure(snapshot: unknown, cause: unknown): AofError {
  try {
    encodeRecord(snapshot)
  } catch (err) {
    if (err instanceof AofError) return err
  }
  return new AofError(
    'AOF_NOT_SERIALIZABLE',
    'The snapshot cannot be serialized as JSON; nothing was replaced.',
    { cause },
  )
}
