/**
 * Content hashes for duplicate detection. Everything here is plain JS over decoded pixels, so the
 * results do not depend on the image library's resampler and are identical on every platform
 * (IEEE doubles, fixed summation order).
 *
 * Three strengths, each reported separately by the importers:
 * - exact: sha256 of the file bytes;
 * - pixel: sha256 of the pixels area-resampled to 32×32 and rounded (lossless re-encodes, integer
 *   nearest-neighbour upscales);
 * - near: a 64-bit DCT perceptual hash (pHash) for candidate search, confirmed by the mean absolute
 *   difference of 16×16 gray signatures (JPEG re-encodes, slight crops or brightness changes).
 */
import { createHash } from 'node:crypto'

/** Pixels as decoded: uint8, row-major HWC, 1 (gray) or 3 (RGB) channels. */
export interface RawPixels {
  data: Uint8Array
  width: number
  height: number
  channels: 1 | 3
}

/** Side of the normalised image the pixel hash and the pHash are computed on. */
export const HASH_SIDE = 32
/** Side of the gray signature stored per image (SIG_SIDE² bytes). */
export const SIG_SIDE = 16

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex')
}

/** ITU-R BT.601 luma, rounded: the one RGB→gray conversion used across the project. */
export function toGray(px: RawPixels): Uint8Array {
  if (px.channels === 1) return px.data
  const n = px.width * px.height
  const out = new Uint8Array(n)
  const d = px.data
  for (let i = 0, j = 0; i < n; i++, j += 3) out[i] = (299 * d[j] + 587 * d[j + 1] + 114 * d[j + 2] + 500) / 1000
  return out
}

interface AxisWeights {
  start: Int32Array
  count: Int32Array
  w: Float64Array
  stride: number
}

// Datasets repeat a handful of source sizes; the weight tables are reused across images.
const weightCache = new Map<string, AxisWeights>()

/** For each output index along one axis: the source indices it covers and their weights (sum 1). */
function axisWeights(src: number, dst: number): AxisWeights {
  const key = `${src}>${dst}`
  const hit = weightCache.get(key)
  if (hit) return hit
  const scale = src / dst
  const stride = Math.ceil(scale) + 1
  const start = new Int32Array(dst)
  const count = new Int32Array(dst)
  const w = new Float64Array(dst * stride)
  for (let o = 0; o < dst; o++) {
    const a = o * scale
    const b = a + scale
    const s = Math.floor(a)
    const e = Math.min(src, Math.ceil(b))
    start[o] = s
    count[o] = e - s
    for (let k = s; k < e; k++) w[o * stride + (k - s)] = (Math.min(b, k + 1) - Math.max(a, k)) / scale
  }
  const out = { start, count, w, stride }
  if (weightCache.size > 256) weightCache.clear()
  weightCache.set(key, out)
  return out
}

/**
 * Area-average (box) resampling of one channel to `dw`×`dh`, as doubles. Upscaling repeats source
 * pixels, so any size works; the pixel hash only ever shrinks or keeps the size.
 */
export function areaResize(
  src: Uint8Array,
  sw: number,
  sh: number,
  channels: number,
  dw: number,
  dh: number
): Float64Array {
  const ax = axisWeights(sw, dw)
  const ay = axisWeights(sh, dh)
  const tmp = new Float64Array(sh * dw * channels)
  for (let y = 0; y < sh; y++) {
    const row = y * sw * channels
    for (let x = 0; x < dw; x++) {
      const s = ax.start[x]
      for (let c = 0; c < channels; c++) {
        let acc = 0
        for (let k = 0; k < ax.count[x]; k++) acc += src[row + (s + k) * channels + c] * ax.w[x * ax.stride + k]
        tmp[(y * dw + x) * channels + c] = acc
      }
    }
  }
  const out = new Float64Array(dh * dw * channels)
  for (let y = 0; y < dh; y++) {
    const s = ay.start[y]
    for (let k = 0; k < ay.count[y]; k++) {
      const wk = ay.w[y * ay.stride + k]
      const row = (s + k) * dw * channels
      for (let i = 0; i < dw * channels; i++) out[y * dw * channels + i] += tmp[row + i] * wk
    }
  }
  return out
}

function roundBytes(v: Float64Array): Uint8Array {
  const out = new Uint8Array(v.length)
  for (let i = 0; i < v.length; i++) out[i] = Math.round(v[i])
  return out
}

// DCT-II basis for the pHash, rows k = 0..7 over n = 0..HASH_SIDE-1.
const DCT = (() => {
  const m = new Float64Array(8 * HASH_SIDE)
  for (let k = 0; k < 8; k++)
    for (let n = 0; n < HASH_SIDE; n++) m[k * HASH_SIDE + n] = Math.cos((Math.PI * (2 * n + 1) * k) / (2 * HASH_SIDE))
  return m
})()

/** pHash of a HASH_SIDE² gray image: 64 bits as 16 hex digits (bit 0 = DC term, always 0 or 1 by the median rule). */
export function phashOf(gray32: Float64Array): string {
  const N = HASH_SIDE
  const rows = new Float64Array(8 * N) // rows[kx][y]
  for (let k = 0; k < 8; k++) {
    for (let y = 0; y < N; y++) {
      let s = 0
      for (let x = 0; x < N; x++) s += gray32[y * N + x] * DCT[k * N + x]
      rows[k * N + y] = s
    }
  }
  const d = new Float64Array(64)
  for (let ky = 0; ky < 8; ky++) {
    for (let kx = 0; kx < 8; kx++) {
      let s = 0
      for (let y = 0; y < N; y++) s += rows[kx * N + y] * DCT[ky * N + y]
      d[ky * 8 + kx] = s
    }
  }
  // The median excludes the DC term, which only carries mean brightness.
  const ac = Array.from(d.subarray(1)).sort((a, b) => a - b)
  const med = ac[31]
  let lo = 0
  let hi = 0
  for (let i = 0; i < 32; i++) if (d[i] > med) lo |= 1 << i
  for (let i = 0; i < 32; i++) if (d[32 + i] > med) hi |= 1 << i
  return (hi >>> 0).toString(16).padStart(8, '0') + (lo >>> 0).toString(16).padStart(8, '0')
}

/** What the importer stores per decoded image for duplicate detection. */
export interface ImageHashes {
  /** sha256 hex of the normalised pixels (see module doc). */
  pixelHash: string
  /** 16 hex digits. */
  phash: string
  /** SIG_SIDE² gray bytes. */
  sig: Uint8Array
  /** Every pixel has the same value (blank frames, a known FER2013 artefact). */
  uniform: boolean
}

export function hashPixels(px: RawPixels): ImageHashes {
  const f = areaResize(px.data, px.width, px.height, px.channels, HASH_SIDE, HASH_SIDE)
  const h = createHash('sha256')
  h.update(`poi-pixels-v1 ${px.channels}\n`)
  h.update(roundBytes(f))
  let g32 = f
  if (px.channels === 3) {
    // Luma is linear, so the luma of the area average equals the area average of the luma.
    g32 = new Float64Array(HASH_SIDE * HASH_SIDE)
    for (let i = 0; i < g32.length; i++) g32[i] = 0.299 * f[3 * i] + 0.587 * f[3 * i + 1] + 0.114 * f[3 * i + 2]
  }
  // Box filters compose: a 2×2 mean of the 32×32 box averages is the 16×16 box average.
  const sig = new Uint8Array(SIG_SIDE * SIG_SIDE)
  const r = HASH_SIDE / SIG_SIDE
  for (let y = 0; y < SIG_SIDE; y++) {
    for (let x = 0; x < SIG_SIDE; x++) {
      let s = 0
      for (let dy = 0; dy < r; dy++) for (let dx = 0; dx < r; dx++) s += g32[(y * r + dy) * HASH_SIDE + x * r + dx]
      sig[y * SIG_SIDE + x] = Math.round(s / (r * r))
    }
  }
  let uniform = true
  const first = px.data[0]
  for (let i = 1; i < px.data.length && uniform; i++) if (px.data[i] !== first) uniform = false
  return { pixelHash: h.digest('hex'), phash: phashOf(g32), sig, uniform }
}

function popcount32(x: number): number {
  x -= (x >>> 1) & 0x55555555
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333)
  return (((x + (x >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24
}

/** A pHash split into two uint32 halves for fast Hamming distance. */
export function phashWords(hex: string): [number, number] {
  return [parseInt(hex.slice(0, 8), 16) >>> 0, parseInt(hex.slice(8), 16) >>> 0]
}

export function hamming(a: [number, number], b: [number, number]): number {
  return popcount32((a[0] ^ b[0]) >>> 0) + popcount32((a[1] ^ b[1]) >>> 0)
}

/** Mean absolute difference of two signatures, in gray levels (0–255). */
export function sigDistance(a: Uint8Array, b: Uint8Array): number {
  let s = 0
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i] - b[i])
  return s / a.length
}
