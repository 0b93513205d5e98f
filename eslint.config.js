// ESLint flat config. Beyond the recommended sets, one house rule matters: the adapters and the
// CLI reach the core only through its public entry, never through its sources.
import js from '@eslint/js'
import tseslint from 'typescript-eslint'

export default tseslint.config(
  {
    ignores: [
      '**/dist/**',
      '**/node_modules/**',
      '**/.turbo/**',
      'docs/**',
      '**/*.d.ts',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        Buffer: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        setImmediate: 'readonly',
        clearImmediate: 'readonly',
        queueMicrotask: 'readonly',
        performance: 'readonly',
        structuredClone: 'readonly',
        URL: 'readonly',
        TextDecoder: 'readonly',
        TextEncoder: 'readonly',
        NodeJS: 'readonly',
        AbortController: 'readonly',
      },
    },
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: [
                '@aof-persist/*/src',
                '@aof-persist/*/src/*',
                '**/core/src/*',
                '**/redux/src/*',
                '**/zustand/src/*',
              ],
              message:
                'Import a package by its name (its public API), never its sources.',
            },
          ],
        },
      ],
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      // Redux's and Zustand's own generics need `any` in a few signatures; each use is reviewed.
      '@typescript-eslint/no-explicit-any': 'warn',
      // `Middleware<{}, S>` is how Redux spells "adds nothing to dispatch".
      '@typescript-eslint/no-empty-object-type': 'off',
    },
  },
  {
    files: ['**/*.cjs'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: {
        require: 'readonly',
        module: 'writable',
        __dirname: 'readonly',
      },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['examples/electron-main/renderer/**'],
    languageOptions: {
      globals: {
        window: 'readonly',
        document: 'readonly',
        location: 'readonly',
      },
    },
  },
  {
    // A package's own tests may import its sources: they test the internals. The cross-package
    // tests (packages/integration) import every package by name, like an app.
    files: ['packages/*/test/**'],
    ignores: ['packages/integration/**'],
    rules: { 'no-restricted-imports': 'off' },
  },
  {
    // Type tests declare values only to take their types.
    files: ['packages/*/test/**'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unused-vars': 'off',
    },
  },
)
