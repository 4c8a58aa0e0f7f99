/**
 * From a decoded image to what the project stores for it: the model-ready pixels (pixel_cache) and a
 * thumbnail; and `ensurePixelCache`, which (re)builds the cache at another size from the source files.
 *
 * Geometry of the cache: the face crop (see `PrepareFace`) is resized to size×size. A square crop is
 * resized as is ('fill' and 'cover' coincide); a non-square one is centre-cropped to its short side
 * first ('cover'), so faces are never squashed. Channels: RGB → gray uses BT.601 luma (hash.ts
 * `toGray`), gray → RGB repeats the channel.
 */
import { readFile } from 'node:fs/promises'
import sharp from 'sharp'
import type { Project } from '../project'
import type { DB } from '../store/db'
import { pixelWriter, uncachedImages, type Thumbnail } from '../store/cache'
import { getImage, imageFile } from '../store/images'
import { decodeImage, DEFAULT_LIMITS, type DecodedImage, type DecodeLimits, type ImageFormat } from './decode'
import { sha256Hex, toGray, type RawPixels } from './hash'
import { ImportAbortedError, type ImportProgress } from './types'

/** What the face step may use besides the pixels. */
export interface FaceContext {
  relPath: string
  /** Face rectangle in decoded-image pixels [x, y, width, height], when the source gave one. */
  faceBox?: [number, number, number, number]
  /** The image's id when it is already in the project (cache rebuilds), absent during import. */
  imageId?: number
}

/** What a face step returns when it has more to store than pixels. */
export interface PreparedFaceResult {
  /** The face crop to resize into the cache (any size, 1 or 3 channels). */
  pixels: RawPixels
  /**
   * Called inside the import transaction once the image row exists (e.g. to save the detected face
   * box and landmarks); rolled back with the import. Not called by ensurePixelCache.
   */
  store?: (db: DB, imageId: number) => void
}

/**
 * The hook between decoding and the cache resize: returns the face crop (any size, 1 or 3 channels),
 * or the crop plus a `store` callback. Identity for now; the face-alignment module plugs in here
 * (detect, align by the eyes, crop), e.g. adapting src-main/core/align/prepare.ts `makePrepareFace`:
 * `(img, ctx) => hook(img, ctx).then((r) => ({ pixels: r.pixels, store: (db, id) => saveFace(db, id, r.face) }))`.
 */
export type PrepareFace = (
  img: DecodedImage,
  ctx: FaceContext
) => RawPixels | PreparedFaceResult | Promise<RawPixels | PreparedFaceResult>

export const identityFace: PrepareFace = (img) => img

/** Runs a face step and normalises what it returned. */
export async function runPrepareFace(
  prepare: PrepareFace,
  img: DecodedImage,
  ctx: FaceContext
): Promise<PreparedFaceResult> {
  const r = await prepare(img, ctx)
  return 'pixels' in r ? r : { pixels: r }
}

/** Largest thumbnail side, pixels. */
export const THUMB_SIDE = 128
/** Small JPEG/PNG sources up to this many bytes are stored as the thumbnail unchanged (no re-encode). */
export const THUMB_REUSE_MAX_BYTES = 24 * 1024

function convertChannels(px: RawPixels, channels: 1 | 3): RawPixels {
  if (px.channels === channels) return px
  if (channels === 1) return { ...px, data: toGray(px), channels: 1 }
  const n = px.width * px.height
  const out = new Uint8Array(n * 3)
  for (let i = 0; i < n; i++) out[3 * i] = out[3 * i + 1] = out[3 * i + 2] = px.data[i]
  return { ...px, data: out, channels: 3 }
}

/** The cache pixels of a face crop: size×size×channels uint8, HWC. */
export async function cachePixels(face: RawPixels, size: number, channels: 1 | 3): Promise<Uint8Array> {
  // Convert to gray before resizing (a third of the work); expand to RGB after.
  const src = channels === 1 ? convertChannels(face, 1) : face
  let out: RawPixels
  if (src.width === size && src.height === size) {
    out = src
  } else {
    const data = await sharp(Buffer.from(src.data.buffer, src.data.byteOffset, src.data.length), {
      raw: { width: src.width, height: src.height, channels: src.channels }
    })
      .resize(size, size, { fit: 'cover', position: 'centre' })
      // Raw output would otherwise be expanded to sRGB.
      .toColourspace(src.channels === 1 ? 'b-w' : 'srgb')
      .raw()
      .toBuffer({ resolveWithObject: true })
      .then((r) => {
        if (r.info.channels !== src.channels)
          throw new Error(`resize returned ${r.info.channels} channels, expected ${src.channels}`)
        return r.data
      })
    out = { data, width: size, height: size, channels: src.channels }
  }
  out = convertChannels(out, channels)
  return out.data === face.data ? out.data.slice() : out.data
}

/** True when a JPEG carries an EXIF block (its orientation may differ from what we decoded). */
function jpegHasExif(b: Uint8Array): boolean {
  let i = 2
  while (i + 4 <= b.length && b[i] === 0xff) {
    const marker = b[i + 1]
    if (marker === 0xda || marker === 0xd9) return false // start of scan: no more metadata
    const len = (b[i + 2] << 8) | b[i + 3]
    if (marker === 0xe1 && Buffer.from(b.subarray(i + 4, i + 8)).toString('latin1') === 'Exif') return true
    i += 2 + len
  }
  return false
}

function pngHasExif(b: Uint8Array): boolean {
  return Buffer.from(b.buffer, b.byteOffset, b.length).includes('eXIf', 8, 'latin1')
}

/**
 * A thumbnail for the grid. Small JPEG/PNG files (FER2013's 48×48 JPEGs are ~1.5 KB) are stored as
 * they are: the file already decoded cleanly, re-encoding would cost more time than it saves space,
 * and no EXIF means the browser shows what we decoded. Everything else becomes WebP ≤ 128 px.
 */
export async function makeThumbnail(bytes: Uint8Array, format: ImageFormat, img: RawPixels): Promise<Thumbnail> {
  const small = img.width <= THUMB_SIDE && img.height <= THUMB_SIDE && bytes.length <= THUMB_REUSE_MAX_BYTES
  if (small && format === 'jpeg' && !jpegHasExif(bytes))
    return { mime: 'image/jpeg', width: img.width, height: img.height, data: bytes }
  if (small && format === 'png' && !pngHasExif(bytes))
    return { mime: 'image/png', width: img.width, height: img.height, data: bytes }
  const { data, info } = await sharp(Buffer.from(img.data.buffer, img.data.byteOffset, img.data.length), {
    raw: { width: img.width, height: img.height, channels: img.channels }
  })
    .resize(THUMB_SIDE, THUMB_SIDE, { fit: 'inside', withoutEnlargement: true })
    .webp({ quality: 80 })
    .toBuffer({ resolveWithObject: true })
  return { mime: 'image/webp', width: info.width, height: info.height, data }
}

export interface EnsureCacheOptions {
  progress?: (e: ImportProgress) => void
  signal?: AbortSignal
  prepareFace?: PrepareFace
  /** Files decoded at once (default 4). */
  concurrency?: number
  limits?: DecodeLimits
}

export interface EnsureCacheResult {
  size: number
  channels: 1 | 3
  /** Rows written now. */
  built: number
  /** Images that already had a row. */
  alreadyCached: number
  /** Images whose source could not be cached (missing, changed since import, undecodable). */
  failed: { imageId: number; path: string; reason: string }[]
}

const CHUNK = 128

/**
 * Makes every decoded image of the project have a size×size×channels cache row, decoding the source
 * files again. Each chunk of rows is committed on its own, so a cancelled or crashed build keeps what
 * it finished and a rerun continues. A source file whose bytes changed since import is not cached
 * (its labels were given to the old content).
 */
export async function ensurePixelCache(
  project: Project,
  size: number,
  channels: 1 | 3,
  opts: EnsureCacheOptions = {}
): Promise<EnsureCacheResult> {
  const db: DB = project.db
  const todo = uncachedImages(db, size, channels)
  const total = (db.prepare("SELECT count(*) FROM images WHERE decode_status = 'ok'").pluck().get() as number) ?? 0
  const result: EnsureCacheResult = { size, channels, built: 0, alreadyCached: total - todo.length, failed: [] }
  const write = pixelWriter(db)
  const prepare = opts.prepareFace ?? identityFace
  const limits = opts.limits ?? DEFAULT_LIMITS
  opts.progress?.({ phase: 'cache', done: 0, total: todo.length })
  for (let start = 0; start < todo.length; start += CHUNK) {
    if (opts.signal?.aborted) throw new ImportAbortedError()
    const ids = todo.slice(start, start + CHUNK)
    const rows: { id: number; pixels: Uint8Array }[] = []
    let next = 0
    const worker = async (): Promise<void> => {
      while (next < ids.length) {
        const id = ids[next++]
        const img = getImage(db, id)
        if (!img) continue
        const path = imageFile(img)
        try {
          const bytes = await readFile(path)
          if (sha256Hex(bytes) !== img.sha256) throw new Error('file changed since import (sha256 differs)')
          const d = await decodeImage(bytes, limits)
          if (!d.ok) throw new Error(d.reason)
          // imageId lets a replaying face step (align/storedFaceStep) find the record without a path lookup.
          const face = await runPrepareFace(prepare, d.image, {
            relPath: img.relPath,
            faceBox: faceBoxOf(img.extra),
            imageId: id
          })
          rows.push({ id, pixels: await cachePixels(face.pixels, size, channels) })
        } catch (e) {
          const err = e as NodeJS.ErrnoException
          result.failed.push({ imageId: id, path, reason: err.code === 'ENOENT' ? 'file not found' : err.message })
        }
      }
    }
    await Promise.all(Array.from({ length: Math.max(1, opts.concurrency ?? 4) }, worker))
    db.transaction(() => {
      for (const r of rows) write(r.id, size, channels, r.pixels)
    }).immediate()
    result.built += rows.length
    opts.progress?.({ phase: 'cache', done: Math.min(todo.length, start + CHUNK), total: todo.length })
  }
  return result
}

/** The AffectNet-style face box kept in images.extra.face, if any. */
export function faceBoxOf(extra: Record<string, unknown> | null): [number, number, number, number] | undefined {
  const f = extra?.face
  return Array.isArray(f) && f.length === 4 && f.every((v) => typeof v === 'number')
    ? (f as [number, number, number, number])
    : undefined
}
