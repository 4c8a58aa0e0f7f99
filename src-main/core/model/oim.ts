/**
 * Objective-inference read-outs over the PIN's region predictions: tempered probabilities (eq. 6), the
 * gated intermediate prediction q (eq. 7) and the UEM uncertainty/confidence (eq. 10). The Table-I prior
 * support is read from stored AU vectors (prediction-layout.ts), not computed per forward pass.
 * Pure tensor functions; shapes use B = batch, N = 4 regions, C = classes.
 */
import { tf } from './tf'
import { stopGradient } from './layers'

/** softmax(z / T) over the class axis. z: [..., C]. */
export function temperedProbs<T extends tf.Tensor>(z: T, temperature: number): T {
  return tf.softmax(temperature === 1 ? z : tf.div(z, temperature)) as T
}

/** q_i = Σ_j g_ij · p_ij. g: [B, N], p: [B, N, C] → [B, C]. */
export function gateMix(g: tf.Tensor2D, p: tf.Tensor3D): tf.Tensor2D {
  return tf.sum(tf.mul(tf.expandDims(g, 2), p), 1) as tf.Tensor2D
}

export interface UemOut {
  /** u_i: [B]. Variance form ∈ [0, 1 − 1/N]; MI form ∈ [0, log N] (nats); entropy form ∈ [0, log C] (nats). */
  uncertainty: tf.Tensor1D
  /** c_i ∈ [0, 1], 1 = all regions agree: [B]. */
  confidence: tf.Tensor1D
}

/**
 * Eq. (10), variance form (RECONSTRUCTED, recommended): p̄ = mean_j p_j, u = mean_j ‖p_j − p̄‖²,
 * c = 1 − u / (1 − 1/N). p: [B, N, C] at T = 1.
 */
export function uemVariance(p: tf.Tensor3D): UemOut {
  const n = p.shape[1]
  const mean = tf.mean(p, 1, true)
  const u = tf.mean(tf.sum(tf.square(tf.sub(p, mean)), 2), 1) as tf.Tensor1D
  const c = tf.clipByValue(tf.sub(1, tf.div(u, 1 - 1 / n)), 0, 1) as tf.Tensor1D
  return { uncertainty: u, confidence: c }
}

function entropy(p: tf.Tensor, axis: number): tf.Tensor {
  return tf.neg(tf.sum(tf.mul(p, tf.log(tf.maximum(p, 1e-12))), axis))
}

/** Eq. (10), mutual-information alternative: MI = H(p̄) − mean_j H(p_j), c = 1 − MI / log N. */
export function uemMutualInformation(p: tf.Tensor3D): UemOut {
  const n = p.shape[1]
  const mi = tf.relu(tf.sub(entropy(tf.mean(p, 1), 1), tf.mean(entropy(p, 2), 1))) as tf.Tensor1D
  const c = tf.clipByValue(tf.sub(1, tf.div(mi, Math.log(n))), 0, 1) as tf.Tensor1D
  return { uncertainty: mi, confidence: c }
}

/**
 * Total-uncertainty alternative (OURS): u = H(p̄) in nats, c = 1 − H(p̄)/log C, p̄ = mean_j p_j. Unlike
 * the two disagreement forms it also sees regions that agree on a flat distribution, so it does not
 * saturate once mutual learning has pulled the regions together. p: [B, N, C] at T = 1.
 */
export function uemEntropy(p: tf.Tensor3D): UemOut {
  const c = p.shape[2]
  const h = entropy(tf.mean(p, 1), 1) as tf.Tensor1D
  const conf = tf.clipByValue(tf.sub(1, tf.div(h, Math.log(c))), 0, 1) as tf.Tensor1D
  return { uncertainty: h, confidence: conf }
}

/** UEM with stop-gradient on its input (spec §7.8: the UEM is a read-out, never trained through). */
export function uem(p: tf.Tensor3D, kind: 'variance' | 'mi' | 'entropy'): UemOut {
  const ps = stopGradient(p)
  if (kind === 'entropy') return uemEntropy(ps)
  return kind === 'variance' ? uemVariance(ps) : uemMutualInformation(ps)
}
