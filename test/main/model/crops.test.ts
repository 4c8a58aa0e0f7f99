/**
 * Corner crops (spec eq. 2): the right windows for a given k, the right-hand crops mirrored, the
 * default k, and a model-level check that the PIN really consumes mirrored right crops. Also the gate's
 * uniform start.
 */
import { beforeAll, describe, expect, it } from 'vitest'
import { tf } from '../../../src-main/core/model/tf'
import { cornerCrops } from '../../../src-main/core/model/pin'
import { autoCropK, computeGeometry, resolveConfig } from '../../../src-main/core/model/config'
import { createPoiModel, disposeOutputs } from '../../../src-main/core/model/poi-model'
import { identityFeatures } from '../../../src-main/core/model/backbone'
import { SEVEN_CLASSES } from '../../../src-main/core/classes'
import { batchOf, tinyConfig, useCpu } from './fixtures'

beforeAll(useCpu)

/** F[b, h, w, c] = 1000·b + 100·h + 10·w + c: every cell says where it came from. */
function codedMap(
  b: number,
  h: number,
  w: number,
  c: number
): { t: tf.Tensor4D; at: (b: number, h: number, w: number, c: number) => number } {
  const at = (bi: number, hi: number, wi: number, ci: number): number => 1000 * bi + 100 * hi + 10 * wi + ci
  const data: number[] = []
  for (let bi = 0; bi < b; bi++)
    for (let hi = 0; hi < h; hi++)
      for (let wi = 0; wi < w; wi++) for (let ci = 0; ci < c; ci++) data.push(at(bi, hi, wi, ci))
  return { t: tf.tensor4d(data, [b, h, w, c]), at }
}

describe('corner crops', () => {
  it.each([
    [5, 5, 3],
    [6, 7, 4],
    [4, 4, 2]
  ])('select the four k×k corners of a %i×%i map (k=%i), right ones mirrored along W', (H, W, k) => {
    const { t, at } = codedMap(2, H, W, 3)
    const crops = cornerCrops(t, k)
    const got = Object.fromEntries(Object.entries(crops).map(([n, c]) => [n, c.arraySync() as number[][][][]]))
    for (const n of ['ul', 'ur', 'll', 'lr']) expect(crops[n as keyof typeof crops].shape).toEqual([2, k, k, 3])
    for (let b = 0; b < 2; b++)
      for (let i = 0; i < k; i++)
        for (let j = 0; j < k; j++)
          for (let c = 0; c < 3; c++) {
            expect(got.ul[b][i][j][c]).toBe(at(b, i, j, c))
            expect(got.ll[b][i][j][c]).toBe(at(b, H - k + i, j, c))
            // mirrored: column j of the crop is column W−1−j of F
            expect(got.ur[b][i][j][c]).toBe(at(b, i, W - 1 - j, c))
            expect(got.lr[b][i][j][c]).toBe(at(b, H - k + i, W - 1 - j, c))
          }
    tf.dispose([t, ...Object.values(crops)])
  })

  it('UR is exactly the horizontal flip of the upper-right corner for an asymmetric pattern', () => {
    // A ramp that increases to the right: flipping must make it decrease.
    const ramp = tf.tidy(() =>
      tf.tile(tf.reshape(tf.range(0, 6, 1, 'float32'), [1, 1, 6, 1]), [1, 6, 1, 1])
    ) as tf.Tensor4D
    const { ul, ur, ll, lr } = cornerCrops(ramp, 4)
    expect((ur.arraySync() as number[][][][])[0][0].map((v) => v[0])).toEqual([5, 4, 3, 2])
    expect((ul.arraySync() as number[][][][])[0][0].map((v) => v[0])).toEqual([0, 1, 2, 3])
    const flipped = tf.reverse(tf.slice(ramp, [0, 0, 2, 0], [1, 4, 4, 1]), 2)
    expect(ur.arraySync()).toEqual(flipped.arraySync())
    tf.dispose([ramp, ul, ur, ll, lr, flipped])
  })

  it('rejects a k that does not fit', () => {
    const t = tf.zeros([1, 3, 3, 1]) as tf.Tensor4D
    expect(() => cornerCrops(t, 4)).toThrow(/k=4 does not fit a 3×3/)
    t.dispose()
  })
})

describe('crop size k', () => {
  it('defaults to floor(9·H3/14 + 0.5) clamped to [2, H3]', () => {
    expect([14, 7, 4, 3, 2, 16, 8, 6].map((h) => autoCropK(h, h))).toEqual([9, 5, 3, 2, 2, 10, 5, 4])
  })

  it('matches the spec shape table (§2.6) for ResNet-18', () => {
    const geo = (hw: number) =>
      computeGeometry(resolveConfig({ classes: [...SEVEN_CLASSES], input: { height: hw, width: hw, channels: 3 } }))
    const rows = [224, 112, 64].map((hw) => {
      const g = geo(hw)
      return [g.feature, g.cropK, g.branchOut[0], g.trnOut[0]]
    })
    expect(rows).toEqual([
      [[14, 14, 256], 9, 9, 7],
      [[7, 7, 256], 5, 5, 4],
      [[4, 4, 256], 3, 3, 2]
    ])
  })

  it('an explicit k is used and validated', () => {
    const g = computeGeometry(resolveConfig({ ...tinyConfig(), pin: { cropK: 2 } }))
    expect(g.cropK).toBe(2)
    expect(() => resolveConfig({ ...tinyConfig(), pin: { cropK: 5 } })).toThrow(
      /pin.cropK 5 is larger than the 4×4 feature map/
    )
  })
})

describe('PIN on mirrored input', () => {
  it('mirroring F along W swaps the left and right region predictions exactly', () => {
    // A frozen identity extractor lets the test choose F; eval mode makes every region independent of the others.
    const model = createPoiModel(
      {
        classes: [...SEVEN_CLASSES],
        input: { height: 5, width: 5, channels: 6 },
        extractor: { kind: 'frozen', name: 'identity', featureShape: [5, 5, 6], headWidth: 8 },
        pin: { auHidden: 8, auReduced: 4, branch: 'layer4' }
      },
      { frozenExtractor: identityFeatures }
    )
    const f = tf.randomNormal([2, 5, 5, 6], 0, 1, 'float32', 3) as tf.Tensor4D
    const fm = tf.reverse(f, 2) as tf.Tensor4D
    const a = model.forward(f)
    const b = model.forward(fm)
    const ra = a.regionLogits!.arraySync() as number[][][]
    const rb = b.regionLogits!.arraySync() as number[][][]
    const swap = [1, 0, 3, 2] // UL↔UR, LL↔LR
    for (let i = 0; i < 2; i++)
      for (let j = 0; j < 4; j++) ra[i][j].forEach((v, c) => expect(rb[i][swap[j]][c]).toBeCloseTo(v, 4))
    const ea = a.auProb!.eye.arraySync() as number[][][]
    const eb = b.auProb!.eye.arraySync() as number[][][]
    for (let i = 0; i < 2; i++) ea[i][0].forEach((v, m) => expect(eb[i][1][m]).toBeCloseTo(v, 5))
    // Without the mirror the right crops of the flipped map would differ from the left crops of F.
    expect(Math.abs(ra[0][0][0] - ra[0][1][0])).toBeGreaterThan(1e-4)
    disposeOutputs(a)
    disposeOutputs(b)
    tf.dispose([f, fm])
    model.dispose()
  })
})

describe('OIM gate', () => {
  it('starts uniform (zero-initialised FC), so q is the plain mean of the tempered region predictions', () => {
    const model = createPoiModel(tinyConfig())
    const { x, y } = batchOf([3, 16, 16, 1], [0, 1, 2])
    const out = model.forward(x, { training: true })
    for (const v of out.gate!.dataSync()) expect(v).toBeCloseTo(0.25, 7)
    const mean = tf.tidy(() => tf.mean(tf.softmax(tf.div(out.regionLogits!, 3)), 1).dataSync())
    const q = out.q!.dataSync()
    mean.forEach((v, i) => expect(q[i]).toBeCloseTo(v, 6))
    disposeOutputs(out)
    tf.dispose([x, y])
    model.dispose()
  })
})
