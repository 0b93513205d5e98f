import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'
import type { Reporter } from 'vitest/node'

/** Ends the run with the plain closing line CI reads: `N passed, N failed, N skipped`. */
const summaryLine: Reporter = {
  onTestRunEnd(modules) {
    const count = { passed: 0, failed: 0, skipped: 0 }
    for (const m of modules) {
      for (const t of m.children.allTests()) {
        const state = t.result().state
        if (state === 'passed') count.passed++
        else if (state === 'failed') count.failed++
        else count.skipped++
      }
    }
    console.log(
      `\n${count.passed} passed, ${count.failed} failed, ${count.skipped} skipped`,
    )
  },
}

const src = (pkg: string, entry = 'index') =>
  fileURLToPath(new URL(`./packages/${pkg}/src/${entry}.ts`, import.meta.url))

export default defineConfig({
  resolve: {
    // Package tests run against the sources, so a change in core is seen by the adapters'
    // tests without a rebuild. The built dist/ is exercised by test/dist.test.ts in each
    // package and by the examples, which import the packages by name.
    // Exact names (a plain string would also rewrite subpaths such as @aof-persist/core/portable).
    alias: [
      { find: /^@aof-persist\/core$/, replacement: src('core') },
      {
        find: /^@aof-persist\/core\/portable$/,
        replacement: src('core', 'portable'),
      },
      {
        find: /^@aof-persist\/core\/conformance$/,
        replacement: src('core', 'conformance'),
      },
      { find: /^@aof-persist\/redux$/, replacement: src('redux') },
      { find: /^@aof-persist\/zustand$/, replacement: src('zustand') },
    ],
  },
  test: {
    include: [
      'packages/*/test/**/*.test.ts',
      'examples/*/test/**/*.test.ts',
      'test/**/*.test.ts',
    ],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    reporters: ['default', summaryLine],
  },
})
