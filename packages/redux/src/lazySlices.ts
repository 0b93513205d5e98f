import { isPlainObject } from 'redux'

/**
 * RTK 2's `combineSlices(...)` reducer: the one root reducer whose slices can arrive after the
 * store exists (`rootReducer.inject(slice)`, `slice.injectInto(rootReducer)`).
 */
interface Injectable {
  (state: unknown, action: unknown): unknown
  inject(slice: { reducerPath: string }, config?: unknown): unknown
  withLazyLoadedSlices: unknown
}

const LAZY = Symbol.for('@aof-persist/redux/lazySlices')

export function isInjectable(reducer: unknown): reducer is Injectable {
  return (
    typeof reducer === 'function' &&
    typeof (reducer as Partial<Injectable>).inject === 'function' &&
    typeof (reducer as Partial<Injectable>).withLazyLoadedSlices === 'function'
  )
}

/**
 * What the log knows of the slices of a `combineSlices` reducer that are not injected yet, and
 * of those injected after the store was created.
 *
 * A replay cannot run the actions of a slice whose reducer is not loaded yet, and redux's
 * `combineReducers` drops the state of keys it has no reducer for. So the state the log holds
 * for such a key is kept here (`held`) and handed to the slice when it is injected; and every
 * change of a slice injected after creation (`late`) is also logged as its state, in a slice
 * record, so the next start can restore it without the slice's reducer.
 */
export class LazySlices {
  /** State the log holds for top-level keys that no reducer produces (yet). */
  readonly held = new Map<string, unknown>()
  /** Keys injected since the last reduce: their held state is handed over at the next one. */
  readonly arrived = new Set<string>()
  /** Keys injected after the store was created: their changes are logged as slice records. */
  readonly late = new Set<string>()
  /** The value of each late key as the log last recorded it. */
  readonly logged = new Map<string, unknown>()
  /** Set once the store holds the replayed state: injections from then on are late. */
  created = false
  /** Called by `inject` with the key, so the middleware can hand the state over at once. */
  onInject: ((key: string) => void) | null = null

  /** A fresh start (a new store replays): forget what an earlier store held. */
  reset(): void {
    this.held.clear()
    this.arrived.clear()
    this.late.clear()
    this.logged.clear()
    this.created = false
  }

  /** Gives the keys injected since the last reduce the state the log holds for them. */
  handOver(state: unknown): unknown {
    let next = state
    for (const key of this.arrived) {
      if (this.created) this.late.add(key)
      if (!this.held.has(key) || !isPlainObject(state)) continue
      const value = this.held.get(key)
      this.held.delete(key)
      if (next === state) next = { ...(state as Record<string, unknown>) }
      ;(next as Record<string, unknown>)[key] = value
      this.logged.set(key, value)
    }
    this.arrived.clear()
    return next
  }

  /** `state` with the held keys added: what a snapshot must keep. */
  withHeld(state: unknown): unknown {
    if (this.held.size === 0 || !isPlainObject(state)) return state
    return {
      ...Object.fromEntries(this.held),
      ...(state as Record<string, unknown>),
    }
  }
}

/**
 * The {@link LazySlices} of a `combineSlices` reducer, created on first use: its `inject` is
 * wrapped (once) so every injection is seen, whichever way the app calls it.
 */
export function lazySlicesOf(reducer: Injectable): LazySlices {
  const own = reducer as Injectable & { [LAZY]?: LazySlices }
  const existing = own[LAZY]
  if (existing) return existing
  const lazy = new LazySlices()
  const inject = reducer.inject
  Object.defineProperty(own, LAZY, { value: lazy })
  own.inject = function (this: unknown, slice, config) {
    const result = inject.call(this, slice, config)
    const key = (slice as { reducerPath?: unknown }).reducerPath
    if (typeof key === 'string') {
      lazy.arrived.add(key)
      lazy.onInject?.(key)
    }
    return result
  }
  return lazy
}
