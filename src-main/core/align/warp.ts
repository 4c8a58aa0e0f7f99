import { invertAffine, type Affine } from './geometry'

/** Raw interleaved 8-bit pixels (HWC), as sharp's `.raw()` gives them. */
export interface RawImage {
  data: Uint8Array
  width: number
  height: number
  /** 1 (gray), 2 (gray + alpha), 3 (RGB) or 4 (RGBA). */
  channels: number
}

/** How samples outside the source are filled: clamp to the nearest edge pixel, or a constant value. */
export type BorderMode = { mode: 'replicate' } | { mode: 'constant'; value: number }

export function checkRawImage(img: RawImage, who = 'image'): void {
  const { width, height, channels, data } = img
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new Error(`${who}: invalid size ${width}×${height}`)
  }
  if (![1, 2, 3, 4].includes(channels)) throw new Error(`${who}: unsupported channel count ${channels} (1–4)`)
  if (!data || data.length !== width * height * channels) {
    throw new Error(
      `${who}: ${data?.length ?? 0} bytes for ${width}×${height}×${channels} (expected ${width * height * channels})`
    )
  }
}

/**
 * Converts between channel layouts: alpha is dropped (composited over nothing: the colour is kept),
 * gray → RGB repeats the value, RGB → gray uses Rec. 601 luma (what sharp's `.grayscale()` does).
 */
export function convertChannels(img: RawImage, channels: 1 | 3): RawImage {
  const src = img.channels
  if (src === channels) return img
  const n = img.width * img.height
  const out = new Uint8Array(n * channels)
  const d = img.data
  for (let i = 0; i < n; i++) {
    const o = i * src
    if (src <= 2) {
      const g = d[o]
      if (channels === 1) out[i] = g
      else out[i * 3] = out[i * 3 + 1] = out[i * 3 + 2] = g
    } else if (channels === 3) {
      out[i * 3] = d[o]
      out[i * 3 + 1] = d[o + 1]
      out[i * 3 + 2] = d[o + 2]
    } else {
      out[i] = Math.round(0.299 * d[o] + 0.587 * d[o + 1] + 0.114 * d[o + 2])
    }
  }
  return { data: out, width: img.width, height: img.height, channels }
}

/**
 * Warps `src` by the forward affine `m` (source → destination, continuous pixel coordinates as in
 * geometry.ts) into an outW×outH image with the source's channels, sampling bilinearly.
 * When the transform shrinks by more than 1.5×, the source is sampled on a small grid per output pixel
 * (box prefilter) so that downscaled crops do not alias.
 */
export function warpAffine(
  src: RawImage,
  m: Affine,
  outW: number,
  outH: number,
  border: BorderMode = { mode: 'replicate' }
): RawImage {
  checkRawImage(src, 'warp source')
  if (!(outW >= 1 && outH >= 1 && Number.isInteger(outW) && Number.isInteger(outH)))
    throw new Error(`warp: invalid output size ${outW}×${outH}`)
  const inv = invertAffine(m)
  const { width: W, height: H, channels: C, data } = src
  const out = new Uint8Array(outW * outH * C)
  // Source pixels per output pixel along each output axis.
  const stepX = Math.hypot(inv[0], inv[3])
  const stepY = Math.hypot(inv[1], inv[4])
  const taps = Math.max(1, Math.min(4, Math.round(Math.max(stepX, stepY) / 1.5 + 0.49)))
  const acc = new Float64Array(C)
  const fill = border.mode === 'constant' ? border.value : 0
  for (let i = 0; i < outH; i++) {
    for (let j = 0; j < outW; j++) {
      acc.fill(0)
      for (let ty = 0; ty < taps; ty++) {
        for (let tx = 0; tx < taps; tx++) {
          const dx = j + (tx + 0.5) / taps
          const dy = i + (ty + 0.5) / taps
          // Continuous source coordinate, then to pixel-index space (centres at integers).
          const sx = inv[0] * dx + inv[1] * dy + inv[2] - 0.5
          const sy = inv[3] * dx + inv[4] * dy + inv[5] - 0.5
          const x0 = Math.floor(sx)
          const y0 = Math.floor(sy)
          const fx = sx - x0
          const fy = sy - y0
          for (let c = 0; c < C; c++) {
            const p00 = px(x0, y0, c)
            const p10 = px(x0 + 1, y0, c)
            const p01 = px(x0, y0 + 1, c)
            const p11 = px(x0 + 1, y0 + 1, c)
            acc[c] += (p00 * (1 - fx) + p10 * fx) * (1 - fy) + (p01 * (1 - fx) + p11 * fx) * fy
          }
        }
      }
      const o = (i * outW + j) * C
      for (let c = 0; c < C; c++) out[o + c] = Math.max(0, Math.min(255, Math.round(acc[c] / (taps * taps))))
    }
  }
  return { data: out, width: outW, height: outH, channels: C }

  function px(x: number, y: number, c: number): number {
    if (x < 0 || y < 0 || x >= W || y >= H) {
      if (border.mode === 'constant') return fill
      x = x < 0 ? 0 : x >= W ? W - 1 : x
      y = y < 0 ? 0 : y >= H ? H - 1 : y
    }
    return data[(y * W + x) * C + c]
  }
}
