import * as tf from '@tensorflow/tfjs'
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'

/**
 * The single tfjs instance every face-api net in this folder runs on. It is the package's Node entry
 * (`@tensorflow/tfjs` has no `exports` map, so ESM and CJS imports resolve to the same module), which is
 * also what `src-main/core/compute` exports: tensors made there and here are interchangeable.
 */
export { tf }

let ready: Promise<string> | null = null

/**
 * Makes sure a tfjs backend is active and returns its name.
 *
 * If something else (the compute module, a worker) already picked a backend, that choice is kept:
 * detection is inference only, so any backend works. Otherwise the wasm backend is set up from the
 * package's own `dist/` folder (no network): it is 10–100× faster than the pure-JS `cpu` backend here.
 * Falls back to `cpu` when wasm cannot start (e.g. a packaged app without the .wasm files).
 */
export function ensureTfBackend(): Promise<string> {
  if (ready) return ready
  ready = (async () => {
    const current = tf.engine().backendName
    if (current) return current
    try {
      const require = createRequire(import.meta.url)
      const pkg = require.resolve('@tensorflow/tfjs-backend-wasm/package.json')
      setWasmPaths(join(dirname(pkg), 'dist') + '/')
      if (await tf.setBackend('wasm')) return 'wasm'
    } catch {
      // fall through to cpu
    }
    await tf.setBackend('cpu')
    return 'cpu'
  })()
  ready.catch(() => {
    ready = null
  })
  return ready
}
