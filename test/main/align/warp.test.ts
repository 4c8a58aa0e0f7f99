import sharp from 'sharp'
import { describe, expect, it } from 'vitest'
import { applyAffine, eyeAlignTransform, type Affine, type Point } from '../../../src-main/core/align/geometry'
import { checkRawImage, convertChannels, warpAffine, type RawImage } from '../../../src-main/core/align/warp'

function gradient(w: number, h: number, channels: 1 | 3): RawImage {
  const data = new Uint8Array(w * h * channels)
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++)
      for (let c = 0; c < channels; c++) data[(y * w + x) * channels + c] = (x * 7 + y * 3 + c * 50) % 256
  return { data, width: w, height: h, channels }
}

/** Centroid of pixels brighter than 128 inside a window (a rendered dot's centre, continuous coordinates). */
function centroid(img: RawImage, x0: number, y0: number, x1: number, y1: number): Point {
  let sx = 0
  let sy = 0
  let n = 0
  for (let y = Math.max(0, y0); y < Math.min(img.height, y1); y++) {
    for (let x = Math.max(0, x0); x < Math.min(img.width, x1); x++) {
      const v = img.data[(y * img.width + x) * img.channels]
      if (v > 128) {
        sx += (x + 0.5) * v
        sy += (y + 0.5) * v
        n += v
      }
    }
  }
  return { x: sx / n, y: sy / n }
}

describe('warpAffine', () => {
  it('reproduces the image exactly under the identity and integer shifts', () => {
    const img = gradient(23, 17, 3)
    expect(warpAffine(img, [1, 0, 0, 0, 1, 0], 23, 17).data).toEqual(img.data)
    const shifted = warpAffine(img, [1, 0, -5, 0, 1, -3], 10, 8)
    for (let y = 0; y < 8; y++)
      for (let x = 0; x < 10; x++)
        expect(shifted.data[(y * 10 + x) * 3 + 1]).toBe(img.data[((y + 3) * 23 + x + 5) * 3 + 1])
  })

  it('rotates by 90° exactly', () => {
    const img = gradient(12, 12, 1)
    // (x, y) -> (12 - y, x): a quarter turn clockwise on screen inside the same 12×12 frame.
    const out = warpAffine(img, [0, -1, 12, 1, 0, 0], 12, 12)
    for (let y = 0; y < 12; y++)
      for (let x = 0; x < 12; x++) expect(out.data[y * 12 + x]).toBe(img.data[(11 - x) * 12 + y])
  })

  it('fills outside pixels by border mode and keeps output size and channels', () => {
    const img = gradient(8, 8, 1)
    const far: Affine = [1, 0, 100, 0, 1, 100]
    expect(new Set(warpAffine(img, far, 5, 4, { mode: 'constant', value: 7 }).data)).toEqual(new Set([7]))
    const rep = warpAffine(img, far, 5, 4)
    expect(rep.width).toBe(5)
    expect(rep.height).toBe(4)
    expect(rep.channels).toBe(1)
    expect(new Set(rep.data)).toEqual(new Set([img.data[0]]))
  })

  it('prefilters strong downscales: a 1-pixel checkerboard shrunk 4× comes out mid-gray, not aliased', () => {
    const w = 64
    const data = new Uint8Array(w * w)
    for (let y = 0; y < w; y++) for (let x = 0; x < w; x++) data[y * w + x] = (x + y) % 2 ? 255 : 0
    const out = warpAffine({ data, width: w, height: w, channels: 1 }, [0.25, 0, 0, 0, 0.25, 0], 16, 16)
    for (const v of out.data) expect(Math.abs(v - 128)).toBeLessThanOrEqual(20)
  })

  it('moves two rendered dots (eyes) to their canonical positions under eyeAlignTransform', async () => {
    // Dots at a 25° tilt in a 200×160 image, drawn by sharp from SVG: a real raster, not a formula.
    const le = { x: 70, y: 60 }
    const re = { x: 70 + 60 * Math.cos(0.4363), y: 60 + 60 * Math.sin(0.4363) }
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="200" height="160"><rect width="200" height="160" fill="black"/><circle cx="${le.x}" cy="${le.y}" r="4" fill="white"/><circle cx="${re.x}" cy="${re.y}" r="4" fill="white"/></svg>`
    const { data, info } = await sharp(Buffer.from(svg)).removeAlpha().raw().toBuffer({ resolveWithObject: true })
    const img: RawImage = {
      data: new Uint8Array(data),
      width: info.width,
      height: info.height,
      channels: info.channels
    }
    // Where the rasteriser actually put the dots (sub-pixel), measured, not assumed.
    const mL = centroid(img, 55, 45, 85, 75)
    const mR = centroid(img, 110, 70, 145, 105)
    const frame = { eyeDistance: 0.36, eyeY: 0.38 }
    const m = eyeAlignTransform(mL, mR, frame, 112)
    const out = warpAffine(img, m, 112, 112, { mode: 'constant', value: 0 })
    expect(out.width).toBe(112)
    const oL = centroid(out, 0, 20, 56, 65)
    const oR = centroid(out, 56, 20, 112, 65)
    const wantL = applyAffine(m, mL)
    const wantR = applyAffine(m, mR)
    expect(wantL.y).toBeCloseTo(0.38 * 112, 9)
    for (const [got, want] of [
      [oL, wantL],
      [oR, wantR]
    ]) {
      expect(Math.abs(got.x - want.x)).toBeLessThan(0.35)
      expect(Math.abs(got.y - want.y)).toBeLessThan(0.35)
    }
    // The eye line in the output is level to well under a degree.
    expect(Math.abs((Math.atan2(oR.y - oL.y, oR.x - oL.x) * 180) / Math.PI)).toBeLessThan(0.5)
  })
})

describe('pixel buffers', () => {
  it('converts channel layouts', () => {
    const rgba: RawImage = {
      data: new Uint8Array([10, 20, 30, 255, 200, 100, 50, 0]),
      width: 2,
      height: 1,
      channels: 4
    }
    expect(Array.from(convertChannels(rgba, 3).data)).toEqual([10, 20, 30, 200, 100, 50])
    expect(Array.from(convertChannels(rgba, 1).data)).toEqual([
      Math.round(0.299 * 10 + 0.587 * 20 + 0.114 * 30),
      Math.round(0.299 * 200 + 0.587 * 100 + 0.114 * 50)
    ])
    const ga: RawImage = { data: new Uint8Array([9, 255, 77, 0]), width: 2, height: 1, channels: 2 }
    expect(Array.from(convertChannels(ga, 3).data)).toEqual([9, 9, 9, 77, 77, 77])
  })

  it('rejects malformed buffers with a message naming the problem', () => {
    expect(() => checkRawImage({ data: new Uint8Array(11), width: 2, height: 2, channels: 3 })).toThrow(
      /11 bytes for 2×2×3 \(expected 12\)/
    )
    expect(() => checkRawImage({ data: new Uint8Array(10), width: 2, height: 1, channels: 5 })).toThrow(
      /channel count 5/
    )
    expect(() => checkRawImage({ data: new Uint8Array(0), width: 0, height: 1, channels: 1 })).toThrow(/invalid size/)
  })
})
