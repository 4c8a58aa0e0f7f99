// Helpers shared by the wasm kernel shims (wasm-shims.ts and the shim-*.ts kernels).
//
// A shim kernel is written with ordinary tf ops. That works because tfjs-core accepts a Tensor as a kernel
// output (engine.runKernelFunc: `if (outInfo.rank != null) return outInfo`), and ops run inside a kernel are
// not recorded on the gradient tape (the tape is off while kernelDepth > 0), so the outer op's registered
// gradient is the only one that counts.
import type { Tensor, TensorInfo } from '@tensorflow/tfjs'
import { tf } from './tf'

/**
 * A kernel input as a Tensor. Ops hand kernels Tensors, but a kernel called directly by another kernel gets
 * a bare TensorInfo; the wrapper made here shares its data (refcount + 1) and is released by the enclosing
 * tf.tidy, so callers must run inside one.
 */
export function asTensor<T extends Tensor = Tensor>(info: TensorInfo | undefined): T {
  if (info == null) throw new Error('wasm shim: a required kernel input is missing')
  if (info instanceof tf.Tensor) return info as T
  return tf.engine().makeTensorFromTensorInfo(info) as T
}

/**
 * Pads (amount > 0) or crops (amount < 0) every axis by [before, after] elements. Crop first so that the pad
 * copies the smaller tensor. Returns `t` itself when nothing changes.
 */
export function padOrCrop<T extends Tensor>(t: T, amounts: Array<[number, number]>): T {
  if (amounts.length !== t.rank) throw new Error(`padOrCrop: ${amounts.length} pad pairs for a rank-${t.rank} tensor`)
  let out: Tensor = t
  if (amounts.some(([b, a]) => b < 0 || a < 0)) {
    const begin = amounts.map(([b]) => Math.max(0, -b))
    const size = amounts.map(([b, a], i) => t.shape[i] - Math.max(0, -b) - Math.max(0, -a))
    if (size.some((s) => s <= 0))
      throw new Error(`padOrCrop: cropping ${JSON.stringify(amounts)} empties shape [${t.shape}]`)
    out = tf.slice(out, begin, size)
  }
  if (amounts.some(([b, a]) => b > 0 || a > 0)) {
    out = tf.pad(
      out,
      amounts.map(([b, a]) => [Math.max(0, b), Math.max(0, a)] as [number, number])
    )
  }
  return out as T
}

/**
 * A [rows.length, n] 0/1 matrix whose row r selects element rows[r] of a length-n axis. Multiplying by it
 * reorders (and so flips) an axis exactly: each output is one input times 1 plus zeros, and XNNPACK's NN
 * matmul is several times faster on wasm than the Reverse, Gather or slice+concat kernels for this job.
 * Non-finite inputs are the one exception: 0 * Inf = NaN spreads to the other entries of the same dot product.
 */
export function selectionMatrix(rows: readonly number[], n: number): Tensor {
  const m = new Float32Array(rows.length * n)
  rows.forEach((src, r) => {
    if (!Number.isInteger(src) || src < 0 || src >= n)
      throw new Error(`selectionMatrix: index ${src} outside [0, ${n})`)
    m[r * n + src] = 1
  })
  return tf.tensor2d(m, [rows.length, n])
}

/** Normalises a tfjs stride/dilation attribute (number or pair) to a pair. */
export function pair(v: number | [number, number] | number[]): [number, number] {
  return typeof v === 'number' ? [v, v] : [v[0], v[1]]
}

/** Throws the clear error a shim gives for a data layout the wasm backend cannot run either. */
export function requireNHWC(kernel: string, dataFormat: string | undefined): void {
  if (dataFormat != null && dataFormat !== 'NHWC') {
    throw new Error(`${kernel} (wasm shim): dataFormat '${dataFormat}' is not supported, use 'NHWC'`)
  }
}
