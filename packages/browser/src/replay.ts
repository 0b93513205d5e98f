import { openAof, type AofRecords } from '@aof-persist/core/portable'
import { bytesStorage } from './bytesStorage.js'
import type { LogFiles } from './protocol.js'

/**
 * The records of a log held on the main thread: the files as the worker loaded them (read by
 * the core's own load path, with its rules and its errors naming file, line and byte offset),
 * or the snapshot of the last rewrite made here, then the records logged since, as JSON texts.
 */
export function replayRecords<A>(
  loaded: LogFiles | null,
  base: { record: A } | null,
  tail: readonly string[],
): AofRecords<A> {
  let files: AofRecords<A> | null = null
  let inFiles = false
  function* all(): Generator<A> {
    if (loaded) {
      // The engine over a read-only copy of the bytes: the worker already cut any torn tail
      // and dropped history entries, so opening it writes nothing.
      const copy = openAof<A>({
        storage: bytesStorage(loaded),
        fileName: loaded.fileName,
        fsync: 'no',
        autoRewritePercentage: 0,
      })
      try {
        files = copy.records()
        inFiles = true
        yield* files
      } finally {
        inFiles = false
        copy.closeSync()
      }
    } else if (base) yield base.record
    // Logged after the files were loaded: their place in the files is the worker's to know.
    for (const line of tail) yield JSON.parse(line) as A
  }
  return {
    [Symbol.iterator]: () => all(),
    at: () => (inFiles && files ? files.at() : null),
  }
}
