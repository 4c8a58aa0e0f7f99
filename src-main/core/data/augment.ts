/**
 * Training-time augmentation on uint8 pixel-cache images (spec §6: random horizontal flip, random
 * translation, brightness/contrast jitter; saturation jitter only for RGB, none on gray). Done in JS
 * on the CPU side of the batch: it is a few µs per 48×48 image, identical on every backend, and its
 * randomness comes from one seeded stream per batch, so a resumed run replays it exactly.
 *
 * Output scale: pixels / 255, i.e. [0, 1] before jitter, clamped to [0, 1] after.
 */
import type { Rng } from '../util/rng'
import type { TrainConfig } from '../run/config'

export type AugmentOptions = TrainConfig['augment']

/** The identity: what scoring and validation use. */
export const NO_AUGMENT: AugmentOptions = { flip: false, translate: 0, brightness: 0, contrast: 0, saturation: 0 }

/** Per-image draws, exposed for tests. */
export interface AugmentDraw {
  flip: boolean
  /** Shift in pixels (positive = content moves right / down). */
  dx: number
  dy: number
  /** Added to every value (fraction of full scale). */
  brightness: number
  /** Multiplies the deviation from the image mean. */
  contrast: number
  /** Multiplies the deviation from the per-pixel gray (RGB only). */
  saturation: number
}

export function drawAugment(rng: Rng, o: AugmentOptions, side: number, channels: number): AugmentDraw {
  const maxShift = Math.floor(o.translate * side)
  return {
    flip: o.flip ? rng.next() < 0.5 : false,
    dx: maxShift > 0 ? rng.int(2 * maxShift + 1) - maxShift : 0,
    dy: maxShift > 0 ? rng.int(2 * maxShift + 1) - maxShift : 0,
    brightness: o.brightness > 0 ? rng.uniform(-o.brightness, o.brightness) : 0,
    contrast: o.contrast > 0 ? rng.uniform(1 - o.contrast, 1 + o.contrast) : 1,
    saturation: channels === 3 && o.saturation > 0 ? rng.uniform(1 - o.saturation, 1 + o.saturation) : 1
  }
}

const clampInt = (v: number, hi: number): number => (v < 0 ? 0 : v > hi ? hi : v)

/**
 * Writes one augmented image into `out` at `offset` (side × side × channels floats). Translation
 * repeats the edge pixels (no black borders the model could learn from).
 */
export function augmentInto(
  src: Uint8Array,
  side: number,
  channels: number,
  d: AugmentDraw,
  out: Float32Array,
  offset: number
): void {
  const last = side - 1
  const inv = 1 / 255
  let sum = 0
  for (let y = 0; y < side; y++) {
    const sy = clampInt(y - d.dy, last)
    for (let x = 0; x < side; x++) {
      let sx = clampInt(x - d.dx, last)
      if (d.flip) sx = last - sx
      const si = (sy * side + sx) * channels
      const oi = offset + (y * side + x) * channels
      for (let c = 0; c < channels; c++) {
        const v = src[si + c] * inv
        out[oi + c] = v
        sum += v
      }
    }
  }
  const n = side * side * channels
  if (d.contrast === 1 && d.brightness === 0 && d.saturation === 1) return
  const mean = sum / n
  for (let p = 0; p < side * side; p++) {
    const oi = offset + p * channels
    let gray = 0
    if (channels === 3 && d.saturation !== 1) gray = (out[oi] + out[oi + 1] + out[oi + 2]) / 3
    for (let c = 0; c < channels; c++) {
      let v = out[oi + c]
      if (channels === 3 && d.saturation !== 1) v = gray + (v - gray) * d.saturation
      v = mean + (v - mean) * d.contrast + d.brightness
      out[oi + c] = v < 0 ? 0 : v > 1 ? 1 : v
    }
  }
}

/**
 * Per-image standardisation in place: zero mean, unit variance over all values of the image (lighting
 * differs per face; batch norm alone cannot remove a per-image offset). Flat images stay at 0.
 */
export function standardize(out: Float32Array, offset: number, n: number): void {
  let sum = 0
  for (let i = 0; i < n; i++) sum += out[offset + i]
  const mean = sum / n
  let sq = 0
  for (let i = 0; i < n; i++) {
    const d = out[offset + i] - mean
    sq += d * d
  }
  const inv = 1 / Math.max(Math.sqrt(sq / n), 1 / 255)
  for (let i = 0; i < n; i++) out[offset + i] = (out[offset + i] - mean) * inv
}

/** Plain conversion (no augmentation) of `count` images: uint8 → float in [0, 1]. */
export function toFloat(src: Uint8Array, out?: Float32Array): Float32Array {
  const o = out ?? new Float32Array(src.length)
  const inv = 1 / 255
  for (let i = 0; i < src.length; i++) o[i] = src[i] * inv
  return o
}
