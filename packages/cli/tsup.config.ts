import { readFileSync } from 'node:fs'
import { defineConfig } from 'tsup'

const { version } = JSON.parse(
  readFileSync(new URL('./package.json', import.meta.url), 'utf8'),
) as {
  version: string
}
const define = { __AOF_CLI_VERSION__: JSON.stringify(version) }

export default defineConfig([
  {
    // The library entry (`run` for in-process use), dual ESM + CJS like every package.
    entry: ['src/index.ts'],
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    // Leaves the binary alone: both builds run at the same time, into the same folder.
    clean: ['!cli.js', '!cli.js.map'],
    target: 'node20',
    define,
  },
  {
    // The binary is ESM only: `bin` points at one file, nothing `require`s it, and it uses
    // top-level await. No types either: it exports nothing.
    entry: { cli: 'src/cli.ts' },
    format: ['esm'],
    sourcemap: true,
    target: 'node20',
    banner: { js: '#!/usr/bin/env node' },
    define,
  },
])
