/**
 * Every loss term and read-out against values computed by hand (plain JS arithmetic on fixed logits,
 * straight from the formulas of ../shared/poi-spec.md §3–§5), plus the stop-gradient wiring.
 */
import { beforeAll, describe, expect, it } from 'vitest'
import { tf } from '../../../src-main/core/model/tf'
import {
  auLoss,
  auMask,
  auTargets,
  gateCeLoss,
  klLoss,
  LOG_EPS,
  omegaFromConfidence,
  orLoss,
  pinCeLoss,
  poiLoss,
  trnCeLoss
} from '../../../src-main/core/model/losses'
import { priorSupportOf } from '../../../src-main/core/model/prediction-layout'
import { gateMix, temperedProbs, uemMutualInformation, uemVariance } from '../../../src-main/core/model/oim'
import { resolveConfig } from '../../../src-main/core/model/config'
import type { ClassName } from '../../../src-main/core/classes'
import { useCpu } from './fixtures'

beforeAll(useCpu)

const softmax = (z: number[], T = 1): number[] => {
  const m = Math.max(...z.map((v) => v / T))
  const e = z.map((v) => Math.exp(v / T - m))
  const s = e.reduce((a, b) => a + b, 0)
  return e.map((v) => v / s)
}
const sigmoid = (l: number): number => 1 / (1 + Math.exp(-l))
const kl = (q: number[], p: number[]): number =>
  q.reduce((a, qc, c) => a + qc * (Math.log(qc + LOG_EPS) - Math.log(p[c])), 0)
const num = (t: tf.Tensor): number => t.dataSync()[0]
const arr = (t: tf.Tensor): number[] => Array.from(t.dataSync())

const CLASSES: ClassName[] = ['neutral', 'happiness', 'surprise']
const Y = [1, 2] // happiness, surprise
// z_ij for B = 2, N = 4, C = 3
const Z = [
  [
    [1.0, 2.0, 0.5],
    [0.2, 1.5, -0.3],
    [2.0, 0.1, 0.0],
    [0.0, 0.0, 1.0]
  ],
  [
    [-1.0, 0.5, 2.5],
    [0.3, 0.3, 0.3],
    [1.2, -0.7, 0.4],
    [0.0, 2.2, 1.1]
  ]
]
const S = [
  [0.3, 1.1, -0.4],
  [2.0, -1.0, 0.5]
] // TRN logits
const G = [
  [0.1, 0.2, 0.3, 0.4],
  [0.25, 0.25, 0.25, 0.25]
] // gate
const EYE = [
  [
    [0.5, -1.0, 2.0, 0.0, 1.5, -0.5],
    [-0.2, 0.3, 0.1, -2.0, 0.8, 0.0]
  ],
  [
    [1.0, 1.0, -1.0, 0.5, 0.0, 0.2],
    [0.0, -0.5, 0.7, 1.1, -1.2, 0.4]
  ]
]
const MOUTH = [
  [
    [0.1, 2.0, -0.3, 0.0, 0.4, -1.0, 1.5],
    [0.2, 1.0, 0.9, -0.8, 0.0, 0.3, 0.6]
  ],
  [
    [-0.4, 0.0, 0.5, 1.0, -1.5, 0.2, 2.2],
    [0.7, -0.1, -0.6, 0.3, 0.9, 0.0, 1.0]
  ]
]
// Table I, smoothed symmetrically with ε = 0.1, AU orders [1,2,4,5,6,9] and [10,12,14,15,17,24,26]
const EYE_T: Record<number, number[]> = {
  0: [0.1, 0.1, 0.1, 0.1, 0.1, 0.1],
  1: [0.1, 0.1, 0.1, 0.1, 0.9, 0.1], // happiness: AU6
  2: [0.9, 0.9, 0.1, 0.9, 0.1, 0.1] // surprise: AU1, 2, 5
}
const MOUTH_T: Record<number, number[]> = {
  0: [0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1],
  1: [0.1, 0.9, 0.1, 0.1, 0.1, 0.1, 0.9], // happiness: AU12, 26
  2: [0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.9] // surprise: AU26
}

function handAu(mask14 = false): number {
  let s = 0
  for (let i = 0; i < 2; i++) {
    for (let r = 0; r < 2; r++) {
      EYE[i][r].forEach((l, m) => {
        const t = EYE_T[Y[i]][m]
        s += -(t * Math.log(sigmoid(l)) + (1 - t) * Math.log(1 - sigmoid(l)))
      })
      MOUTH[i][r].forEach((l, m) => {
        if (mask14 && m === 2) return
        const t = MOUTH_T[Y[i]][m]
        s += -(t * Math.log(sigmoid(l)) + (1 - t) * Math.log(1 - sigmoid(l)))
      })
    }
  }
  return s / (2 * 4)
}
const handCePin = (): number =>
  -(Z.flatMap((zi, i) => zi.map((zij) => Math.log(softmax(zij)[Y[i]]))).reduce((a, b) => a + b) / 8)
const handQ = (T: number): number[][] =>
  Z.map((zi, i) => [0, 1, 2].map((c) => zi.reduce((a, zij, j) => a + G[i][j] * softmax(zij, T)[c], 0)))
const handKl = (T: number): number =>
  (T * T * Z.flatMap((zi, i) => zi.map((zij) => kl(handQ(T)[i], softmax(zij, T)))).reduce((a, b) => a + b)) / 8
const handUem = (): { u: number[]; c: number[] } => {
  const u = Z.map((zi) => {
    const p = zi.map((zij) => softmax(zij))
    const mean = [0, 1, 2].map((c) => p.reduce((a, pj) => a + pj[c], 0) / 4)
    return p.reduce((a, pj) => a + pj.reduce((b, v, c) => b + (v - mean[c]) ** 2, 0), 0) / 4
  })
  return { u, c: u.map((v) => 1 - v / 0.75) }
}
const handOr = (T: number, omega: number[]): number =>
  (T * T * S.reduce((a, s, i) => a + omega[i] * kl(handQ(T)[i], softmax(s, T)), 0)) / 2

describe('AU pseudolabels (Table I, spec §3)', () => {
  it('symmetric smoothing gives 1−ε / ε; standard gives (1−ε)y + ε/2', () => {
    const t = auTargets(CLASSES, 0.1, 'symmetric')
    for (const c of [0, 1, 2]) {
      t.eye[c].forEach((v, m) => expect(v).toBeCloseTo(EYE_T[c][m], 12))
      t.mouth[c].forEach((v, m) => expect(v).toBeCloseTo(MOUTH_T[c][m], 12))
    }
    const s = auTargets(['contempt', 'neutral'], 0.2, 'standard')
    // contempt: only AU14 (index 2 of the mouth AUs) positive → 0.8 + 0.1; negatives → 0.1
    ;[0.1, 0.1, 0.9, 0.1, 0.1, 0.1, 0.1].forEach((v, m) => expect(s.mouth[0][m]).toBeCloseTo(v, 12))
    s.eye[0].forEach((v) => expect(v).toBeCloseTo(0.1, 12))
    s.eye[1].forEach((v) => expect(v).toBeCloseTo(0.1, 12))
  })

  it('masks AU14 only when asked and contempt is absent', () => {
    expect(auMask(CLASSES, true).mouth).toEqual([1, 1, 0, 1, 1, 1, 1])
    expect(auMask(CLASSES, false).mouth).toEqual([1, 1, 1, 1, 1, 1, 1])
    expect(auMask(['neutral', 'contempt'], true).mouth).toEqual([1, 1, 1, 1, 1, 1, 1])
  })
})

describe('loss terms against hand-computed values', () => {
  const y = (): tf.Tensor1D => tf.tensor1d(Y, 'int32')

  it('L_AU (eq. 4): BCE summed over AUs, mean over B·N; AU14 mask', () => {
    const v = tf.tidy(() =>
      num(
        auLoss({ eye: tf.tensor3d(EYE), mouth: tf.tensor3d(MOUTH) }, y(), {
          classes: CLASSES,
          epsilon: 0.1,
          smoothing: 'symmetric',
          maskAU14: false
        })
      )
    )
    expect(v).toBeCloseTo(handAu(false), 5)
    const masked = tf.tidy(() =>
      num(
        auLoss({ eye: tf.tensor3d(EYE), mouth: tf.tensor3d(MOUTH) }, y(), {
          classes: CLASSES,
          epsilon: 0.1,
          smoothing: 'symmetric',
          maskAU14: true
        })
      )
    )
    expect(masked).toBeCloseTo(handAu(true), 5)
    expect(masked).toBeLessThan(v)
  })

  it('L_CE^PIN (eq. 5) and L_CE^TRN (eq. 9)', () => {
    expect(tf.tidy(() => num(pinCeLoss(tf.tensor3d(Z), y()))).toFixed(5)).toBe(handCePin().toFixed(5))
    const hand = -(Math.log(softmax(S[0])[1]) + Math.log(softmax(S[1])[2])) / 2
    expect(tf.tidy(() => num(trnCeLoss(tf.tensor2d(S), y())))).toBeCloseTo(hand, 5)
  })

  it('q (eq. 7) and L_KL (eq. 8) with T = 3, with and without T²', () => {
    const q = tf.tidy(() => arr(gateMix(tf.tensor2d(G), temperedProbs(tf.tensor3d(Z), 3))))
    handQ(3)
      .flat()
      .forEach((v, i) => expect(q[i]).toBeCloseTo(v, 6))
    const withT2 = tf.tidy(() => {
      const qq = gateMix(tf.tensor2d(G), temperedProbs(tf.tensor3d(Z), 3))
      return num(klLoss(qq, tf.tensor3d(Z), { temperature: 3, t2: true, detachQ: false }))
    })
    expect(withT2).toBeCloseTo(handKl(3), 6)
    const noT2 = tf.tidy(() => {
      const qq = gateMix(tf.tensor2d(G), temperedProbs(tf.tensor3d(Z), 3))
      return num(klLoss(qq, tf.tensor3d(Z), { temperature: 3, t2: false, detachQ: false }))
    })
    expect(noT2).toBeCloseTo(handKl(3) / 9, 6)
  })

  it('UEM (eq. 10): variance form, MI form and the extreme cases', () => {
    const h = handUem()
    const out = tf.tidy(() => {
      const r = uemVariance(tf.softmax(tf.tensor3d(Z)) as tf.Tensor3D)
      return { u: arr(r.uncertainty), c: arr(r.confidence) }
    })
    h.u.forEach((v, i) => expect(out.u[i]).toBeCloseTo(v, 6))
    h.c.forEach((v, i) => expect(out.c[i]).toBeCloseTo(v, 6))
    const extremes = tf.tidy(() => {
      const agree = tf.tensor3d([
        [
          [0.2, 0.5, 0.3],
          [0.2, 0.5, 0.3],
          [0.2, 0.5, 0.3],
          [0.2, 0.5, 0.3]
        ]
      ])
      const disagree = tf.tensor3d([
        [
          [1, 0, 0, 0],
          [0, 1, 0, 0],
          [0, 0, 1, 0],
          [0, 0, 0, 1]
        ]
      ])
      return [uemVariance(agree), uemVariance(disagree)].map((r) => [num(r.uncertainty), num(r.confidence)])
    })
    expect(extremes[0][0]).toBeCloseTo(0, 7)
    expect(extremes[0][1]).toBeCloseTo(1, 6)
    expect(extremes[1][0]).toBeCloseTo(0.75, 6)
    expect(extremes[1][1]).toBeCloseTo(0, 6)
    // MI = H(p̄) − mean_j H(p_j), c = 1 − MI / ln 4
    const H = (p: number[]): number => -p.reduce((a, v) => a + (v > 0 ? v * Math.log(v) : 0), 0)
    const mi = Z.map((zi) => {
      const p = zi.map((zij) => softmax(zij))
      const mean = [0, 1, 2].map((c) => p.reduce((a, pj) => a + pj[c], 0) / 4)
      return H(mean) - p.reduce((a, pj) => a + H(pj), 0) / 4
    })
    const got = tf.tidy(() => {
      const r = uemMutualInformation(tf.softmax(tf.tensor3d(Z)) as tf.Tensor3D)
      return { u: arr(r.uncertainty), c: arr(r.confidence) }
    })
    mi.forEach((v, i) => {
      expect(got.u[i]).toBeCloseTo(v, 5)
      expect(got.c[i]).toBeCloseTo(1 - v / Math.log(4), 5)
    })
  })

  it('ω (eq. 11 weight): 1 − c, noUEM → 1, batch-normalised', () => {
    const c = [0.9, 0.4]
    expect(tf.tidy(() => arr(omegaFromConfidence(tf.tensor1d(c), { noUEM: false, normalise: false })))).toEqual(
      [0.1, 0.6].map((v) => expect.closeTo(v, 6))
    )
    expect(tf.tidy(() => arr(omegaFromConfidence(tf.tensor1d(c), { noUEM: true, normalise: false })))).toEqual([1, 1])
    const n = tf.tidy(() => arr(omegaFromConfidence(tf.tensor1d(c), { noUEM: false, normalise: true })))
    expect(n[0]).toBeCloseTo((0.1 * 2) / 0.7, 5)
    expect(n[1]).toBeCloseTo((0.6 * 2) / 0.7, 5)
  })

  it('L_OR (eq. 11) with ω = 1 − c, T = 3, T²', () => {
    const omega = [0.3, 0.8]
    const v = tf.tidy(() => {
      const q = gateMix(tf.tensor2d(G), temperedProbs(tf.tensor3d(Z), 3))
      return num(orLoss(q, tf.tensor2d(S), tf.tensor1d(omega), { temperature: 3, t2: true }))
    })
    expect(v).toBeCloseTo(handOr(3, omega), 6)
  })

  it('gate CE of the ONE variant: −mean log(q[y] + 1e-7)', () => {
    const q = handQ(3)
    const hand = -(Math.log(q[0][1] + LOG_EPS) + Math.log(q[1][2] + LOG_EPS)) / 2
    const v = tf.tidy(() =>
      num(gateCeLoss(gateMix(tf.tensor2d(G), temperedProbs(tf.tensor3d(Z), 3)), tf.tensor1d(Y, 'int32')))
    )
    expect(v).toBeCloseTo(hand, 6)
  })

  it('total (eq. 12) = λ3·CE_TRN + L_OR + λ1·L_AU + λ2·CE_PIN + L_KL; baseline = CE_TRN', () => {
    const cfg = resolveConfig({
      classes: CLASSES,
      input: { height: 64, width: 64, channels: 1 },
      loss: { lambda1: 0.3, lambda2: 0.2, lambda3: 1.5, lambdaGate: 0 }
    })
    const h = handUem()
    const terms = tf.tidy(() => {
      const z = tf.tensor3d(Z)
      const t = poiLoss(
        {
          trnLogits: tf.tensor2d(S),
          regionLogits: z,
          q: gateMix(tf.tensor2d(G), temperedProbs(z, 3)),
          uemConfidence: tf.tensor1d(h.c),
          auLogits: { eye: tf.tensor3d(EYE), mouth: tf.tensor3d(MOUTH) }
        },
        tf.tensor1d(Y, 'int32'),
        cfg
      )
      return Object.fromEntries(Object.entries(t).map(([k, s]) => [k, num(s as tf.Scalar)]))
    })
    const ceTrn = -(Math.log(softmax(S[0])[1]) + Math.log(softmax(S[1])[2])) / 2
    const or = handOr(
      3,
      h.c.map((c) => 1 - c)
    )
    expect(terms.ceTrn).toBeCloseTo(ceTrn, 5)
    expect(terms.or).toBeCloseTo(or, 5)
    expect(terms.au).toBeCloseTo(handAu(false), 5)
    expect(terms.cePin).toBeCloseTo(handCePin(), 5)
    expect(terms.kl).toBeCloseTo(handKl(3), 5)
    expect(terms.total).toBeCloseTo(1.5 * ceTrn + or + 0.3 * handAu(false) + 0.2 * handCePin() + handKl(3), 5)
    expect(terms.gateCe).toBeUndefined()

    const base = resolveConfig({ classes: CLASSES, input: { height: 64, width: 64, channels: 1 }, mode: 'baseline' })
    const b = tf.tidy(() => {
      const t = poiLoss({ trnLogits: tf.tensor2d(S) }, tf.tensor1d(Y, 'int32'), base)
      return Object.keys(t).length === 2 ? num(t.total) : NaN
    })
    expect(b).toBeCloseTo(ceTrn, 5)
  })

  it('λ_KL, λ_OR switch their terms off; λ_gate adds −log q¹[y] on the T = 1 mixture; absent weights keep the old total', () => {
    const h = handUem()
    const run = (loss: Record<string, number | undefined>) => {
      const cfg = resolveConfig({
        classes: CLASSES,
        input: { height: 64, width: 64, channels: 1 },
        loss: { lambda1: 0.3, lambda2: 0.2, lambda3: 1.5 }
      })
      const c = { ...cfg, loss: { ...cfg.loss, ...loss } }
      for (const k of Object.keys(loss)) if (loss[k] === undefined) delete (c.loss as Record<string, unknown>)[k]
      return tf.tidy(() => {
        const z = tf.tensor3d(Z)
        const t = poiLoss(
          {
            trnLogits: tf.tensor2d(S),
            regionLogits: z,
            q: gateMix(tf.tensor2d(G), temperedProbs(z, 3)),
            qT1: gateMix(tf.tensor2d(G), temperedProbs(z, 1)),
            uemConfidence: tf.tensor1d(h.c),
            auLogits: { eye: tf.tensor3d(EYE), mouth: tf.tensor3d(MOUTH) }
          },
          tf.tensor1d(Y, 'int32'),
          c
        )
        return Object.fromEntries(Object.entries(t).map(([k, s]) => [k, num(s as tf.Scalar)]))
      })
    }
    const ceTrn = -(Math.log(softmax(S[0])[1]) + Math.log(softmax(S[1])[2])) / 2
    const or = handOr(
      3,
      h.c.map((c) => 1 - c)
    )
    const rest = 1.5 * ceTrn + 0.3 * handAu(false) + 0.2 * handCePin()
    const old = run({ lambdaKl: undefined, lambdaOr: undefined, lambdaGate: undefined })
    expect(old.total).toBeCloseTo(rest + or + handKl(3), 5)
    expect(old.gateCe).toBeUndefined()
    expect(run({ lambdaKl: 0, lambdaOr: 1, lambdaGate: 0 }).total).toBeCloseTo(rest + or, 5)
    expect(run({ lambdaKl: 1, lambdaOr: 0, lambdaGate: 0 }).total).toBeCloseTo(rest + handKl(3), 5)
    const q1 = tf.tidy(() => arr(gateMix(tf.tensor2d(G), temperedProbs(tf.tensor3d(Z), 1))))
    const gate = -(Math.log(q1[1] + LOG_EPS) + Math.log(q1[3 + 2] + LOG_EPS)) / 2
    const g = run({ lambdaKl: 1, lambdaOr: 1, lambdaGate: 0.5 })
    expect(g.gateCe).toBeCloseTo(gate, 5)
    expect(g.total).toBeCloseTo(rest + or + handKl(3) + 0.5 * gate, 5)
  })

  it('prior support (spec §5): mean ρ over the class AUs; neutral 1 − mean of all', () => {
    const rhoE = EYE.map((i) => i.map((r) => r.map(sigmoid)))
    const rhoM = MOUTH.map((i) => i.map((r) => r.map(sigmoid)))
    // The stored 26-vector: UL 6, UR 6, LL 7, LR 7 (what score/predict.ts writes).
    const got = [0, 1].flatMap((i) =>
      priorSupportOf([...rhoE[i][0], ...rhoE[i][1], ...rhoM[i][0], ...rhoM[i][1]], CLASSES)
    )
    for (let i = 0; i < 2; i++) {
      const e = [0, 1, 2, 3, 4, 5].map((m) => (rhoE[i][0][m] + rhoE[i][1][m]) / 2)
      const mo = [0, 1, 2, 3, 4, 5, 6].map((m) => (rhoM[i][0][m] + rhoM[i][1][m]) / 2)
      const all = [...e, ...mo]
      const neutral = 1 - all.reduce((a, b) => a + b) / 13
      const happy = (e[4] + mo[1] + mo[6]) / 3 // AU6, AU12, AU26
      const surprise = (e[0] + e[1] + e[3] + mo[6]) / 4 // AU1, 2, 5, 26
      expect(got[i * 3 + 0]).toBeCloseTo(neutral, 5)
      expect(got[i * 3 + 1]).toBeCloseTo(happy, 5)
      expect(got[i * 3 + 2]).toBeCloseTo(surprise, 5)
    }
  })
})

describe('stop-gradients (spec §7.8)', () => {
  it('L_OR sends no gradient into q or ω, but into the TRN logits', () => {
    const [gq, gs, gw] = tf.tidy(() => {
      const q = tf.softmax(
        tf.tensor2d([
          [0.2, 0.1, 0.9],
          [1.0, 0.0, -1.0]
        ])
      ) as tf.Tensor2D
      const g = tf.grads((qq: tf.Tensor, s: tf.Tensor, w: tf.Tensor) =>
        orLoss(qq as tf.Tensor2D, s as tf.Tensor2D, w as tf.Tensor1D, { temperature: 3, t2: true })
      )([q, tf.tensor2d(S), tf.tensor1d([0.5, 0.5])])
      return g.map((t) => tf.norm(t).dataSync()[0])
    })
    expect(gq).toBe(0)
    expect(gw).toBe(0)
    expect(gs).toBeGreaterThan(1e-4)
  })

  it('L_KL trains q (and so the gate) by default and not in the ONE variant', () => {
    const norms = [false, true].map((detachQ) =>
      tf.tidy(() => {
        const g = tf.grad((gate: tf.Tensor) => {
          const q = gateMix(tf.softmax(gate) as tf.Tensor2D, temperedProbs(tf.tensor3d(Z), 3))
          return klLoss(q, tf.tensor3d(Z), { temperature: 3, t2: true, detachQ })
        })(tf.tensor2d(G))
        return tf.norm(g).dataSync()[0]
      })
    )
    expect(norms[0]).toBeGreaterThan(1e-4)
    expect(norms[1]).toBe(0)
  })
})
