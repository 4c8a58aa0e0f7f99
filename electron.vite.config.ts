import { resolve } from 'node:path'
import { defineConfig } from 'electron-vite'
import { svelte, vitePreprocess } from '@sveltejs/vite-plugin-svelte'

// Three bundles (electron-vite layout):
//  - main: the Electron main process, the headless CLI, the training worker and the
//    learning queue's re-rank and consensus workers. All of them are plain
//    ESM for Node; package.json "dependencies" (better-sqlite3, sharp, tfjs) stay external.
//  - preload: CJS, because sandboxed preloads cannot be ESM.
//  - renderer: the Svelte 5 UI, served by the app:// protocol in Electron or by `poi-audit serve`.
// Do not declare __dirname in main code: electron-vite injects one (see ../shared/notes/toolchain.md).
export default defineConfig({
  main: {
    build: {
      outDir: 'out/main',
      rollupOptions: {
        input: {
          index: resolve(__dirname, 'src-main/index.ts'),
          cli: resolve(__dirname, 'src-main/cli/index.ts'),
          'train-worker': resolve(__dirname, 'src-main/core/train/worker-entry.ts'),
          'rerank-worker': resolve(__dirname, 'src-main/core/rerank/worker-entry.ts'),
          'consensus-worker': resolve(__dirname, 'src-main/core/consensus/worker-entry.ts')
        }
      }
    }
  },
  preload: {
    build: {
      outDir: 'out/preload',
      rollupOptions: {
        input: { index: resolve(__dirname, 'src-main/preload/index.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs' }
      }
    }
  },
  renderer: {
    root: resolve(__dirname, 'src-renderer'),
    plugins: [svelte({ preprocess: vitePreprocess() })],
    build: {
      outDir: resolve(__dirname, 'out/renderer'),
      rollupOptions: { input: { index: resolve(__dirname, 'src-renderer/index.html') } }
    }
  }
})
