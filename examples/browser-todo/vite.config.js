import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vite'

const page = (name) => fileURLToPath(new URL(name, import.meta.url))

export default defineConfig({
  base: './', // relative URLs: the build works wherever it is served from
  // Both pages of the example: the Redux Toolkit list and the same list on Zustand.
  build: {
    target: 'es2022', // top-level await: the store is created after one await
    rollupOptions: {
      input: { redux: page('index.html'), zustand: page('zustand.html') },
    },
  },
  // The adapters import the core by its main name; its package.json's "browser" condition
  // gives a page the portable entry (no Node built-ins), which Vite picks on its own.
  // `vite dev` pre-bundles dependencies into one folder, away from the browser package's
  // worker.js, which it finds beside its entry: leave the package as it is.
  optimizeDeps: { exclude: ['@aof-persist/browser'] },
  worker: { format: 'es' },
})
