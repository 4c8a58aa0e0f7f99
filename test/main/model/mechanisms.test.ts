/**
 * The POI mechanisms are alive when trained jointly on the native engine (issue: the OIM gate stayed
 * uniform and UEM confidence saturated at 1): on synthetic faces, half of them with one region drawn as
 * noise by the generator, the gate gives that region less weight on exactly those images, gate weights
 * vary per image, and UEM confidence spreads and orders accuracy.
 *
 * Runs on tfjs-node. Where the native engine is not installed the file is skipped with a reason,
 * except under CI, which installs it and must run this.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { initCompute } from '../../../src-main/core/compute/backend'
import { createPoiModel, createSgd, disposeOutputs, tf, trainStep, type PoiNetwork } from '../../../src-main/core/model'
import { Rng } from '../../../src-main/core/util/rng'
import { sampleFaceParams } from '../../../src-main/core/synth/sample'
import { renderFaceRaw } from '../../../src-main/core/synth/render'
import type { ClassName } from '../../../src-main/core/classes'

const CLASSES: ClassName[] = ['neutral', 'happiness', 'surprise', 'sadness', 'anger']
const SIZE = 48
// Region order everywhere: [UL, UR, LL, LR].

let native: string | null = null
beforeAll(async () => {
  try {
    await initCompute({ backend: 'tfjs-node', threads: 2 })
  } catch (e) {
    native = (e as Error).message
    if (process.env.CI) throw new Error(`CI must run on the native engine: ${native}`)
  }
})

type Cover = 'none' | 'eyes' | 'mouth'
interface FaceSet {
  x: tf.Tensor4D
  y: number[]
  cover: Cover[]
}

/**
 * n faces (classes round-robin) in three groups: intact, eyes covered (UL + UR quadrants drawn as a flat
 * occluder by the generator), mouth covered (LL + LR). Where one half of the face is covered, the
 * regions that read it cannot tell the class, so the gate should move weight to the other half.
 */
async function faces(n: number, seed: number): Promise<FaceSet> {
  const rng = new Rng(seed)
  const data = new Float32Array(n * SIZE * SIZE)
  const y: number[] = []
  const cover: Cover[] = []
  const half = SIZE / 2
  for (let i = 0; i < n; i++) {
    const cls = i % CLASSES.length
    const s = sampleFaceParams(rng.fork(`face${i}`), CLASSES[cls], { size: SIZE, jitter: 0.3 })
    const group: Cover = (['none', 'eyes', 'mouth'] as const)[Math.floor(i / CLASSES.length) % 3]
    let raw = await renderFaceRaw(s.params)
    if (group !== 'none') {
      const oseed = seed * 7919 + i
      const left = await renderFaceRaw({
        ...s.params,
        occlusion: { region: group === 'eyes' ? 'UL' : 'LL', seed: oseed }
      })
      raw = await renderFaceRaw({ ...s.params, occlusion: { region: group === 'eyes' ? 'UR' : 'LR', seed: oseed } })
      for (let r = 0; r < SIZE; r++) for (let c = 0; c < half; c++) raw.data[r * SIZE + c] = left.data[r * SIZE + c]
    }
    let mean = 0
    for (let p = 0; p < raw.data.length; p++) mean += raw.data[p]
    mean /= raw.data.length
    let v = 0
    for (let p = 0; p < raw.data.length; p++) v += (raw.data[p] - mean) ** 2
    const sd = Math.sqrt(v / raw.data.length) || 1
    for (let p = 0; p < raw.data.length; p++) data[i * SIZE * SIZE + p] = (raw.data[p] - mean) / sd
    y.push(cls)
    cover.push(group)
  }
  return { x: tf.tensor4d(data, [n, SIZE, SIZE, 1]), y, cover }
}

function train(set: FaceSet, lambdaGate: number, epochs: number): PoiNetwork {
  const m = createPoiModel({
    classes: CLASSES,
    input: { height: SIZE, width: SIZE, channels: 1 },
    extractor: { kind: 'vgg', widths: [16, 32, 32, 64], convs: 2 },
    pin: { branch: 'conv', auHidden: 16, auReduced: 8 },
    loss: { lambdaGate },
    seed: 3
  })
  const opt = createSgd({ momentum: 0.9, weightDecay: 1e-4, weightDecayMode: 'l2' }, 0.05)
  const n = set.y.length
  const B = 32
  const order = new Rng(11)
  for (let e = 0; e < epochs; e++) {
    const idx = order.shuffle([...Array(n).keys()])
    for (let s = 0; s + B <= n; s += B) {
      const ids = idx.slice(s, s + B)
      const batch = tf.tidy(() => ({
        x: tf.gather(set.x, ids) as tf.Tensor4D,
        y: tf.tensor1d(
          ids.map((i) => set.y[i]),
          'int32'
        )
      }))
      trainStep(m, batch, opt)
      tf.dispose([batch.x, batch.y])
    }
  }
  opt.dispose()
  return m
}

function readOut(m: PoiNetwork, x: tf.Tensor4D): { gate: number[][]; conf: number[]; pred: number[] } {
  const out = m.forward(x)
  const g = out.gate!.arraySync()
  const conf = Array.from(out.uemConfidence!.dataSync())
  const am = tf.argMax(out.trnProbs, 1)
  const pred = Array.from(am.dataSync())
  am.dispose()
  disposeOutputs(out)
  return { gate: g, conf, pred }
}

const mean = (v: number[]): number => v.reduce((a, b) => a + b, 0) / Math.max(1, v.length)

describe('POI mechanisms on the native engine (synthetic faces; eyes or mouth covered on two thirds)', () => {
  let trainSet: FaceSet
  let testSet: FaceSet
  beforeAll(async () => {
    if (native) return
    trainSet = await faces(600, 1)
    testSet = await faces(200, 2)
  }, 120_000)
  afterAll(() => {
    if (trainSet) tf.dispose([trainSet.x, testSet.x])
  })

  it('the gate moves weight away from the covered half on exactly those images and varies per image; UEM spreads and orders accuracy', async (ctx) => {
    if (native) return ctx.skip()
    const before = tf.memory().numTensors
    // λ_gate = 1 is the default (config.ts DEFAULT_LAMBDA_GATE); at 0.5 the eye share moved 0.433 → 0.465 only.
    const m = train(trainSet, 1, 12)
    const { gate, conf, pred } = readOut(m, testSet.x)
    m.dispose()
    expect(tf.memory().numTensors).toBe(before)

    // Share of the gate on the eye regions (UL + UR), per group.
    const eyeShare = (c: Cover) => mean(gate.filter((_, i) => testSet.cover[i] === c).map((g) => g[0] + g[1]))
    const eyesCovered = eyeShare('eyes')
    const mouthCovered = eyeShare('mouth')
    const intact = eyeShare('none')
    // Mean per-image standard deviation of the 4 gate weights (uniform = 0; the old runs gave 0.0011).
    const perImageSd = mean(gate.map((g) => Math.sqrt(mean(g.map((w) => (w - mean(g)) ** 2)))))
    console.log(
      `gate share on the eye regions: eyes covered ${eyesCovered.toFixed(3)}, intact ${intact.toFixed(3)}, mouth covered ${mouthCovered.toFixed(3)}; ` +
        `mean per-image sd ${perImageSd.toFixed(4)}`
    )

    // UEM: not saturated, and the more confident half is more accurate (Table IV shape).
    const sorted = [...conf].sort((a, b) => a - b)
    const q90 = sorted[Math.floor(0.9 * sorted.length)]
    const q10 = sorted[Math.floor(0.1 * sorted.length)]
    const byConf = conf.map((c, i) => ({ c, ok: pred[i] === testSet.y[i] ? 1 : 0 })).sort((a, b) => b.c - a.c)
    const k = Math.floor(0.3 * byConf.length)
    const accTop = mean(byConf.slice(0, k).map((r) => r.ok))
    const accLow = mean(byConf.slice(-k).map((r) => r.ok))
    console.log(
      `UEM confidence q10 ${q10.toFixed(3)} q50 ${sorted[Math.floor(0.5 * sorted.length)].toFixed(3)} q90 ${q90.toFixed(3)}; accuracy top 30 % ${accTop.toFixed(2)}, bottom 30 % ${accLow.toFixed(2)}`
    )
    console.log(`TRN accuracy ${mean(pred.map((p, i) => (p === testSet.y[i] ? 1 : 0))).toFixed(2)}`)
    expect(eyesCovered).toBeLessThan(mouthCovered - 0.05)
    expect(perImageSd).toBeGreaterThan(0.01)
    // The old runs had q1/q50/q90 at 0.981/0.9985/0.9998: require the bulk, not only the tail, to spread.
    const q50 = sorted[Math.floor(0.5 * sorted.length)]
    expect(q50).toBeLessThan(0.95)
    expect(q90 - q10).toBeGreaterThan(0.3)
    // Table IV shape, with the margin (15 points).
    expect(accTop).toBeGreaterThanOrEqual(accLow + 0.15)
  }, 600_000)
})
