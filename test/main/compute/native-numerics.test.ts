/**
 * Native TensorFlow (tfjs-node) against the pure-JS cpu backend: every op the POI model uses, forward
 * and gradient (relative difference ≤ 1e-4), and one whole POI training step (same seed, same batch)
 * giving the same loss and the same updated weights. Skipped with the reason where the native engine is
 * not installed, except under CI, which installs it.
 */
import { beforeAll, describe, expect, it } from 'vitest'
import { initCompute } from '../../../src-main/core/compute/backend'
import { tf } from '../../../src-main/core/compute/tf'
import {
  batchNorm,
  conv2dSymmetric,
  maxPool2,
  maxPool3s2,
  newCtx,
  relu,
  stopGradient
} from '../../../src-main/core/model/layers'
import { ParamRegistry } from '../../../src-main/core/model/params'
import { nativeTrainOps } from '../../../src-main/core/compute/native-ops'
import { createPoiModel, createSgd, trainStep } from '../../../src-main/core/model'
import { gateMix, temperedProbs, uemEntropy, uemMutualInformation, uemVariance } from '../../../src-main/core/model/oim'
import { cornerCrops } from '../../../src-main/core/model/pin'
import { compareBackends, rand, runOn } from './compare'

let native: string | null = null
beforeAll(async () => {
  try {
    await initCompute({ backend: 'tfjs-node', threads: 1 })
  } catch (e) {
    native = (e as Error).message
    if (process.env.CI) throw new Error(`CI must run on the native engine: ${native}`)
  }
})

type Case = [name: string, fn: () => tf.Tensor | tf.Tensor[]]

/**
 * Value and the gradients of sum(f(x)·w) w.r.t. every input (w fixed random weights, so no gradient is trivially
 * uniform).
 */
function withGrads(inputs: Array<() => tf.Tensor>, f: (...xs: tf.Tensor[]) => tf.Tensor): () => tf.Tensor[] {
  return () => {
    const xs = inputs.map((g) => g())
    const y = f(...xs)
    const w = rand(y.shape, 99)
    const g = tf.grads((...a: tf.Tensor[]) => tf.sum(tf.mul(f(...a), w)))(xs)
    return [y, ...g]
  }
}

const x4 =
  (shape: [number, number, number, number], seed = 1) =>
  () =>
    rand(shape, seed) as tf.Tensor4D

/**
 * The model's train-mode ReLU(BN(x)) (on native: FusedBatchNormV3, FusedBatchNormGradV3 and ReluGrad from
 * compute/native-ops.ts; on cpu: tf.moments + tfjs-core's gradients): output, gradients of sum(y·w) in x, γ
 * and β, and the running statistics it queues (momentum 0.1, unbiased variance).
 */
function bnReluTrain(): tf.Tensor[] {
  const reg = new ParamRegistry(1)
  try {
    const bn = batchNorm(reg, 'bn', 3, { momentum: 0.1, eps: 1e-5 })
    bn.gamma.assign(rand([3], 3))
    bn.beta.assign(rand([3], 4))
    bn.runMean.assign(rand([3], 6))
    const x = tf.variable(rand([4, 5, 5, 3], 1), true)
    const w = rand([4, 5, 5, 3], 99)
    const ctx = newCtx(true)
    let y: tf.Tensor | null = null
    const { grads } = tf.variableGrads(() => {
      y = tf.keep(relu(bn.apply(x as tf.Tensor4D, ctx), ctx))
      return tf.sum(tf.mul(y, w))
    }, [x, bn.gamma, bn.beta])
    const stats = ctx.bnUpdates.map((u) => u.value)
    const out = [y as unknown as tf.Tensor, grads[x.name], grads[bn.gamma.name], grads[bn.beta.name], ...stats]
    x.dispose()
    return out
  } finally {
    reg.dispose()
  }
}

const CASES: Case[] = [
  [
    'conv2d 3×3 stride 1 pad 1 (same)',
    withGrads([x4([2, 9, 9, 3]), x4([3, 3, 3, 4], 2)], (x, w) =>
      conv2dSymmetric(x as tf.Tensor4D, w as tf.Tensor4D, 1, 1)
    )
  ],
  [
    'conv2d 3×3 stride 2 pad 1 (explicit pad)',
    withGrads([x4([2, 10, 10, 3]), x4([3, 3, 3, 4], 2)], (x, w) =>
      conv2dSymmetric(x as tf.Tensor4D, w as tf.Tensor4D, 2, 1)
    )
  ],
  [
    'conv2d 7×7 stride 2 pad 3 (ImageNet stem)',
    withGrads([x4([1, 16, 16, 1]), x4([7, 7, 1, 4], 2)], (x, w) =>
      conv2dSymmetric(x as tf.Tensor4D, w as tf.Tensor4D, 2, 3)
    )
  ],
  [
    'conv2d 1×1 stride 2 (shortcut)',
    withGrads([x4([2, 8, 8, 3]), x4([1, 1, 3, 5], 2)], (x, w) =>
      conv2dSymmetric(x as tf.Tensor4D, w as tf.Tensor4D, 2, 0)
    )
  ],
  ['maxPool 3×3 stride 2 pad 1', withGrads([x4([2, 10, 10, 3])], (x) => maxPool3s2(x as tf.Tensor4D))],
  ['maxPool 2×2 stride 2 (odd side)', withGrads([x4([2, 9, 9, 3])], (x) => maxPool2(x as tf.Tensor4D))],
  [
    'batch norm with batch moments',
    withGrads([x4([4, 5, 5, 3]), () => rand([3], 3), () => rand([3], 4)], (x, g, b) => {
      const { mean, variance } = tf.moments(x, [0, 1, 2])
      return tf.batchNorm(x as tf.Tensor4D, mean, variance, b as tf.Tensor1D, g as tf.Tensor1D, 1e-5)
    })
  ],
  ['train-mode ReLU(batch norm) of the model, with its running statistics', bnReluTrain],
  ['relu, add', withGrads([x4([2, 4, 4, 3]), x4([2, 4, 4, 3], 5)], (a, b) => tf.relu(tf.add(a, b)))],
  [
    'matMul + bias (dense)',
    withGrads([() => rand([5, 7], 1), () => rand([7, 3], 2), () => rand([3], 3)], (x, w, b) =>
      tf.add(tf.matMul(x as tf.Tensor2D, w as tf.Tensor2D), b)
    )
  ],
  [
    'batched matMul (AU nets)',
    withGrads([() => rand([6, 4, 8], 1), () => rand([6, 8, 5], 2)], (a, b) =>
      tf.matMul(a as tf.Tensor3D, b as tf.Tensor3D)
    )
  ],
  [
    'softmax, logSoftmax, sigmoid, softplus',
    withGrads([() => rand([4, 7], 1)], (z) =>
      tf.concat([tf.softmax(z), tf.logSoftmax(tf.div(z, 3)), tf.sigmoid(z), tf.softplus(z)], 1)
    )
  ],
  [
    'global average pool, mean, sum',
    withGrads([x4([2, 5, 5, 3])], (x) => tf.concat([tf.mean(x, [1, 2]), tf.sum(x, [1, 2])], 1))
  ],
  [
    'corner crops (slice, reverse, concat)',
    withGrads([x4([2, 6, 6, 3])], (x) => {
      const c = cornerCrops(x as tf.Tensor4D, 4)
      return tf.concat([c.ul, c.ur, c.ll, c.lr], 0)
    })
  ],
  [
    'reshape, transpose, expandDims, mul',
    withGrads([() => rand([4, 2, 3], 1)], (x) =>
      tf.mul(tf.transpose(tf.reshape(x, [2, 4, 3]), [1, 0, 2]), tf.expandDims(tf.sum(x, [1, 2]), 1).reshape([4, 1, 1]))
    )
  ],
  [
    'log, clip, square, sub, div, maximum',
    withGrads([() => tf.abs(rand([3, 5], 1))], (x) =>
      tf.concat([tf.log(tf.maximum(x, 1e-3)), tf.clipByValue(tf.square(tf.sub(x, 0.5)), 0, 0.2), tf.div(x, 3)], 1)
    )
  ],
  [
    'gate mix and tempered probabilities',
    withGrads([() => rand([3, 4], 1), () => rand([3, 4, 5], 2)], (g, z) =>
      gateMix(tf.softmax(g) as tf.Tensor2D, temperedProbs(z as tf.Tensor3D, 3))
    )
  ],
  ['stop-gradient (custom op)', withGrads([() => rand([3, 4], 1)], (x) => tf.add(stopGradient(x), tf.mul(x, 2)))],
  [
    'UEM forms (variance, MI, entropy)',
    () => {
      const p = tf.softmax(rand([5, 4, 7], 1)) as tf.Tensor3D
      return [uemVariance(p).confidence, uemMutualInformation(p).confidence, uemEntropy(p).confidence]
    }
  ],
  [
    'oneHot, gather, argMax',
    () => [
      tf.oneHot(tf.tensor1d([0, 3, 2], 'int32'), 5),
      tf.gather(rand([5, 3], 1), [4, 0, 2]),
      tf.cast(tf.argMax(rand([4, 6], 2), 1), 'float32')
    ]
  ]
]

describe('native TensorFlow vs the cpu backend', () => {
  for (const [name, fn] of CASES) {
    it(`${name}: forward and gradients within 1e-4`, async (ctx) => {
      if (native) return ctx.skip()
      const { err } = await compareBackends(fn, 'tensorflow')
      expect(err).toBeLessThanOrEqual(1e-4)
    })
  }

  it('the train-mode batch norm and ReLU run as fused TensorFlow kernels (no tfjs-core composition)', async (ctx) => {
    if (native) return ctx.skip()
    await tf.setBackend('tensorflow')
    const before = tf.memory().numTensors
    // tf.profile lists the kernels tfjs dispatches: the composed forward runs Mean/Square (tf.moments) and
    // its gradient Tile and Step (tfjs-node's Step = IsNan + Greater + Select); the fused path runs none.
    const prof = await tf.profile(() => {
      tf.dispose(tf.tidy(bnReluTrain))
    })
    const names = new Set(prof.kernels.map((k) => k.name))
    for (const k of ['Square', 'Tile', 'Step', 'IsNan', 'Select']) expect(names.has(k), `kernel ${k} ran`).toBe(false)
    expect(nativeTrainOps()).not.toBeNull()
    expect(tf.memory().numTensors).toBe(before)
  })

  it('one full POI train step (VGG and slim ResNet, every loss) gives the same loss and weights on both', async (ctx) => {
    if (native) return ctx.skip()
    for (const extractor of [
      { kind: 'vgg' as const, widths: [4, 8, 8, 8] as [number, number, number, number] },
      {
        kind: 'resnet' as const,
        arch: 'slim' as const,
        stem: 'stride2' as const,
        widths: [4, 8, 8, 8] as [number, number, number, number]
      }
    ]) {
      const results: Array<{ loss: number[]; weights: Float32Array[] }> = []
      for (const be of ['cpu', 'tensorflow'] as const) {
        await tf.setBackend(be)
        const m = createPoiModel({
          classes: ['neutral', 'happiness', 'surprise', 'sadness'],
          input: { height: 24, width: 24, channels: 1 },
          extractor,
          pin: { branch: 'conv', auHidden: 8, auReduced: 4 },
          seed: 5
        })
        const opt = createSgd({ momentum: 0.9, weightDecay: 1e-4, weightDecayMode: 'l2' }, 0.05)
        const x = rand([6, 24, 24, 1], 11) as tf.Tensor4D
        const y = tf.tensor1d([0, 1, 2, 3, 0, 1], 'int32')
        const l1 = trainStep(m, { x, y }, opt)
        const l2 = trainStep(m, { x, y }, opt)
        results.push({
          loss: [l1.total, l2.total, l2.kl ?? 0, l2.or ?? 0, l2.gateCe ?? 0],
          weights: [...m.getWeights().values()].map((w) => w.data)
        })
        tf.dispose([x, y])
        opt.dispose()
        m.dispose()
      }
      const [cpu, nat] = results
      for (let i = 0; i < cpu.loss.length; i++)
        expect(Math.abs(cpu.loss[i] - nat.loss[i]) / Math.max(1e-6, Math.abs(cpu.loss[i]))).toBeLessThan(1e-4)
      let worst = 0
      cpu.weights.forEach((w, i) => {
        let d = 0
        let r = 0
        for (let j = 0; j < w.length; j++) {
          d = Math.max(d, Math.abs(w[j] - nat.weights[i][j]))
          r = Math.max(r, Math.abs(w[j]))
        }
        worst = Math.max(worst, r > 0 ? d / r : d)
      })
      expect(worst).toBeLessThan(1e-4)
    }
    await runOn('tensorflow', () => tf.scalar(0))
  }, 300_000)
})
