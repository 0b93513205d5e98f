// Hostile records reaching the adapters: a log whose records are valid JSON but not what the
// Redux or Zustand adapter wrote (a hand edit, a bug, an attacker who can write into the store
// directory). Loading must end in a correct state or an AofError with a code, change no file it
// refuses, release the lock and pollute no prototype. (The core's own hostile-input cases are in
// packages/core/test/crash/hostile.test.ts.)
import * as fs from 'node:fs'
import * as path from 'node:path'
import { AofError } from '@aof-persist/core'
import { aofPersist, withAof } from '@aof-persist/redux'
import { aof as zustandAof } from '@aof-persist/zustand'
import { applyMiddleware, legacy_createStore as createStore } from 'redux'
import { describe, expect, it } from 'vitest'
import { createStore as createZustandStore } from 'zustand/vanilla'
import { hashes, scratchDir } from './helpers.js'

const INCR = 'appendonly.aof.1.incr.aof'

/** A store in `<root>/store` whose only incr file holds `incr`, beside a user's file. */
function store(incr: string): { root: string; dir: string } {
  const root = scratchDir('aof-hostile-')
  const dir = path.join(root, 'store')
  fs.mkdirSync(dir)
  fs.writeFileSync(path.join(root, 'outside'), 'not the store\n')
  fs.writeFileSync(path.join(dir, 'notes.txt'), 'mine\n')
  fs.writeFileSync(path.join(dir, INCR), incr)
  fs.writeFileSync(
    path.join(dir, 'appendonly.aof.manifest'),
    `file ${INCR} seq 1 type i\n`,
  )
  return { root, dir }
}

describe('hostile records reaching the adapters', () => {
  const logOf = (records: unknown[]) =>
    records.map((r) => JSON.stringify(r) + '\n').join('')

  it('Redux: records that are not actions are AOF_CORRUPT; the files are untouched and the lock released', async () => {
    for (const bad of [42, null, 'text', [1, 2], { notype: 1 }]) {
      const { root, dir } = store(logOf([{ type: 'a' }, bad]))
      const before = hashes(root)
      const reducer = (s: number = 0) => s + 1
      expect(() =>
        createStore(withAof(reducer), applyMiddleware(aofPersist({ dir }))),
      ).toThrow(expect.objectContaining({ code: 'AOF_CORRUPT' }))
      expect(hashes(root)).toEqual(before)
    }
  })

  it('Zustand: patches that do not apply, or aim at __proto__, are AOF_CORRUPT or harmless; no prototype is polluted', async () => {
    const snapshot = {
      type: '@@aof/SNAPSHOT',
      payload: { items: [] },
      meta: { version: 0 },
    }
    const hostile: [string, unknown[]][] = [
      ['a record that is not a patch record', [snapshot, 42]],
      [
        'a patch into a missing parent',
        [
          snapshot,
          {
            type: 'x',
            patches: [{ op: 'add', path: ['a', 'b', 'c'], value: 1 }],
          },
        ],
      ],
      [
        'an array length of 2^32',
        [
          snapshot,
          {
            type: 'x',
            patches: [
              { op: 'replace', path: ['items', 'length'], value: 2 ** 32 },
            ],
          },
        ],
      ],
      [
        'an index that is not a number',
        [
          snapshot,
          {
            type: 'x',
            patches: [{ op: 'add', path: ['items', 'x'], value: 1 }],
          },
        ],
      ],
      [
        'a patch setting __proto__',
        [
          snapshot,
          {
            type: 'x',
            patches: [{ op: 'add', path: ['__proto__', 'polluted'], value: 1 }],
          },
        ],
      ],
      [
        'a patch setting constructor.prototype',
        [
          snapshot,
          {
            type: 'x',
            patches: [
              {
                op: 'add',
                path: ['constructor', 'prototype', 'polluted'],
                value: 1,
              },
            ],
          },
        ],
      ],
    ]
    for (const [what, records] of hostile) {
      const { root, dir } = store(logOf(records))
      const before = hashes(root)
      let outcome = 'loaded'
      try {
        const s = createZustandStore(
          zustandAof(() => ({ items: [] as unknown[] }), { dir }),
        )
        await s.aof.close()
      } catch (err) {
        if (!(err instanceof AofError))
          throw new Error(`${what}: ${String(err)}`)
        outcome = err.code
        expect(hashes(root), what).toEqual(before)
      }
      expect(['loaded', 'AOF_CORRUPT'], what).toContain(outcome)
      expect(({} as Record<string, unknown>).polluted, what).toBeUndefined()
      expect(
        (Object.prototype as Record<string, unknown>).polluted,
        what,
      ).toBeUndefined()
    }
  })
})
