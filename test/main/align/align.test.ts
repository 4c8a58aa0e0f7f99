import sharp from 'sharp'
import { beforeAll, describe, expect, it } from 'vitest'
import { alignFace, CANONICAL_FRAME } from '../../../src-main/core/align/align'
import { angleDeg, applyAffine, distance, keyPoints } from '../../../src-main/core/align/geometry'
import { makePrepareFace, parseAlignMode } from '../../../src-main/core/align/prepare'
import type { RawImage } from '../../../src-main/core/align/warp'
import { ensureTfBackend, tf } from '../../../src-main/core/faceapi/index'
import { renderFaceRaw, Rng, sampleFaceParams } from '../../../src-main/core/synth/index'

async function raw(input: ReturnType<typeof sharp>): Promise<RawImage> {
  const { data, info } = await input.removeAlpha().raw().toBuffer({ resolveWithObject: true })
  return { data: new Uint8Array(data), width: info.width, height: info.height, channels: info.channels }
}

/** A synthetic face from the project's generator (frontal, no jitter), RGB, size×size. */
async function synthFace(seed: number, size: number): Promise<RawImage> {
  const { params } = sampleFaceParams(new Rng(seed), 'happiness', { size, channels: 3, jitter: 0 })
  const r = await renderFaceRaw(params)
  return { data: new Uint8Array(r.data), width: r.width, height: r.height, channels: r.channels }
}

const png = (img: RawImage) =>
  sharp(Buffer.from(img.data), { raw: { width: img.width, height: img.height, channels: img.channels as 3 } })
    .png()
    .toBuffer()

/** Faces pasted onto a flat canvas at the given places. */
async function scene(
  w: number,
  h: number,
  faces: { img: RawImage; left: number; top: number; rotate?: number }[]
): Promise<RawImage> {
  const layers = []
  for (const f of faces) {
    let s = sharp(await png(f.img))
    if (f.rotate) s = s.rotate(f.rotate, { background: { r: 96, g: 112, b: 120 } })
    layers.push({ input: await s.png().toBuffer(), left: f.left, top: f.top })
  }
  return raw(
    sharp({ create: { width: w, height: h, channels: 3, background: { r: 96, g: 112, b: 120 } } }).composite(layers)
  )
}

/** Eye line of an aligned crop as the detector + landmark net see it on a fresh run. */
async function recheck(crop: RawImage) {
  const r = await alignFace(crop, { mode: 'always' })
  expect(r.landmarks, 'no face found again in the aligned crop').not.toBeNull()
  const k = keyPoints(r.landmarks!)
  return { angle: angleDeg(k.leftEye, k.rightEye), eyeDistance: distance(k.leftEye, k.rightEye) / crop.width }
}

beforeAll(async () => {
  await ensureTfBackend()
})

describe('alignFace on images without a face', () => {
  it.each([
    [
      'uniform noise',
      async () =>
        raw(
          sharp(Buffer.from(Array.from({ length: 200 * 150 * 3 }, (_, i) => (i * 2654435761) % 251)), {
            raw: { width: 200, height: 150, channels: 3 }
          })
        )
    ],
    [
      'a plain colour',
      async () =>
        raw(sharp({ create: { width: 240, height: 180, channels: 3, background: { r: 200, g: 120, b: 40 } } }))
    ],
    [
      'rendered text',
      async () =>
        raw(
          sharp(
            Buffer.from(
              '<svg xmlns="http://www.w3.org/2000/svg" width="320" height="120"><rect width="320" height="120" fill="white"/><text x="10" y="70" font-size="40" font-family="sans-serif">Label audit 2024</text></svg>'
            )
          )
        )
    ]
  ])('%s → no-face, pixels passed through untouched', async (_name, make) => {
    const img = await make()
    const copy = img.data.slice()
    for (const mode of ['auto', 'always'] as const) {
      const r = await alignFace(img, { mode })
      expect(r.status).toBe('no-face')
      expect(r.facesFound).toBe(0)
      expect(r.image).toBe(img)
      expect(r.box).toBeNull()
      expect(r.transform).toBeNull()
    }
    expect(img.data).toEqual(copy)
  })

  it('a faceless image of a known crop size counts as already aligned in auto mode only', async () => {
    const img = await raw(
      sharp({ create: { width: 48, height: 48, channels: 3, background: { r: 128, g: 128, b: 128 } } })
    )
    const auto = await alignFace(img, { mode: 'auto' })
    expect(auto.status).toBe('already-aligned')
    expect(auto.facesFound).toBe(0)
    expect(auto.image).toBe(img)
    expect((await alignFace(img, { mode: 'always' })).status).toBe('no-face')
  })

  it("mode 'never' does no detection and hands the pixels back", async () => {
    const img = await synthFace(3, 96)
    const before = tf.memory().numTensors
    const r = await alignFace(img, { mode: 'never' })
    expect(r.status).toBe('skipped')
    expect(r.image).toBe(img)
    expect(r.detector).toBeNull()
    expect(tf.memory().numTensors).toBe(before)
  })
})

describe('alignFace on synthetic faces', () => {
  it('finds a face in a larger scene, levels a 14° head tilt and frames it canonically', async () => {
    const face = await synthFace(5, 128)
    const img = await scene(360, 300, [{ img: face, left: 90, top: 50, rotate: 14 }])
    const r = await alignFace(img, { mode: 'auto', outSize: 112 })
    expect(r.status).toBe('aligned')
    expect(r.detScore!).toBeGreaterThan(0.5)
    expect(r.facesFound).toBe(1)
    expect(r.landmarks).toHaveLength(68)
    expect(r.image.width).toBe(112)
    expect(r.image.height).toBe(112)
    expect(r.image.channels).toBe(3)
    // The face box lies where the face was pasted.
    expect(r.box!.x).toBeGreaterThan(80)
    expect(r.box!.x + r.box!.width).toBeLessThan(90 + 160)
    // The source eye line was tilted by about +14° (clockwise on screen), so the crop rotates it back.
    const k = keyPoints(r.landmarks!)
    expect(angleDeg(k.leftEye, k.rightEye)).toBeGreaterThan(9)
    expect(angleDeg(k.leftEye, k.rightEye)).toBeLessThan(19)
    const le = applyAffine(r.transform!, k.leftEye)
    const re = applyAffine(r.transform!, k.rightEye)
    expect(le.y).toBeCloseTo(CANONICAL_FRAME.eyeY * 112, 6)
    expect(re.x - le.x).toBeCloseTo(CANONICAL_FRAME.eyeDistance * 112, 6)
    // Independent check: detect again on the crop.
    const again = await recheck(r.image)
    expect(Math.abs(again.angle)).toBeLessThan(3)
    expect(Math.abs(again.eyeDistance / CANONICAL_FRAME.eyeDistance - 1)).toBeLessThan(0.08)
  })

  it('two faces side by side → several-faces, aligned on the larger one', async () => {
    const small = await synthFace(11, 100)
    const large = await synthFace(12, 150)
    const img = await scene(420, 240, [
      { img: small, left: 20, top: 70 },
      { img: large, left: 240, top: 40 }
    ])
    const r = await alignFace(img, { mode: 'auto' })
    expect(r.status).toBe('several-faces')
    expect(r.facesFound).toBe(2)
    expect(r.box!.x).toBeGreaterThan(200)
    expect(r.box!.width).toBeGreaterThan(100)
    expect(r.image.width).toBe(112)
  })

  it('passes a tight face crop through in auto mode and aligns it in always mode', async () => {
    const face = await synthFace(7, 96)
    const auto = await alignFace(face, { mode: 'auto' })
    expect(auto.status).toBe('already-aligned')
    expect(auto.image).toBe(face)
    expect(auto.transform).toBeNull()
    expect(auto.facesFound).toBe(1)
    const always = await alignFace(face, { mode: 'always', outSize: 64, channels: 1 })
    expect(always.status).toBe('aligned')
    expect(always.image.width).toBe(64)
    expect(always.image.channels).toBe(1)
  })

  it('keeps gray sources gray, honours margin, and returns every tensor it made', async () => {
    const face = await synthFace(9, 128)
    const grayImg = await scene(300, 260, [{ img: face, left: 80, top: 60 }]).then((i) =>
      raw(sharp(Buffer.from(i.data), { raw: { width: 300, height: 260, channels: 3 } }).grayscale())
    )
    expect(grayImg.channels).toBe(1)
    const small = await synthFace(10, 96)
    const noFace = { data: new Uint8Array(64 * 64).fill(90), width: 64, height: 64, channels: 1 }
    // Build the nets of every path first (large, small padded, faceless); their weights are the baseline.
    for (const img of [grayImg, small, noFace]) await alignFace(img, { mode: 'always' })
    const before = tf.memory().numTensors
    const r0 = await alignFace(grayImg, { outSize: 100 })
    const r1 = await alignFace(grayImg, { outSize: 100, margin: 0.25 })
    for (const mode of ['auto', 'always'] as const) {
      await alignFace(small, { mode })
      await alignFace(noFace, { mode })
    }
    expect(tf.memory().numTensors).toBe(before)
    expect(r0.image.channels).toBe(1)
    const eyes = (t: typeof r0) => {
      const k = keyPoints(t.landmarks!)
      return distance(applyAffine(t.transform!, k.leftEye), applyAffine(t.transform!, k.rightEye))
    }
    expect(eyes(r0)).toBeCloseTo(36, 6)
    expect(eyes(r1)).toBeCloseTo(36 / 1.5, 6)
  })

  it('the import hook returns cache pixels plus the record, and rejects bad modes and buffers', async () => {
    const face = await synthFace(13, 128)
    const img = await scene(320, 260, [{ img: face, left: 100, top: 70 }])
    const prep = makePrepareFace('always')
    const out = await prep(img)
    expect(out.face.status).toBe('aligned')
    expect(out.pixels).toBe(out.face.image)
    expect(out.pixels.width).toBe(112)
    // A face box given by the source replaces detection.
    const hinted = await prep(img, { faceBox: [100, 70, 128, 128] })
    expect(hinted.face.detector).toBe('source-box')
    expect(hinted.face.detScore).toBeNull()
    expect(hinted.face.status).toBe('aligned')
    const k = keyPoints(hinted.face.landmarks!)
    expect(Math.abs(angleDeg(k.leftEye, k.rightEye))).toBeLessThan(5)
    await expect(prep(img, { faceBox: [400, 10, 50, 50] })).rejects.toThrow(
      /faceBox \[400, 10, 50, 50\] is empty or outside the 320×260 image/
    )
    expect(parseAlignMode('never')).toBe('never')
    expect(() => parseAlignMode('sometimes')).toThrow(/--align must be auto, always or never \(got 'sometimes'\)/)
    await expect(prep({ data: new Uint8Array(5), width: 2, height: 2, channels: 3 })).rejects.toThrow(
      /5 bytes for 2×2×3/
    )
  })
})
