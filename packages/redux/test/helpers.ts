import { createHash } from 'node:crypto'
import {
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { locatedRecords, openAof, readAofEntries } from '@aof-persist/core'
import type { AofRecords } from '@aof-persist/core'
import { afterEach } from 'vitest'

const dirs: string[] = []

/** A fresh temp directory, removed after the test. */
export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'aof-redux-'))
  dirs.push(dir)
  return dir
}

afterEach(() => {
  for (const dir of dirs.splice(0))
    rmSync(dir, { recursive: true, force: true })
})

/** Every file under `dir` (relative path → bytes), to compare a directory before and after. */
export function filesOf(dir: string): Record<string, string> {
  const out: Record<string, string> = {}
  const walk = (sub: string) => {
    for (const name of readdirSync(join(dir, sub)).sort()) {
      const rel = sub ? join(sub, name) : name
      if (statSync(join(dir, rel)).isDirectory()) walk(rel)
      else out[rel] = readFileSync(join(dir, rel)).toString('base64')
    }
  }
  walk('')
  return out
}

/** All text of the files under `dir`, to check what reached the disk. */
export function textOf(dir: string): string {
  return Object.values(filesOf(dir))
    .map((b64) => Buffer.from(b64, 'base64').toString('utf8'))
    .join('\n')
}

/** Every record of a closed store directory, the base first, read through the core's API. */
export function allRecordsOf(dir: string): unknown[] {
  const aof = openAof({ dir, autoRewritePercentage: 0 })
  try {
    return [...aof.records()]
  } finally {
    aof.closeSync()
  }
}

/**
 * The records on disk, read without the lock (the store may be open), able to say where each
 * lies: what \`aof check\` hands to \`checkRecords\`.
 */
export function onDisk(dir: string): AofRecords<unknown> {
  return locatedRecords(readAofEntries({ dir }), dir)
}

/** The records of a closed store directory after its base (what was logged since the last rewrite). */
export function recordsOf(dir: string): unknown[] {
  const all = allRecordsOf(dir)
  const first = all[0] as { type?: unknown } | undefined
  return first?.type === '@@aof/SNAPSHOT' ? all.slice(1) : all
}

/** The `type` of every record of a closed store directory after its base. */
export function typesOf(dir: string): string[] {
  return recordsOf(dir).map((r) => (r as { type: string }).type)
}

/**
 * A SHA-256 over every file of `dir` but the lock (names and bytes), to show that a refused start
 * changed nothing.
 */
export function hashDir(dir: string): string {
  const hash = createHash('sha256')
  for (const name of readdirSync(dir).sort()) {
    if (name === 'aof.lock') continue
    hash
      .update(name)
      .update('\0')
      .update(readFileSync(join(dir, name)))
  }
  return hash.digest('hex')
}

export * from './fixtures/app.js'
