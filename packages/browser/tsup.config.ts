import { defineConfig, type Options } from 'tsup'

// ESM only (a deviation from the other packages' dual build): the package runs in browsers,
// and its worker is a module worker located with import.meta.url, which CommonJS lacks.
const common: Options = {
  format: ['esm'],
  dts: true,
  sourcemap: true,
  platform: 'browser',
  target: 'es2022',
}

export default defineConfig([
  {
    ...common,
    // The main thread's entry imports @aof-persist/core/portable (shared with the adapters,
    // so there is one AofError class).
    entry: { index: 'src/index.ts' },
    clean: true,
  },
  {
    ...common,
    // The worker is one self-contained module with the core bundled in: a module worker does
    // not see the page's import map, and a bare import would not resolve there.
    entry: { worker: 'src/worker.ts' },
    noExternal: [/^@aof-persist\/core/],
  },
])
