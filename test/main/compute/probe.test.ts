// Probe of the ops the POI network uses (docs: poi-spec §2): corner crops by slice, horizontal flips by
// reverse, concat of the two crops of a branch, conv2d stride 1/2, batch-norm statistics, ReLU, max-pool,
// global mean, dense matmuls, sigmoid AU probabilities, softmax/log emotion distributions, a KL term.
// Forward and backward run on wasm + shims, every kernel involved must exist for wasm, and the gradients
// must match the cpu backend.
import { beforeAll, describe, expect, it } from 'vitest'
import type { Tensor, Tensor4D } from '@tensorflow/tfjs'
import '@tensorflow/tfjs-backend-wasm'
import { tf } from '../../../src-main/core/compute/tf'
import { installWasmShims } from '../../../src-main/core/compute/wasm-shims'
import { compareBackends, rand } from './compare'

const B = 2
const H = 7
const K = 5 // crop size on a 7x7 map (k = floor(9*7/14 + 0.5))
const C = 16

/** A miniature of one POI training step's math; returns the scalar loss. */
function poiLoss(
  F: Tensor,
  w1: Tensor,
  w2: Tensor,
  gamma: Tensor,
  beta: Tensor,
  wAu: Tensor,
  wEmo: Tensor,
  target: Tensor
): Tensor {
  const crop = (r: number, c: number): Tensor => tf.slice(F, [0, r, c, 0], [B, K, K, C])
  const x1 = crop(0, 0)
  const x2 = tf.reverse(crop(0, H - K), 2) // upper-right, mirrored
  const x3 = crop(H - K, 0)
  const x4 = tf.reverse(crop(H - K, H - K), 2)
  const branch = (a: Tensor, b: Tensor): Tensor => {
    const x = tf.concat([a, b], 0) as Tensor4D // the two subregions of a branch share weights: batch 2B
    let y: Tensor = tf.conv2d(x, w1 as Tensor4D, 1, 'same')
    const { mean, variance } = tf.moments(y, [0, 1, 2])
    y = tf.batchNorm(y, mean, variance, beta, gamma, 1e-3)
    y = tf.relu(y)
    y = tf.conv2d(y as Tensor4D, w2 as Tensor4D, 2, 'same')
    y = tf.maxPool(y as Tensor4D, 2, 1, 'same')
    return tf.mean(y, [1, 2]) // GAP → [2B, 8]
  }
  const f = tf.concat([branch(x1, x2), branch(x3, x4)], 0) // [4B, 8]
  const au = tf.sigmoid(tf.matMul(f, wAu)) // AU occurrence probabilities
  const logits = tf.matMul(f, wEmo)
  const p = tf.softmax(logits)
  const logp = tf.logSoftmax(logits)
  const q = tf.clipByValue(target, 1e-6, 1)
  const kl = tf.sum(tf.mul(q, tf.sub(tf.log(q), logp)), 1) // KL(q || p)
  const conf = tf.transpose(tf.reshape(tf.max(p, 1), [4, B])) // [B, 4]: per image, per subregion
  const gate = tf.softmax(conf) // a gate over the 4 subregions
  const bce = tf.neg(tf.mean(tf.add(tf.mul(0.3, tf.log(tf.add(au, 1e-6))), tf.mul(0.7, tf.log(tf.sub(1.0001, au))))))
  return tf.add(tf.add(tf.mean(kl), bce), tf.sum(tf.mul(gate, tf.square(tf.sub(conf, 0.5)))))
}

const shapes = {
  F: [B, H, H, C],
  w1: [3, 3, C, 8],
  w2: [3, 3, 8, 8],
  gamma: [8],
  beta: [8],
  wAu: [8, 6],
  wEmo: [8, 7],
  target: [4 * B, 7]
}

function inputs(): Tensor[] {
  return Object.values(shapes).map((s, i) => (i === 3 ? tf.add(rand(s, 100 + i), 1.5) : rand(s, 100 + i)))
}

beforeAll(async () => {
  expect(await tf.setBackend('wasm')).toBe(true)
  installWasmShims(tf)
})

describe('POI op set on wasm', () => {
  it('every kernel of the forward + backward pass exists for wasm', async () => {
    await tf.setBackend('wasm')
    const args = inputs()
    const prof = await tf.profile(() => {
      const g = tf.grads((...a: Tensor[]) => poiLoss(a[0], a[1], a[2], a[3], a[4], a[5], a[6], args[7]))(
        args.slice(0, 7)
      )
      return g
    })
    tf.dispose(args)
    // kernelNames also lists custom-gradient op wrappers ('logSoftmax__op'), which are not kernels
    const names = [...new Set(prof.kernelNames)].filter((n) => !n.endsWith('__op')).sort()
    const missing = names.filter((n) => tf.getKernel(n, 'wasm') == null)
    expect(missing).toEqual([])
    // The kernels this op set needs that wasm lacks or runs slowly natively, now shims:
    expect(names).toEqual(
      expect.arrayContaining(['Conv2DBackpropFilter', 'Conv2DBackpropInput', 'Reverse', 'MaxPoolGrad'])
    )
  })

  it('loss and all gradients match the cpu backend', async () => {
    const { err, shapes: got } = await compareBackends(() => {
      const args = inputs()
      const f = (...a: Tensor[]): Tensor => poiLoss(a[0], a[1], a[2], a[3], a[4], a[5], a[6], args[7])
      const loss = f(...args.slice(0, 7))
      return [loss, ...tf.grads(f)(args.slice(0, 7))]
    })
    expect(got.slice(1)).toEqual(Object.values(shapes).slice(0, 7))
    expect(err).toBeLessThanOrEqual(1e-4)
  })
})
