/**
 * The pixel cache (model-ready uint8 pixels per image and size) and thumbnails, both in the project
 * file so training and the review grid never touch the source images.
 *
 * pixel_cache rows: (image_id, size, channels) → size·size·channels bytes, HWC, row-major.
 */
import type { Statement } from 'better-sqlite3'
import type { DB } from './db'
import { ProjectError } from './errors'

/** A stored thumbnail: an encoded image (≤ 128 px on its long side) ready to serve. */
export interface Thumbnail {
  /** image/webp, image/jpeg or image/png. */
  mime: string
  width: number
  height: number
  data: Uint8Array
}

/** A prepared writer of pixel rows (replaces an existing row). */
export function pixelWriter(db: DB): (imageId: number, size: number, channels: number, pixels: Uint8Array) => void {
  const stmt = db.prepare('INSERT OR REPLACE INTO pixel_cache (image_id, size, channels, pixels) VALUES (?, ?, ?, ?)')
  return (imageId, size, channels, pixels) => {
    if (pixels.length !== size * size * channels) {
      throw new ProjectError(
        'INVALID',
        `pixel cache row for image ${imageId} has ${pixels.length} bytes, expected ${size}×${size}×${channels}`
      )
    }
    stmt.run(imageId, size, channels, Buffer.from(pixels.buffer, pixels.byteOffset, pixels.length))
  }
}

/** A prepared writer of thumbnails (replaces an existing one). */
export function thumbnailWriter(db: DB): (imageId: number, t: Thumbnail) => void {
  const stmt = db.prepare(
    'INSERT OR REPLACE INTO thumbnails (image_id, mime, width, height, data) VALUES (?, ?, ?, ?, ?)'
  )
  return (imageId, t) => {
    stmt.run(imageId, t.mime, t.width, t.height, Buffer.from(t.data.buffer, t.data.byteOffset, t.data.length))
  }
}

export function getThumbnail(db: DB, imageId: number): Thumbnail | null {
  const r = db.prepare('SELECT mime, width, height, data FROM thumbnails WHERE image_id = ?').get(imageId) as
    Thumbnail | undefined
  return r ?? null
}

const readers = new WeakMap<DB, Statement>()

/**
 * Reads the cached pixels of `imageIds`, in that order, into one buffer of
 * imageIds.length × size × size × channels bytes (NHWC). Throws naming the ids that have no cache row
 * at this size (build it with ensurePixelCache).
 */
export function readPixels(db: DB, imageIds: readonly number[], size: number, channels: number): Uint8Array {
  const per = size * size * channels
  const out = new Uint8Array(imageIds.length * per)
  let stmt = readers.get(db)
  if (!stmt) {
    stmt = db.prepare('SELECT pixels FROM pixel_cache WHERE image_id = ? AND size = ? AND channels = ?').pluck()
    readers.set(db, stmt)
  }
  const missing: number[] = []
  for (let i = 0; i < imageIds.length; i++) {
    const px = stmt.get(imageIds[i], size, channels) as Buffer | undefined
    if (!px || px.length !== per) {
      missing.push(imageIds[i])
      continue
    }
    out.set(px, i * per)
  }
  if (missing.length) {
    const shown = missing.slice(0, 10).join(', ') + (missing.length > 10 ? `, … (${missing.length} in all)` : '')
    throw new ProjectError(
      'INVALID',
      `no ${size}×${size}×${channels} pixel cache for image(s) ${shown}; build it with ensurePixelCache`
    )
  }
  return out
}

/** Decoded images that have no cache row at (size, channels), in id order. */
export function uncachedImages(db: DB, size: number, channels: number): number[] {
  return db
    .prepare(
      `SELECT i.id FROM images i WHERE i.decode_status = 'ok' AND NOT EXISTS
         (SELECT 1 FROM pixel_cache c WHERE c.image_id = i.id AND c.size = ? AND c.channels = ?) ORDER BY i.id`
    )
    .pluck()
    .all(size, channels) as number[]
}

/** The (size, channels) pairs cached, with row counts. */
export function cacheSizes(db: DB): { size: number; channels: number; images: number }[] {
  return db
    .prepare(
      'SELECT size, channels, count(*) AS images FROM pixel_cache GROUP BY size, channels ORDER BY size, channels'
    )
    .all() as {
    size: number
    channels: number
    images: number
  }[]
}
