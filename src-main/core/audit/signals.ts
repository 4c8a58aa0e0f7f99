/**
 * Per-image label-quality signals over probability vectors (pure functions, no I/O).
 * Vectors are indexed by class (length C); `y` is the given class index.
 */

/** Probabilities below this are treated as this in logarithms (KL against a zero). */
const EPS = 1e-12

/** p[y]: the self-confidence of the given label (cleanlab `self_confidence`). */
export function selfConfidence(p: ArrayLike<number>, y: number): number {
  return p[y]
}

/** p[y] − max_{k≠y} p[k], in [−1, 1]; negative when another class is more probable. */
export function margin(p: ArrayLike<number>, y: number): number {
  let other = -Infinity
  for (let k = 0; k < p.length; k++) if (k !== y && p[k] > other) other = p[k]
  return p[y] - (other === -Infinity ? 0 : other)
}

/** cleanlab's normalised margin: (margin + 1) / 2, in [0, 1]. */
export function normalizedMargin(p: ArrayLike<number>, y: number): number {
  return (margin(p, y) + 1) / 2
}

/** Shannon entropy in nats. */
export function entropy(p: ArrayLike<number>): number {
  let h = 0
  for (let k = 0; k < p.length; k++) if (p[k] > 0) h -= p[k] * Math.log(p[k])
  return h
}

/** Entropy / ln C, in [0, 1]: 0 = one-hot, 1 = uniform. */
export function normalizedEntropy(p: ArrayLike<number>): number {
  return p.length > 1 ? entropy(p) / Math.log(p.length) : 0
}

/** KL(g ‖ q) in nats (q floored at 1e-12, so a zero where g has mass gives a large, finite value). */
export function klDivergence(g: ArrayLike<number>, q: ArrayLike<number>): number {
  let d = 0
  for (let k = 0; k < g.length; k++) if (g[k] > 0) d += g[k] * Math.log(g[k] / Math.max(q[k], EPS))
  return Math.max(0, d)
}

/** Jensen–Shannon divergence in bits, in [0, 1]; symmetric and finite even with zeros. */
export function jsDivergence(g: ArrayLike<number>, q: ArrayLike<number>): number {
  let d = 0
  for (let k = 0; k < g.length; k++) {
    const m = (g[k] + q[k]) / 2
    if (g[k] > 0) d += 0.5 * g[k] * Math.log2(g[k] / m)
    if (q[k] > 0) d += 0.5 * q[k] * Math.log2(q[k] / m)
  }
  return Math.min(1, Math.max(0, d))
}

/** Scales non-negative values to sum 1; null when they are all zero or any is invalid. */
export function normalise(v: ArrayLike<number>): number[] | null {
  let s = 0
  for (let k = 0; k < v.length; k++) {
    if (!(v[k] >= 0) || !Number.isFinite(v[k])) return null
    s += v[k]
  }
  if (!(s > 0)) return null
  return Array.from(v, (x) => x / s)
}

/** One-hot vector of length C at y. */
export function oneHot(y: number, C: number): number[] {
  const v = new Array<number>(C).fill(0)
  v[y] = 1
  return v
}

/** α·a + (1 − α)·b. */
export function mix(a: ArrayLike<number>, b: ArrayLike<number>, alpha: number): number[] {
  return Array.from(a, (x, k) => alpha * x + (1 - alpha) * b[k])
}

/**
 * The given label as a distribution: a curator's kept soft label, else the source's vote
 * distribution (when it still agrees with the current label, i.e. the label was not changed away
 * from the votes' majority), else one-hot at y.
 */
export function givenDistribution(
  y: number,
  C: number,
  votes: ArrayLike<number> | null,
  soft: ArrayLike<number> | null
): number[] {
  if (soft && soft.length === C) {
    const s = normalise(soft)
    if (s) return s
  }
  if (votes && votes.length === C) {
    const v = normalise(votes)
    if (v && v[y] === Math.max(...v)) return v
  }
  return oneHot(y, C)
}

/**
 * The value at quantile q of `values` (linear interpolation between order statistics, numpy's
 * default). NaN for an empty list.
 */
export function quantile(values: readonly number[], q: number): number {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b)
  if (!v.length) return NaN
  const pos = Math.min(Math.max(q, 0), 1) * (v.length - 1)
  const lo = Math.floor(pos)
  const hi = Math.ceil(pos)
  return v[lo] + (v[hi] - v[lo]) * (pos - lo)
}

/** Per-image signals, all for the given label y. Missing inputs give null fields. */
export interface LabelSignals {
  /** p̂[y] of the TRN. */
  trnSelfConfidence: number
  /** p̂[y] − max_{k≠y} p̂[k]. */
  trnMargin: number
  /** JS(given ‖ p̂) in bits, [0, 1]. */
  trnJs: number
  /** KL(given ‖ p̂) in nats. */
  trnKl: number
  /** q[y] of the OIM soft label at T = 1. */
  oimSelfConfidence: number | null
  oimMargin: number | null
  /** JS(given ‖ q) in bits, [0, 1]. */
  oimJs: number | null
  /** KL(given ‖ q) in nats. */
  oimKl: number | null
  /** Entropy of the soft label (q, else p̂) / ln C, [0, 1]. */
  softEntropy: number
  /** c_i, UEM confidence in [0, 1]. */
  uemConfidence: number | null
  /** m[y] of the combined distribution m = α·q + (1 − α)·p̂. */
  combinedSelfConfidence: number
  /** 1 − JS(given ‖ m), [0, 1]. */
  agreement: number
}

/** Computes {@link LabelSignals} from the given distribution g, TRN p̂, soft label q (T=1) and c. */
export function labelSignals(
  y: number,
  g: ArrayLike<number>,
  trn: ArrayLike<number>,
  soft: ArrayLike<number> | null,
  uem: number | null,
  alpha: number
): LabelSignals & { combined: number[] } {
  const m = soft ? mix(soft, trn, alpha) : Array.from(trn)
  return {
    trnSelfConfidence: trn[y],
    trnMargin: margin(trn, y),
    trnJs: jsDivergence(g, trn),
    trnKl: klDivergence(g, trn),
    oimSelfConfidence: soft ? soft[y] : null,
    oimMargin: soft ? margin(soft, y) : null,
    oimJs: soft ? jsDivergence(g, soft) : null,
    oimKl: soft ? klDivergence(g, soft) : null,
    softEntropy: normalizedEntropy(soft ?? trn),
    uemConfidence: uem,
    combinedSelfConfidence: m[y],
    agreement: 1 - jsDivergence(g, m),
    combined: m
  }
}

/**
 * THE ranking score of the POI audit, in [0, 1]; lower = more likely a wrong label:
 *
 *     score = 1 − w · JS(g ‖ m),   m = α·q + (1 − α)·p̂,   w = f + (1 − f)·c
 *
 * - JS(g ‖ m) (bits, [0, 1]) measures how far the given label g sits from what the image shows.
 *   For a one-hot g it is a strictly decreasing function of m[y], so the ranking equals
 *   self-confidence ranking (cleanlab's best simple score on out-of-sample probabilities); unlike
 *   self-confidence it also handles vote distributions and curator soft labels as g.
 * - m averages two views: q, the objective soft label built from AU-prior regions, and p̂, the
 *   TRN trained on the labels. Averaging views is an ensemble, which ranks label errors better
 *   than either alone; α = 0.5 trusts them equally.
 * - w discounts a disagreement when the four regions disagree among themselves (low UEM
 *   confidence c): then the evidence against the label is weak and the image belongs in the
 *   ambiguous queue rather than at the top of the "wrong label" list. f = 0.5 keeps at least half
 *   of the disagreement, so a clear mislabel with a confused region still ranks high; without UEM
 *   (a CE run) w = 1.
 */
export function poiScore(agreement: number, uem: number | null, confidenceFloor: number): number {
  const w = uem == null ? 1 : confidenceFloor + (1 - confidenceFloor) * Math.min(1, Math.max(0, uem))
  return 1 - w * (1 - agreement)
}
