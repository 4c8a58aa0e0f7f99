// A small ResNet (ImageNet stem, BN, ReLU, max-pool, residual blocks with a strided 1x1 projection, GAP,
// dense softmax) in training mode: every gradient on wasm + shims against the cpu backend, same weights.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { LayersModel, SymbolicTensor, Tensor } from '@tensorflow/tfjs'
import '@tensorflow/tfjs-backend-wasm'
import { tf } from '../../../src-main/core/compute/tf'
import { installWasmShims, uninstallWasmShims } from '../../../src-main/core/compute/wasm-shims'
import { rand, relErr, seeded } from './compare'

let seed = 1
const init = (): ReturnType<typeof tf.initializers.glorotUniform> => tf.initializers.glorotUniform({ seed: seed++ })

function convBn(x: SymbolicTensor, filters: number, kernel: number, strides: number, relu: boolean): SymbolicTensor {
  let y = tf.layers
    .conv2d({ filters, kernelSize: kernel, strides, padding: 'same', useBias: false, kernelInitializer: init() })
    .apply(x) as SymbolicTensor
  y = tf.layers.batchNormalization({ gammaInitializer: 'ones', betaInitializer: 'zeros' }).apply(y) as SymbolicTensor
  return relu ? (tf.layers.reLU().apply(y) as SymbolicTensor) : y
}

function basicBlock(x: SymbolicTensor, filters: number, strides: number): SymbolicTensor {
  const inCh = x.shape[3] as number
  let y = convBn(x, filters, 3, strides, true)
  y = convBn(y, filters, 3, 1, false)
  const short = strides !== 1 || inCh !== filters ? convBn(x, filters, 1, strides, false) : x
  return tf.layers.reLU().apply(tf.layers.add().apply([y, short])) as SymbolicTensor
}

/** Widths 8-16-32, 32x32x1 input, 7 classes. */
function smallResNet(): LayersModel {
  const input = tf.input({ shape: [32, 32, 1] })
  let x = convBn(input, 8, 7, 2, true)
  x = tf.layers.maxPooling2d({ poolSize: 3, strides: 2, padding: 'same' }).apply(x) as SymbolicTensor
  x = basicBlock(x, 8, 1)
  x = basicBlock(x, 16, 2)
  x = basicBlock(x, 32, 2)
  x = tf.layers.globalAveragePooling2d({}).apply(x) as SymbolicTensor
  const out = tf.layers.dense({ units: 7, activation: 'softmax', kernelInitializer: init() }).apply(x) as SymbolicTensor
  return tf.model({ inputs: input, outputs: out })
}

function lossAndGrads(model: LayersModel, x: Tensor, y: Tensor): { loss: number; grads: Map<string, Float32Array> } {
  const { value, grads } = tf.variableGrads(() => {
    const p = model.apply(x, { training: true }) as Tensor
    return tf.mean(tf.metrics.categoricalCrossentropy(y, p)) as tf.Scalar
  })
  const out = new Map<string, Float32Array>()
  for (const [name, g] of Object.entries(grads)) out.set(name, Float32Array.from(g.dataSync()))
  const loss = value.dataSync()[0]
  tf.dispose([value, ...Object.values(grads)])
  return { loss, grads: out }
}

let model: LayersModel
let x: Tensor
let y: Tensor

beforeAll(async () => {
  await tf.setBackend('cpu')
  model = smallResNet()
  x = rand([4, 32, 32, 1], 11)
  const labels = Array.from(seeded(4, 12), (v) => Math.floor((v + 1) * 3.5))
  y = tf.oneHot(tf.tensor1d(labels, 'int32'), 7)
  installWasmShims(tf)
})
afterAll(() => {
  uninstallWasmShims()
  tf.dispose([x, y])
  model.dispose()
})

describe('small ResNet, training mode', () => {
  it('every gradient on wasm + shims matches cpu (max diff / max |g| <= 1e-4)', async () => {
    await tf.setBackend('cpu')
    const ref = lossAndGrads(model, x, y)
    await tf.setBackend('wasm') // the same variables; tfjs moves their data on first use
    const got = lossAndGrads(model, x, y)
    expect(got.grads.size).toBe(ref.grads.size)
    expect(ref.grads.size).toBe(29) // 9 conv kernels, 9 BNs x (gamma, beta), dense kernel + bias
    expect(Math.abs(got.loss - ref.loss) / Math.abs(ref.loss)).toBeLessThan(1e-5)
    for (const [name, g] of ref.grads) {
      expect(got.grads.has(name), name).toBe(true)
      expect(relErr(g, got.grads.get(name)!), name).toBeLessThanOrEqual(1e-4)
    }
  })

  it('training steps on wasm leave no tensors behind', async () => {
    await tf.setBackend('wasm')
    const start = tf.memory().numTensors
    const opt = tf.train.adam(1e-3)
    const step = (): void => {
      const loss = opt.minimize(
        () => tf.mean(tf.metrics.categoricalCrossentropy(y, model.apply(x, { training: true }) as Tensor)) as tf.Scalar,
        true
      )
      loss?.dispose()
    }
    step() // creates Adam's moment slots (2 per trainable variable) and its step counters
    const afterFirst = tf.memory().numTensors
    for (let i = 0; i < 4; i++) step()
    expect(tf.memory().numTensors).toBe(afterFirst)
    opt.dispose()
    expect(tf.memory().numTensors).toBe(start)
  })
})
