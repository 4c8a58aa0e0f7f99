// Gradients of conv2d for the wasm backend, built from wasm's fast forward conv (XNNPACK).
//
// Shapes (NHWC throughout): x [N, H, W, Cin], filter [kh, kw, Cin, Cout], dy [N, Ho, Wo, Cout].
// Padded-input coordinates: row hp = h + top reads output row oh through tap i when hp = oh * sh + i.
import type { Tensor, Tensor2D, Tensor4D } from '@tensorflow/tfjs'
import { tf } from './tf'
import { padOrCrop, selectionMatrix } from './shim-util'

/** How dW is computed. 'conv' is the default (fastest over a whole ResNet step, compute.md §1.4). */
export type FilterGradStrategy = 'conv' | 'pertap'

/** The subset of tfjs's Conv2DInfo the shims read (pixels; strides in pixels). */
export interface ConvGeometry {
  batchSize: number
  inHeight: number
  inWidth: number
  inChannels: number
  outHeight: number
  outWidth: number
  outChannels: number
  strideHeight: number
  strideWidth: number
  filterHeight: number
  filterWidth: number
  padInfo: { top: number; left: number; bottom: number; right: number }
}

/**
 * dW [kh, kw, Cin, Cout] = sum over n, oh, ow of xPadded[n, oh*sh + i, ow*sw + j, ci] * dy[n, oh, ow, co].
 *
 * 'conv': swap the batch and channel roles. x becomes a batch of Cin single images [Cin, Hp, Wp, N] and dy a
 * filter [Ho, Wo, N, Cout]; one stride-1 forward conv with dilation = stride then yields [Cin, kh, kw, Cout].
 * 'pertap': for each tap, dy^T [Cout, M] @ window [M, Cin] with M = N*Ho*Wo (an NN matmul, XNNPACK).
 */
export function conv2dFilterGrad(
  x: Tensor4D,
  dy: Tensor4D,
  g: ConvGeometry,
  strategy: FilterGradStrategy = 'conv'
): Tensor4D {
  const { strideHeight: sh, strideWidth: sw, filterHeight: kh, filterWidth: kw, outHeight: ho, outWidth: wo } = g
  const { top, left } = g.padInfo
  // Exactly the padded rows/cols the taps read: [-top, -top + (Ho-1)*sh + kh). Rows past the last window
  // (stride leftovers) are cropped, so the dilated conv below comes out exactly kh x kw.
  const needH = (ho - 1) * sh + kh
  const needW = (wo - 1) * sw + kw
  const xp = padOrCrop(x, [
    [0, 0],
    [top, needH - top - g.inHeight],
    [left, needW - left - g.inWidth],
    [0, 0]
  ])
  if (strategy === 'conv') {
    const xs = tf.transpose(xp, [3, 1, 2, 0]) // [Cin, needH, needW, N]
    const f = tf.transpose(dy, [1, 2, 0, 3]) // [Ho, Wo, N, Cout]
    const out = tf.conv2d(xs, f, 1, 'valid', 'NHWC', [sh, sw]) // [Cin, kh, kw, Cout]
    return tf.transpose(out, [1, 2, 0, 3])
  }
  const m = g.batchSize * ho * wo
  const dyT = tf.transpose(tf.reshape(dy, [m, g.outChannels])) as Tensor2D // [Cout, M]
  const taps: Tensor[] = []
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      const win = tf.stridedSlice(
        xp,
        [0, i, j, 0],
        [g.batchSize, i + (ho - 1) * sh + 1, j + (wo - 1) * sw + 1, g.inChannels],
        [1, sh, sw, 1]
      )
      taps.push(tf.matMul(dyT, tf.reshape(win, [m, g.inChannels]) as Tensor2D)) // [Cout, Cin]
    }
  }
  const stacked = tf.stack(taps) // [kh*kw, Cout, Cin]
  return tf.reshape(tf.transpose(stacked, [0, 2, 1]), [kh, kw, g.inChannels, g.outChannels])
}

/** One stride phase of the input gradient: output rows q*sh + rh use taps i = rh + sh*t, t < count. */
interface Phase {
  rh: number
  rw: number
  th: number // taps in this phase along H (0 when kh <= rh)
  tw: number
}

function phaseTaps(k: number, s: number, r: number): number {
  return r >= k ? 0 : Math.ceil((k - r) / s)
}

/**
 * dx [N, H, W, Cin] by phase decomposition. For the stride phase (rh, rw) the taps that reach padded rows
 * hp ≡ rh (mod sh) form a dense sub-filter, so that phase of dx is a stride-1 'valid' forward conv of dy
 * (padded by taps - 1) with the flipped, in/out-transposed sub-filter. The phases are interleaved with
 * stack + reshape and cropped to [top, top + H). No zero insertion, so FLOPs equal the forward conv's.
 * For stride 1 this is one conv with the fully flipped filter.
 */
export function conv2dInputGrad(dy: Tensor4D, filter: Tensor4D, g: ConvGeometry): Tensor4D {
  const { strideHeight: sh, strideWidth: sw, filterHeight: kh, filterWidth: kw, outHeight: ho, outWidth: wo } = g
  const { top, left } = g.padInfo
  const cin = g.inChannels
  const cout = g.outChannels
  // Output index range shared by all phases: q in [q0, q1), covering padded rows [q0*sh, q1*sh) ⊇ [top, top+H).
  const q0h = Math.floor(top / sh)
  const q1h = Math.ceil((top + g.inHeight) / sh)
  const q0w = Math.floor(left / sw)
  const q1w = Math.ceil((left + g.inWidth) / sw)

  const phases: Phase[] = []
  const order: number[] = [] // filter taps (i*kw + j) in phase order, each phase flipped
  for (let rh = 0; rh < sh; rh++) {
    for (let rw = 0; rw < sw; rw++) {
      const th = phaseTaps(kh, sh, rh)
      const tw = phaseTaps(kw, sw, rw)
      phases.push({ rh, rw, th, tw })
      for (let a = 0; a < th; a++) {
        for (let b = 0; b < tw; b++) order.push((rh + sh * (th - 1 - a)) * kw + (rw + sw * (tw - 1 - b)))
      }
    }
  }
  // All phases' flipped taps in one exact permutation matmul: [kh*kw, kh*kw] @ [kh*kw, Cin*Cout].
  const perm = tf.matMul(selectionMatrix(order, kh * kw), tf.reshape(filter, [kh * kw, cin * cout]) as Tensor2D)
  const permT = tf.transpose(tf.reshape(perm, [kh * kw, cin, cout]), [0, 2, 1]) // [taps, Cout, Cin]

  let offset = 0
  const phaseOut = new Map<string, Tensor4D>()
  for (const p of phases) {
    const rows = q1h - q0h
    const cols = q1w - q0w
    if (p.th === 0 || p.tw === 0) {
      phaseOut.set(`${p.rh},${p.rw}`, tf.zeros([g.batchSize, rows, cols, cin]))
      continue
    }
    const sub = tf.reshape(tf.slice(permT, [offset, 0, 0], [p.th * p.tw, cout, cin]), [
      p.th,
      p.tw,
      cout,
      cin
    ]) as Tensor4D
    offset += p.th * p.tw
    // dx_phase[q] = sum_t dy[q - (th-1) + t] * sub[t]: dy rows [q0 - (th-1), q1) are needed.
    const padT = p.th - 1 - q0h
    const padB = q1h - ho
    const padL = p.tw - 1 - q0w
    const padR = q1w - wo
    if (ho + Math.min(0, padT) + Math.min(0, padB) <= 0 || wo + Math.min(0, padL) + Math.min(0, padR) <= 0) {
      // Explicit padding wider than the filter: no dy row reaches this phase inside the input window.
      phaseOut.set(`${p.rh},${p.rw}`, tf.zeros([g.batchSize, rows, cols, cin]))
      continue
    }
    let src: Tensor4D = dy
    // Negative amounts (rows dy has but this range never reads) are cropped; conv2d's explicit padding
    // takes only non-negative amounts.
    if (padT < 0 || padB < 0 || padL < 0 || padR < 0) {
      src = padOrCrop(dy, [
        [0, 0],
        [Math.min(0, padT), Math.min(0, padB)],
        [Math.min(0, padL), Math.min(0, padR)],
        [0, 0]
      ])
    }
    const explicit: [[number, number], [number, number], [number, number], [number, number]] = [
      [0, 0],
      [Math.max(0, padT), Math.max(0, padB)],
      [Math.max(0, padL), Math.max(0, padR)],
      [0, 0]
    ]
    phaseOut.set(`${p.rh},${p.rw}`, tf.conv2d(src, sub, 1, explicit))
  }
  if (sh === 1 && sw === 1) {
    return crop(phaseOut.get('0,0')!, g, q0h, q0w)
  }
  // Interleave: for each rh stack the rw phases on a new axis after W (rw fastest), then the rh rows.
  const rowsOfPhases: Tensor[] = []
  for (let rh = 0; rh < sh; rh++) {
    const cols = [...Array(sw).keys()].map((rw) => phaseOut.get(`${rh},${rw}`)!)
    const st = sw === 1 ? cols[0] : tf.stack(cols, 3) // [N, rows, cols, sw, Cin]
    rowsOfPhases.push(tf.reshape(st, [g.batchSize, q1h - q0h, (q1w - q0w) * sw, cin]))
  }
  const full = sh === 1 ? rowsOfPhases[0] : tf.stack(rowsOfPhases, 2) // [N, rows, sh, cols*sw, Cin]
  const dense = tf.reshape(full, [g.batchSize, (q1h - q0h) * sh, (q1w - q0w) * sw, cin]) as Tensor4D
  return crop(dense, g, q0h * sh, q0w * sw)
}

/** Crops padded-coordinate rows/cols starting at (startH, startW) to the input's [top, top + H) window. */
function crop(t: Tensor4D, g: ConvGeometry, startH: number, startW: number): Tensor4D {
  const offH = g.padInfo.top - startH
  const offW = g.padInfo.left - startW
  if (offH === 0 && offW === 0 && t.shape[1] === g.inHeight && t.shape[2] === g.inWidth) return t
  return tf.slice(t, [0, offH, offW, 0], [g.batchSize, g.inHeight, g.inWidth, g.inChannels])
}
