/**
 * A second re-ranker for the learning queue (issue 17): a multinomial logistic "head" over each item's cached
 * per-class outputs, fitted on the TRUE labels the curator's decisions give — so it learns not only that a label
 * was wrong (learned.ts) but which label was right, e.g. "images labelled surprise that the model finds fear-ish
 * are fear".
 *
 *     x = log(evidence)   (the audit's per-class distribution m, ItemSignals.evidence, length C)
 *     P_head(· | image) = softmax(W x + b),   W: C×C, b: C
 *
 * (W, b) start at (I, 0), where softmax(log m) = m: with no decisions the head is the audit's own evidence. The
 * fit minimises Σ −log P_head(true label) + (prior/2)·(‖W − I‖² + ‖b‖²) over the decided images by Newton steps
 * (C² + C unknowns, 56 for C = 7; milliseconds on thousands of decisions). The open images are then ordered by
 * suspicion = 1 − P_head(given label), most suspicious first, ties by the static score.
 *
 * Decisions as targets (`decisionLabel` in learned.ts): kept → the given label; accepted → the accepted
 * (suggested) label; relabeled → the new label. Excluded, ambiguous and skipped give no target and change
 * nothing (excluded and ambiguous images still leave the open part of the queue, as in learned.ts).
 *
 * Items without `evidence` (audits written before it was stored) are not used as training rows; to be ranked
 * they get a fallback distribution from the static score: the given label gets `score`, the suggested label (or,
 * without one, the other classes evenly) the rest — so among themselves they keep the static order.
 *
 * The guard is rerankQueue's: at least MIN_EACH decisions whose target differs from the given label and
 * MIN_EACH that confirm it, and the head fitted on the earlier 80 % of the decisions (time order) must predict
 * the true labels of the most recent 20 % better (mean log-loss, by HEAD_MARGIN + 2 standard errors) than the
 * un-updated evidence;
 * otherwise the audit's static order is kept.
 */
import {
  clampP,
  guardedRerank,
  MIN_EACH,
  solveSpd,
  splitByTime,
  type LabelDecision,
  type RerankDecision,
  type RerankItem
} from './learned'

export interface HeadOptions {
  /** L2 strength pulling (W, b) towards (I, 0), in units of decisions (default 20, as learned.ts). */
  prior?: number
  /** Newton iterations at most (default 15). */
  iterations?: number
}

/**
 * The fitted head must beat the un-updated evidence on the most recent decisions by this much mean log-loss,
 * plus two standard errors of the per-decision difference (a few hundred decisions are a noisy check).
 */
export const HEAD_MARGIN = 0.002

const EPS = 1e-6

/** The head's input of one item: log of its (renormalised, clamped) per-class distribution, and whether fallback. */
export function headFeatures(it: RerankItem, C: number): { x: Float64Array; fallback: boolean } {
  const ev = it.signals?.evidence
  const p = new Float64Array(C)
  const fallback = !ev || ev.length !== C || !ev.every((v) => Number.isFinite(v))
  if (!fallback) for (let k = 0; k < C; k++) p[k] = Math.max(EPS, ev[k])
  else {
    const g = it.givenLabel
    const s = clampP(it.score)
    const sug = it.suggestedLabel != null && it.suggestedLabel !== g ? it.suggestedLabel : null
    for (let k = 0; k < C; k++) {
      if (k === g) p[k] = s
      else if (sug != null) p[k] = k === sug ? 1 - s : EPS
      else p[k] = (1 - s) / Math.max(1, g >= 0 && g < C ? C - 1 : C)
      p[k] = Math.max(EPS, p[k])
    }
  }
  let sum = 0
  for (let k = 0; k < C; k++) sum += p[k]
  const x = new Float64Array(C)
  for (let k = 0; k < C; k++) x[k] = Math.log(p[k] / sum)
  return { x, fallback }
}

/** A fitted head: θ[a·(C+1) + i] = W[a][i] for i < C, b[a] for i = C. */
export interface Head {
  C: number
  theta: Float64Array
  /** Decisions used: target ≠ given label / target = given label. */
  used: { wrong: number; right: number }
  /** P_head(· | x) for one item's features. */
  probs(x: Float64Array): Float64Array
}

/** (W, b) = (I, 0). */
function identity(C: number): Float64Array {
  const t = new Float64Array(C * (C + 1))
  for (let a = 0; a < C; a++) t[a * (C + 1) + a] = 1
  return t
}

/** softmax(W x + b) into `out`. */
function predict(theta: Float64Array, C: number, x: Float64Array, out: Float64Array): Float64Array {
  const D = C + 1
  let max = -Infinity
  for (let a = 0; a < C; a++) {
    let z = theta[a * D + C]
    for (let i = 0; i < C; i++) z += theta[a * D + i] * x[i]
    out[a] = z
    if (z > max) max = z
  }
  let sum = 0
  for (let a = 0; a < C; a++) sum += out[a] = Math.exp(out[a] - max)
  for (let a = 0; a < C; a++) out[a] /= sum
  return out
}

interface Row {
  x: Float64Array
  y: number
  given: number
}

function objective(rows: readonly Row[], theta: Float64Array, theta0: Float64Array, prior: number, C: number): number {
  const p = new Float64Array(C)
  let f = 0
  for (const r of rows) f -= Math.log(Math.max(1e-300, predict(theta, C, r.x, p)[r.y]))
  for (let j = 0; j < theta.length; j++) f += (prior / 2) * (theta[j] - theta0[j]) ** 2
  return f
}

/** Penalised multinomial logistic regression by damped Newton steps, from (I, 0). */
function fitTheta(rows: readonly Row[], C: number, prior: number, iterations: number): Float64Array {
  const D = C + 1
  const P = C * D
  const theta0 = identity(C)
  const theta = new Float64Array(theta0)
  if (!rows.length) return theta
  const p = new Float64Array(C)
  const xt = new Float64Array(D)
  let f = objective(rows, theta, theta0, prior, C)
  for (let it = 0; it < iterations; it++) {
    const g = new Array<number>(P)
    for (let j = 0; j < P; j++) g[j] = prior * (theta[j] - theta0[j])
    // Hessian: Σ (diag p − p pᵀ) ⊗ x̃ x̃ᵀ + prior·I; only blocks b ≤ a are accumulated, then mirrored.
    const H = Array.from({ length: P }, (_, i) => {
      const h = new Array<number>(P).fill(0)
      h[i] = prior
      return h
    })
    for (const r of rows) {
      predict(theta, C, r.x, p)
      xt.set(r.x)
      xt[C] = 1
      for (let a = 0; a < C; a++) {
        const e = p[a] - (a === r.y ? 1 : 0)
        for (let i = 0; i < D; i++) g[a * D + i] += e * xt[i]
        for (let b = 0; b <= a; b++) {
          const w = (a === b ? p[a] : 0) - p[a] * p[b]
          for (let i = 0; i < D; i++) {
            const Hi = H[a * D + i]
            const wi = w * xt[i]
            for (let j = 0; j < D; j++) Hi[b * D + j] += wi * xt[j]
          }
        }
      }
    }
    for (let i = 0; i < P; i++) for (let j = 0; j < i; j++) H[j][i] = H[i][j]
    const step = solveSpd(H, g)
    // Backtracking: the objective is convex, a full step is almost always taken.
    let t = 1
    const next = new Float64Array(P)
    let fn = Infinity
    for (let k = 0; k < 20; k++, t /= 2) {
      for (let j = 0; j < P; j++) next[j] = theta[j] - t * step[j]
      fn = objective(rows, next, theta0, prior, C)
      if (fn <= f) break
    }
    if (!(fn <= f)) break
    theta.set(next)
    const done = f - fn < 1e-9 * Math.max(1, Math.abs(f))
    f = fn
    if (done) break
  }
  return theta
}

function headOf(theta: Float64Array, C: number, rows: readonly Row[]): Head {
  const wrong = rows.filter((r) => r.y !== r.given).length
  return {
    C,
    theta,
    used: { wrong, right: rows.length - wrong },
    probs: (x) => predict(theta, C, x, new Float64Array(C))
  }
}

interface Prepared {
  feats: { x: Float64Array; fallback: boolean }[]
  rows: Row[]
  ids: number[]
}

function prepare(all: readonly RerankItem[], decided: ReadonlyMap<number, LabelDecision>, C: number): Prepared {
  const feats = all.map((it) => headFeatures(it, C))
  const rows: Row[] = []
  const ids: number[] = []
  all.forEach((it, i) => {
    const d = decided.get(it.imageId)
    if (!d || feats[i].fallback || !(d.label >= 0 && d.label < C)) return
    rows.push({ x: feats[i].x, y: d.label, given: it.givenLabel })
    ids.push(it.imageId)
  })
  return { feats, rows, ids }
}

/** Fits the head on the decided images' true labels (`decided`: image id → what its decision says). */
export function fitHead(
  all: readonly RerankItem[],
  decided: ReadonlyMap<number, LabelDecision>,
  C: number,
  opts: HeadOptions = {}
): Head {
  const { rows } = prepare(all, decided, C)
  return headOf(fitTheta(rows, C, opts.prior ?? 20, opts.iterations ?? 15), C, rows)
}

/**
 * Mean −log P(true label) over `rows` of the head θ and of the un-updated evidence, and the standard error of their
 * per-row difference.
 */
function compareLoss(
  rows: readonly Row[],
  theta: Float64Array,
  C: number
): { learned: number; static: number; se: number } {
  const p = new Float64Array(C)
  const id = identity(C)
  const n = Math.max(1, rows.length)
  const out = { learned: 0, static: 0, se: 0 }
  const d = rows.map((r) => {
    const l = -Math.log(clampP(predict(theta, C, r.x, p)[r.y]))
    const s = -Math.log(clampP(predict(id, C, r.x, p)[r.y]))
    out.learned += l / n
    out.static += s / n
    return s - l
  })
  const mean = out.static - out.learned
  out.se = Math.sqrt(d.reduce((a, v) => a + (v - mean) ** 2, 0) / Math.max(1, n - 1) / n)
  return out
}

/**
 * The not-yet-reviewed items (every item not in `decided`), most suspicious first by the head, when the guard
 * (module comment) lets it; else the audit's static order. `all` in static order. The same shape as rerankQueue:
 * `decision.used` 'learned' = the head's order; `cv` holds the head's vs the evidence's recent-decision log-loss.
 */
export function rerankHead(
  all: readonly RerankItem[],
  decided: ReadonlyMap<number, LabelDecision>,
  C: number,
  opts: HeadOptions = {}
): { order: number[]; model: Head; decision: RerankDecision } {
  const { feats, rows, ids } = prepare(all, decided, C)
  const prior = opts.prior ?? 20
  const iterations = opts.iterations ?? 15
  const full = headOf(fitTheta(rows, C, prior, iterations), C, rows)
  const index = new Map(all.map((it, i) => [it.imageId, i]))
  let se = 0
  const cv = (loss: { learned: number; static: number }): string =>
    `recent-decision log-loss ${loss.learned.toFixed(3)} head vs ${loss.static.toFixed(3)} evidence, ± ${se.toFixed(3)}`
  return guardedRerank(all, decided, {
    model: full,
    ...full.used,
    check() {
      const { fit: tr, check: te } = splitByTime(rows, ids, decided)
      const r = compareLoss(te, fitTheta(tr, C, prior, iterations), C)
      se = r.se
      const loss = { learned: r.learned, static: r.static }
      return { loss, wins: loss.learned < loss.static - HEAD_MARGIN - 2 * se }
    },
    suspicion: (open) =>
      open.map((it) => {
        const g = it.givenLabel
        return g >= 0 && g < C ? 1 - full.probs(feats[index.get(it.imageId)!].x)[g] : 0
      }),
    reasons: {
      tooFew: (w, r) =>
        `too few labelled decisions of each kind yet (${w} corrected, ${r} confirmed; ${MIN_EACH} each needed)`,
      kept: (loss) => `the decisions so far do not show the model's evidence is off (${cv(loss)})`,
      used: (loss) => `head re-ranked from ${rows.length} labelled decisions (${cv(loss)})`
    }
  })
}
