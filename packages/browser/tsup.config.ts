import { fileURLToPath } from 'node:url'
import { defineConfig, type Options } from 'tsup'

// TEMPORARY: until @aof-persist/core has its portable entry, build against the shim.
const alias = {
  '@aof-persist/core/portable': fileURLToPath(
    new URL('./shim/portable.ts', import.meta.url),
  ),
}

// ESM only (a deviation from the other packages' dual build): the package runs in browsers,
// and its worker is a module worker located with import.meta.url, which CommonJS lacks.
const common: Options = {
  format: ['esm'],
  dts: true,
  sourcemap: true,
  platform: 'browser',
  target: 'es2022',
  esbuildOptions(options) {
    options.alias = alias
  },
}

export default defineConfig([
  {
    ...common,
    entry: { index: 'src/index.ts' },
    clean: true,
    noExternal: [/^@aof-persist\/core\/portable$/],
  },
])
