/**
 * Decoding untrusted image files with sharp, one file at a time, never throwing: every failure comes
 * back as a reason the import report and the curator can read.
 *
 * Order of defences (../shared/notes/security.md §5.1):
 * 1. the caller refuses non-regular files and files over `maxBytes` before reading them;
 * 2. the format is sniffed from the first bytes (never the file name) against an allow-list —
 *    SVG (can carry script), PDF, HEIF/AVIF, GIF, BMP, … are refused before any decoder runs;
 * 3. sharp decodes with `limitInputPixels` (checked against the header before any pixel buffer is
 *    allocated, so a 30000×30000 "bomb" costs nothing) and `failOn: 'error'` (truncated or corrupt
 *    data is an error, not a grey half-image), applying the EXIF orientation;
 * 4. the result is normalised to 8-bit gray or RGB: alpha is flattened onto white, 16-bit samples are
 *    scaled to 8 bits, and RGB images whose three channels are identical (palette TIFFs with an
 *    identity gray palette, gray JPEGs saved as RGB) become 1-channel gray.
 */
import sharp from 'sharp'
import type { RawPixels } from './hash'

/** Formats we decode. */
export const ALLOWED_FORMATS = ['jpeg', 'png', 'tiff', 'webp'] as const
export type ImageFormat = (typeof ALLOWED_FORMATS)[number]

/** What the first bytes say a file is (null: nothing we recognise). */
export type SniffedFormat =
  ImageFormat | 'gif' | 'bmp' | 'svg' | 'pdf' | 'heif' | 'avif' | 'jxl' | 'ico' | 'psd' | 'bigtiff'

export interface DecodeLimits {
  /** Largest file accepted, in bytes. */
  maxBytes: number
  /** Largest width×height accepted (sharp's limitInputPixels). */
  maxPixels: number
}

export const DEFAULT_LIMITS: DecodeLimits = { maxBytes: 64 * 1024 * 1024, maxPixels: 100_000_000 }

/** A decoded image: 8-bit pixels, HWC, orientation applied. */
export interface DecodedImage extends RawPixels {
  format: ImageFormat
}

export type DecodeOutcome =
  { ok: true; image: DecodedImage } | { ok: false; format: SniffedFormat | null; reason: string }

function ascii(b: Uint8Array, start: number, len: number): string {
  return Buffer.from(b.buffer, b.byteOffset + start, Math.max(0, Math.min(len, b.length - start))).toString('latin1')
}

/** Identifies a file by its magic bytes. */
export function sniffFormat(b: Uint8Array): SniffedFormat | null {
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'jpeg'
  if (b.length >= 8 && ascii(b, 0, 8) === '\x89PNG\r\n\x1a\n') return 'png'
  const h4 = ascii(b, 0, 4)
  if (h4 === 'II*\0' || h4 === 'MM\0*') return 'tiff'
  if (h4 === 'II+\0' || h4 === 'MM\0+') return 'bigtiff'
  if (h4 === 'RIFF' && ascii(b, 8, 4) === 'WEBP') return 'webp'
  if (h4 === 'GIF8') return 'gif'
  if (h4 === '%PDF') return 'pdf'
  if (h4 === '8BPS') return 'psd'
  if (b.length >= 2 && b[0] === 0x42 && b[1] === 0x4d) return 'bmp'
  if (b.length >= 4 && b[0] === 0 && b[1] === 0 && b[2] === 1 && b[3] === 0) return 'ico'
  if ((b.length >= 2 && b[0] === 0xff && b[1] === 0x0a) || ascii(b, 4, 8) === 'JXL \r\n\x87\n') return 'jxl'
  if (ascii(b, 4, 4) === 'ftyp') {
    const brand = ascii(b, 8, 4)
    return brand === 'avif' || brand === 'avis' ? 'avif' : 'heif'
  }
  // SVG/XML: text that opens with a tag, after an optional BOM and whitespace.
  const head = ascii(b, 0, 512)
    .replace(/^\xef\xbb\xbf/, '')
    .trimStart()
    .toLowerCase()
  if (head.startsWith('<svg') || (head.startsWith('<?xml') && head.includes('<svg'))) return 'svg'
  return null
}

function isAllowed(f: SniffedFormat | null): f is ImageFormat {
  return f !== null && (ALLOWED_FORMATS as readonly string[]).includes(f)
}

/** Collapses RGB to gray when all three channels agree everywhere. */
function collapseGray(data: Buffer, n: number): Uint8Array | null {
  for (let i = 0, j = 0; i < n; i++, j += 3) if (data[j] !== data[j + 1] || data[j] !== data[j + 2]) return null
  const out = new Uint8Array(n)
  for (let i = 0, j = 0; i < n; i++, j += 3) out[i] = data[j]
  return out
}

/**
 * True when the header says the image is gray (JPEG with one component, PNG colour type 0 or 4), so
 * it can be decoded straight to 1 channel — FER2013/CK+ are all gray and this halves the decode cost.
 * False means "not known to be gray" (the RGB path then collapses gray-looking RGB itself).
 */
export function headerIsGray(b: Uint8Array, format: ImageFormat): boolean {
  if (format === 'png') return b.length > 25 && (b[25] === 0 || b[25] === 4)
  if (format !== 'jpeg') return false
  let i = 2
  while (i + 9 < b.length && b[i] === 0xff) {
    const m = b[i + 1]
    if (m === 0xda || m === 0xd9) return false
    // SOF0-3, 5-7, 9-11, 13-15: the component count follows precision, height and width.
    if (m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc) return b[i + 9] === 1
    i += 2 + ((b[i + 2] << 8) | b[i + 3])
  }
  return false
}

function describe(e: unknown): string {
  return ((e as Error)?.message ?? String(e)).split('\n')[0].trim()
}

/**
 * Decodes one file's bytes. Never throws for bad input; the reason names what was wrong
 * ("unsupported format svg", "truncated or corrupt: …", "30000×30000 = 900.0 MP exceeds the 100 MP limit").
 */
export async function decodeImage(bytes: Uint8Array, limits: DecodeLimits = DEFAULT_LIMITS): Promise<DecodeOutcome> {
  if (bytes.length === 0) return { ok: false, format: null, reason: 'empty file (0 bytes)' }
  if (bytes.length > limits.maxBytes) {
    return { ok: false, format: null, reason: `file too large (${bytes.length} bytes > ${limits.maxBytes})` }
  }
  const format = sniffFormat(bytes)
  if (!isAllowed(format)) {
    return {
      ok: false,
      format,
      reason: format
        ? `unsupported format ${format} (allowed: ${ALLOWED_FORMATS.join(', ')})`
        : `not an image (unrecognised header; allowed: ${ALLOWED_FORMATS.join(', ')})`
    }
  }
  const input = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length)
  const gray = headerIsGray(bytes, format)
  const run = () =>
    sharp(input, { failOn: 'error', limitInputPixels: limits.maxPixels, autoOrient: true })
      .flatten({ background: { r: 255, g: 255, b: 255 } })
      .toColourspace(gray ? 'b-w' : 'srgb')
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true })
  try {
    const { data, info } = await run()
    const n = info.width * info.height
    let pixels: Uint8Array
    let channels: 1 | 3
    if (info.channels === 1) {
      pixels = data
      channels = 1
    } else if (info.channels === 3) {
      const collapsed = collapseGray(data, n)
      pixels = collapsed ?? data
      channels = collapsed ? 1 : 3
    } else {
      return { ok: false, format, reason: `unexpected ${info.channels}-channel output after normalisation` }
    }
    return { ok: true, image: { format, data: pixels, width: info.width, height: info.height, channels } }
  } catch (e) {
    let msg = describe(e)
    // libvips keeps error text per thread; under concurrency it sometimes comes back empty. Once more
    // alone usually gives the real message (the failure itself is deterministic).
    if (/unknown error/i.test(msg))
      msg = await run().then(
        () => msg,
        (e2: unknown) => describe(e2)
      )
    return failure(input, format, msg, limits)
  }
}

function endsWithMarker(b: Uint8Array, format: ImageFormat): boolean | null {
  if (format === 'jpeg') {
    for (let i = b.length - 2; i >= Math.max(0, b.length - 64); i--) if (b[i] === 0xff && b[i + 1] === 0xd9) return true
    return false
  }
  if (format === 'png')
    return Buffer.from(b.buffer, b.byteOffset, b.length).includes('IEND', Math.max(0, b.length - 64), 'latin1')
  return null
}

async function failure(input: Buffer, format: ImageFormat, msg: string, limits: DecodeLimits): Promise<DecodeOutcome> {
  if (/pixel limit/i.test(msg)) {
    // Header-only read, to say how big; sharp's metadata() never allocates the pixel buffer.
    const meta = await sharp(input, { limitInputPixels: false })
      .metadata()
      .catch(() => null)
    if (meta?.width && meta?.height) {
      const mp = (meta.width * meta.height) / 1e6
      return {
        ok: false,
        format,
        reason: `${meta.width}×${meta.height} = ${mp.toFixed(1)} MP exceeds the ${limits.maxPixels / 1e6} MP limit`
      }
    }
    return { ok: false, format, reason: `image exceeds the ${limits.maxPixels / 1e6} MP limit` }
  }
  if (
    /premature end|truncat|unexpected end|short read|read error|out of data/i.test(msg) ||
    endsWithMarker(input, format) === false
  ) {
    return { ok: false, format, reason: `truncated or corrupt ${format}: ${msg}` }
  }
  return { ok: false, format, reason: `cannot decode ${format}: ${msg}` }
}

/**
 * Reads the header only (no pixel allocation) and checks the pixel budget: the cheap first gate for
 * callers that want dimensions before committing to a decode.
 */
export async function probeImage(
  bytes: Uint8Array,
  limits: DecodeLimits = DEFAULT_LIMITS
): Promise<{ ok: true; format: ImageFormat; width: number; height: number } | { ok: false; reason: string }> {
  const format = sniffFormat(bytes)
  if (!isAllowed(format)) return { ok: false, reason: format ? `unsupported format ${format}` : 'not an image' }
  try {
    const m = await sharp(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length), {
      limitInputPixels: false
    }).metadata()
    const w = m.autoOrient?.width ?? m.width ?? 0
    const h = m.autoOrient?.height ?? m.height ?? 0
    if (w * h > limits.maxPixels) {
      return {
        ok: false,
        reason: `${w}×${h} = ${((w * h) / 1e6).toFixed(1)} MP exceeds the ${limits.maxPixels / 1e6} MP limit`
      }
    }
    return { ok: true, format, width: w, height: h }
  } catch (e) {
    return { ok: false, reason: `cannot read ${format} header: ${describe(e)}` }
  }
}
