// The deterministic workload every crash test uses: action i carries a value derived from the
// run's seed and i alone, so any process of a run (before or after a kill) issues the same
// stream, and a restored state can be checked against it without any record of what was sent.
//
// State: { n, log } where log[k] is the value of action k. A restored state is correct when
// it is exactly the state after the first n actions: n === log.length and every log[k] matches.

/** A small seeded PRNG (32-bit, xorshift-multiply): same seed, same sequence. */
export function prng(seed) {
  let s = seed >>> 0 || 0x9e3779b9
  const next = () => {
    s = (s + 0x6d2b79f5) >>> 0
    let t = s
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  return {
    next,
    /** An integer in [lo, hi]. */
    int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)),
    pick: (arr) => arr[Math.floor(next() * arr.length)],
    chance: (p) => next() < p,
  }
}

/** The value of action `i` of the run seeded with `seed`. */
export function valueOf(seed, i) {
  let h =
    Math.imul((seed >>> 0) ^ 0x85ebca6b, 0xc2b2ae35) ^
    Math.imul(i + 1, 0x27d4eb2f)
  h ^= h >>> 16
  h = Math.imul(h, 0x7feb352d)
  h ^= h >>> 15
  return (h >>> 0) % 1000000
}

/** The record (core) or action (Redux) of step `i`. */
export const stepAction = (seed, i) => ({
  type: 'step',
  i,
  v: valueOf(seed, i),
})

/**
 * Says why `state` is not the state after some prefix of the run's actions, or null when it
 * is one. `state` is `{ n, log }` as every workload keeps it.
 */
export function prefixError(seed, state) {
  if (typeof state !== 'object' || state === null)
    return `state is ${JSON.stringify(state)}`
  const { n, log } = state
  if (!Number.isInteger(n) || !Array.isArray(log))
    return `state has no n/log: ${JSON.stringify(state).slice(0, 200)}`
  if (log.length !== n) return `n = ${n} but log holds ${log.length} values`
  for (let k = 0; k < n; k++) {
    if (log[k] !== valueOf(seed, k))
      return `log[${k}] = ${log[k]}, action ${k} had ${valueOf(seed, k)} (lost, duplicated or reordered action)`
  }
  return null
}

/**
 * Folds core records (an optional snapshot action of `{ n, log }`, then step records) into
 * `{ n, log }`; throws when a step does not follow the state before it (a gap or duplicate).
 */
export function foldCoreRecords(records) {
  let n = 0
  let log = []
  let k = 0
  for (const r of records) {
    if (r && r.type === '@@aof/SNAPSHOT') {
      if (k !== 0)
        throw new Error(`snapshot record at position ${k}, not first`)
      n = r.payload.n
      log = r.payload.log.slice()
    } else if (r && r.type === 'step') {
      if (r.i !== n)
        throw new Error(`record ${k} is step ${r.i}, expected step ${n}`)
      log.push(r.v)
      n++
    } else {
      throw new Error(
        `record ${k} is not a step: ${JSON.stringify(r).slice(0, 100)}`,
      )
    }
    k++
  }
  return { n, log }
}
