// Every wasm shim against the cpu backend's own kernel, on identical data (max |diff| / max |ref| <= 1e-4).
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Tensor, Tensor4D } from '@tensorflow/tfjs'
import '@tensorflow/tfjs-backend-wasm'
import { tf } from '../../../src-main/core/compute/tf'
import { installWasmShims, uninstallWasmShims } from '../../../src-main/core/compute/wasm-shims'
import { compareBackends, kernel, rand } from './compare'

const TOL = 1e-4
type Pad = 'same' | 'valid' | number | number[][]

interface ConvCase {
  x: [number, number, number, number]
  k: [number, number]
  cout: number
  strides: number | [number, number]
  pad: Pad
  round?: 'floor' | 'round' | 'ceil'
}

// Strides 1, 2, (2,1), 3, (3,2); 'same', 'valid', numeric and asymmetric explicit pads; kernels 1, 3, 5x3,
// 4x4, 7; channel counts 1..40; stride larger than the kernel.
const CONV_CASES: ConvCase[] = [
  { x: [2, 8, 8, 3], k: [3, 3], cout: 4, strides: 1, pad: 'same' },
  { x: [2, 8, 8, 3], k: [3, 3], cout: 4, strides: 2, pad: 'same' },
  { x: [2, 9, 9, 3], k: [3, 3], cout: 5, strides: 2, pad: 'valid' },
  { x: [1, 10, 7, 4], k: [5, 3], cout: 6, strides: [2, 1], pad: 'same' },
  { x: [2, 12, 12, 1], k: [7, 7], cout: 8, strides: 2, pad: 'same' },
  { x: [2, 10, 10, 3], k: [1, 1], cout: 4, strides: 2, pad: 'valid' },
  { x: [2, 9, 8, 5], k: [3, 3], cout: 3, strides: 3, pad: 'same' },
  { x: [1, 12, 12, 3], k: [5, 3], cout: 2, strides: 3, pad: 'valid' },
  {
    x: [2, 7, 6, 3],
    k: [3, 3],
    cout: 4,
    strides: 1,
    pad: [
      [0, 0],
      [1, 2],
      [0, 1],
      [0, 0]
    ]
  },
  {
    x: [2, 8, 9, 2],
    k: [3, 3],
    cout: 3,
    strides: 2,
    pad: [
      [0, 0],
      [2, 0],
      [1, 3],
      [0, 0]
    ]
  },
  { x: [2, 7, 7, 16], k: [3, 3], cout: 16, strides: 1, pad: 'same' },
  { x: [1, 6, 6, 40], k: [3, 3], cout: 8, strides: 2, pad: 'same' },
  { x: [2, 10, 10, 3], k: [1, 1], cout: 2, strides: 3, pad: 'valid' },
  { x: [1, 9, 9, 3], k: [3, 3], cout: 4, strides: 2, pad: 1, round: 'floor' },
  { x: [2, 13, 11, 3], k: [4, 4], cout: 3, strides: [3, 2], pad: 'same' },
  { x: [1, 9, 9, 2], k: [7, 7], cout: 3, strides: 1, pad: 'valid' },
  { x: [1, 11, 11, 6], k: [7, 7], cout: 4, strides: 2, pad: 'same' }
]

function convGeometry(c: ConvCase): { dyShape: number[]; filterShape: [number, number, number, number] } {
  const filterShape: [number, number, number, number] = [c.k[0], c.k[1], c.x[3], c.cout]
  const info = tf.backend_util.computeConv2DInfo(c.x, filterShape, c.strides, 1, c.pad as 'same', c.round)
  return { dyShape: [c.x[0], info.outHeight, info.outWidth, c.cout], filterShape }
}

const label = (c: ConvCase): string =>
  `x${c.x.join('x')} k${c.k.join('x')} s${JSON.stringify(c.strides)} pad ${JSON.stringify(c.pad)}`

beforeAll(async () => {
  expect(await tf.setBackend('wasm')).toBe(true)
  installWasmShims(tf)
})
afterAll(() => uninstallWasmShims())

describe('Conv2DBackpropFilter shim', () => {
  for (const strategy of ['conv', 'pertap'] as const) {
    it(`matches cpu for every case (${strategy})`, async () => {
      installWasmShims(tf, { filterGradStrategy: strategy })
      for (const [i, c] of CONV_CASES.entries()) {
        const { dyShape, filterShape } = convGeometry(c)
        const { err, shapes } = await compareBackends(() =>
          kernel(
            'Conv2DBackpropFilter',
            { x: rand(c.x, 10 + i), dy: rand(dyShape, 50 + i) },
            {
              strides: c.strides,
              pad: c.pad,
              dataFormat: 'NHWC',
              dimRoundingMode: c.round,
              filterShape
            }
          )
        )
        expect(shapes[0], label(c)).toEqual(filterShape)
        expect(err, label(c)).toBeLessThanOrEqual(TOL)
      }
      installWasmShims(tf)
    })
  }
})

describe('Conv2DBackpropInput shim (phase decomposition)', () => {
  it('matches cpu for every case', async () => {
    for (const [i, c] of CONV_CASES.entries()) {
      const { dyShape, filterShape } = convGeometry(c)
      const { err, shapes } = await compareBackends(() =>
        kernel(
          'Conv2DBackpropInput',
          { dy: rand(dyShape, 70 + i), filter: rand(filterShape, 90 + i) },
          {
            strides: c.strides,
            pad: c.pad,
            dataFormat: 'NHWC',
            dimRoundingMode: c.round,
            inputShape: c.x
          }
        )
      )
      expect(shapes[0], label(c)).toEqual(c.x)
      expect(err, label(c)).toBeLessThanOrEqual(TOL)
    }
  })

  it('rejects NCHW with a clear error', async () => {
    await tf.setBackend('wasm')
    expect(() =>
      tf.tidy(() =>
        kernel(
          'Conv2DBackpropInput',
          { dy: rand([1, 2, 4, 4], 1), filter: rand([3, 3, 2, 2], 2) },
          {
            strides: 1,
            pad: 'same',
            dataFormat: 'NCHW',
            inputShape: [1, 2, 4, 4]
          }
        )
      )
    ).toThrow(/dataFormat 'NCHW' is not supported/)
  })
})

describe('tf.grads of conv2d end to end', () => {
  for (const c of [CONV_CASES[1], CONV_CASES[4], CONV_CASES[9]]) {
    it(`dx and dW match cpu: ${label(c)}`, async () => {
      const { dyShape, filterShape } = convGeometry(c)
      const { err } = await compareBackends(() => {
        const r = rand(dyShape, 3) // fixed upstream gradient: loss = sum(conv * r)
        const f = (x: Tensor, w: Tensor): Tensor =>
          tf.sum(tf.mul(tf.conv2d(x as Tensor4D, w as Tensor4D, c.strides, c.pad as 'same', 'NHWC', 1, c.round), r))
        return tf.grads(f)([rand(c.x, 4), rand(filterShape, 5)])
      })
      expect(err).toBeLessThanOrEqual(TOL)
    })
  }
})

describe('depthwise conv2d gradients (missing in wasm)', () => {
  const cases: Array<{
    x: [number, number, number, number]
    k: [number, number]
    mult: number
    strides: number | [number, number]
    pad: 'same' | 'valid'
  }> = [
    { x: [2, 8, 8, 3], k: [3, 3], mult: 1, strides: 1, pad: 'same' },
    { x: [2, 9, 9, 4], k: [3, 3], mult: 2, strides: 2, pad: 'same' },
    { x: [1, 10, 8, 2], k: [5, 3], mult: 1, strides: [2, 1], pad: 'valid' },
    { x: [2, 7, 7, 5], k: [1, 1], mult: 3, strides: 2, pad: 'valid' },
    { x: [1, 11, 11, 2], k: [4, 4], mult: 2, strides: 3, pad: 'same' }
  ]
  it('filter and input gradients match cpu via tf.grads(depthwiseConv2d)', async () => {
    for (const [i, c] of cases.entries()) {
      const fshape = [c.k[0], c.k[1], c.x[3], c.mult]
      const info = tf.backend_util.computeConv2DInfo(
        c.x,
        fshape as [number, number, number, number],
        c.strides,
        1,
        c.pad,
        undefined,
        true
      )
      const dyShape = [c.x[0], info.outHeight, info.outWidth, c.x[3] * c.mult]
      const { err, shapes } = await compareBackends(() => {
        const r = rand(dyShape, 200 + i)
        const f = (x: Tensor, w: Tensor): Tensor =>
          tf.sum(tf.mul(tf.depthwiseConv2d(x as Tensor4D, w as Tensor4D, c.strides, c.pad), r))
        return tf.grads(f)([rand(c.x, 300 + i), rand(fshape, 400 + i)])
      })
      expect(shapes, JSON.stringify(c)).toEqual([c.x, fshape])
      expect(err, JSON.stringify(c)).toBeLessThanOrEqual(TOL)
    }
  })
})

describe('transposed matmuls', () => {
  it('BatchMatMul with transposeA / transposeB / both, batched and broadcast', async () => {
    const cases: Array<[number[], number[], boolean, boolean]> = [
      [[7, 5], [7, 9], true, false],
      [[5, 7], [9, 7], false, true],
      [[7, 5], [9, 7], true, true],
      [[3, 6, 4], [3, 5, 6], true, true],
      [[1, 6, 4], [3, 6, 5], true, false]
    ]
    for (const [i, [as, bs, ta, tb]] of cases.entries()) {
      const { err } = await compareBackends(() => tf.matMul(rand(as, 500 + i), rand(bs, 600 + i), ta, tb))
      expect(err, JSON.stringify([as, bs, ta, tb])).toBeLessThanOrEqual(TOL)
    }
  })

  it('_FusedMatMul (dense + bias + relu) with transposes, forward and gradients', async () => {
    const { err } = await compareBackends(() => {
      const f = (a: Tensor, b: Tensor, bias: Tensor): Tensor =>
        tf.sum(tf.square(tf.fused.matMul({ a, b, bias, transposeA: true, transposeB: true, activation: 'relu' })))
      return tf.grads(f)([rand([6, 4], 7), rand([5, 6], 8), rand([5], 9)])
    })
    expect(err).toBeLessThanOrEqual(TOL)
  })
})

describe('Tile (broadcast add)', () => {
  it('matches cpu exactly for float32, int32, bool and rank > 6 fallbacks', async () => {
    const cases: Array<[number[], number[], 'float32' | 'int32' | 'bool']> = [
      [[3, 4], [2, 3], 'float32'],
      [[1, 4], [5, 1], 'float32'],
      [[2, 1, 3], [1, 4, 2], 'int32'],
      [[2, 3], [2, 2], 'bool'],
      [[32, 1, 1, 16], [1, 6, 6, 1], 'float32'], // the batch-norm gradient pattern
      [[2, 2, 2, 2, 2], [2, 2, 2, 2, 2], 'float32'], // rank 10 after expansion: native fallback
      [[3], [1], 'float32']
    ]
    for (const [i, [shape, reps, dtype]] of cases.entries()) {
      const { err, shapes } = await compareBackends(() => {
        const x = rand(shape, 700 + i)
        const typed = dtype === 'float32' ? x : dtype === 'int32' ? tf.cast(tf.mul(x, 100), 'int32') : tf.greater(x, 0)
        return tf.cast(tf.tile(typed, reps), 'float32')
      })
      expect(shapes[0]).toEqual(shape.map((d, k) => d * reps[k]))
      expect(err, JSON.stringify([shape, reps, dtype])).toBe(0)
    }
  })
})

describe('Reverse (0/1 matmul)', () => {
  it('matches cpu exactly, forward and gradient, incl. fallbacks', async () => {
    const cases: Array<[number[], number[]]> = [
      [[2, 5, 9, 8], [2]], // horizontal flip of an NHWC feature map (the POI crops)
      [
        [2, 5, 9, 8],
        [1, 2]
      ],
      [[4, 7], [-1]],
      [[3, 70], [1]], // longer than REVERSE_MATMUL_MAX_LEN: native
      [[2, 30, 3], [1]],
      [
        [2, 3, 4],
        [0, 2]
      ],
      [[2, 1, 4], [1]]
    ]
    for (const [i, [shape, dims]] of cases.entries()) {
      const { err } = await compareBackends(() => {
        const r = rand(shape, 800 + i)
        const f = (x: Tensor): Tensor => tf.sum(tf.mul(tf.reverse(x, dims), r))
        return [tf.reverse(rand(shape, 900 + i), dims), tf.grad(f)(rand(shape, 950 + i))]
      })
      expect(err, JSON.stringify([shape, dims])).toBe(0)
    }
    const { err } = await compareBackends(() => tf.cast(tf.reverse(tf.tensor1d([1, 2, 3], 'int32'), 0), 'float32'))
    expect(err).toBe(0)
  })
})

describe('MaxPoolGrad (wasm drops all-negative windows)', () => {
  const cases: Array<[[number, number, number, number], number, number, 'same' | 'valid']> = [
    [[2, 7, 7, 3], 2, 1, 'same'],
    [[2, 7, 7, 3], 2, 2, 'valid'],
    [[1, 9, 8, 4], 3, 2, 'same'], // the ResNet stem's pool
    [[1, 6, 6, 2], 3, 1, 'valid']
  ]
  it('matches cpu on signed data and on integer data with ties', async () => {
    for (const [i, [shape, k, s, pad]] of cases.entries()) {
      for (const ties of [false, true]) {
        const { err } = await compareBackends(() => {
          const x0 = rand(shape, 1000 + i)
          // Values in {-2..2}: many equal maxima, some all-negative windows.
          const x = ties ? tf.round(tf.mul(x0, 2)) : x0
          const outShape = tf.tidy(() => tf.maxPool(tf.zeros(shape) as Tensor4D, k, s, pad).shape)
          const r = rand(outShape, 1100 + i)
          return tf.grad((v: Tensor) => tf.sum(tf.mul(tf.maxPool(v as Tensor4D, k, s, pad), r)))(x)
        })
        expect(err, JSON.stringify([shape, k, s, pad, ties])).toBeLessThanOrEqual(1e-6)
      }
    }
  })

  it('the native wasm kernel really is wrong (remove the shim when this fails after a tfjs upgrade)', async () => {
    installWasmShims(tf, { fixMaxPoolGrad: false })
    const { err } = await compareBackends(() =>
      tf.grad((v: Tensor) => tf.sum(tf.maxPool(v as Tensor4D, 2, 2, 'valid')))(tf.fill([1, 4, 4, 1], -1))
    )
    installWasmShims(tf)
    expect(err).toBe(1)
  })
})

describe('tensor bookkeeping', () => {
  it('shim kernels leave no tensors behind', async () => {
    await tf.setBackend('wasm')
    const x = rand([2, 9, 9, 3], 1)
    const w = rand([3, 3, 3, 4], 2)
    const a = rand([4, 3], 3)
    const b = rand([5, 4], 4)
    const dw = rand([3, 3, 3, 1], 5)
    const before = tf.memory().numTensors
    for (let step = 0; step < 3; step++) {
      const g = tf.grads((p: Tensor, q: Tensor) =>
        tf.sum(tf.square(tf.conv2d(p as Tensor4D, q as Tensor4D, 2, 'same')))
      )([x, w])
      const gd = tf.grads((p: Tensor, q: Tensor) =>
        tf.sum(tf.depthwiseConv2d(p as Tensor4D, q as Tensor4D, 1, 'same'))
      )([x, dw])
      const t = tf.tile(x, [1, 2, 1, 1])
      const r = tf.reverse(x, 2)
      const m = tf.matMul(a, b, true, true)
      const mp = tf.grad((v: Tensor) => tf.sum(tf.maxPool(v as Tensor4D, 3, 2, 'same')))(x)
      tf.dispose([...g, ...gd, t, r, m, mp])
    }
    expect(tf.memory().numTensors).toBe(before)
    tf.dispose([x, w, a, b, dw])
  })
})
