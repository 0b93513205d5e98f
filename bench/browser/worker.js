/* global self, navigator */
// The bench's worker (bundled with the core by bench/browser.bench.mjs): the engine on OPFS and
// the floors it is measured against, in the same worker.
import { openAofAsync } from '@aof-persist/core/portable'
import { opfsStorage } from '../../packages/browser/dist/index.js'

const now = () => performance.now()
const enc = new TextEncoder()
const action = (i) => ({
  type: 'todos/toggled',
  payload: { id: `todo-${i}`, done: i % 2 === 0 },
  meta: { at: 1764000000 + i },
})

async function dir(name) {
  let d = await navigator.storage.getDirectory()
  for (const s of name.split('/'))
    d = await d.getDirectoryHandle(s, { create: true })
  return d
}

async function rawHandle(name) {
  const d = await dir(name)
  const f = await d.getFileHandle('raw', { create: true })
  return f.createSyncAccessHandle()
}

/** `always`: the engine's append (write + flush per record) against the same loop by hand. */
async function appendAlways({ n, run }) {
  const h = await rawHandle(`bench/raw-${run}`)
  let at = 0
  const t0 = now()
  for (let i = 0; i < n; i++) {
    const bytes = enc.encode(JSON.stringify(action(i)) + '\n')
    at += h.write(bytes, { at })
    h.flush()
  }
  const floor = now() - t0
  h.close()
  const log = await openAofAsync({
    storage: opfsStorage(`bench/always-${run}`),
    fsync: 'always',
  })
  const t1 = now()
  for (let i = 0; i < n; i++) log.append(action(i))
  const engine = now() - t1
  await log.close()
  return { floor, engine }
}

/** Fills a store with `n` records (everysec, one batch per 1000), for the replay figures. */
async function fill({ name, n }) {
  const log = await openAofAsync({ storage: opfsStorage(name), fsync: 'no' })
  for (let i = 0; i < n; i += 1000) {
    log.batch(() => {
      for (let j = i; j < Math.min(n, i + 1000); j++) log.append(action(j))
    })
  }
  await log.close()
}

/** Replay in the worker: the engine's records() against read + split + JSON.parse by hand. */
async function replayInWorker({ name }) {
  const d = await dir(name)
  const fh = await d.getFileHandle('appendonly.aof.1.incr.aof')
  const h = await fh.createSyncAccessHandle()
  const t0 = now()
  const buf = new Uint8Array(h.getSize())
  h.read(buf, { at: 0 })
  const text = new TextDecoder().decode(buf)
  let count = 0
  let start = 0
  for (;;) {
    const nl = text.indexOf('\n', start)
    if (nl === -1) break
    JSON.parse(text.slice(start, nl))
    count++
    start = nl + 1
  }
  const floor = now() - t0
  h.close()
  const log = await openAofAsync({ storage: opfsStorage(name), fsync: 'no' })
  const t1 = now()
  let n = 0
  for (const _ of log.records()) n++
  const engine = now() - t1
  await log.close()
  return { floor, engine, count, records: n, bytes: buf.length }
}

const api = { appendAlways, fill, replayInWorker }
self.onmessage = async (e) => {
  const { id, op, arg } = e.data
  try {
    self.postMessage({ id, ok: await api[op](arg) })
  } catch (err) {
    self.postMessage({ id, error: String(err?.stack ?? err) })
  }
}
