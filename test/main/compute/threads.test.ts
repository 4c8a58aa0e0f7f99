// The experimental Node threads enabler: 2 XNNPACK threads, and the threaded binary computes what cpu does.
// Own file: the thread count is fixed when the wasm backend first initialises in a process.
import { describe, expect, it } from 'vitest'
import type { Tensor, Tensor4D } from '@tensorflow/tfjs'
import { getThreadsCount } from '@tensorflow/tfjs-backend-wasm'
import { tf } from '../../../src-main/core/compute/tf'
import { describeCompute, initCompute } from '../../../src-main/core/compute/backend'
import { unrefPoolThreads } from '../../../src-main/core/compute/wasm-threads'
import { compareBackends, rand } from './compare'
import { NO_NATIVE } from './loaders'

describe('wasm threads in Node (experimental)', () => {
  it("threads: 'auto' on an idle 2-core machine runs the threaded SIMD binary with 2 XNNPACK threads, and its results match cpu", async () => {
    const blob = globalThis.Blob
    const info = await initCompute({ threads: 'auto', machine: { cores: 2, load1: 0.1 }, loaders: NO_NATIVE })
    expect(info.backend).toBe('wasm')
    expect(info.threads).toBe(2)
    expect(info.threadsWhy).toBe('auto: 1.9 of 2 cores free (1-min load 0.10)')
    expect(getThreadsCount()).toBe(2)
    expect(info.warnings).toEqual([])
    expect(describeCompute(info)).toBe(
      'backend wasm (SIMD, 2 threads) — tfjs-node-gpu not installed, tfjs-node not installed'
    )
    expect(globalThis.Blob).toBe(blob) // the init-time patches are undone
    expect(unrefPoolThreads()).toBeGreaterThanOrEqual(1) // the pool's workers exist (and do not hold the process)

    // big enough that XNNPACK splits the work across threads
    const { err } = await compareBackends(() => {
      const r = rand([2, 12, 12, 32], 3)
      const f = (x: Tensor, w: Tensor): Tensor => tf.sum(tf.mul(tf.conv2d(x as Tensor4D, w as Tensor4D, 1, 'same'), r))
      return tf.grads(f)([rand([2, 12, 12, 16], 1), rand([3, 3, 16, 32], 2)])
    })
    expect(err).toBeLessThanOrEqual(1e-4)
  })
})
