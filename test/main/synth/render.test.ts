import { describe, expect, it } from 'vitest'
import sharp from 'sharp'
import { Rng } from '../../../src-main/core/util/rng'
import { sampleFaceParams } from '../../../src-main/core/synth/sample'
import { renderFace, renderFaceRaw } from '../../../src-main/core/synth/render'
import { faceSvg } from '../../../src-main/core/synth/svg'

describe('renderFace', () => {
  it('is deterministic: same seed, identical PNG bytes; another seed, another image', async () => {
    const a = await renderFace(sampleFaceParams(new Rng(11), 'surprise').params)
    const b = await renderFace(sampleFaceParams(new Rng(11), 'surprise').params)
    const c = await renderFace(sampleFaceParams(new Rng(12), 'surprise').params)
    expect(a.equals(b)).toBe(true)
    expect(a.equals(c)).toBe(false)
  })

  it('writes 64×64 grey by default, and works at 48 grey and 112 RGB', async () => {
    for (const [size, channels] of [
      [64, 1],
      [48, 1],
      [112, 3]
    ] as const) {
      const opts = size === 64 ? {} : { size, channels }
      const png = await renderFace(sampleFaceParams(new Rng(size), 'happiness', opts).params)
      const meta = await sharp(png).metadata()
      expect(meta.format).toBe('png')
      expect([meta.width, meta.height, meta.channels]).toEqual([size, size, channels])
      const { data } = await sharp(png).raw().toBuffer({ resolveWithObject: true })
      // A real picture, not a flat fill: a face against a background spans a wide range of values.
      let lo = 255
      let hi = 0
      for (const v of data) {
        lo = Math.min(lo, v)
        hi = Math.max(hi, v)
      }
      expect(hi - lo).toBeGreaterThan(100)
    }
  })

  it('RGB faces are in colour and grey faces are their luma', async () => {
    const p = sampleFaceParams(new Rng(5), 'neutral', { size: 48, channels: 3, jitter: 0 }).params
    const rgb = await renderFaceRaw(p)
    let chroma = 0
    for (let i = 0; i < rgb.data.length; i += 3) chroma += Math.abs(rgb.data[i] - rgb.data[i + 2])
    expect(chroma / (48 * 48)).toBeGreaterThan(5)
    const grey = await renderFaceRaw({ ...p, channels: 1 })
    let err = 0
    for (let i = 0; i < 48 * 48; i++) {
      err += Math.abs(
        grey.data[i] - (0.299 * rgb.data[3 * i] + 0.587 * rgb.data[3 * i + 1] + 0.114 * rgb.data[3 * i + 2])
      )
    }
    expect(err / (48 * 48)).toBeLessThan(1)
  })

  it('applies noise from its own seed: noise seed changes pixels, nothing else does', async () => {
    const p = sampleFaceParams(new Rng(3), 'anger', { size: 48 }).params
    const noisy = { ...p, noise: { ...p.noise, sigma: 6, blur: 0 } }
    const a = await renderFaceRaw(noisy)
    const b = await renderFaceRaw({ ...noisy, noise: { ...noisy.noise, seed: noisy.noise.seed + 1 } })
    let diff = 0
    for (let i = 0; i < a.data.length; i++) diff += Math.abs(a.data[i] - b.data[i])
    expect(diff / a.data.length).toBeGreaterThan(2)
    expect(faceSvg(noisy)).toBe(faceSvg({ ...noisy, noise: { ...noisy.noise, seed: 1 } }))
  })

  it('rejects bad parameters with a message naming the value', async () => {
    const p = sampleFaceParams(new Rng(1), 'neutral').params
    await expect(renderFace({ ...p, size: 8 })).rejects.toThrow(/size .* got 8/)
    await expect(renderFace({ ...p, channels: 2 as 1 })).rejects.toThrow(/channels .* got 2/)
    await expect(renderFace({ ...p, aus: { ...p.aus, 12: 1.5 } })).rejects.toThrow(/AU12 .* got 1.5/)
    await expect(renderFace({ ...p, noise: { ...p.noise, blur: 0.1 } })).rejects.toThrow(/blur 0.1/)
  })
})
