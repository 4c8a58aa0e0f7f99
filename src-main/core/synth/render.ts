/**
 * Rasterises a face: SVG → sharp (librsvg) → optional blur → tone (contrast, brightness), greyscale and
 * seeded gaussian noise in JS → PNG. A pure function of its FaceParams: same params, same bytes.
 */
import sharp from 'sharp'
import { Rng } from '../util/rng'
import { faceSvg } from './svg'
import type { FaceParams } from './params'

/** Decoded pixels, row-major, interleaved channels, 0..255. */
export interface RawImage {
  data: Buffer
  width: number
  height: number
  channels: 1 | 3
}

/** Smallest and largest output size accepted, pixels. */
export const MIN_SIZE = 16
export const MAX_SIZE = 1024

function checkParams(p: FaceParams): void {
  if (!Number.isInteger(p.size) || p.size < MIN_SIZE || p.size > MAX_SIZE) {
    throw new Error(`face size must be an integer in ${MIN_SIZE}..${MAX_SIZE} pixels, got ${p.size}`)
  }
  if (p.channels !== 1 && p.channels !== 3)
    throw new Error(`face channels must be 1 (grey) or 3 (RGB), got ${String(p.channels)}`)
  const n = p.noise
  if (!(n.sigma >= 0) || !(n.blur >= 0) || (n.blur > 0 && n.blur < 0.3)) {
    throw new Error(`noise must have sigma ≥ 0 and blur = 0 or ≥ 0.3 px, got sigma ${n.sigma}, blur ${n.blur}`)
  }
  for (const [au, v] of Object.entries(p.aus)) {
    if (!(v >= 0 && v <= 1)) throw new Error(`AU${au} intensity must be in 0..1, got ${v}`)
  }
}

/** Renders the face to raw pixels (what renderFace encodes). */
export async function renderFaceRaw(p: FaceParams): Promise<RawImage> {
  checkParams(p)
  let img = sharp(Buffer.from(faceSvg(p)))
  if (p.noise.blur > 0) img = img.blur(p.noise.blur)
  const { data, info } = await img.removeAlpha().raw().toBuffer({ resolveWithObject: true })
  if (info.width !== p.size || info.height !== p.size || info.channels !== 3) {
    throw new Error(
      `internal: SVG rendered as ${info.width}×${info.height}×${info.channels}, expected ${p.size}×${p.size}×3`
    )
  }
  const pixels = p.size * p.size
  const out = Buffer.alloc(pixels * p.channels)
  const { contrast, brightness } = p.lighting
  const sigma = p.noise.sigma
  const rng = new Rng(p.noise.seed)
  const tone = (v: number): number => {
    const t = (v - 128) * contrast + 128 + brightness + (sigma > 0 ? sigma * rng.normal() : 0)
    return t <= 0 ? 0 : t >= 255 ? 255 : Math.round(t)
  }
  if (p.channels === 1) {
    for (let i = 0; i < pixels; i++) {
      // ITU-R BT.601 luma, the weights FER datasets' greyscale conversions use.
      out[i] = tone(0.299 * data[3 * i] + 0.587 * data[3 * i + 1] + 0.114 * data[3 * i + 2])
    }
  } else {
    for (let i = 0; i < pixels * 3; i++) out[i] = tone(data[i])
  }
  if (p.occlusion) occludeQuadrant(out, p.size, p.channels, p.occlusion)
  return { data: out, width: p.size, height: p.size, channels: p.channels }
}

/**
 * Covers one image quadrant (FaceParams.occlusion): 'flat' = one seeded grey level (an occluder that
 * carries no information), 'noise' = seeded uniform noise per pixel (which a network can memorise).
 */
function occludeQuadrant(out: Buffer, size: number, channels: number, o: NonNullable<FaceParams['occlusion']>): void {
  const half = Math.floor(size / 2)
  const y0 = o.region === 'UL' || o.region === 'UR' ? 0 : size - half
  const x0 = o.region === 'UL' || o.region === 'LL' ? 0 : size - half
  const rng = new Rng(o.seed)
  const grey = 64 + Math.floor(rng.next() * 128)
  for (let y = y0; y < y0 + half; y++) {
    for (let x = x0; x < x0 + half; x++) {
      for (let c = 0; c < channels; c++)
        out[(y * size + x) * channels + c] = o.kind === 'noise' ? Math.floor(rng.next() * 256) : grey
    }
  }
}

/** Renders the face as a PNG (8-bit grey or RGB, p.size × p.size). */
export async function renderFace(p: FaceParams): Promise<Buffer> {
  const raw = await renderFaceRaw(p)
  return encodePng(raw)
}

/** Encodes raw pixels as PNG. */
export function encodePng(raw: RawImage): Promise<Buffer> {
  let img = sharp(raw.data, { raw: { width: raw.width, height: raw.height, channels: raw.channels } })
  // Without this sharp treats one raw channel as sRGB and writes a 3-channel PNG.
  if (raw.channels === 1) img = img.toColourspace('b-w')
  return img.png({ compressionLevel: 6 }).toBuffer()
}
