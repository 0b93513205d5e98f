import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { BIN, CLI_DIR, ensureBuilt, makeStore } from './helpers.js'

beforeAll(ensureBuilt)

/** Runs `code` in a child Node from the package folder, so `@aof-persist/cli` resolves to the built dist/ by its exports. */
const node = (args: string[]) =>
  execFileSync(process.execPath, args, { cwd: CLI_DIR, encoding: 'utf8' })

describe('the built package', () => {
  it('the binary starts with a shebang and is what package.json bin names', () => {
    const pkg = JSON.parse(
      readFileSync(join(CLI_DIR, 'package.json'), 'utf8'),
    ) as { bin: { aof: string } }
    expect(join(CLI_DIR, pkg.bin.aof)).toBe(BIN)
    expect(readFileSync(BIN, 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(
      true,
    )
  })

  it('imports by name from ESM and runs a command in-process', () => {
    const dir = makeStore([{ type: 'x' }])
    const out = node([
      '--input-type=module',
      '-e',
      `import { run, VERSION } from '@aof-persist/cli'
       const code = await run(['check', ${JSON.stringify(dir)}], { stdout: { write() {} } })
       console.log(VERSION, code)`,
    ])
    const { version } = JSON.parse(
      readFileSync(join(CLI_DIR, 'package.json'), 'utf8'),
    ) as { version: string }
    expect(out.trim()).toBe(`${version} 0`)
  })

  it('requires by name from CommonJS, where export still loads the Zustand adapter', () => {
    const dir = makeStore([
      { type: '@@aof/SNAPSHOT', payload: { n: 1 }, meta: { version: 0 } },
    ])
    const out = node([
      '-e',
      `const { run } = require('@aof-persist/cli')
       let text = ''
       run(['export', ${JSON.stringify(dir)}], { stdout: { write: (s) => { text += s } } }).then((code) => console.log(code, JSON.stringify(JSON.parse(text))))`,
    ])
    expect(out.trim()).toBe('0 {"n":1}')
  })
})
