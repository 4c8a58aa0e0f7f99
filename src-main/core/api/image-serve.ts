/**
 * Serves project images by id — never by path — for both `GET /img/<id>?v=` (browser mode) and
 * `poi-img://img/<id>?v=` (Electron). Each request:
 *  1. checks the id is a positive decimal integer and the variant is thumb|full (else 400);
 *  2. looks the id up in the project (unknown → 404);
 *  3. serves a cached thumbnail from the project if there is one (no file-system access at all);
 *  4. otherwise refuses a stored relative path that is absolute or has `..` segments, realpaths the
 *     dataset root and the file ON EVERY REQUEST (a symlink can be swapped after import) and requires
 *     the file to be strictly inside the root;
 *  5. opens it non-blocking and without following a final symlink, fstat()s the open descriptor and
 *     requires a regular file within the size cap (so a FIFO, device or directory never blocks or
 *     streams, even if swapped in after the check);
 *  6. transcodes with sharp (header checked first: raster formats only, pixel cap) to WebP (thumb)
 *     or PNG (full), so SVG, odd encodings and oversized images never reach the renderer.
 * Failures answer a bare status; the reason goes to the main-side log.
 */
import { constants as fsc, promises as fsp } from 'node:fs'
import path from 'node:path'
import sharp from 'sharp'
import type { Statement } from 'better-sqlite3'
import type { DB } from '../store/db'
import { defaultCaseInsensitive, isInside, safeRelativeSegments, type PathImpl } from './paths'
import { IMAGE_VARIANTS, type ImageVariant } from './methods'

/** Where an image lives, as the project records it. */
export interface ImageRecord {
  /** Absolute dataset root (realpath'ed at import; realpath'ed again here). */
  root: string
  /** '/'-separated path relative to the root. */
  relPath: string
  /** A thumbnail cached in the project, served as is for v=thumb. */
  thumbnail?: { mime: string; data: Uint8Array } | null
}

/** The file-system calls used (injectable for tests). */
export interface ImageFs {
  realpath(p: string): Promise<string>
  open(p: string, flags: number): Promise<fsp.FileHandle>
}

export interface ImageServeOptions {
  lookup(imageId: number): ImageRecord | null
  fs?: ImageFs
  pathImpl?: PathImpl
  caseInsensitive?: boolean
  /** Largest source file, bytes (default 64 MiB). */
  maxBytes?: number
  /** Largest decoded image, pixels (default 100 MP; sharp checks the header before decoding). */
  maxPixels?: number
  /** Longest side of a thumbnail, pixels (default 256). */
  thumbSize?: number
  log?(msg: string): void
}

export interface ImageRequest {
  /** The id as it appeared in the URL (text, not yet trusted). */
  id: string
  variant: string | null
}

const RASTER = new Set(['jpeg', 'png', 'webp', 'tiff', 'gif'])
const CACHED_MIME = new Set(['image/webp', 'image/png', 'image/jpeg'])
const ID_RE = /^[1-9][0-9]{0,15}$/

const nodeImageFs: ImageFs = { realpath: (p) => fsp.realpath(p), open: (p, flags) => fsp.open(p, flags) }

function bare(status: number): Response {
  return new Response(null, { status, headers: { 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' } })
}

function imageResponse(data: Uint8Array, mime: string): Response {
  return new Response(new Uint8Array(data), {
    status: 200,
    headers: {
      'content-type': mime,
      'content-length': String(data.byteLength),
      'x-content-type-options': 'nosniff',
      'cache-control': 'no-store',
      'cross-origin-resource-policy': 'same-origin'
    }
  })
}

/** Parses `poi-img://img/<id>?v=<variant>`; null when the URL is not of that shape. */
export function parseImageProtocolUrl(url: string): ImageRequest | null {
  let u: URL
  try {
    u = new URL(url)
  } catch {
    return null
  }
  if (u.host !== 'img') return null
  const m = /^\/([^/]+)$/.exec(u.pathname)
  return m ? { id: m[1], variant: u.searchParams.get('v') } : null
}

export type ImageHandler = (req: ImageRequest) => Promise<Response>

export function createImageHandler(opts: ImageServeOptions): ImageHandler {
  const fs = opts.fs ?? nodeImageFs
  const p = opts.pathImpl ?? path
  const ci = opts.caseInsensitive ?? defaultCaseInsensitive()
  const maxBytes = opts.maxBytes ?? 64 * 1024 * 1024
  const maxPixels = opts.maxPixels ?? 100_000_000
  const thumbSize = opts.thumbSize ?? 256
  const log = opts.log ?? (() => {})

  return async function serveImage(req: ImageRequest): Promise<Response> {
    if (!ID_RE.test(req.id)) return bare(400)
    const imageId = Number(req.id)
    if (!Number.isSafeInteger(imageId)) return bare(400)
    const variant = (req.variant ?? 'thumb') as ImageVariant
    if (!IMAGE_VARIANTS.includes(variant)) return bare(400)

    const rec = opts.lookup(imageId)
    if (!rec) return bare(404)
    if (variant === 'thumb' && rec.thumbnail && CACHED_MIME.has(rec.thumbnail.mime)) {
      return imageResponse(rec.thumbnail.data, rec.thumbnail.mime)
    }

    const segs = safeRelativeSegments(rec.relPath)
    if (!segs) {
      log(`image ${imageId}: refused stored path ${JSON.stringify(rec.relPath)}`)
      return bare(404)
    }
    let root: string
    let real: string
    try {
      root = await fs.realpath(rec.root)
      real = await fs.realpath(p.resolve(root, ...segs))
    } catch (e) {
      log(`image ${imageId}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`)
      return bare(404)
    }
    if (!isInside(root, real, p, ci)) {
      log(`image ${imageId}: ${real} escapes the dataset root ${root}`)
      return bare(404)
    }

    let bytes: Buffer
    let fh: fsp.FileHandle | null = null
    try {
      // O_NONBLOCK: opening a FIFO must not wait for a writer; O_NOFOLLOW: no last-moment symlink swap.
      fh = await fs.open(real, fsc.O_RDONLY | (fsc.O_NONBLOCK ?? 0) | (fsc.O_NOFOLLOW ?? 0))
      const st = await fh.stat()
      if (!st.isFile()) {
        log(`image ${imageId}: ${real} is not a regular file`)
        return bare(404)
      }
      if (st.size > maxBytes) {
        log(`image ${imageId}: ${real} is ${st.size} bytes (cap ${maxBytes})`)
        return bare(413)
      }
      if (st.size === 0) return bare(415)
      bytes = Buffer.alloc(st.size)
      let off = 0
      while (off < st.size) {
        const { bytesRead } = await fh.read(bytes, off, st.size - off, off)
        if (bytesRead === 0) break
        off += bytesRead
      }
      bytes = bytes.subarray(0, off)
    } catch (e) {
      log(`image ${imageId}: cannot read ${real}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`)
      return bare(404)
    } finally {
      await fh?.close().catch(() => {})
    }

    try {
      const input = { limitInputPixels: maxPixels, failOn: 'error' as const }
      const meta = await sharp(bytes, input).metadata()
      if (!meta.format || !RASTER.has(meta.format)) {
        log(`image ${imageId}: format ${meta.format ?? 'unknown'} is not served`)
        return bare(415)
      }
      const img = sharp(bytes, input).rotate()
      if (variant === 'thumb') {
        const out = await img
          .resize(thumbSize, thumbSize, { fit: 'inside', withoutEnlargement: true })
          .webp({ quality: 82 })
          .toBuffer()
        return imageResponse(out, 'image/webp')
      }
      return imageResponse(await img.png().toBuffer(), 'image/png')
    } catch (e) {
      log(`image ${imageId}: cannot decode ${real}: ${(e as Error).message}`)
      return bare(415)
    }
  }
}

const lookupStatements = new WeakMap<DB, Statement>()

/** The project lookup: image id → dataset root, relative path and cached thumbnail. */
export function lookupImage(db: DB, imageId: number): ImageRecord | null {
  let stmt = lookupStatements.get(db)
  if (!stmt) {
    stmt = db.prepare(
      `SELECT d.root AS root, i.rel_path AS relPath, t.mime AS mime, t.data AS data
       FROM images i JOIN datasets d ON d.id = i.dataset_id LEFT JOIN thumbnails t ON t.image_id = i.id
       WHERE i.id = ?`
    )
    lookupStatements.set(db, stmt)
  }
  const r = stmt.get(imageId) as { root: string; relPath: string; mime: string | null; data: Buffer | null } | undefined
  if (!r) return null
  return { root: r.root, relPath: r.relPath, thumbnail: r.mime && r.data ? { mime: r.mime, data: r.data } : null }
}
