import { readAofEntries, type AofRecords } from '@aof-persist/core/portable'
import { bytesStorage } from './bytesStorage.js'
import type { LogFiles } from './protocol.js'

/**
 * The records of a log held on the main thread: the files as the worker loaded them (read by
 * the core's reader, with its rules and its errors naming file, line and byte offset), or the
 * snapshot of the last rewrite made here, then the records logged since, as JSON texts.
 */
export function replayRecords<A>(
  loaded: LogFiles | null,
  base: { record: A } | null,
  tail: readonly string[],
): AofRecords<A> {
  let at: { file: string; line: number; offset: number } | null = null
  function* all(): Generator<A> {
    at = null
    if (loaded) {
      for (const e of readAofEntries({
        storage: bytesStorage(loaded),
        fileName: loaded.fileName,
      })) {
        if (e.kind !== 'record') continue
        at = {
          file: `${loaded.location}/${e.file}`,
          line: e.line,
          offset: e.offset,
        }
        yield e.value as A
      }
    } else if (base) {
      at = null
      yield base.record
    }
    // Logged after the files were loaded: their place in the files is the worker's to know.
    at = null
    // JSON.stringify wrote each of them (here or in the writer's tab).
    for (const line of tail) yield JSON.parse(line) as A
  }
  return {
    [Symbol.iterator]: () => all(),
    at: () => at,
  }
}
