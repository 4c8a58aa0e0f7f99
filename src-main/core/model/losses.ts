/**
 * POI losses (spec §4; every formula RECONSTRUCTED there, wiring STATED-P). Shapes: B = batch, N = 4
 * regions in order [UL, UR, LL, LR], C = classes; y is int32 [B] of class indices into cfg.classes.
 *
 *   L = λ3·L_CE^TRN + λ_OR·L_OR + λ1·L_AU + λ2·L_CE^PIN + λ_KL·L_KL   (+ L_gate: ONE variant, or λ_gate·L_gate)
 *
 * The 'baseline' mode (and ablation.noPIN) trains with L = L_CE^TRN alone.
 */
import { tf } from './tf'
import { AU_PRIOR, EYE_AUS, MOUTH_AUS, type ClassName } from '../classes'
import type { PoiModelConfig } from './config'
import { stopGradient } from './layers'

/** Added inside log q (as ONE does) so an exactly-zero mixture entry cannot give −∞. */
export const LOG_EPS = 1e-7

/**
 * Smoothed Table-I AU pseudolabels per class (spec §3): y = 1 if the AU is in the class's prior for
 * that region, else 0; 'symmetric' → 1−ε / ε, 'standard' → (1−ε)y + ε/2. Rows follow `classes`.
 */
export function auTargets(
  classes: readonly ClassName[],
  epsilon: number,
  smoothing: 'symmetric' | 'standard'
): { eye: number[][]; mouth: number[][] } {
  const smooth = (on: boolean): number => {
    const y = on ? 1 : 0
    return smoothing === 'symmetric' ? (1 - epsilon) * y + epsilon * (1 - y) : (1 - epsilon) * y + epsilon / 2
  }
  return {
    eye: classes.map((c) => EYE_AUS.map((au) => smooth(AU_PRIOR[c].eye.includes(au)))),
    mouth: classes.map((c) => MOUTH_AUS.map((au) => smooth(AU_PRIOR[c].mouth.includes(au))))
  }
}

/** 1 per AU that enters L_AU; AU14 is 0 when `maskAU14` is set and the class set has no contempt. */
export function auMask(classes: readonly ClassName[], maskAU14: boolean): { eye: number[]; mouth: number[] } {
  const drop14 = maskAU14 && !classes.includes('contempt')
  return { eye: EYE_AUS.map(() => 1), mouth: MOUTH_AUS.map((au) => (drop14 && au === 14 ? 0 : 1)) }
}

function oneHot(y: tf.Tensor1D, c: number): tf.Tensor2D {
  return tf.oneHot(tf.cast(y, 'int32'), c) as tf.Tensor2D
}

/**
 * Eq. (4): L_AU = −(1/(B·N)) Σ_i Σ_j Σ_{m∈A_b(j)} [ŷ log ρ + (1−ŷ) log(1−ρ)], summed over AUs,
 * averaged over B·N (spec §7.12). Computed from logits l (ρ = σ(l)) as softplus(l) − ŷ·l, which is
 * the same value without log(0). auLogits: eye [B, 2, 6], mouth [B, 2, 7].
 */
export function auLoss(
  auLogits: { eye: tf.Tensor3D; mouth: tf.Tensor3D },
  y: tf.Tensor1D,
  o: { classes: readonly ClassName[]; epsilon: number; smoothing: 'symmetric' | 'standard'; maskAU14: boolean }
): tf.Scalar {
  const b = auLogits.eye.shape[0]
  const t = auTargets(o.classes, o.epsilon, o.smoothing)
  const mask = auMask(o.classes, o.maskAU14)
  const oh = oneHot(y, o.classes.length)
  const part = (logits: tf.Tensor3D, table: number[][], m: number[]): tf.Tensor => {
    const target = tf.expandDims(tf.matMul(oh, tf.tensor2d(table)), 1) // [B, 1, M]
    const bce = tf.sub(tf.softplus(logits), tf.mul(target, logits)) // [B, 2, M]
    return tf.sum(tf.mul(bce, tf.tensor1d(m)))
  }
  const total = tf.add(part(auLogits.eye, t.eye, mask.eye), part(auLogits.mouth, t.mouth, mask.mouth))
  return tf.div(total, b * 4) as tf.Scalar
}

/**
 * −mean over every leading index of Σ_c t_c · log softmax(logits)_c, with t = one-hot(y), or the
 * given target distribution `targets` [B, C] (rows sum to 1: soft labels from annotators' votes).
 * logits: [B, C] or [B, N, C].
 */
function crossEntropy(logits: tf.Tensor, y: tf.Tensor1D, targets?: tf.Tensor2D): tf.Scalar {
  const c = logits.shape[logits.rank - 1]
  let oh: tf.Tensor = targets ?? oneHot(y, c)
  if (logits.rank === 3) oh = tf.expandDims(oh, 1)
  const logp = tf.logSoftmax(logits)
  return tf.neg(tf.mean(tf.sum(tf.mul(oh, logp), -1))) as tf.Scalar
}

/** Eq. (5): L_CE^PIN = −(1/(B·N)) Σ_i Σ_j log p_ij[y_i] (soft: Σ_c t_ic log p_ij[c]). regionLogits: [B, N, C]. */
export function pinCeLoss(regionLogits: tf.Tensor3D, y: tf.Tensor1D, targets?: tf.Tensor2D): tf.Scalar {
  return crossEntropy(regionLogits, y, targets)
}

/** Eq. (9): L_CE^TRN = −(1/B) Σ_i log p̂_i[y_i] (soft: Σ_c t_ic log p̂_i[c]). trnLogits: [B, C]; targets [B, C]. */
export function trnCeLoss(trnLogits: tf.Tensor2D, y: tf.Tensor1D, targets?: tf.Tensor2D): tf.Scalar {
  return crossEntropy(trnLogits, y, targets)
}

/**
 * Eq. (8): L_KL = (1/(B·N)) Σ_i Σ_j T²·KL(q_i ‖ softmax(z_ij/T)), KL(q‖p) = Σ_c q_c (log(q_c + 1e-7) − log p_c).
 * `detachQ` (ONE variant) stops the gradient into q; by default q (and so the gate) learns from it.
 */
export function klLoss(
  q: tf.Tensor2D,
  regionLogits: tf.Tensor3D,
  o: { temperature: number; t2: boolean; detachQ: boolean }
): tf.Scalar {
  const qq = tf.expandDims(o.detachQ ? stopGradient(q) : q, 1) // [B, 1, C]
  const logPT = tf.logSoftmax(tf.div(regionLogits, o.temperature))
  const kl = tf.sum(tf.mul(qq, tf.sub(tf.log(tf.add(qq, LOG_EPS)), logPT)), 2) // [B, N]
  const scale = o.t2 ? o.temperature * o.temperature : 1
  return tf.mul(tf.mean(kl), scale) as tf.Scalar
}

/**
 * Eq. (11) weight: ω = 1 − c (stop-gradient), or 1 under ablation.noUEM; `normalise` rescales to
 * ω·B/Σω so the batch mean is 1. confidence: [B] → ω [B].
 */
export function omegaFromConfidence(confidence: tf.Tensor1D, o: { noUEM: boolean; normalise: boolean }): tf.Tensor1D {
  let w: tf.Tensor1D = o.noUEM ? tf.onesLike(confidence) : (tf.sub(1, stopGradient(confidence)) as tf.Tensor1D)
  if (o.normalise) w = tf.div(tf.mul(w, w.shape[0]), tf.maximum(tf.sum(w), 1e-12)) as tf.Tensor1D
  return w
}

/** Eq. (11): L_OR = (1/B) Σ_i ω_i·T²·KL(sg(q_i) ‖ softmax(s_i/T)). q [B, C], trnLogits [B, C], ω [B]. */
export function orLoss(
  q: tf.Tensor2D,
  trnLogits: tf.Tensor2D,
  omega: tf.Tensor1D,
  o: { temperature: number; t2: boolean }
): tf.Scalar {
  const sq = stopGradient(q)
  const logPs = tf.logSoftmax(tf.div(trnLogits, o.temperature))
  const kl = tf.sum(tf.mul(sq, tf.sub(tf.log(tf.add(sq, LOG_EPS)), logPs)), 1) // [B]
  const scale = o.t2 ? o.temperature * o.temperature : 1
  return tf.mul(tf.mean(tf.mul(stopGradient(omega), kl)), scale) as tf.Scalar
}

/** ONE variant's gate loss: −(1/B) Σ_i log(q_i[y_i] + 1e-7), q [B, C] (the tempered mixture, as spec §4 writes it). */
export function gateCeLoss(q: tf.Tensor2D, y: tf.Tensor1D): tf.Scalar {
  const oh = oneHot(y, q.shape[1])
  return tf.neg(tf.mean(tf.log(tf.add(tf.sum(tf.mul(oh, q), 1), LOG_EPS)))) as tf.Scalar
}

/**
 * What the loss needs from a forward pass (a subset of PoiOutputs; B = batch). PIN fields are absent in baseline mode.
 */
export interface LossInputs {
  trnLogits: tf.Tensor2D
  regionLogits?: tf.Tensor3D
  /** q at temperature T: [B, C]. */
  q?: tf.Tensor2D
  /** q at T = 1, Σ_j g_j softmax(z_j): [B, C] (the gate's own loss, when loss.lambdaGate > 0). */
  qT1?: tf.Tensor2D
  /** UEM confidence c: [B]. */
  uemConfidence?: tf.Tensor1D
  auLogits?: { eye: tf.Tensor3D; mouth: tf.Tensor3D }
}

/** Each loss term as a scalar tensor; PIN terms absent when the PIN is off. */
export interface LossTensors {
  total: tf.Scalar
  ceTrn: tf.Scalar
  or?: tf.Scalar
  au?: tf.Scalar
  cePin?: tf.Scalar
  kl?: tf.Scalar
  gateCe?: tf.Scalar
}

/** The same terms as plain numbers (for progress events). Unweighted; `total` includes the λ's. */
export type LossValues = { [K in keyof LossTensors]: number }

/**
 * Builds every term and the weighted total for one batch. `targets` [B, C] (optional): the CE terms'
 * target distributions (soft labels); the AU and gate terms keep the hard label y.
 */
export function poiLoss(inp: LossInputs, y: tf.Tensor1D, cfg: PoiModelConfig, targets?: tf.Tensor2D): LossTensors {
  const ceTrn = trnCeLoss(inp.trnLogits, y, targets)
  const pinOn = cfg.mode === 'poi' && !cfg.ablation.noPIN
  if (!pinOn) return { total: ceTrn, ceTrn }
  if (!inp.regionLogits || !inp.q || !inp.uemConfidence || !inp.auLogits) {
    throw new Error('poiLoss: the PIN outputs are missing although the configuration enables the PIN')
  }
  const L = cfg.loss
  const T = cfg.temperature
  const au = auLoss(inp.auLogits, y, {
    classes: cfg.classes,
    epsilon: L.auEpsilon,
    smoothing: L.auSmoothing,
    maskAU14: L.auMaskAU14
  })
  const cePin = pinCeLoss(inp.regionLogits, y, targets)
  const kl = klLoss(inp.q, inp.regionLogits, { temperature: T, t2: L.klT2, detachQ: L.klVariant === 'one' })
  const omega = omegaFromConfidence(inp.uemConfidence, { noUEM: cfg.ablation.noUEM, normalise: L.normaliseOmega })
  const or = orLoss(inp.q, inp.trnLogits, omega, { temperature: T, t2: L.klT2 })
  // Absent weights (configs written before they existed) mean the old fixed 1 and no gate loss.
  const lKl = L.lambdaKl ?? 1
  const lOr = L.lambdaOr ?? 1
  let total = tf.addN([
    tf.mul(ceTrn, L.lambda3),
    tf.mul(or, lOr),
    tf.mul(au, L.lambda1),
    tf.mul(cePin, L.lambda2),
    tf.mul(kl, lKl)
  ]) as tf.Scalar
  const out: LossTensors = { total, ceTrn, or, au, cePin, kl }
  if (L.klVariant === 'one' && !cfg.ablation.noGate) {
    out.gateCe = gateCeLoss(inp.q, y)
    total = tf.add(total, out.gateCe) as tf.Scalar
    out.total = total
  } else if ((L.lambdaGate ?? 0) > 0 && !cfg.ablation.noGate) {
    if (!inp.qT1) throw new Error('poiLoss: loss.lambdaGate > 0 needs qT1 (the T = 1 mixture)')
    out.gateCe = gateCeLoss(inp.qT1, y)
    total = tf.add(total, tf.mul(out.gateCe, L.lambdaGate as number)) as tf.Scalar
    out.total = total
  }
  return out
}

/** Reads every term (one sync per term). */
export function lossValues(t: LossTensors): LossValues {
  const v: LossValues = { total: 0, ceTrn: 0 }
  for (const [k, s] of Object.entries(t) as Array<[keyof LossTensors, tf.Scalar | undefined]>) {
    if (s) v[k] = s.dataSync()[0]
  }
  return v
}
