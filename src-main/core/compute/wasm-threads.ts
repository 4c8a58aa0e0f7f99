// EXPERIMENTAL: multi-threaded XNNPACK for the tfjs wasm backend in Node (compute.md §2.3).
//
// Out of the box tfjs-backend-wasm 4.22 always runs one thread in Node:
//  - it hard-codes WASM_HAS_MULTITHREAD_SUPPORT = false when IS_NODE (tfjs issue #3830), so the SIMD-only
//    binary loads and setThreadsCount() is ignored;
//  - the threaded binary's pthread worker script is handed to `new Worker()` as a blob: URL, which Node's
//    Worker cannot load, and the worker then imports the main script from a Blob the same way;
//  - backend.cc caps the XNNPACK pool at emscripten_num_logical_cores() / 2 (it assumes hyper-threading),
//    which is 1 on a 2-vCPU machine.
// enableWasmThreadsInNode works around all three for the duration of the backend's initialisation and puts
// everything back afterwards. It relies on tfjs-backend-wasm 4.22 internals; re-verify after an upgrade
// (test/main/compute/threads.test.ts does).
import { createRequire } from 'node:module'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import { join } from 'node:path'
import { tf } from './tf'

/** The part of '@tensorflow/tfjs-backend-wasm' the enabler needs. */
export interface WasmThreadsModule {
  setThreadsCount(n: number): void
  getThreadsCount(): number
}

/** What was patched; `restore()` undoes it (call it once `tf.setBackend('wasm')` has settled). */
export interface ThreadsPatch {
  /** Threads requested from XNNPACK. */
  threads: number
  /** The standalone threaded module the pthread workers import. */
  workerMainScript: string
  restore(): void
}

/** The worker script statement that imports the main script from a string or a Blob (tfjs 4.22 text). */
const WORKER_IMPORT_RE =
  /if\(typeof e\.data\.urlOrBlob=="string"\)\{importScripts\(e\.data\.urlOrBlob\)\}else\{var objectUrl=URL\.createObjectURL\(e\.data\.urlOrBlob\);importScripts\(objectUrl\);URL\.revokeObjectURL\(objectUrl\)\}/

/**
 * Locates the standalone threaded-SIMD module script ('tfjs-backend-wasm-threaded-simd.js'): next to the
 * .wasm binaries when they were moved (packaged app), else in the package's wasm-out/.
 */
export function findThreadedWorkerScript(wasmDir?: string): string {
  const name = 'tfjs-backend-wasm-threaded-simd.js'
  const candidates: string[] = []
  if (wasmDir) candidates.push(join(wasmDir, name))
  try {
    const req = createRequire(import.meta.url)
    candidates.push(join(req.resolve('@tensorflow/tfjs-backend-wasm/package.json'), '..', 'wasm-out', name))
  } catch {}
  const found = candidates.find((p) => existsSync(p))
  if (!found) throw new Error(`wasm threads: ${name} not found (looked in ${candidates.join(', ') || 'nowhere'})`)
  return found
}

/**
 * Patches the environment so that the next `tf.setBackend('wasm')` loads the threaded-SIMD binary with
 * `threads` XNNPACK threads. Must run before the wasm backend is first initialised in this process.
 * Requires SharedArrayBuffer (always present in Node 20).
 */
export function enableWasmThreadsInNode(wasm: WasmThreadsModule, threads: number, wasmDir?: string): ThreadsPatch {
  if (!Number.isInteger(threads) || threads < 2 || threads > 8) {
    throw new Error(`wasm threads: thread count must be an integer 2..8 (the pthread pool holds 8), got ${threads}`)
  }
  if (typeof SharedArrayBuffer === 'undefined') throw new Error('wasm threads: SharedArrayBuffer is not available')
  const workerMainScript = findThreadedWorkerScript(wasmDir)
  const tmp = mkdtempSync(join(os.tmpdir(), 'poi-wasm-threads-'))
  const g = globalThis as unknown as { Blob: typeof Blob; URL: typeof URL }
  const savedBlob = g.Blob
  const savedCreate = g.URL.createObjectURL
  const savedCpus = os.cpus
  const blobParts = new WeakMap<Blob, string>()
  let files = 0

  // (1) the flag: take the threaded-SIMD branch of the backend's init()
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true)
  wasm.setThreadsCount(threads)

  // (2) Blob parts are recorded so that a blob: URL can become a file Node's Worker can load.
  class RecordingBlob extends savedBlob {
    constructor(parts?: BlobPart[], options?: BlobPropertyBag) {
      super(parts, options)
      if (parts && parts.every((p) => typeof p === 'string')) blobParts.set(this, (parts as string[]).join(''))
    }
  }
  g.Blob = RecordingBlob as typeof Blob
  g.URL.createObjectURL = (obj: Blob): string => {
    const text = blobParts.get(obj)
    if (text === undefined) return savedCreate.call(g.URL, obj)
    let script = text
    if (script.includes('importScripts(e.data.urlOrBlob)')) {
      // The pthread worker: import the standalone threaded module from disk instead of the main-thread Blob
      // (that Blob holds a factory whose closure only exists in the main bundle).
      if (!WORKER_IMPORT_RE.test(script))
        throw new Error('wasm threads: unexpected tfjs-backend-wasm worker script (version changed?)')
      script = script.replace(WORKER_IMPORT_RE, `importScripts(${JSON.stringify(workerMainScript)});`)
    }
    const file = join(tmp, `blob-${files++}.cjs`)
    writeFileSync(file, script)
    return file
  }

  // (3) backend.cc caps the pool at logical cores / 2: report enough cores for the requested count.
  const realCpus = savedCpus.call(os)
  if (realCpus.length < 2 * threads) {
    const padded = Array.from({ length: 2 * threads }, (_, i) => realCpus[i % realCpus.length])
    ;(os as { cpus: typeof os.cpus }).cpus = () => padded
  }

  let restored = false
  return {
    threads,
    workerMainScript,
    restore(): void {
      if (restored) return
      restored = true
      g.Blob = savedBlob
      g.URL.createObjectURL = savedCreate
      ;(os as { cpus: typeof os.cpus }).cpus = savedCpus
      // The workers have read their scripts by the time init resolved; the files can go.
      rmSync(tmp, { recursive: true, force: true })
      unrefPoolThreads()
    }
  }
}

interface EmscriptenPThreads {
  runningWorkers: Array<{ unref(): void }>
  unusedWorkers: Array<{ unref(): void }>
}

/**
 * Emscripten ref()s a Node worker when a pthread starts on it, and XNNPACK's pool threads never end, so a
 * threaded process would never exit on its own. Unref them: they only ever run work the main thread waits for.
 * Returns how many workers were released (0 when the wasm backend is not threaded or not initialised).
 */
export function unrefPoolThreads(): number {
  const backend = tf.engine().registry['wasm'] as unknown as { wasm?: { PThread?: EmscriptenPThreads } } | undefined
  const pt = backend?.wasm?.PThread
  if (!pt) return 0
  const all = [...pt.runningWorkers, ...pt.unusedWorkers]
  for (const w of all) w.unref()
  return all.length
}
