// Gradients of depthwiseConv2d, which wasm 4.22 lacks entirely (separable convs and face-api backbones
// rebuilt as trainable variables need them; the POI ResNet itself does not).
//
// Shapes: x [N, H, W, C], filter [kh, kw, C, M] (M = channel multiplier), dy [N, Ho, Wo, C*M] with output
// channel c*M + m. Both gradients reject dilation > 1, as tfjs-core's depthwiseConv2d gradient already does.
import type { Tensor, Tensor2D, Tensor4D } from '@tensorflow/tfjs'
import { tf } from './tf'
import { padOrCrop, selectionMatrix } from './shim-util'
import type { ConvGeometry } from './shim-conv'

/** dW [kh, kw, C, M]: per tap, sum over n, oh, ow of the strided input window times dy. */
export function depthwiseFilterGrad(x: Tensor4D, dy: Tensor4D, g: ConvGeometry, mult: number): Tensor4D {
  const { strideHeight: sh, strideWidth: sw, filterHeight: kh, filterWidth: kw, outHeight: ho, outWidth: wo } = g
  const c = g.inChannels
  const needH = (ho - 1) * sh + kh
  const needW = (wo - 1) * sw + kw
  const xp = padOrCrop(x, [
    [0, 0],
    [g.padInfo.top, needH - g.padInfo.top - g.inHeight],
    [g.padInfo.left, needW - g.padInfo.left - g.inWidth],
    [0, 0]
  ])
  const dy5 = tf.reshape(dy, [g.batchSize, ho, wo, c, mult])
  const taps: Tensor[] = []
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      const win = tf.stridedSlice(
        xp,
        [0, i, j, 0],
        [g.batchSize, i + (ho - 1) * sh + 1, j + (wo - 1) * sw + 1, c],
        [1, sh, sw, 1]
      )
      taps.push(tf.sum(tf.mul(tf.expandDims(win, 4), dy5), [0, 1, 2])) // [C, M]
    }
  }
  return tf.reshape(tf.stack(taps), [kh, kw, c, mult])
}

/**
 * dx [N, H, W, C]: insert stride - 1 zeros between dy rows/cols, pad so that a 'valid' correlation gives H x W,
 * run one depthwise conv with the spatially flipped filter (C*M channels, multiplier 1), then sum over M.
 */
export function depthwiseInputGrad(dy: Tensor4D, filter: Tensor4D, g: ConvGeometry, mult: number): Tensor4D {
  const { strideHeight: sh, strideWidth: sw, filterHeight: kh, filterWidth: kw, outHeight: ho, outWidth: wo } = g
  const c = g.inChannels
  const cm = c * mult
  const n = g.batchSize
  let dyz: Tensor4D = dy
  const lh = (ho - 1) * sh + 1
  const lw = (wo - 1) * sw + 1
  if (sh > 1) {
    const z = tf.pad(tf.reshape(dy, [n, ho, 1, wo, cm]), [
      [0, 0],
      [0, 0],
      [0, sh - 1],
      [0, 0],
      [0, 0]
    ])
    dyz = tf.slice(tf.reshape(z, [n, ho * sh, wo, cm]), [0, 0, 0, 0], [n, lh, wo, cm]) as Tensor4D
  }
  if (sw > 1) {
    const z = tf.pad(tf.reshape(dyz, [n, lh, wo, 1, cm]), [
      [0, 0],
      [0, 0],
      [0, 0],
      [0, sw - 1],
      [0, 0]
    ])
    dyz = tf.slice(tf.reshape(z, [n, lh, wo * sw, cm]), [0, 0, 0, 0], [n, lh, lw, cm]) as Tensor4D
  }
  const { top, left } = g.padInfo
  // dx[h] = sum_i dyz[h + top - i] * W[i] = sum_i' dyz[h + top - (kh-1) + i'] * Wflipped[i'].
  const dyp = padOrCrop(dyz, [
    [0, 0],
    [kh - 1 - top, g.inHeight + top - lh],
    [kw - 1 - left, g.inWidth + left - lw],
    [0, 0]
  ])
  const reversed = [...Array(kh * kw).keys()].reverse() // flipping both spatial axes = reversing tap order
  const flipped = tf.matMul(selectionMatrix(reversed, kh * kw), tf.reshape(filter, [kh * kw, cm]) as Tensor2D)
  const out = tf.depthwiseConv2d(dyp, tf.reshape(flipped, [kh, kw, cm, 1]) as Tensor4D, 1, 'valid')
  if (mult === 1) return out
  return tf.sum(tf.reshape(out, [n, g.inHeight, g.inWidth, c, mult]), 4)
}
