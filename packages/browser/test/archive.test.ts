import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import * as path from 'node:path'
import { describe, expect, it } from 'vitest'
import { packStore } from '../src/archive.js'

const enc = new TextEncoder()

describe('packStore', () => {
  it('writes a ustar archive that tar -xf extracts byte for byte', () => {
    const base = enc.encode('{"type":"@@aof/SNAPSHOT","payload":{"n":1}}\n')
    const big = enc.encode(`${'{"n":"é"}\n'.repeat(200)}`)
    const tar = packStore(
      {
        location: 'opfs:/my-app/todos',
        fileName: 'appendonly.aof',
        manifest: enc.encode(
          'file appendonly.aof.1.base.aof seq 1 type b\nfile appendonly.aof.2.incr.aof seq 2 type i\n',
        ),
        files: [
          { name: 'appendonly.aof.1.base.aof', type: 'base', bytes: base },
          { name: 'appendonly.aof.2.incr.aof', type: 'incr', bytes: big },
        ],
      },
      'my-app/todos',
    )
    expect(tar.length % 512).toBe(0)
    const dir = mkdtempSync(path.join(tmpdir(), 'aof-tar-'))
    const file = path.join(dir, 'store.tar')
    writeFileSync(file, tar)
    expect(
      execFileSync('tar', ['-tf', file], { encoding: 'utf8' }).split('\n'),
    ).toEqual([
      'my-app/todos/',
      'my-app/todos/appendonly.aof.manifest',
      'my-app/todos/appendonly.aof.1.base.aof',
      'my-app/todos/appendonly.aof.2.incr.aof',
      '',
    ])
    execFileSync('tar', ['-xf', file, '-C', dir])
    const out = (name: string) =>
      readFileSync(path.join(dir, 'my-app/todos', name))
    expect(out('appendonly.aof.1.base.aof')).toEqual(Buffer.from(base))
    expect(out('appendonly.aof.2.incr.aof')).toEqual(Buffer.from(big))
  })

  it('refuses a name longer than the format holds, naming it', () => {
    expect(() =>
      packStore(
        {
          location: 'opfs:/x',
          fileName: 'a'.repeat(120),
          manifest: enc.encode(''),
          files: [],
        },
        'x',
      ),
    ).toThrow(/cannot pack x\/a{120}\.manifest into a tar archive/)
  })
})
