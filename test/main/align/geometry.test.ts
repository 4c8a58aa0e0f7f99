import { describe, expect, it } from 'vitest'
import {
  affineRotationDeg,
  alignScaleDistance,
  YAW_GUARD_RATIO,
  affineScale,
  angleDeg,
  applyAffine,
  composeAffine,
  distance,
  eyeAlignTransform,
  invertAffine,
  keyPoints,
  withMargin,
  type Affine,
  type Point
} from '../../../src-main/core/align/geometry'

const close = (a: Point, b: Point, tol = 1e-9) => {
  expect(Math.abs(a.x - b.x)).toBeLessThan(tol)
  expect(Math.abs(a.y - b.y)).toBeLessThan(tol)
}

/** A 68-point set for a face whose eye centres are known: eye rings of 6 points, mouth ring of 20. */
function face68(le: Point, re: Point, mouth: Point, r = 3): Point[] {
  const pts: Point[] = Array.from({ length: 68 }, (_, i) => ({ x: 1000 + i, y: -1000 - i }))
  const ring = (c: Point, n: number) =>
    Array.from({ length: n }, (_, k) => ({
      x: c.x + r * Math.cos((2 * Math.PI * k) / n),
      y: c.y + r * Math.sin((2 * Math.PI * k) / n)
    }))
  ring(le, 6).forEach((p, k) => (pts[36 + k] = p))
  ring(re, 6).forEach((p, k) => (pts[42 + k] = p))
  ring(mouth, 20).forEach((p, k) => (pts[48 + k] = p))
  return pts
}

describe('affine maths', () => {
  it('inverts and composes', () => {
    const m: Affine = [1.3, -0.4, 12, 0.5, 0.9, -7]
    const inv = invertAffine(m)
    for (const p of [
      { x: 0, y: 0 },
      { x: 13.5, y: -2 },
      { x: 100, y: 40 }
    ])
      close(applyAffine(inv, applyAffine(m, p)), p, 1e-9)
    const id = composeAffine(inv, m)
    ;[1, 0, 0, 0, 1, 0].forEach((v, i) => expect(id[i]).toBeCloseTo(v, 12))
    expect(() => invertAffine([1, 2, 0, 2, 4, 0])).toThrow(/singular/)
  })

  it('finds eye and mouth centres from 68 and 5 points, and refuses other counts', () => {
    const k = keyPoints(face68({ x: 30, y: 40 }, { x: 70, y: 42 }, { x: 50, y: 80 }))
    close(k.leftEye, { x: 30, y: 40 }, 1e-9)
    close(k.rightEye, { x: 70, y: 42 }, 1e-9)
    close(k.mouth, { x: 50, y: 80 }, 1e-9)
    const k5 = keyPoints([
      { x: 1, y: 2 },
      { x: 5, y: 2 },
      { x: 3, y: 4 },
      { x: 2, y: 6 },
      { x: 4, y: 8 }
    ])
    close(k5.mouth, { x: 3, y: 7 })
    expect(() => keyPoints([{ x: 0, y: 0 }])).toThrow(/68 or 5/)
  })
})

describe('eyeAlignTransform', () => {
  const frame = { eyeDistance: 0.36, eyeY: 0.38 }

  it.each([
    [0, 1],
    [17, 0.5],
    [-30, 2.2],
    [90, 1.7]
  ])('levels eyes tilted by %i° at scale %f and puts them on the canonical spots', (deg, scale) => {
    const out = 112
    const d = (frame.eyeDistance * out) / scale
    const t = (deg * Math.PI) / 180
    const mid = { x: 140, y: 95 }
    const le = { x: mid.x - (d / 2) * Math.cos(t), y: mid.y - (d / 2) * Math.sin(t) }
    const re = { x: mid.x + (d / 2) * Math.cos(t), y: mid.y + (d / 2) * Math.sin(t) }
    expect(angleDeg(le, re)).toBeCloseTo(deg, 9)
    const m = eyeAlignTransform(le, re, frame, out)
    close(applyAffine(m, le), { x: out / 2 - (frame.eyeDistance * out) / 2, y: frame.eyeY * out }, 1e-9)
    close(applyAffine(m, re), { x: out / 2 + (frame.eyeDistance * out) / 2, y: frame.eyeY * out }, 1e-9)
    expect(affineScale(m)).toBeCloseTo(scale, 9)
    expect(affineRotationDeg(m)).toBeCloseTo(-deg, 9)
    // A similarity: no shear, so distances scale uniformly.
    const p = { x: 10, y: 200 }
    expect(distance(applyAffine(m, p), applyAffine(m, mid)) / distance(p, mid)).toBeCloseTo(scale, 9)
  })

  it('keeps the mouth below the eyes for an upright face and refuses coincident eyes', () => {
    const k = keyPoints(face68({ x: 60, y: 50 }, { x: 100, y: 50 }, { x: 80, y: 100 }))
    const m = eyeAlignTransform(k.leftEye, k.rightEye, frame, 112)
    const mouth = applyAffine(m, k.mouth)
    expect(mouth.x).toBeCloseTo(56, 9)
    expect(mouth.y).toBeGreaterThan(frame.eyeY * 112)
    expect(() => eyeAlignTransform({ x: 1, y: 1 }, { x: 1, y: 1 }, frame, 112)).toThrow(/coincide/)
  })

  it('scales turned heads by the eye-to-nose distance instead of their foreshortened eye distance', () => {
    const frontal = face68({ x: 60, y: 50 }, { x: 100, y: 50 }, { x: 80, y: 100 })
    frontal[33] = { x: 80, y: 80 } // eye distance 40, eye→nose 30: ratio 1.33, a frontal face
    expect(alignScaleDistance(frontal)).toBeCloseTo(40, 9)
    // The same face turned ~50°: the projected eyes are 26 px apart, the vertical eye→nose stays 30.
    const turned = face68({ x: 67, y: 50 }, { x: 93, y: 50 }, { x: 84, y: 100 })
    turned[33] = { x: 85, y: 80 }
    const d = alignScaleDistance(turned)
    expect(d).toBeCloseTo(YAW_GUARD_RATIO * Math.hypot(5, 30), 9)
    const m = eyeAlignTransform(turned[36], turned[45], { eyeDistance: 0.36, eyeY: 0.38 }, 112, d)
    expect(affineScale(m)).toBeCloseTo((0.36 * 112) / d, 9)
    expect(() => eyeAlignTransform({ x: 0, y: 0 }, { x: 5, y: 0 }, { eyeDistance: 0.36, eyeY: 0.38 }, 112, 0)).toThrow(
      /scale distance/
    )
  })

  it('widens the frame by a margin without moving the face centre off the middle', () => {
    const f = withMargin(frame, 0.25)
    expect(f.eyeDistance).toBeCloseTo(0.36 / 1.5, 12)
    expect(f.eyeY).toBeCloseTo((0.38 + 0.25) / 1.5, 12)
    expect(withMargin(frame, 0)).toEqual(frame)
    expect(() => withMargin(frame, -0.5)).toThrow(/margin/)
  })
})
