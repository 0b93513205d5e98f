import { NAME_SETTLE_MS } from './lostNames.js'
import { persistManifest, type Manifest } from './manifest.js'
import type { StoreState } from './rewrite.js'
import { io, runAsync, type Step } from './storage.js'
import type { ManifestEntry } from './types.js'

/**
 * The history files: what a rewrite retired (the old base and incr files), listed as `type h`
 * until deleted. Where names are durable they go at the end of the rewrite, in the background
 * where the storage can (Redis's bg_unlink); where they are not (OPFS), only once the names
 * settled ({@link NAME_SETTLE_MS}): deleting them sooner could let a power loss keep the
 * deletion and lose the manifest switch, leaving a manifest that lists missing files. A failed
 * deletion is housekeeping: the files stay listed and go later (at the latest at the next open).
 */
export class HistoryFiles {
  readonly #s: StoreState
  readonly #busy: () => boolean
  /** When each history file was retired in this session (unknown: an earlier session). */
  #retiredAt = new Map<string, number>()
  #timer: ReturnType<typeof setTimeout> | null = null

  constructor(state: StoreState, rewriting: () => boolean) {
    this.#s = state
    this.#busy = rewriting
  }

  /** A rewrite listed `entries` as history at `now`. */
  retired(entries: ManifestEntry[], now: number): void {
    for (const e of entries) this.#retiredAt.set(e.name, now)
  }

  /** Deletes the history files retired at least `settleMs` ago, then drops them from the manifest. */
  *delete(background: boolean, settleMs = 0): Step<void> {
    const s = this.#s
    const m = s.manifest
    const now = Date.now()
    // A file retired by a rewrite of an earlier session has settled long ago.
    const due = m.history.filter(
      (h) => now - (this.#retiredAt.get(h.name) ?? 0) >= settleMs,
    )
    if (due.length === 0) return
    try {
      for (const h of due) {
        yield* io(s.storage.remove(h.name, { background }))
        this.#retiredAt.delete(h.name)
      }
      if (s.manifest !== m || s.status === 'closed') return
      const clean: Manifest = {
        ...m,
        history: m.history.filter((h) => !due.includes(h)),
      }
      yield* persistManifest(s.storage, s.fileName, clean)
      s.manifest = clean
    } catch {
      // stays listed; deleted later
    }
  }

  /** Deletes the history files once their names settled (names not durable). */
  deleteLater(): void {
    if (this.#timer || this.#s.manifest.history.length === 0) return
    this.#timer = setTimeout(() => {
      this.#timer = null
      if (this.#s.status !== 'open') return
      if (this.#busy()) return this.deleteLater()
      runAsync(this.delete(true, NAME_SETTLE_MS)).then(
        () => this.deleteLater(),
        () => {},
      )
    }, NAME_SETTLE_MS)
    ;(this.#timer as { unref?: () => void }).unref?.()
  }

  /** Stops the timer (the store is closing). */
  dispose(): void {
    if (this.#timer) clearTimeout(this.#timer)
    this.#timer = null
  }
}
