import { tf } from './backend'
import type { WeightReader } from './weights'

/** A plain convolution: filters [kh, kw, cin, cout], bias [cout]. */
export interface ConvParams {
  filters: tf.Tensor4D
  bias: tf.Tensor1D
}

/** A depthwise-separable convolution: depthwise [3, 3, cin, 1], pointwise [1, 1, cin, cout], bias [cout]. */
export interface SepConvParams {
  depthwise: tf.Tensor4D
  pointwise: tf.Tensor4D
  bias: tf.Tensor1D
}

export function readConv(w: WeightReader, prefix: string, bias = 'bias'): ConvParams {
  return { filters: w.get<tf.Rank.R4>(`${prefix}/filters`, 4), bias: w.get<tf.Rank.R1>(`${prefix}/${bias}`, 1) }
}

export function readSepConv(w: WeightReader, prefix: string): SepConvParams {
  return {
    depthwise: w.get<tf.Rank.R4>(`${prefix}/depthwise_filter`, 4),
    pointwise: w.get<tf.Rank.R4>(`${prefix}/pointwise_filter`, 4),
    bias: w.get<tf.Rank.R1>(`${prefix}/bias`, 1)
  }
}

export function sepConv(
  x: tf.Tensor4D,
  p: SepConvParams,
  stride: [number, number],
  pad: 'same' | 'valid' = 'same'
): tf.Tensor4D {
  return tf.add(tf.separableConv2d(x, p.depthwise, p.pointwise, stride, pad), p.bias)
}

export function conv(
  x: tf.Tensor4D,
  p: ConvParams,
  stride: [number, number],
  pad: 'same' | 'valid' = 'same'
): tf.Tensor4D {
  return tf.add(tf.conv2d(x, p.filters, stride, pad), p.bias)
}

/** face-api's leaky ReLU (slope 0.1), written the way it writes it so results match bit for bit. */
export function leaky(x: tf.Tensor4D): tf.Tensor4D {
  const min = tf.mul(x, tf.scalar(0.10000000149011612))
  return tf.add(tf.relu(tf.sub(x, min)), min)
}

/**
 * Subtracts a per-channel RGB mean and divides by 255, as the face-api nets expect.
 * x: [B, H, W, 3] float32 in 0..255.
 */
export function normalizeRgb(x: tf.Tensor4D, mean: readonly [number, number, number]): tf.Tensor4D {
  return tf.div(tf.sub(x, tf.tensor1d([...mean])), 255)
}

/**
 * Resizes a batch to size×size (bilinear, no corner alignment, like face-api's toBatchTensor) unless it
 * already has that size. Does not pad: callers pass square crops.
 */
export function resizeTo(x: tf.Tensor4D, size: number): tf.Tensor4D {
  if (x.shape[1] === size && x.shape[2] === size) return x
  return tf.image.resizeBilinear(x, [size, size], false, false)
}

/** Throws a clear error for a batch that is not [B, H, W, 3]. */
export function checkRgbBatch(x: tf.Tensor, who: string): asserts x is tf.Tensor4D {
  if (x.rank !== 4 || x.shape[3] !== 3) {
    throw new Error(`${who}: expected a [B, H, W, 3] RGB batch, got shape [${x.shape.join(', ')}]`)
  }
}
