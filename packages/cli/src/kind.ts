import {
  isAofError,
  locatedRecords,
  readAofEntries,
  readSnapshot,
  type AofError,
  type AofKind,
} from '@aof-persist/core'
import { storeOf, type Context } from './context.js'
import { withProgress } from './terminal.js'

/** Which adapter wrote a store, and whether its records read the way that adapter reads them. */
export interface KindCheck {
  /** The kind the store records in its snapshot (null: none recorded). */
  recorded: string | null
  /** The adapter whose reading every record passes (the recorded one, or for a store without a kind the first that fits); null for none. */
  fits: AofKind | null
  /** The stored schema version. */
  version: number
  /** The error the recorded kind's adapter raises at start-up (file and line named), if any. */
  error: AofError | null
}

const PACKAGE: Record<AofKind, string> = {
  redux: '@aof-persist/redux',
  zustand: '@aof-persist/zustand',
}

const isKnown = (kind: string): kind is AofKind => kind in PACKAGE

/** The kind the first record (a snapshot) of the store records; null when none. */
export function recordedKind(ctx: Context): {
  kind: string | null
  version: number
} {
  for (const entry of readAofEntries(storeOf(ctx))) {
    if (entry.kind !== 'record') continue
    const snap = readSnapshot(entry.value)
    return { kind: snap?.kind ?? null, version: snap?.version ?? 0 }
  }
  return { kind: null, version: 0 }
}

/**
 * Reads every record the way the adapter of the store's kind reads them at start-up (the
 * adapters' own `checkRecords`), so `aof check` and the app never disagree. A store without a
 * recorded kind (written by the core alone, or by version 0.1 of an adapter) is tried with each
 * adapter; none fitting is no error there, since the core itself reads any JSON record.
 * Read-only, without the lock. Call it on a store whose bytes passed `checkAof`.
 */
export async function checkKind(ctx: Context): Promise<KindCheck> {
  const { kind: recorded } = recordedKind(ctx)
  const adapters = {
    redux: await import('@aof-persist/redux'),
    zustand: await import('@aof-persist/zustand'),
  }
  const where = ctx.storage?.location ?? ctx.dir
  const read = (kind: AofKind) =>
    withProgress(
      ctx.io,
      `Reading the records as ${PACKAGE[kind]} does`,
      (onProgress) =>
        adapters[kind].checkRecords(
          locatedRecords(
            readAofEntries({ ...storeOf(ctx), onProgress }),
            where,
          ),
          where,
        ),
    )
  if (recorded !== null && !isKnown(recorded)) {
    return { recorded, fits: null, version: 0, error: null }
  }
  const tries: AofKind[] = recorded ? [recorded] : ['zustand', 'redux']
  for (const kind of tries) {
    try {
      const result = read(kind)
      return { recorded, fits: kind, version: result.version, error: null }
    } catch (err) {
      if (!isAofError(err)) throw err
      if (recorded) return { recorded, fits: null, version: 0, error: err }
    }
  }
  return { recorded, fits: null, version: 0, error: null }
}

/** The line `aof check` and `aof inspect` print about the kind. */
export function describeKind(k: KindCheck): string {
  if (k.recorded !== null && !isKnown(k.recorded)) {
    return `Kind ${k.recorded}: not an adapter this command knows (it reads ${Object.keys(PACKAGE).join(' and ')} logs); the records were checked as JSON only`
  }
  if (k.recorded) {
    return k.error
      ? `Kind ${k.recorded} (written by ${PACKAGE[k.recorded]}): a record does not read as that adapter reads it`
      : `Kind ${k.recorded} (written by ${PACKAGE[k.recorded]}), version ${k.version}: every record reads as that adapter reads it`
  }
  return k.fits
    ? `Kind not recorded (the core alone, or aof-persist 0.1): every record reads as ${PACKAGE[k.fits]} reads it; its next rewrite records the kind`
    : "Kind not recorded: the records are not an adapter's (a store of the core alone)"
}
