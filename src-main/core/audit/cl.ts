/**
 * The confident-learning baseline (Northcutt et al., JAIR 2021), written to match cleanlab's
 * `filter.find_label_issues` defaults (cleanlab count.py / filter.py, read at commit 00a7321):
 *
 * 1. per-class thresholds t_j = mean p_j over the examples labelled j (a class nobody carries gets
 *    t = 2: never confident);
 * 2. the confident joint C[given][guess]: an example counts when some p_k ≥ t_k − 1e-6; the guess is
 *    that class when exactly one class passes, else the argmax of p; the diagonal is clipped to ≥ 1;
 * 3. calibration: each row scaled to the given-label count, the matrix to N, rounded per row with
 *    the row totals kept;
 * 4. prune_by_noise_rate: for given class k and every j ≠ k, the C_cal[k][j] examples labelled k with
 *    the largest margin p_j − p_k are issues (at least `minExamplesPerClass` kept per class);
 * 5. finally an example whose argmax equals its label is never an issue.
 *
 * Probabilities are rows of length C (out-of-sample ones, ideally: k-fold scores).
 */
import { argmax } from '../util/vector'
import { normalizedMargin } from './signals'

export type ProbRows = readonly ArrayLike<number>[]

/** t_j = mean of p_j over the examples whose given label is j; 2 for classes nobody carries. */
export function confidentThresholds(labels: readonly number[], probs: ProbRows, C: number): number[] {
  const sum = new Array<number>(C).fill(0)
  const n = new Array<number>(C).fill(0)
  labels.forEach((y, i) => {
    sum[y] += probs[i][y]
    n[y]++
  })
  return sum.map((s, j) => (n[j] ? Math.max(s / n[j], 2e-6) : 2))
}

export interface ConfidentJoint {
  /** C×C counts, rows = given label, columns = guessed true label (diagonal clipped to ≥ 1). */
  joint: number[][]
  /** Per example: the guessed true class, or −1 when no class passed its threshold. */
  guess: number[]
  /** Examples counted off the diagonal (guess ≠ given), in input order. */
  offDiagonal: number[]
  thresholds: number[]
}

/** Step 2: the (uncalibrated) confident joint. */
export function confidentJoint(
  labels: readonly number[],
  probs: ProbRows,
  C: number,
  thresholds?: readonly number[]
): ConfidentJoint {
  const t = thresholds ? [...thresholds] : confidentThresholds(labels, probs, C)
  const joint = Array.from({ length: C }, () => new Array<number>(C).fill(0))
  const guess = new Array<number>(labels.length).fill(-1)
  const offDiagonal: number[] = []
  labels.forEach((y, i) => {
    const p = probs[i]
    let count = 0
    let only = -1
    for (let k = 0; k < C; k++) {
      if (p[k] >= t[k] - 1e-6) {
        count++
        if (only < 0) only = k
      }
    }
    if (!count) return
    const g = count === 1 ? only : argmax(p)
    guess[i] = g
    joint[y][g]++
    if (g !== y) offDiagonal.push(i)
  })
  for (let k = 0; k < C; k++) joint[k][k] = Math.max(joint[k][k], 1)
  return { joint, guess, offDiagonal, thresholds: t }
}

/**
 * Rounds to integers keeping the (rounded) total: round half to even first, then move the largest
 * residuals up (or the most negative down) one unit at a time, as cleanlab's round_preserving_sum.
 * Ties among residuals go to the lower index (a stable sort; numpy's quicksort may pick another).
 */
export function roundPreservingSum(values: readonly number[]): number[] {
  const ints = values.map(roundHalfEven)
  const target = roundHalfEven(values.reduce((a, b) => a + b, 0))
  let total = ints.reduce((a, b) => a + b, 0)
  while (Math.abs(total - target) > 1e-6) {
    const diff = Math.round(target - total)
    const inc = diff < 0 ? -1 : 1
    const changes = Math.min(Math.abs(diff), values.length)
    const order = values.map((_, i) => i).sort((a, b) => (values[b] - ints[b] - (values[a] - ints[a])) * inc || a - b)
    for (const i of order.slice(0, changes)) ints[i] += inc
    total = ints.reduce((a, b) => a + b, 0)
  }
  return ints
}

function roundHalfEven(x: number): number {
  const r = Math.round(x)
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r
}

/** Step 3: rows scaled to the given-label counts, the whole matrix to N, rounded per row. */
export function calibrateConfidentJoint(joint: readonly number[][], labelCounts: readonly number[]): number[][] {
  const N = labelCounts.reduce((a, b) => a + b, 0)
  const rows = joint.map((row, i) => {
    const s = Math.max(
      row.reduce((a, b) => a + b, 0),
      1e-16
    )
    return row.map((v) => (v / s) * labelCounts[i])
  })
  const total = Math.max(
    rows.flat().reduce((a, b) => a + b, 0),
    1e-16
  )
  return rows.map((row) => roundPreservingSum(row.map((v) => (v / total) * N)))
}

/**
 * Step 4's count matrix (cleanlab `_keep_at_least_n_per_class` on the transposed joint): returns
 * prune[k][j] = how many examples labelled k to flag as truly j, keeping at least n per class and
 * scaling the off-diagonals by fracNoise.
 */
export function pruneCounts(calibrated: readonly number[][], n: number, fracNoise = 1): number[][] {
  const C = calibrated.length
  // Work on the transpose (rows = true class, columns = given class) exactly as cleanlab does.
  const m = Array.from({ length: C }, (_, r) => Array.from({ length: C }, (_, c) => calibrated[c][r]))
  for (let c = 0; c < C; c++) {
    const diag = m[c][c]
    const newDiag = Math.max(diag, n)
    const diff = newDiag - diag
    let nonzero = 0
    for (let r = 0; r < C; r++) if (m[r][c] !== 0) nonzero++
    const per = diff / Math.max(nonzero - 1, 1)
    for (let r = 0; r < C; r++) m[r][c] = Math.max(m[r][c] - per, 0)
    m[c][c] = newDiag
  }
  // Reduce off-diagonals by fracNoise, move what was removed to the diagonal; truncate to ints.
  for (let c = 0; c < C; c++) {
    let removed = 0
    for (let r = 0; r < C; r++) {
      if (r === c) continue
      const v = m[r][c] * fracNoise
      removed += m[r][c] - v
      m[r][c] = v
    }
    m[c][c] += removed
  }
  const truncated = m.map((row) => row.map((v) => Math.trunc(v)))
  const rounded = truncated.map((row) => roundPreservingSum(row))
  return Array.from({ length: C }, (_, k) => Array.from({ length: C }, (_, j) => rounded[j][k]))
}

export interface FindIssuesOptions {
  filterBy?: 'prune_by_noise_rate' | 'confident_learning'
  minExamplesPerClass?: number
  fracNoise?: number
}

export interface LabelIssues {
  /** Per example: true = likely label issue. */
  issues: boolean[]
  thresholds: number[]
  /** Uncalibrated confident joint (rows given, columns guessed true). */
  confidentJoint: number[][]
  /** Calibrated to the label counts and N. */
  calibratedJoint: number[][]
  /** Per example: the confident guess (−1 = none). */
  guess: number[]
}

/** cleanlab `find_label_issues` for multi-class labels (steps 1–5 above). */
export function findLabelIssues(
  labels: readonly number[],
  probs: ProbRows,
  C: number,
  opts: FindIssuesOptions = {}
): LabelIssues {
  if (labels.length !== probs.length) throw new Error(`${labels.length} labels but ${probs.length} probability rows`)
  labels.forEach((y, i) => {
    if (!Number.isInteger(y) || y < 0 || y >= C) throw new Error(`label ${y} of example ${i} is outside 0..${C - 1}`)
    if (probs[i].length !== C) throw new Error(`probability row ${i} has ${probs[i].length} values, expected ${C}`)
  })
  const filterBy = opts.filterBy ?? 'prune_by_noise_rate'
  const cj = confidentJoint(labels, probs, C)
  const counts = new Array<number>(C).fill(0)
  for (const y of labels) counts[y]++
  const calibrated = calibrateConfidentJoint(cj.joint, counts)
  const issues = new Array<boolean>(labels.length).fill(false)
  if (filterBy === 'confident_learning') {
    for (const i of cj.offDiagonal) issues[i] = true
  } else {
    const minN = opts.minExamplesPerClass ?? 1
    const prune = pruneCounts(calibrated, minN, opts.fracNoise ?? 1)
    const byClass: number[][] = Array.from({ length: C }, () => [])
    labels.forEach((y, i) => byClass[y].push(i))
    for (let k = 0; k < C; k++) {
      const members = byClass[k]
      if (members.length <= minN) continue
      for (let j = 0; j < C; j++) {
        const num = prune[k][j]
        if (j === k || num <= 0) continue
        // The num examples labelled k that look most like j (largest p_j − p_k); stable on ties.
        const order = members
          .map((i, pos) => ({ i, pos, m: probs[i][j] - probs[i][k] }))
          .sort((a, b) => b.m - a.m || a.pos - b.pos)
        for (const o of order.slice(0, num)) issues[o.i] = true
      }
    }
  }
  labels.forEach((y, i) => {
    if (issues[i] && argmax(probs[i]) === y) issues[i] = false
  })
  return { issues, thresholds: cj.thresholds, confidentJoint: cj.joint, calibratedJoint: calibrated, guess: cj.guess }
}

/** cleanlab `get_label_quality_scores` (unadjusted): lower = more likely a label issue. */
export function labelQualityScores(
  labels: readonly number[],
  probs: ProbRows,
  method: 'self_confidence' | 'normalized_margin'
): number[] {
  return labels.map((y, i) => (method === 'self_confidence' ? probs[i][y] : normalizedMargin(probs[i], y)))
}
