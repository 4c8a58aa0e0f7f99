import { describe, expect, it } from 'vitest'
import sharp from 'sharp'
import { decodeImage, headerIsGray, probeImage, sniffFormat } from '../../../src-main/core/dataset/decode'
import { hamming, hashPixels, phashWords, sigDistance } from '../../../src-main/core/dataset/hash'
import { blobImage, encode, hugePngHeader, paletteTiff, truncated } from '../../fixtures-gen/images'

describe('format sniffing', () => {
  it('recognises formats by their bytes, not their names', async () => {
    const px = blobImage(1)
    expect(sniffFormat(await encode(px, 'jpeg'))).toBe('jpeg')
    expect(sniffFormat(await encode(px, 'png'))).toBe('png')
    expect(sniffFormat(await encode(px, 'tiff'))).toBe('tiff')
    expect(sniffFormat(await encode(px, 'webp'))).toBe('webp')
    expect(sniffFormat(Buffer.from('<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>'))).toBe('svg')
    expect(sniffFormat(Buffer.from('%PDF-1.7\n'))).toBe('pdf')
    expect(sniffFormat(Buffer.from('GIF89a....'))).toBe('gif')
    expect(sniffFormat(Buffer.from('\0\0\0\x18ftypheic', 'latin1'))).toBe('heif')
    expect(sniffFormat(Buffer.from('hello, I am text'))).toBeNull()
  })
})

describe('decodeImage', () => {
  it('decodes gray and colour images of every allowed format to 8-bit HWC', async () => {
    const gray = blobImage(2, 40, 30, 1)
    for (const f of ['png', 'tiff', 'webp'] as const) {
      const r = await decodeImage(await encode(gray, f))
      expect(r.ok, f).toBe(true)
      if (!r.ok) continue
      expect([r.image.format, r.image.width, r.image.height, r.image.channels]).toEqual([f, 40, 30, 1])
      expect(Buffer.from(r.image.data).equals(Buffer.from(gray.data))).toBe(true)
    }
    const rgb = blobImage(3, 32, 32, 3)
    const r = await decodeImage(await encode(rgb, 'png'))
    expect(r.ok && r.image.channels).toBe(3)
    const jpg = await encode(gray, 'jpeg')
    expect(headerIsGray(jpg, 'jpeg')).toBe(true)
    expect(headerIsGray(await encode(rgb, 'jpeg'), 'jpeg')).toBe(false)
    const j = await decodeImage(jpg)
    expect(j.ok && j.image.channels).toBe(1)
  })

  it('refuses a truncated JPEG with a reason instead of a grey half-image', async () => {
    const jpg = await encode(blobImage(4, 64, 64), 'jpeg')
    const r = await decodeImage(truncated(jpg, 0.6))
    expect(r.ok).toBe(false)
    if (!r.ok) expect(r.reason).toMatch(/truncated or corrupt jpeg|premature end/i)
  })

  it('refuses text named like an image, SVG, and empty files', async () => {
    const text = await decodeImage(Buffer.from('this is a text file, not a PNG\n'))
    expect(text).toMatchObject({ ok: false, format: null })
    if (!text.ok) expect(text.reason).toMatch(/not an image/)
    const svg = await decodeImage(
      Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>')
    )
    expect(svg.ok).toBe(false)
    if (!svg.ok) expect(svg.reason).toMatch(/unsupported format svg/)
    const empty = await decodeImage(Buffer.alloc(0))
    expect(empty.ok).toBe(false)
  })

  it('refuses a 30000×30000 PNG header at header time, without allocating its pixels', async () => {
    const bomb = hugePngHeader(30000, 30000)
    expect(bomb.length).toBeLessThan(200_000)
    const rss0 = process.memoryUsage().rss
    const t0 = performance.now()
    const r = await decodeImage(bomb)
    const ms = performance.now() - t0
    expect(r.ok).toBe(false)
    if (!r.ok) expect(r.reason).toMatch(/30000×30000 = 900\.0 MP exceeds the 100 MP limit/)
    // 900 MB would be needed to decode it; a refusal at header time costs next to nothing.
    expect(process.memoryUsage().rss - rss0).toBeLessThan(100 * 1024 * 1024)
    expect(ms).toBeLessThan(5000)
    const probe = await probeImage(bomb)
    expect(probe.ok).toBe(false)
  })

  it('decodes a palette TIFF with an identity gray palette as 1-channel gray (JAFFE)', async () => {
    const gray = blobImage(5, 64, 48, 1)
    const tif = paletteTiff(gray.data, 64, 48)
    expect((await sharp(tif).metadata()).format).toBe('tiff')
    const r = await decodeImage(tif)
    expect(r.ok).toBe(true)
    if (!r.ok) return
    expect([r.image.width, r.image.height, r.image.channels]).toEqual([64, 48, 1])
    expect(Buffer.from(r.image.data).equals(Buffer.from(gray.data))).toBe(true)
  })

  it('applies EXIF orientation, scales 16-bit to 8-bit and flattens alpha', async () => {
    const px = blobImage(6, 40, 20, 3)
    const rotated = await decodeImage(await encode(px, 'jpeg', { orientation: 6 }))
    expect(rotated.ok && [rotated.image.width, rotated.image.height]).toEqual([20, 40])
    const deep = await sharp({ create: { width: 4, height: 4, channels: 3, background: { r: 200, g: 100, b: 50 } } })
      .toColourspace('rgb16')
      .png()
      .toBuffer()
    const d = await decodeImage(deep)
    expect(d.ok && Array.from(d.image.data.subarray(0, 3))).toEqual([200, 100, 50])
    const gray16 = await sharp({ create: { width: 4, height: 4, channels: 3, background: { r: 90, g: 90, b: 90 } } })
      .toColourspace('grey16')
      .png()
      .toBuffer()
    const g = await decodeImage(gray16)
    expect(g.ok && [g.image.channels, g.image.data[0]]).toEqual([1, 90])
    const alpha = await sharp({
      create: { width: 4, height: 4, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 0 } }
    })
      .png()
      .toBuffer()
    const a = await decodeImage(alpha)
    expect(a.ok && [a.image.channels, a.image.data[0]]).toEqual([1, 255])
  })
})

describe('pixel hashes', () => {
  it('match across lossless re-encodes, stay near after a JPEG re-encode, and differ between images', async () => {
    const px = blobImage(7, 48, 48, 1)
    const dec = async (b: Buffer) => {
      const r = await decodeImage(b)
      if (!r.ok) throw new Error(r.reason)
      return hashPixels(r.image)
    }
    const png = await dec(await encode(px, 'png'))
    const tif = await dec(await encode(px, 'tiff'))
    const jpg = await dec(await encode(px, 'jpeg', { quality: 90 }))
    const other = await dec(await encode(blobImage(8, 48, 48, 1), 'png'))
    expect(tif.pixelHash).toBe(png.pixelHash)
    expect(jpg.pixelHash).not.toBe(png.pixelHash)
    expect(hamming(phashWords(jpg.phash), phashWords(png.phash))).toBeLessThanOrEqual(5)
    expect(sigDistance(jpg.sig, png.sig)).toBeLessThanOrEqual(2)
    expect(other.pixelHash).not.toBe(png.pixelHash)
    expect(sigDistance(other.sig, png.sig)).toBeGreaterThan(2)
    expect(png.uniform).toBe(false)
    expect(hashPixels({ data: new Uint8Array(48 * 48).fill(0), width: 48, height: 48, channels: 1 }).uniform).toBe(true)
  })

  it('gives a 2× nearest-neighbour upscale the same pixel hash', () => {
    const px = blobImage(9, 24, 24, 1)
    const up = new Uint8Array(48 * 48)
    for (let y = 0; y < 48; y++) for (let x = 0; x < 48; x++) up[y * 48 + x] = px.data[(y >> 1) * 24 + (x >> 1)]
    expect(hashPixels({ data: up, width: 48, height: 48, channels: 1 }).pixelHash).toBe(hashPixels(px).pixelHash)
  })
})
