// MaxPoolGrad for wasm. wasm 4.22's own kernel drops the gradient of every pooling window whose values are
// all negative (its running maximum evidently starts at a value >= 0 instead of -Infinity; found by
// test/main/compute/probe.test.ts). Behind a ReLU (the ResNet stem) that never matters, but max-pooling a
// signed feature map trains wrongly. This replacement is a plain JS loop with the cpu backend's semantics:
// the first strictly largest element of each window takes the window's whole gradient.
// Cost: one read of x and dy plus kh*kw comparisons per output (~10 ms for a batch-32 48x48 ResNet stem).
export interface PoolGeometry {
  batchSize: number
  inHeight: number
  inWidth: number
  inChannels: number
  outHeight: number
  outWidth: number
  strideHeight: number
  strideWidth: number
  effectiveFilterHeight: number
  effectiveFilterWidth: number
  padInfo: { top: number; left: number }
}

/**
 * dx [N, H, W, C] of max-pooling, given x [N, H, W, C] and dy [N, Ho, Wo, C] as flat NHWC arrays.
 * NaN never wins a window (as on cpu); a window of only NaN/-Infinity passes no gradient.
 */
export function maxPoolGradValues(x: ArrayLike<number>, dy: ArrayLike<number>, g: PoolGeometry): Float32Array {
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: c, outHeight: ho, outWidth: wo } = g
  // Overlapping windows add into one dx element; summing in float64 as the cpu kernel does keeps results equal.
  const dx = new Float64Array(n * h * w * c)
  const best = new Float64Array(c)
  const where = new Int32Array(c)
  for (let b = 0; b < n; b++) {
    for (let oy = 0; oy < ho; oy++) {
      const y0 = oy * g.strideHeight - g.padInfo.top
      const yLo = Math.max(0, y0)
      const yHi = Math.min(h, y0 + g.effectiveFilterHeight)
      for (let ox = 0; ox < wo; ox++) {
        const x0 = ox * g.strideWidth - g.padInfo.left
        const xLo = Math.max(0, x0)
        const xHi = Math.min(w, x0 + g.effectiveFilterWidth)
        best.fill(Number.NEGATIVE_INFINITY)
        where.fill(-1)
        // Window rows outer, channels inner: x is read in memory order.
        for (let yy = yLo; yy < yHi; yy++) {
          for (let xx = xLo; xx < xHi; xx++) {
            const base = ((b * h + yy) * w + xx) * c
            for (let ch = 0; ch < c; ch++) {
              const v = x[base + ch]
              if (v > best[ch]) {
                best[ch] = v
                where[ch] = base + ch
              }
            }
          }
        }
        const out = ((b * ho + oy) * wo + ox) * c
        for (let ch = 0; ch < c; ch++) if (where[ch] >= 0) dx[where[ch]] += dy[out + ch]
      }
    }
  }
  return Float32Array.from(dx)
}
