/**
 * The feature cache of a frozen backbone: the face-api map of every image (and of its mirror image,
 * for flip augmentation) computed once, stored as float16, and reused across epochs, folds and runs.
 *
 * On disk (optional, next to the project): `<project>.features/<backbone>-<size>x<channels>.f16`,
 * a versioned file: "POIF" magic, uint32 header length, a JSON header (format, version, extractor,
 * input, feature shape, mirror flag, image ids and a pixel fingerprint per image), then fixed-size
 * float16 records [image][orig, mirror][H·W·C]. An image whose pixels changed since (fingerprint)
 * is extracted again; a file of another format/version/extractor is ignored and rewritten.
 */
import { closeSync, existsSync, openSync, readSync } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { tf } from '../compute/tf'
import { frozenExtractor, type FrozenExtractor, type FrozenExtractorName } from '../faceapi/index'
import { openAtomicFile } from '../fsutil/atomic'
import { FROZEN_BACKBONES } from '../run/config'
import type { PixelSource } from './dataset'

export const FEATURE_CACHE_FORMAT = 'poi-audit-feature-cache'
export const FEATURE_CACHE_VERSION = 1
const MAGIC = 'POIF'

// float16 <-> float32 (IEEE half, round to nearest even): tfjs has no float16 tensors.
const f32 = new Float32Array(1)
const u32 = new Uint32Array(f32.buffer)
export function toHalf(v: number): number {
  f32[0] = v
  const x = u32[0]
  const sign = (x >>> 16) & 0x8000
  const exp = (x >>> 23) & 0xff
  let mant = x & 0x7fffff
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0)
  const e = exp - 127 + 15
  if (e >= 0x1f) return sign | 0x7c00
  if (e <= 0) {
    if (e < -10) return sign
    mant |= 0x800000
    const shift = 14 - e
    let h = mant >>> shift
    const rem = mant & ((1 << shift) - 1)
    const half = 1 << (shift - 1)
    if (rem > half || (rem === half && h & 1)) h++
    return sign | h
  }
  let h = (e << 10) | (mant >>> 13)
  const rem = mant & 0x1fff
  if (rem > 0x1000 || (rem === 0x1000 && h & 1)) h++
  return sign | h
}
const HALF_TABLE = (() => {
  const t = new Float32Array(65536)
  for (let h = 0; h < 65536; h++) {
    const s = h & 0x8000 ? -1 : 1
    const e = (h >>> 10) & 0x1f
    const m = h & 0x3ff
    t[h] = e === 0 ? s * m * 2 ** -24 : e === 0x1f ? (m ? NaN : s * Infinity) : s * (1 + m / 1024) * 2 ** (e - 15)
  }
  return t
})()
export function fromHalf(h: number): number {
  return HALF_TABLE[h]
}

/** FNV-1a of the pixels: detects a pixel cache rebuilt since the features were computed. */
export function pixelFingerprint(px: Uint8Array): number {
  let h = 0x811c9dc5
  for (let i = 0; i < px.length; i++) h = Math.imul(h ^ px[i], 0x01000193)
  return h >>> 0
}

interface Header {
  format: string
  version: number
  extractor: string
  input: { size: number; channels: number }
  featureShape: [number, number, number]
  mirror: boolean
  ids: number[]
  fingerprints: number[]
}

export interface FeatureCacheProgress {
  phase: 'features'
  done: number
  total: number
  /** Images whose features came from the file. */
  reused: number
}

export interface BuildFeaturesOptions {
  backbone: keyof typeof FROZEN_BACKBONES
  pixels: PixelSource
  ids: readonly number[]
  /** Also extract the mirror image (flip augmentation). */
  mirror: boolean
  /** The project file; the cache file goes next to it. Null = memory only. */
  projectPath: string | null
  batchSize?: number
  signal?: AbortSignal
  progress?: (e: FeatureCacheProgress) => void
}

/** In-memory float16 features; `batch` returns float32 NHWC for the model. */
export class FeatureCache {
  readonly per: number
  private readonly slot = new Map<number, number>()

  private constructor(
    readonly featureShape: [number, number, number],
    readonly mirror: boolean,
    private readonly data: Uint16Array,
    ids: readonly number[],
    /** Images read from the file rather than extracted. */
    readonly reused: number,
    readonly file: string | null
  ) {
    this.per = featureShape[0] * featureShape[1] * featureShape[2]
    ids.forEach((id, i) => this.slot.set(id, i))
  }

  has(id: number): boolean {
    return this.slot.has(id)
  }

  /** Features of `ids` as float32 [n, H, W, C]; `mirrored[i]` picks the mirror image's map. */
  batch(ids: readonly number[], mirrored?: readonly boolean[]): Float32Array {
    const out = new Float32Array(ids.length * this.per)
    const views = this.mirror ? 2 : 1
    ids.forEach((id, j) => {
      const s = this.slot.get(id)
      if (s === undefined) throw new Error(`no cached features for image ${id}`)
      const m = mirrored?.[j] ? 1 : 0
      if (m && !this.mirror) throw new Error('mirrored features were not extracted (mirror: false)')
      const base = (s * views + m) * this.per
      const o = j * this.per
      for (let i = 0; i < this.per; i++) out[o + i] = HALF_TABLE[this.data[base + i]]
    })
    return out
  }

  /** Builds (or loads and completes) the cache for `ids`. */
  static async build(o: BuildFeaturesOptions): Promise<FeatureCache> {
    const spec = FROZEN_BACKBONES[o.backbone]
    const fx: FrozenExtractor = await frozenExtractor(spec.extractor as FrozenExtractorName)
    const shape = [...fx.outputShape] as [number, number, number]
    const per = shape[0] * shape[1] * shape[2]
    const views = o.mirror ? 2 : 1
    const ids = [...new Set(o.ids)]
    const file = o.projectPath ? cacheFile(o.projectPath, o.backbone, o.pixels.size, o.pixels.channels) : null
    const fps = ids.map((id) => pixelFingerprint(o.pixels.image(id)))
    const data = new Uint16Array(ids.length * views * per)
    const have = new Set<number>()
    if (file && existsSync(file))
      readInto(
        file,
        { extractor: spec.extractor, size: o.pixels.size, channels: o.pixels.channels, shape, mirror: o.mirror },
        ids,
        fps,
        data,
        have
      )
    const todo = ids.map((_, i) => i).filter((i) => !have.has(i))
    const total = ids.length
    let done = have.size
    o.progress?.({ phase: 'features', done, total, reused: have.size })
    const bs = o.batchSize ?? 32
    const side = o.pixels.size
    const ch = o.pixels.channels
    for (let s = 0; s < todo.length; s += bs) {
      o.signal?.throwIfAborted()
      const slots = todo.slice(s, s + bs)
      const px = o.pixels.batch(slots.map((i) => ids[i]))
      for (let m = 0; m < views; m++) {
        const maps = tf.tidy(() => {
          let x = tf.tensor4d(Float32Array.from(px), [slots.length, side, side, ch])
          if (m === 1) x = tf.reverse(x, 2)
          if (ch === 1) x = tf.tile(x, [1, 1, 1, 3])
          return fx.extract(x as tf.Tensor4D)
        })
        const v = (await maps.data()) as Float32Array
        maps.dispose()
        slots.forEach((slot, j) => {
          const base = (slot * views + m) * per
          for (let i = 0; i < per; i++) data[base + i] = toHalf(v[j * per + i])
        })
      }
      done += slots.length
      o.progress?.({ phase: 'features', done, total, reused: have.size })
    }
    if (file && todo.length)
      await writeCache(
        file,
        { extractor: spec.extractor, size: side, channels: ch, shape, mirror: o.mirror },
        ids,
        fps,
        data
      )
    return new FeatureCache(shape, o.mirror, data, ids, have.size, file)
  }
}

/** `<dir>/<project file>.features/<backbone>-<size>x<channels>.f16`. */
export function cacheFile(projectPath: string, backbone: string, size: number, channels: number): string {
  return join(dirname(projectPath), `${basename(projectPath)}.features`, `${backbone}-${size}x${channels}.f16`)
}

interface Want {
  extractor: string
  size: number
  channels: number
  shape: [number, number, number]
  mirror: boolean
}

/** Copies the records of matching images from an existing file; a file that does not match is ignored. */
function readInto(file: string, w: Want, ids: number[], fps: number[], data: Uint16Array, have: Set<number>): void {
  const fd = openSync(file, 'r')
  try {
    const head = Buffer.alloc(8)
    if (readSync(fd, head, 0, 8, 0) !== 8 || head.toString('latin1', 0, 4) !== MAGIC) return
    const hlen = head.readUInt32LE(4)
    const hb = Buffer.alloc(hlen)
    if (readSync(fd, hb, 0, hlen, 8) !== hlen) return
    let h: Header
    try {
      h = JSON.parse(hb.toString('utf8')) as Header
    } catch {
      return
    }
    if (h.format !== FEATURE_CACHE_FORMAT || h.version !== FEATURE_CACHE_VERSION || h.extractor !== w.extractor) return
    if (
      h.input.size !== w.size ||
      h.input.channels !== w.channels ||
      h.featureShape.join() !== w.shape.join() ||
      (w.mirror && !h.mirror)
    )
      return
    const per = w.shape[0] * w.shape[1] * w.shape[2]
    const fileViews = h.mirror ? 2 : 1
    const views = w.mirror ? 2 : 1
    const at = new Map(h.ids.map((id, i) => [id, i]))
    const start = 8 + hlen + ((8 + hlen) % 2)
    const rec = Buffer.alloc(per * 2 * views)
    ids.forEach((id, i) => {
      const k = at.get(id)
      if (k === undefined || h.fingerprints[k] !== fps[i]) return
      if (readSync(fd, rec, 0, rec.length, start + k * fileViews * per * 2) !== rec.length) return
      const src = new Uint16Array(rec.buffer, rec.byteOffset, per * views)
      data.set(src, i * views * per)
      have.add(i)
    })
  } finally {
    closeSync(fd)
  }
}

/** The compatible records of an existing file for images not in `ids` (kept when the file is rewritten). */
function oldExtras(
  file: string,
  w: Want,
  ids: number[]
): { fd: number; ids: number[]; fps: number[]; slots: number[]; start: number; views: number } | null {
  if (!existsSync(file)) return null
  const fd = openSync(file, 'r')
  const head = Buffer.alloc(8)
  let h: Header | null = null
  let hlen = 0
  try {
    if (readSync(fd, head, 0, 8, 0) === 8 && head.toString('latin1', 0, 4) === MAGIC) {
      hlen = head.readUInt32LE(4)
      const hb = Buffer.alloc(hlen)
      if (readSync(fd, hb, 0, hlen, 8) === hlen) h = JSON.parse(hb.toString('utf8')) as Header
    }
  } catch {
    h = null
  }
  const ok =
    h &&
    h.format === FEATURE_CACHE_FORMAT &&
    h.version === FEATURE_CACHE_VERSION &&
    h.extractor === w.extractor &&
    h.input.size === w.size &&
    h.input.channels === w.channels &&
    h.featureShape.join() === w.shape.join() &&
    h.mirror === w.mirror
  if (!ok || !h) {
    closeSync(fd)
    return null
  }
  const want = new Set(ids)
  const keep = h.ids.map((id, k) => [id, k] as const).filter(([id]) => !want.has(id))
  return {
    fd,
    ids: keep.map(([id]) => id),
    fps: keep.map(([, k]) => h!.fingerprints[k]),
    slots: keep.map(([, k]) => k),
    start: 8 + hlen + ((8 + hlen) % 2),
    views: h.mirror ? 2 : 1
  }
}

async function writeCache(file: string, w: Want, ids: number[], fps: number[], data: Uint16Array): Promise<void> {
  await mkdir(dirname(file), { recursive: true })
  const extra = oldExtras(file, w, ids)
  try {
    await writeMerged(file, w, ids, fps, data, extra)
  } finally {
    if (extra) closeSync(extra.fd)
  }
}

async function writeMerged(
  file: string,
  w: Want,
  ids: number[],
  fps: number[],
  data: Uint16Array,
  extra: ReturnType<typeof oldExtras>
): Promise<void> {
  const header: Header = {
    format: FEATURE_CACHE_FORMAT,
    version: FEATURE_CACHE_VERSION,
    extractor: w.extractor,
    input: { size: w.size, channels: w.channels },
    featureShape: w.shape,
    mirror: w.mirror,
    ids: extra ? [...ids, ...extra.ids] : ids,
    fingerprints: extra ? [...fps, ...extra.fps] : fps
  }
  const hb = Buffer.from(JSON.stringify(header), 'utf8')
  const pre = Buffer.alloc(8 + ((8 + hb.length) % 2))
  pre.write(MAGIC, 0, 'latin1')
  pre.writeUInt32LE(hb.length, 4)
  const out = await openAtomicFile(file)
  try {
    await out.write(pre.subarray(0, 8))
    await out.write(hb)
    if (pre.length > 8) await out.write(pre.subarray(8))
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
    for (let s = 0; s < bytes.length; s += 1 << 24) await out.write(bytes.subarray(s, s + (1 << 24)))
    if (extra) {
      // Records of images this build did not ask for are copied from the old file, not dropped.
      const recBytes = w.shape[0] * w.shape[1] * w.shape[2] * 2 * extra.views
      for (const k of extra.slots) {
        // A new buffer per record: the writer keeps references until it flushes (1 MiB), it does not copy.
        const rec = Buffer.alloc(recBytes)
        if (readSync(extra.fd, rec, 0, recBytes, extra.start + k * recBytes) !== recBytes)
          throw new Error(`feature cache ${file} is truncated`)
        await out.write(rec)
      }
    }
    await out.commit()
  } catch (e) {
    await out.abort()
    throw e
  }
}
