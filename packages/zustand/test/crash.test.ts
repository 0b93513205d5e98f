import { spawn } from 'node:child_process'
import * as fs from 'node:fs'
import { aof } from '@aof-persist/zustand'
import { describe, expect, it } from 'vitest'
import { createStore } from 'zustand/vanilla'
import { DIST, PKG, autoClose, tempDir } from './helpers.js'

interface S {
  items: { id: number; done: boolean }[]
  steps: number
}

// One step of the workload: an insert at the head or the tail, sometimes a toggle and a remove,
// so records hold add, replace and remove patches at shifting indices. Runs in the child too.
function step(s: S): S {
  const i = s.steps
  let items =
    i % 2 === 0
      ? [{ id: i, done: false }, ...s.items]
      : [...s.items, { id: i, done: false }]
  if (i % 3 === 0) {
    const k = i % items.length
    items = items.map((t, j) => (j === k ? { ...t, done: !t.done } : t))
  }
  if (i % 5 === 0) {
    const k = (i * 7) % items.length
    items = items.filter((_, j) => j !== k)
  }
  return { items, steps: i + 1 }
}

const model = (n: number): S => {
  let s: S = { items: [], steps: 0 }
  while (s.steps < n) s = step(s)
  return s
}

const CHILD = `
import { createStore } from 'zustand/vanilla'
import { aof } from ${JSON.stringify(DIST)}
const step = ${step.toString()}
const store = createStore(aof(() => ({ items: [], steps: 0 }), { dir: process.env.DIR, fsync: 'always' }))
process.stdout.write('ready ' + store.getState().steps + '\\n')
function burst() {
  for (let n = 0; n < 20; n++) {
    store.setState((s) => step(s), false, 'step')
    // Reported only after set returned: with fsync 'always' the step is on disk by now.
    process.stdout.write('ok ' + store.getState().steps + '\\n')
  }
  // Rewrites in the middle of the burst, so a kill can also land during one.
  if (store.getState().steps % 160 < 20) store.aof.rewrite().catch(() => {})
  setImmediate(burst)
}
burst()
`

/** Runs the child until it has reported `atLeast` more steps, then kills it with SIGKILL. */
function runAndKill(
  dir: string,
  atLeast: number,
): Promise<{ start: number; reported: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--input-type=module', '-e', CHILD],
      {
        cwd: PKG, // resolves 'zustand/vanilla' from the package, like an app
        env: { ...process.env, DIR: dir },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    )
    let buf = ''
    let err = ''
    let start = -1
    let reported = -1
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString()
      const lines = buf.split('\n')
      buf = lines.pop()!
      for (const line of lines) {
        const [word, n] = line.split(' ')
        if (word === 'ready') start = Number(n)
        else if (word === 'ok') reported = Number(n)
      }
      if (
        start >= 0 &&
        reported >= start + atLeast &&
        child.exitCode === null &&
        !child.killed
      ) {
        child.kill('SIGKILL')
      }
    })
    child.stderr.on('data', (d: Buffer) => (err += d.toString()))
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolve({ start, reported })
      else
        reject(
          new Error(`child exited with ${code} before it was killed: ${err}`),
        )
    })
  })
}

describe('aof: kill -9', () => {
  it('keeps every set that returned under fsync always, across kills mid-burst and mid-rewrite', async () => {
    if (!fs.existsSync(DIST))
      throw new Error(`${DIST} is missing: run "pnpm build" first`)
    const dir = tempDir()
    let last = 0
    for (const atLeast of [370, 410, 150]) {
      const { start, reported } = await runAndKill(dir, atLeast)
      expect(start).toBe(last) // the restarted child holds what the previous one left
      const store = autoClose(
        createStore(aof(() => ({ items: [], steps: 0 }) as S, { dir })),
      )
      const state = store.getState()
      // Every reported step is there; at most the one in flight when the kill landed is extra.
      expect(state.steps).toBeGreaterThanOrEqual(reported)
      expect(state.steps).toBeLessThanOrEqual(reported + 1)
      expect(state).toEqual(model(state.steps))
      last = state.steps
      await store.aof.close()
    }
  })
})
