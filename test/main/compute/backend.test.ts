// Backend selection with injected package loaders. The tfjs-node packages are not installed here, so "present"
// is simulated by a loader that registers a 'tensorflow' backend the way tfjs-node does (as a side effect
// of its import); wasm and cpu are the real backends.
import { afterEach, describe, expect, it } from 'vitest'
import { createRequire } from 'node:module'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu'
import { tf } from '../../../src-main/core/compute/tf'
import {
  BackendNotInstalledError,
  ComputeError,
  currentCompute,
  defaultLoaders,
  describeCompute,
  initCompute,
  resetCompute,
  type ComputeLoaders
} from '../../../src-main/core/compute/backend'

const notInstalled = (pkg: string) => async (): Promise<never> => {
  throw new BackendNotInstalledError(pkg)
}
/** What Node throws for `import('@tensorflow/tfjs-node')` when the package is absent. */
const nodeStyleMissing = async (): Promise<never> => {
  throw Object.assign(
    new Error("Cannot find package '@tensorflow/tfjs-node-gpu' imported from /app/out/main/index.js"),
    {
      code: 'ERR_MODULE_NOT_FOUND'
    }
  )
}
/** Mimics tfjs-node's import side effect: a backend registered under 'tensorflow'. */
const registersTensorflow = (gpu: boolean | undefined, calls?: { n: number }) => async (): Promise<void> => {
  if (calls) calls.n++
  tf.registerBackend('tensorflow', () =>
    Object.assign(new MathBackendCPU(), gpu === undefined ? {} : { isUsingGpuDevice: gpu })
  )
}
const NONE: Partial<ComputeLoaders> = {
  'tfjs-node-gpu': nodeStyleMissing,
  'tfjs-node': notInstalled('@tensorflow/tfjs-node')
}

afterEach(async () => {
  resetCompute()
  if (tf.findBackendFactory('tensorflow')) {
    if (tf.getBackend() === 'tensorflow') await tf.setBackend('cpu')
    tf.removeBackend('tensorflow')
  }
})

describe('initCompute', () => {
  // First: before the wasm backend is initialised in this process, a bad wasm folder is caught up front.
  it('explicit wasm with a folder lacking the binaries gives a clear error', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'poi-nowasm-'))
    try {
      // auto on an idle machine would take 2 threads, finds no threaded binary, and falls back to 1 first
      const p = initCompute({ backend: 'wasm', wasmDir: dir, machine: { cores: 2, load1: 0 }, loaders: NONE })
      await expect(p).rejects.toThrow(ComputeError)
      await expect(p).rejects.toThrow(/wasm binary not found: .*tfjs-backend-wasm-simd\.wasm.*POI_WASM_DIR/)
      expect(currentCompute()).toBeNull() // a failure is not cached
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('no native binding → wasm with shims, and says why (auto threads on a busy machine: 1)', async () => {
    const info = await initCompute({ loaders: NONE, machine: { cores: 2, load1: 1.3 } })
    expect(info.backend).toBe('wasm')
    expect(tf.getBackend()).toBe('wasm')
    expect(info.tried).toEqual([
      { name: 'tfjs-node-gpu', ok: false, error: 'not installed' },
      { name: 'tfjs-node', ok: false, error: 'not installed' },
      { name: 'wasm', ok: true }
    ])
    expect(info.threads).toBe(1)
    expect(info.threadsWhy).toBe('auto: 0.7 of 2 cores free (1-min load 1.30)')
    expect(info.simd).toBe(true)
    expect(info.shims).toContain('Conv2DBackpropFilter(conv)')
    expect(info.shims).toContain('Conv2DBackpropInput(phase)')
    expect(info.reason).toMatch(
      /^wasm \(XNNPACK SIMD, 1 thread \[auto: 0\.7 of 2 cores free \(1-min load 1\.30\)\], training shims\): the faster ones are unavailable \(tfjs-node-gpu not installed; tfjs-node not installed\)/
    )
    expect(describeCompute(info)).toBe(
      'backend wasm (SIMD, 1 thread) — tfjs-node-gpu not installed, tfjs-node not installed'
    )
    expect(info.tf).toBe(tf)
  })

  it('is idempotent and refuses to switch backend in the same process', async () => {
    const a = await initCompute({ loaders: NONE })
    const b = await initCompute()
    expect(b).toBe(a)
    expect(currentCompute()).toBe(a)
    await expect(initCompute({ backend: 'cpu' })).rejects.toThrow(/already initialised with backend wasm.*restart/)
    const [c, d] = await Promise.all([initCompute(), initCompute()])
    expect(c).toBe(a)
    expect(d).toBe(a)
  })

  it('chooses tfjs-node-gpu when it is installed', async () => {
    const info = await initCompute({ loaders: { ...NONE, 'tfjs-node-gpu': registersTensorflow(true) } })
    expect(info.backend).toBe('tfjs-node-gpu')
    expect(info.tfBackend).toBe('tensorflow')
    expect(tf.getBackend()).toBe('tensorflow')
    expect(info.gpu).toBe(true)
    expect(info.tried).toEqual([{ name: 'tfjs-node-gpu', ok: true }])
    // TensorFlow's intra-op pool, chosen before the load (the env var is what the library reads).
    expect(info.threads).toBe(Number(process.env.TF_NUM_INTRAOP_THREADS))
    expect(info.threadsWhy).toBeTruthy()
    expect(describeCompute(info)).toMatch(/^backend tfjs-node-gpu \(\d threads?\)$/)
  })

  it('tfjs-node-gpu without a visible GPU is still used, and says so', async () => {
    const info = await initCompute({ loaders: { ...NONE, 'tfjs-node-gpu': registersTensorflow(false) } })
    expect(info.backend).toBe('tfjs-node-gpu')
    expect(info.gpu).toBe(false)
    expect(info.reason).toMatch(/no usable CUDA GPU/)
    expect(describeCompute(info)).toMatch(/^backend tfjs-node-gpu \(no GPU visible, \d threads?\)$/)
  })

  it('gpu binding fails to load → tfjs-node', async () => {
    const info = await initCompute({
      loaders: {
        'tfjs-node-gpu': async () => {
          throw new Error(
            'libcudart.so.11.0: cannot open shared object file: No such file or directory\n    at Module._extensions'
          )
        },
        'tfjs-node': registersTensorflow(undefined)
      }
    })
    expect(info.backend).toBe('tfjs-node')
    expect(info.tried[0]).toEqual({
      name: 'tfjs-node-gpu',
      ok: false,
      error: 'load error: libcudart.so.11.0: cannot open shared object file: No such file or directory'
    })
    expect(info.reason).toMatch(/^tfjs-node .*tfjs-node-gpu load error: libcudart/)
    expect(info.gpu).toBeNull()
  })

  it('a binding that loads but registers into another tfjs copy is reported, not used', async () => {
    const info = await initCompute({
      loaders: { 'tfjs-node-gpu': async () => undefined, 'tfjs-node': notInstalled('@tensorflow/tfjs-node') }
    })
    expect(info.backend).toBe('wasm')
    expect(info.tried[0].error).toMatch(
      /^init failed: @tensorflow\/tfjs-node-gpu loaded but did not register .*4\.22\.0/
    )
  })

  it('wasm fails → cpu, with the conv filter-gradient shim for cpu', async () => {
    const info = await initCompute({
      loaders: {
        ...NONE,
        wasm: async () => {
          throw new Error('WebAssembly is not available')
        }
      }
    })
    expect(info.backend).toBe('cpu')
    expect(tf.getBackend()).toBe('cpu')
    expect(info.tried.map((t) => t.error)).toEqual([
      'not installed',
      'not installed',
      'load error: WebAssembly is not available',
      undefined
    ])
    expect(info.shims).toEqual(['Conv2DBackpropFilter(conv)'])
    expect(describeCompute(info)).toBe(
      'backend cpu (pure JS, slow) — tfjs-node-gpu not installed, tfjs-node not installed, wasm load error: WebAssembly is not available'
    )
  })

  it('an explicit backend is honoured even when a faster one is installed', async () => {
    const calls = { n: 0 }
    const info = await initCompute({
      backend: 'wasm',
      loaders: { ...NONE, 'tfjs-node-gpu': registersTensorflow(true, calls) }
    })
    expect(info.backend).toBe('wasm')
    expect(calls.n).toBe(0)
    expect(info.tried).toEqual([{ name: 'wasm', ok: true }])
    expect(info.reason).toMatch(/requested explicitly/)
    const cpu = (resetCompute(), await initCompute({ backend: 'cpu' }))
    expect(cpu.backend).toBe('cpu')
    expect(tf.getBackend()).toBe('cpu')
  })

  it('an explicit backend that is unavailable is a clear error', async () => {
    await expect(initCompute({ backend: 'tfjs-node', loaders: NONE })).rejects.toThrow(
      "backend 'tfjs-node' was requested but cannot be used: tfjs-node not installed (install it with: npm install @tensorflow/tfjs-node@4.22.0)"
    )
    await expect(initCompute({ backend: 'tfjs-node-gpu', loaders: NONE })).rejects.toThrow(
      /tfjs-node-gpu not installed/
    )
    expect(currentCompute()).toBeNull()
  })

  it('rejects bad options', async () => {
    await expect(initCompute({ backend: 'cuda' as never })).rejects.toThrow(/unknown backend 'cuda'/)
    await expect(initCompute({ threads: 0 })).rejects.toThrow(/threads must be 'auto' or an integer 1\.\.8, got 0/)
    await expect(initCompute({ threads: 1.5 })).rejects.toThrow(ComputeError)
  })
})

describe('default loaders', () => {
  const req = createRequire(import.meta.url)
  const has = (p: string): boolean => {
    try {
      req.resolve(p)
      return true
    } catch {
      return false
    }
  }
  it.skipIf(has('@tensorflow/tfjs-node'))('report a missing tfjs-node as not installed', async () => {
    await expect(defaultLoaders['tfjs-node']()).rejects.toBeInstanceOf(BackendNotInstalledError)
    await expect(defaultLoaders['tfjs-node']()).rejects.toThrow('@tensorflow/tfjs-node is not installed')
  })
  it.skipIf(has('@tensorflow/tfjs-node-gpu'))('report a missing tfjs-node-gpu as not installed', async () => {
    await expect(defaultLoaders['tfjs-node-gpu']()).rejects.toBeInstanceOf(BackendNotInstalledError)
  })
})
