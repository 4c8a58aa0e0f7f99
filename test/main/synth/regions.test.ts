/**
 * Region faithfulness: eye AUs change only the upper face and mouth AUs only the lower face, so the
 * POI eye branch (top corners) and mouth branch (bottom corners) see the AUs the prior assigns them.
 */
import { describe, expect, it } from 'vitest'
import { AU_PRIOR, CANONICAL_CLASSES, EYE_AUS, MOUTH_AUS } from '../../../src-main/core/classes'
import { Rng, hashSeed } from '../../../src-main/core/util/rng'
import { sampleFaceParams } from '../../../src-main/core/synth/sample'
import { zeroAus, type AuId, type FaceParams } from '../../../src-main/core/synth/params'
import { renderFaceRaw, type RawImage } from '../../../src-main/core/synth/render'

/** First and last row (inclusive) where two images differ, and the number of differing pixels. */
function changedRows(a: RawImage, b: RawImage): { first: number; last: number; count: number } {
  const rowLen = a.width * a.channels
  let first = -1
  let last = -1
  let count = 0
  for (let i = 0; i < a.data.length; i++) {
    if (a.data[i] !== b.data[i]) {
      const y = Math.floor(i / rowLen)
      if (first < 0) first = y
      last = y
      count++
    }
  }
  return { first, last, count }
}

/** Mean |a − b| over rows [y0·H, y1·H). */
function bandDiff(a: RawImage, b: RawImage, y0: number, y1: number): number {
  const rowLen = a.width * a.channels
  let s = 0
  let n = 0
  for (let y = Math.floor(y0 * a.height); y < Math.floor(y1 * a.height); y++) {
    for (let i = y * rowLen; i < (y + 1) * rowLen; i++) {
      s += Math.abs(a.data[i] - b.data[i])
      n++
    }
  }
  return s / n
}

function withAu(p: FaceParams, au: AuId, v: number): FaceParams {
  const aus = zeroAus()
  aus[au] = v
  return { ...p, aus }
}

async function auExtents(
  size: number,
  jitter: number,
  faces: number
): Promise<{ eyeLast: number; mouthFirst: number }> {
  let eyeLast = 0
  let mouthFirst = size
  for (let i = 0; i < faces; i++) {
    const base = sampleFaceParams(new Rng(hashSeed('regions', size, jitter, i)), 'neutral', {
      size,
      jitter,
      distractorRate: 0
    }).params
    const ref = await renderFaceRaw(base)
    for (const au of [...EYE_AUS, ...MOUTH_AUS] as AuId[]) {
      const r = changedRows(await renderFaceRaw(withAu(base, au, 1)), ref)
      // Every AU must visibly act (a few dozen pixels even at 48 px), or the prior could not be learnt.
      expect(r.count, `AU${au} on face ${i} changes ${r.count} pixels`).toBeGreaterThan(size / 2)
      if ((EYE_AUS as readonly number[]).includes(au)) eyeLast = Math.max(eyeLast, r.last)
      else mouthFirst = Math.min(mouthFirst, r.first)
    }
  }
  return { eyeLast, mouthFirst }
}

describe('AU regions', () => {
  it('canonical pose: eye AUs stay above 0.58 H and mouth AUs below 0.6 H, at 64 and 48 px', async () => {
    for (const size of [64, 48]) {
      const { eyeLast, mouthFirst } = await auExtents(size, 0, 3)
      expect(eyeLast, `last row changed by an eye AU at ${size} px`).toBeLessThan(0.58 * size)
      expect(mouthFirst, `first row changed by a mouth AU at ${size} px`).toBeGreaterThanOrEqual(0.6 * size)
    }
  })

  it('random pose, lighting, noise and blur: eye AUs never reach the lower 36 %, mouth AUs never the upper half', async () => {
    const size = 48
    const { eyeLast, mouthFirst } = await auExtents(size, 1, 8)
    // 0.64 H is where the spec's eye corner crop ends (k/H ≈ 0.64, spec §2.6).
    expect(eyeLast).toBeLessThan(0.64 * size)
    expect(mouthFirst).toBeGreaterThanOrEqual(0.5 * size)
  })

  it('each class differs from neutral (same person, pose, light and noise) where its prior AUs are', async () => {
    const size = 64
    const faces = 10
    const eye: Record<string, number> = {}
    const mouth: Record<string, number> = {}
    for (const cls of CANONICAL_CLASSES) {
      eye[cls] = 0
      mouth[cls] = 0
      for (let i = 0; i < faces; i++) {
        const p = sampleFaceParams(new Rng(hashSeed('classes', i)), cls, { size, distractorRate: 0 }).params
        const a = await renderFaceRaw(p)
        const b = await renderFaceRaw({ ...p, aus: zeroAus() })
        eye[cls] += bandDiff(a, b, 0.15, 0.5) / faces
        mouth[cls] += bandDiff(a, b, 0.65, 1) / faces
      }
      const prior = AU_PRIOR[cls]
      if (prior.eye.length === 0) expect(eye[cls], `${cls}: eye band`).toBe(0)
      else expect(eye[cls], `${cls}: eye band`).toBeGreaterThan(0.5)
      if (prior.mouth.length === 0) expect(mouth[cls], `${cls}: mouth band`).toBe(0)
      else expect(mouth[cls], `${cls}: mouth band`).toBeGreaterThan(0.3)
    }
    // A smile (AU12 + AU26, with only AU6 above) is mostly a lower-face change …
    expect(mouth.happiness).toBeGreaterThan(2.5 * eye.happiness)
    // … a frown (AU4, with only pressed lips below) mostly an upper-face one.
    expect(eye.anger).toBeGreaterThan(2.5 * mouth.anger)
    // Surprise raises brows and lids a lot more than disgust's nose wrinkle does.
    expect(eye.surprise).toBeGreaterThan(eye.disgust)
  })
})
