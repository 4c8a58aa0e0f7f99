import js from '@eslint/js'
import tseslint from 'typescript-eslint'
import layers from './eslint/layers.js'

export default tseslint.config(
  { ignores: ['.scratch*/**', '.scratch*', 'out/**', 'dist/**', 'node_modules/**', 'test-results/**', 'bench-results/**', '**/*.svelte'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', URL: 'readonly', performance: 'readonly', window: 'readonly', document: 'readonly', fetch: 'readonly', Response: 'readonly', Request: 'readonly', Headers: 'readonly', structuredClone: 'readonly', TextDecoder: 'readonly', TextEncoder: 'readonly', AbortController: 'readonly', AbortSignal: 'readonly', queueMicrotask: 'readonly', setImmediate: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'warn',
      'no-empty': ['error', { allowEmptyCatch: true }]
    }
  },
  {
    // The pure-Node core must never import Electron: it runs in the CLI, the server, tests and workers.
    files: ['src-main/core/**/*.ts', 'src-main/cli/**/*.ts', 'src-main/server/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { paths: [{ name: 'electron', message: 'core code must not import electron' }] }] }
  },
  {
    // The layers of docs/ARCHITECTURE.md (eslint/layers.js): core imports downward only, never the
    // CLI/server/Electron/renderer; the renderer reaches main code only through the API contract/client.
    files: ['src-main/core/**/*.ts', 'src-renderer/**/*.ts'],
    plugins: { layers },
    rules: { 'layers/boundaries': 'error' }
  }
)
