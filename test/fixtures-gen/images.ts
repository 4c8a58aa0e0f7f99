/**
 * Fixture images for the dataset tests, made on the fly with sharp (never copied from real data):
 * seeded "blob" pictures (smooth shapes on a gradient, so JPEG behaves like it does on photos and
 * different seeds are never near-duplicates), bad files (truncated JPEG, text named .png, a PNG whose
 * header claims 30000×30000), JAFFE-like palette TIFFs, and dataset layouts (class folders, CSVs).
 */
import { linkSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { deflateSync } from 'node:zlib'
import sharp from 'sharp'

export interface Raw {
  data: Uint8Array
  width: number
  height: number
  channels: 1 | 3
}

/** mulberry32: small, fast, deterministic. */
export function rng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** A deterministic picture: a gradient background and a few soft ellipses, all from `seed`. */
export function blobImage(seed: number, width = 48, height = 48, channels: 1 | 3 = 1): Raw {
  const r = rng(seed * 7919 + 17)
  const data = new Uint8Array(width * height * channels)
  const bg = [r() * 255, r() * 255, r() * 255]
  const gx = (r() - 0.5) * 4
  const gy = (r() - 0.5) * 4
  const blobs = Array.from({ length: 5 }, () => ({
    x: r() * width,
    y: r() * height,
    rx: (0.1 + r() * 0.3) * width,
    ry: (0.1 + r() * 0.3) * height,
    v: [r() * 255, r() * 255, r() * 255]
  }))
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < channels; c++) {
        let v = bg[c] + gx * (x - width / 2) + gy * (y - height / 2)
        for (const b of blobs) {
          const d = ((x - b.x) / b.rx) ** 2 + ((y - b.y) / b.ry) ** 2
          if (d < 1) v = v * d + b.v[c] * (1 - d)
        }
        data[(y * width + x) * channels + c] = Math.max(0, Math.min(255, Math.round(v)))
      }
    }
  }
  return { data, width, height, channels }
}

export type Format = 'jpeg' | 'png' | 'tiff' | 'webp'

/** Encodes raw pixels with sharp. */
export async function encode(
  px: Raw,
  format: Format,
  opts: { quality?: number; orientation?: number } = {}
): Promise<Buffer> {
  let s = sharp(Buffer.from(px.data), { raw: { width: px.width, height: px.height, channels: px.channels } })
  if (px.channels === 1) s = s.toColourspace('b-w')
  if (opts.orientation) s = s.withMetadata({ orientation: opts.orientation })
  switch (format) {
    case 'jpeg':
      return s.jpeg({ quality: opts.quality ?? 95 }).toBuffer()
    case 'png':
      return s.png().toBuffer()
    case 'tiff':
      return s.tiff({ compression: 'lzw' }).toBuffer()
    case 'webp':
      return s.webp({ lossless: true }).toBuffer()
  }
}

export async function writeImage(
  path: string,
  seed: number,
  format: Format = 'jpeg',
  size = 48,
  channels: 1 | 3 = 1
): Promise<Buffer> {
  const bytes = await encode(blobImage(seed, size, size, channels), format)
  mkdirSync(dirname(path), { recursive: true })
  writeFileSync(path, bytes)
  return bytes
}

export function write(path: string, bytes: Uint8Array | string): void {
  mkdirSync(dirname(path), { recursive: true })
  writeFileSync(path, bytes)
}

/** The first `fraction` of a file (a truncated download). */
export function truncated(bytes: Uint8Array, fraction = 0.6): Buffer {
  return Buffer.from(bytes.subarray(0, Math.floor(bytes.length * fraction)))
}

const CRC_TABLE = (() => {
  const t = new Uint32Array(256)
  for (let n = 0; n < 256; n++) {
    let c = n
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
    t[n] = c >>> 0
  }
  return t
})()

function crc32(b: Uint8Array): number {
  let c = 0xffffffff
  for (const x of b) c = CRC_TABLE[(c ^ x) & 0xff] ^ (c >>> 8)
  return (c ^ 0xffffffff) >>> 0
}

function chunk(type: string, body: Uint8Array): Buffer {
  const len = Buffer.alloc(4)
  len.writeUInt32BE(body.length)
  const tb = Buffer.concat([Buffer.from(type, 'latin1'), Buffer.from(body)])
  const crc = Buffer.alloc(4)
  crc.writeUInt32BE(crc32(tb))
  return Buffer.concat([len, tb, crc])
}

/**
 * A tiny, valid-looking PNG whose IHDR claims width×height 8-bit gray (a decompression bomb's
 * header): correct CRCs, one short IDAT. Decoding it would need width×height bytes.
 */
export function hugePngHeader(width = 30000, height = 30000): Buffer {
  const ihdr = Buffer.alloc(13)
  ihdr.writeUInt32BE(width, 0)
  ihdr.writeUInt32BE(height, 4)
  ihdr[8] = 8 // bit depth
  ihdr[9] = 0 // gray
  return Buffer.concat([
    Buffer.from('\x89PNG\r\n\x1a\n', 'latin1'),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(Buffer.alloc(width + 1))), // one row of zeros
    chunk('IEND', new Uint8Array(0))
  ])
}

/**
 * An uncompressed 8-bit palette TIFF (PhotometricInterpretation 3) with an identity gray colour map,
 * like 23 of JAFFE's files: the pixel values are indices whose palette entries are gray levels.
 */
export function paletteTiff(gray: Uint8Array, width: number, height: number): Buffer {
  const entries: [number, number, number, number][] = [] // tag, type, count, value/offset
  const ifdOffset = 8
  const nTags = 10
  const ifdSize = 2 + nTags * 12 + 4
  const cmapOffset = ifdOffset + ifdSize
  const dataOffset = cmapOffset + 3 * 256 * 2
  entries.push([256, 3, 1, width]) // ImageWidth
  entries.push([257, 3, 1, height]) // ImageLength
  entries.push([258, 3, 1, 8]) // BitsPerSample
  entries.push([259, 3, 1, 1]) // Compression: none
  entries.push([262, 3, 1, 3]) // Photometric: palette
  entries.push([273, 4, 1, dataOffset]) // StripOffsets
  entries.push([277, 3, 1, 1]) // SamplesPerPixel
  entries.push([278, 3, 1, height]) // RowsPerStrip
  entries.push([279, 4, 1, width * height]) // StripByteCounts
  entries.push([320, 3, 3 * 256, cmapOffset]) // ColorMap
  const buf = Buffer.alloc(dataOffset + width * height)
  buf.write('II', 0, 'latin1')
  buf.writeUInt16LE(42, 2)
  buf.writeUInt32LE(ifdOffset, 4)
  buf.writeUInt16LE(nTags, ifdOffset)
  entries.forEach(([tag, type, count, value], i) => {
    const o = ifdOffset + 2 + i * 12
    buf.writeUInt16LE(tag, o)
    buf.writeUInt16LE(type, o + 2)
    buf.writeUInt32LE(count, o + 4)
    if (type === 3 && count === 1) buf.writeUInt16LE(value, o + 8)
    else buf.writeUInt32LE(value, o + 8)
  })
  buf.writeUInt32LE(0, ifdOffset + 2 + nTags * 12) // no next IFD
  for (let ch = 0; ch < 3; ch++)
    for (let i = 0; i < 256; i++) buf.writeUInt16LE(i * 257, cmapOffset + (ch * 256 + i) * 2)
  Buffer.from(gray).copy(buf, dataOffset)
  return buf
}

/**
 * Writes `root/<split?>/<class>/<class>_<i>.<ext>` for each class count; returns the relative paths
 * in the order written. Seeds are unique per image (seedBase + running index).
 */
export async function makeClassFolders(
  root: string,
  counts: Record<string, number>,
  opts: { split?: string; format?: Format; seedBase?: number; size?: number; channels?: 1 | 3 } = {}
): Promise<string[]> {
  const rels: string[] = []
  let seed = opts.seedBase ?? 1
  const ext = { jpeg: 'jpg', png: 'png', tiff: 'tif', webp: 'webp' }[opts.format ?? 'jpeg']
  for (const [cls, n] of Object.entries(counts)) {
    for (let i = 0; i < n; i++) {
      const rel = [opts.split, cls, `${cls}_${i}.${ext}`].filter(Boolean).join('/')
      await writeImage(join(root, rel), seed++, opts.format ?? 'jpeg', opts.size ?? 48, opts.channels ?? 1)
      rels.push(rel)
    }
  }
  return rels
}

/** A CSV body from rows (no quoting needed for the fixtures). */
export function csv(rows: (string | number)[][], delimiter = ',', eol = '\n'): string {
  return rows.map((r) => r.join(delimiter)).join(eol) + eol
}

/** Hard-links every file under `from` into `to` (a cheap, independent copy of a dataset tree). */
export function linkTree(from: string, to: string): void {
  mkdirSync(to, { recursive: true })
  for (const e of readdirSync(from)) {
    const src = join(from, e)
    if (statSync(src).isDirectory()) linkTree(src, join(to, e))
    else linkSync(src, join(to, e))
  }
}
