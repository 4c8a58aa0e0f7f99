// A wasm backend that fails inside tfjs's own initialisation (a corrupt binary, as a broken install or a bad
// POI_WASM_DIR would give) falls back to cpu. Its own file: a failed wasm init cannot be retried in-process.
import { afterAll, describe, expect, it } from 'vitest'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { tf } from '../../../src-main/core/compute/tf'
import { describeCompute, initCompute, resetCompute } from '../../../src-main/core/compute/backend'
import { NO_NATIVE } from './loaders'

const dir = mkdtempSync(join(tmpdir(), 'poi-badwasm-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('wasm initialisation failure', () => {
  it('a corrupt wasm binary → cpu, with the reason recorded', async () => {
    for (const f of ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm']) {
      writeFileSync(join(dir, f), Buffer.from('this is not WebAssembly'))
    }
    // One thread (a busy machine), so tfjs compiles the plain SIMD binary and reports its compile error.
    const info = await initCompute({ wasmDir: dir, machine: { cores: 2, load1: 2 }, loaders: NO_NATIVE })
    expect(info.backend).toBe('cpu')
    expect(tf.getBackend()).toBe('cpu')
    const wasm = info.tried.find((t) => t.name === 'wasm')!
    expect(wasm.ok).toBe(false)
    expect(wasm.error).toMatch(/^init failed: .*CompileError.*expected magic word/)
    expect(describeCompute(info)).toMatch(/^backend cpu \(pure JS, slow\) — .*wasm init failed: /)
    // cpu still trains a conv (through the cpu conv-swap dW shim)
    const g = tf.tidy(() =>
      tf.grad((w: tf.Tensor) => tf.sum(tf.conv2d(tf.ones([1, 5, 5, 1]) as tf.Tensor4D, w as tf.Tensor4D, 1, 'same')))(
        tf.ones([3, 3, 1, 2])
      )
    )
    expect(Array.from(g.dataSync())).toEqual([16, 16, 20, 20, 16, 16, 20, 20, 25, 25, 20, 20, 16, 16, 20, 20, 16, 16])
    g.dispose()
    resetCompute()
    await expect(initCompute({ backend: 'wasm', wasmDir: dir })).rejects.toThrow(
      /backend 'wasm' was requested but cannot be used: wasm init failed: an earlier wasm initialisation in this process failed; restart/
    )
  })
})
