import { initCompute, tf } from '../compute/index'

/**
 * The single tfjs instance every face-api net in this folder runs on: the app's, from
 * src-main/core/compute (tensors made there and here are interchangeable).
 */
export { tf }

let ready: Promise<string> | null = null

/**
 * Makes sure a tfjs backend is active and returns its name.
 *
 * If something else (a training worker, the app start-up) already picked a backend, that choice is kept:
 * detection is inference only, so any backend works. Otherwise the compute module picks one the way the
 * rest of the app does (tfjs-node-gpu → tfjs-node → wasm → cpu; wasm from the package's dist/ or
 * POI_WASM_DIR, no network).
 */
export function ensureTfBackend(): Promise<string> {
  if (ready) return ready
  ready = (async () => {
    const current = tf.engine().backendName
    if (current) return current
    return (await initCompute()).backend
  })()
  ready.catch(() => {
    ready = null
  })
  return ready
}
