// The per-turn measurement the adapters' benchmarks share (packages/redux/bench and
// packages/zustand/bench): one call per timer turn, the modes interleaved in a random order
// per round, each charged with the main thread's busy time until the next turn.

const nextTimer = () => new Promise((resolve) => setTimeout(resolve, 0))

/** Median of `xs` (xs not empty). */
export const median = (xs) =>
  [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

/**
 * Turns per mode run before the measured ones and not counted: V8 compiles a function with its
 * optimizing compiler only after it ran a while, so the first hundreds of calls of each mode's
 * code run in its interpreter and baseline tiers. The figures are the steady state of an app
 * that runs for more than a second.
 */
export const WARMUP_TURNS = 1500

/**
 * Runs `modes` (name → function of the turn's number) round-robin in random order,
 * {@link WARMUP_TURNS} turns each not counted, then `turns` turns each, one call per timer
 * turn; returns each mode's median busy ms per turn (eventLoopUtilization().active until the
 * next turn, so work a call defers to the end of its turn counts too).
 */
export async function interleaved(modes, turns, warmup = WARMUP_TURNS) {
  if (warmup > 0) await interleaved(modes, warmup, 0)
  const names = Object.keys(modes)
  const busy = Object.fromEntries(names.map((n) => [n, []]))
  let order = []
  let previous = null
  await nextTimer()
  let last = performance.eventLoopUtilization()
  for (let i = 0; i <= turns * names.length; i++) {
    await nextTimer()
    const now = performance.eventLoopUtilization()
    if (previous !== null) busy[previous].push(now.active - last.active)
    last = now
    if (i === turns * names.length) break
    if (order.length === 0) {
      order = [...names]
      for (let k = order.length - 1; k > 0; k--) {
        const j = Math.floor(Math.random() * (k + 1))
        ;[order[k], order[j]] = [order[j], order[k]]
      }
    }
    previous = order.pop()
    modes[previous](i)
  }
  return Object.fromEntries(names.map((n) => [n, median(busy[n])]))
}

/**
 * Independent runs (fresh stores each) of an overhead measurement. On this kind of machine (a
 * shared VM, steal time counted as busy) one run's ratio can land 0.3 above the others while the
 * stores' code is the same, so one run alone, or the median of three, can fall on either side of
 * a goal by chance: with five, three runs must stray the same way to move the median.
 */
export const OVERHEAD_ROUNDS = 5

/**
 * Runs `measure` (a fresh interleaved measurement, resolving to a row with a `ratio`) `rounds`
 * times and returns the row of the median ratio, with every round's ratio in `rounds`: the
 * machine's state drifts between runs by more than the figure's own spread, and one run alone
 * can land on either side of a goal.
 */
export async function medianRound(measure, rounds) {
  const rows = []
  for (let i = 0; i < rounds; i++) rows.push(await measure())
  const sorted = [...rows].sort((a, b) => a.ratio - b.ratio)
  return {
    ...sorted[Math.floor(rows.length / 2)],
    rounds: rows.map((r) => Number(r.ratio.toFixed(3))),
  }
}
