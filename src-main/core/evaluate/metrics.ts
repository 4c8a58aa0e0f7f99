/**
 * Ranking metrics for label-error detection (bench:detect, the demo, tests): how well a per-image
 * suspicion value separates the truly mislabeled images (positives) from the rest.
 *
 * Convention: `suspicion` is HIGHER for images more likely mislabeled. The audit's ranking score is
 * lower = worse, so callers pass its negation.
 */

export interface DetectionMetrics {
  /** Positives (truly mislabeled) and all images ranked. */
  positives: number
  n: number
  /** P(suspicion of a random positive > that of a random negative), ties count ½ (Mann–Whitney). */
  auroc: number
  /** Average precision: mean over positives of the precision at the rank where each is found. */
  ap: number
  /** Precision among the k most suspicious images, k = number of positives. */
  precisionAtK: number
}

/**
 * Ranks positions 0..n-1 by `value` descending; equal values keep the caller's order, so a ranking
 * is reproducible. Returns the permutation.
 */
function descending(value: readonly number[]): number[] {
  return value.map((_, i) => i).sort((a, b) => value[b] - value[a] || a - b)
}

/** AUROC with average ranks for ties (NaN when either class is empty). */
export function auroc(suspicion: readonly number[], positive: readonly boolean[]): number {
  const n = suspicion.length
  const idx = suspicion.map((_, i) => i).sort((a, b) => suspicion[a] - suspicion[b])
  let rankSumPos = 0
  let pos = 0
  for (let i = 0; i < n;) {
    let j = i
    while (j + 1 < n && suspicion[idx[j + 1]] === suspicion[idx[i]]) j++
    const avgRank = (i + j) / 2 + 1
    for (let t = i; t <= j; t++) if (positive[idx[t]]) rankSumPos += avgRank
    i = j + 1
  }
  for (const p of positive) if (p) pos++
  const neg = n - pos
  if (!pos || !neg) return NaN
  return (rankSumPos - (pos * (pos + 1)) / 2) / (pos * neg)
}

/** AUROC of `pos` scored above `neg` (ties count ½); NaN when a side is empty. */
export function aurocOf(pos: readonly number[], neg: readonly number[]): number {
  return auroc([...pos, ...neg], [...pos.map(() => true), ...neg.map(() => false)])
}

/** Average precision of the descending ranking (ties broken by input order). */
export function averagePrecision(suspicion: readonly number[], positive: readonly boolean[]): number {
  const order = descending(suspicion)
  let hits = 0
  let sum = 0
  order.forEach((i, r) => {
    if (positive[i]) {
      hits++
      sum += hits / (r + 1)
    }
  })
  return hits ? sum / hits : NaN
}

/** Share of positives among the `k` most suspicious (ties broken by input order). */
export function precisionAt(suspicion: readonly number[], positive: readonly boolean[], k: number): number {
  if (k <= 0) return NaN
  const order = descending(suspicion).slice(0, k)
  return order.filter((i) => positive[i]).length / order.length
}

/** All three metrics, k = number of positives. */
export function detectionMetrics(suspicion: readonly number[], positive: readonly boolean[]): DetectionMetrics {
  if (suspicion.length !== positive.length)
    throw new Error(`detectionMetrics: ${suspicion.length} values for ${positive.length} labels`)
  for (let i = 0; i < suspicion.length; i++) {
    if (Number.isNaN(suspicion[i])) throw new Error(`detectionMetrics: suspicion[${i}] is NaN`)
  }
  const positives = positive.filter(Boolean).length
  return {
    positives,
    n: suspicion.length,
    auroc: auroc(suspicion, positive),
    ap: averagePrecision(suspicion, positive),
    precisionAtK: precisionAt(suspicion, positive, positives)
  }
}

/** Precision and recall of a yes/no flag set against the truth (CL's issue mask, our likely_mislabeled). */
export function flagPrecisionRecall(
  flagged: readonly boolean[],
  positive: readonly boolean[]
): { flagged: number; precision: number; recall: number } {
  let tp = 0
  let f = 0
  let pos = 0
  for (let i = 0; i < flagged.length; i++) {
    if (flagged[i]) f++
    if (positive[i]) pos++
    if (flagged[i] && positive[i]) tp++
  }
  return { flagged: f, precision: f ? tp / f : NaN, recall: pos ? tp / pos : NaN }
}

/** Spearman rank correlation of two equally long vectors (ties broken by position: for continuous values). */
export function spearman(a: readonly number[], b: readonly number[]): number {
  if (a.length !== b.length) throw new Error(`spearman: ${a.length} values vs ${b.length}`)
  const rank = (v: readonly number[]): number[] => {
    const r = new Array<number>(v.length)
    v.map((x, i) => [x, i] as const)
      .sort((p, q) => p[0] - q[0])
      .forEach(([, i], k) => (r[i] = k))
    return r
  }
  const ra = rank(a)
  const rb = rank(b)
  const n = a.length
  return 1 - (6 * ra.reduce((s, r, i) => s + (r - rb[i]) ** 2, 0)) / (n * (n * n - 1))
}
