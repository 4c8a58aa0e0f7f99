/**
 * A review queue that learns from the curator (ActiveLab's idea: re-prioritise what to look at next
 * from what has been decided so far).
 *
 * The audit ranks images by one fixed formula over the model's outputs (audit/signals.ts poiScore).
 * Curator decisions say, for the images already reviewed, whether the given label was wrong — exactly
 * what that formula tries to predict. `fitReranker` fits a small logistic model
 *
 *     P(label wrong | image) = σ(w · x),   x = standardised features of the audit item (below)
 *
 * on the decided images, with an L2 penalty that pulls w towards the weights that reproduce the static
 * ranking (`w₀`: only the static-score feature). So with no decisions the order is the audit's order;
 * with a few it moves only where the decisions say the formula is off (e.g. one class's labels turn
 * out much noisier than the model thinks, or UEM confidence matters more or less than assumed); it
 * takes milliseconds on 35k images (Newton steps on ≤ 2C + 10 dimensions).
 *
 * Decisions as training signal (`decisionSignal`): kept = label right (0); accepted suggestion or
 * relabeled = label wrong (1); excluded, ambiguous and skipped are not used (none says the label class
 * was wrong).
 *
 * What this is not: the network itself is not retrained (see `poi-audit train --from-run` for that).
 */
import type { ItemSignals } from '../audit/engine'
import type { ReviewState } from '../store/labels'

/** The inputs of one audit item the re-ranker reads (all from the stored audit). */
export interface RerankItem {
  imageId: number
  /** The audit's ranking score in [0, 1], lower = more suspicious. */
  score: number
  givenLabel: number
  suggestedLabel: number | null
  signals: ItemSignals | null
}

/** What a decision says about the given label: wrong, right, or nothing. */
export type DecisionSignal = 'wrong' | 'right' | 'none'

/**
 * What a stored review decision says about the label the audit judged (`givenLabel`): kept = right;
 * accepted (the suggestion) or relabeled = wrong, unless the new label equals the old one; excluded,
 * ambiguous and skipped say nothing about it.
 */
export function decisionSignal(
  review: ReviewState | null,
  currentLabel: number | null,
  givenLabel: number | null
): DecisionSignal {
  if (review === 'kept') return 'right'
  if (review === 'accepted' || review === 'relabeled')
    return currentLabel != null && currentLabel === givenLabel ? 'right' : 'wrong'
  return 'none'
}

/** What a decision says about an image's true label: the label, or nothing. */
export type LabelDecision = { label: number } | null

/**
 * The true label a stored review decision gives (the head re-ranker's target, head.ts): kept = the label the audit
 * judged (`givenLabel`); accepted (the suggestion, now the current label) or relabeled = the current label;
 * excluded, ambiguous (a soft label is no hard target) and skipped give none.
 */
export function decisionLabel(
  review: ReviewState | null,
  currentLabel: number | null,
  givenLabel: number | null
): LabelDecision {
  const label =
    review === 'kept'
      ? (givenLabel ?? currentLabel)
      : review === 'accepted' || review === 'relabeled'
        ? currentLabel
        : null
  return label != null && label >= 0 ? { label } : null
}

/**
 * The decided images' rows in the order the decisions were made (`decided`'s insertion order), split into the
 * earlier 80 % (fit) and the most recent 20 % (validate). `ids[k]` is the image of `rows[k]`.
 */
export function splitByTime<R>(
  rows: readonly R[],
  ids: readonly number[],
  decided: ReadonlyMap<number, unknown>
): { fit: R[]; check: R[] } {
  const order = new Map([...decided.keys()].map((id, k) => [id, k]))
  const byTime = rows.map((r, k) => ({ r, t: order.get(ids[k])! })).sort((a, b) => a.t - b.t)
  const cut = Math.floor(byTime.length * 0.8)
  return { fit: byTime.slice(0, cut).map((x) => x.r), check: byTime.slice(cut).map((x) => x.r) }
}

export interface RerankerOptions {
  /** L2 strength pulling w towards w₀, in units of decisions (default 20: 20 decisions weigh as much as the prior). */
  prior?: number
  /** Newton iterations (default 25). */
  iterations?: number
}

export interface Reranker {
  /** Feature names, in the order of `weights`. */
  names: string[]
  weights: number[]
  /** Decisions used: label wrong / label right. */
  used: { wrong: number; right: number }
  /** P(label wrong) per item, in the order the items were given. */
  suspicion(items: readonly RerankItem[]): Float64Array
}

const logit = (p: number): number => Math.log(p / (1 - p))
/** A probability kept off 0 and 1 (log-losses stay finite). */
export const clampP = (p: number): number => Math.min(1 - 1e-4, Math.max(1e-4, p))

/** Raw features of one item: [static suspicion logit, signal features…, given one-hot…, suggested one-hot…]. */
function rawFeatures(it: RerankItem, C: number): number[] {
  const s = it.signals ?? {}
  const num = (v: number | null | undefined, d: number): number => (v == null || !Number.isFinite(v) ? d : v)
  const f = [
    logit(clampP(1 - it.score)),
    Math.log(clampP(num(s.trnSelfConfidence, 0.5))),
    Math.log(clampP(num(s.oimSelfConfidence, num(s.trnSelfConfidence, 0.5)))),
    num(s.trnMargin, 0),
    num(s.oimMargin, num(s.trnMargin, 0)),
    num(s.uemConfidence, 0.5),
    num(s.softEntropy, 0.5),
    num(s.regionConflict, 0)
  ]
  for (let k = 0; k < C; k++) f.push(it.givenLabel === k ? 1 : 0)
  for (let k = 0; k < C; k++) f.push(it.suggestedLabel === k ? 1 : 0)
  return f
}

function featureNames(C: number): string[] {
  const n = [
    'static',
    'log p_trn[given]',
    'log q[given]',
    'trn margin',
    'oim margin',
    'uem confidence',
    'soft entropy',
    'region conflict'
  ]
  for (let k = 0; k < C; k++) n.push(`given=${k}`)
  for (let k = 0; k < C; k++) n.push(`suggested=${k}`)
  return n
}

/** Solves A x = b for a small symmetric positive-definite A (Cholesky). */
export function solveSpd(A: number[][], b: number[]): number[] {
  const n = b.length
  const L = Array.from({ length: n }, () => new Array<number>(n).fill(0))
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = A[i][j]
      for (let k = 0; k < j; k++) s -= L[i][k] * L[j][k]
      L[i][j] = i === j ? Math.sqrt(Math.max(s, 1e-12)) : s / L[j][j]
    }
  }
  const y = new Array<number>(n)
  for (let i = 0; i < n; i++) {
    let s = b[i]
    for (let k = 0; k < i; k++) s -= L[i][k] * y[k]
    y[i] = s / L[i][i]
  }
  const x = new Array<number>(n)
  for (let i = n - 1; i >= 0; i--) {
    let s = y[i]
    for (let k = i + 1; k < n; k++) s -= L[k][i] * x[k]
    x[i] = s / L[i][i]
  }
  return x
}

interface Design {
  names: string[]
  /** Standardised feature row (with the leading bias 1) of raw features. */
  x(raw: number[]): number[]
  raw: number[][]
}

/** Feature names and standardisation over all items (so scaling does not jump as decisions arrive). */
function design(all: readonly RerankItem[], C: number): Design {
  const names = ['bias', ...featureNames(C)]
  const raw = all.map((it) => rawFeatures(it, C))
  const F = names.length - 1
  const mean = new Array<number>(F).fill(0)
  const sd = new Array<number>(F).fill(0)
  for (const r of raw) r.forEach((v, j) => (mean[j] += v / Math.max(1, raw.length)))
  for (const r of raw) r.forEach((v, j) => (sd[j] += (v - mean[j]) ** 2 / Math.max(1, raw.length)))
  for (let j = 0; j < F; j++) sd[j] = Math.sqrt(sd[j]) || 1
  return { names, raw, x: (r) => [1, ...r.map((v, j) => (v - mean[j]) / sd[j])] }
}

type Row = { x: number[]; y: number }

/**
 * Penalised logistic regression by Newton steps: minimises Σ logloss + (prior/2)·‖w − w₀‖² over the
 * first `D` columns (the rest are left out). The bias is not pulled (it follows the data); w₀ is the
 * static ranking (weight 1 on the static logit) with the bias at the smoothed base rate.
 */
function newton(rows: readonly Row[], D: number, prior: number, iterations: number): number[] {
  const wrong = rows.filter((r) => r.y === 1).length
  const w0 = new Array<number>(D).fill(0)
  w0[0] = logit(clampP((wrong + 1) / (rows.length + 10)))
  w0[1] = 1
  const w = [...w0]
  for (let it = 0; it < iterations && rows.length > 0; it++) {
    const g = w.map((wj, j) => (j === 0 ? 0 : prior * (wj - w0[j])))
    const H = Array.from({ length: D }, (_, i) =>
      Array.from({ length: D }, (_, j) => (i === j ? (i === 0 ? 1e-6 : prior) : 0))
    )
    for (const r of rows) {
      let z = 0
      for (let j = 0; j < D; j++) z += w[j] * r.x[j]
      const p = 1 / (1 + Math.exp(-z))
      const e = p - r.y
      const h = p * (1 - p)
      for (let i = 0; i < D; i++) {
        g[i] += e * r.x[i]
        const hi = h * r.x[i]
        for (let j = 0; j <= i; j++) H[i][j] += hi * r.x[j]
      }
    }
    for (let i = 0; i < D; i++) for (let j = 0; j < i; j++) H[j][i] = H[i][j]
    const step = solveSpd(H, g)
    let moved = 0
    for (let j = 0; j < D; j++) {
      w[j] -= step[j]
      moved = Math.max(moved, Math.abs(step[j]))
    }
    if (moved < 1e-8) break
  }
  return w
}

function rowsOf(
  d: Design,
  all: readonly RerankItem[],
  decided: ReadonlyMap<number, DecisionSignal>
): { rows: Row[]; ids: number[] } {
  const rows: Row[] = []
  const ids: number[] = []
  all.forEach((it, i) => {
    const s = decided.get(it.imageId)
    if (s === 'wrong' || s === 'right') {
      rows.push({ x: d.x(d.raw[i]), y: s === 'wrong' ? 1 : 0 })
      ids.push(it.imageId)
    }
  })
  return { rows, ids }
}

function model(d: Design, w: number[], rows: readonly Row[], C: number): Reranker {
  const wrong = rows.filter((r) => r.y === 1).length
  return {
    names: d.names,
    weights: [...w, ...new Array<number>(d.names.length - w.length).fill(0)],
    used: { wrong, right: rows.length - wrong },
    suspicion(items) {
      const out = new Float64Array(items.length)
      items.forEach((it, i) => {
        const xi = d.x(rawFeatures(it, C))
        let z = 0
        for (let j = 0; j < w.length; j++) z += w[j] * xi[j]
        out[i] = 1 / (1 + Math.exp(-z))
      })
      return out
    }
  }
}

/**
 * Fits the re-ranker. `all` are every scored item of the audit (feature scaling comes from them);
 * `decided` maps image id → what its decision says. C = classes.
 */
export function fitReranker(
  all: readonly RerankItem[],
  decided: ReadonlyMap<number, DecisionSignal>,
  C: number,
  opts: RerankerOptions = {}
): Reranker {
  const d = design(all, C)
  const { rows } = rowsOf(d, all, decided)
  return model(d, newton(rows, d.names.length, opts.prior ?? 20, opts.iterations ?? 25), rows, C)
}

/** Why the queue kept or changed its order. */
export interface RerankDecision {
  used: 'learned' | 'static'
  reason: string
  /**
   * Mean log-loss on the most recent fifth of the decisions (fitted on the earlier ones), learned vs static-only; null
   * when not checked.
   */
  cv: { learned: number; static: number } | null
}

/** Fewest decisions of each kind (label wrong / label right) before the queue may re-rank. */
export const MIN_EACH = 10

/**
 * The not-yet-reviewed items, most suspicious first. The learned order is used only when, fitted on
 * the earlier decisions, it predicts the most recent ones better than the static score does (mean
 * log-loss): decisions come from the top of the queue, not a random sample, and a re-ranker that
 * merely fits that sample must not reshuffle a ranking that is already right further down.
 * Otherwise, the audit's static order (ties: static order). Returns image ids.
 */
export function rerankQueue(
  all: readonly RerankItem[],
  decided: ReadonlyMap<number, DecisionSignal>,
  C: number,
  opts: RerankerOptions = {}
): { order: number[]; model: Reranker; decision: RerankDecision } {
  const d = design(all, C)
  const { rows, ids } = rowsOf(d, all, decided)
  const prior = opts.prior ?? 20
  const iterations = opts.iterations ?? 25
  const full = model(d, newton(rows, d.names.length, prior, iterations), rows, C)
  const cv = (loss: { learned: number; static: number }): string =>
    `recent-decision log-loss ${loss.learned.toFixed(3)} learned vs ${loss.static.toFixed(3)} static`
  return guardedRerank(all, decided, {
    model: full,
    ...full.used,
    check() {
      // Validate on the most recent decisions (the last fifth, in the order they were made): they lie
      // deepest in the queue, where the next images come from, so this measures the extrapolation the
      // re-rank needs — a random split would only measure fit on the already-reviewed top.
      const { fit: tr, check: te } = splitByTime(rows, ids, decided)
      const loss = { learned: 0, static: 0 }
      const wl = newton(tr, d.names.length, prior, iterations)
      const ws = newton(tr, 2, 1e-3, iterations)
      for (const r of te) {
        for (const [key, w] of [
          ['learned', wl],
          ['static', ws]
        ] as const) {
          let z = 0
          for (let j = 0; j < w.length; j++) z += w[j] * r.x[j]
          const p = clampP(1 / (1 + Math.exp(-z)))
          loss[key] -= (r.y ? Math.log(p) : Math.log(1 - p)) / te.length
        }
      }
      return { loss, wins: loss.learned < loss.static - 0.002 }
    },
    suspicion: (open) => full.suspicion(open),
    reasons: {
      tooFew: (w, r) => `too few decisions of each kind yet (${w} wrong, ${r} right; ${MIN_EACH} each needed)`,
      kept: (loss) => `the decisions so far do not show the audit's order is off (${cv(loss)})`,
      used: (loss) => `re-ranked from ${rows.length} decisions (${cv(loss)})`
    }
  })
}

/** What `guardedRerank` needs of one re-ranker (rerankQueue here, rerankHead in head.ts). */
export interface GuardedFit<M> {
  /** The re-ranker fitted on every decision. */
  model: M
  /** Decisions used that say the given label was wrong / right. */
  wrong: number
  right: number
  /** Fitted on the earlier decisions, the recent-decision log-loss learned vs static, and whether learned wins. */
  check(): { loss: { learned: number; static: number }; wins: boolean }
  /** Suspicion of each open item (higher = sooner), from `model`. */
  suspicion(open: readonly RerankItem[]): ArrayLike<number>
  reasons: {
    tooFew(wrong: number, right: number): string
    kept(loss: { learned: number; static: number }): string
    used(loss: { learned: number; static: number }): string
  }
}

/**
 * The guard both re-rankers share: the static order of the open (undecided) items until there are MIN_EACH
 * decisions of each kind and the re-ranker predicts the most recent decisions better than the static side;
 * then the open items by suspicion, most suspicious first, ties by static score.
 */
export function guardedRerank<M>(
  all: readonly RerankItem[],
  decided: ReadonlyMap<number, unknown>,
  g: GuardedFit<M>
): { order: number[]; model: M; decision: RerankDecision } {
  const open = all.filter((it) => !decided.has(it.imageId))
  const keep = (reason: string, cv: RerankDecision['cv']) => ({
    order: open.map((it) => it.imageId),
    model: g.model,
    decision: { used: 'static' as const, reason, cv }
  })
  if (g.wrong < MIN_EACH || g.right < MIN_EACH) return keep(g.reasons.tooFew(g.wrong, g.right), null)
  const { loss, wins } = g.check()
  if (!wins) return keep(g.reasons.kept(loss), loss)
  const s = g.suspicion(open)
  const idx = open.map((_, k) => k).sort((a, b) => s[b] - s[a] || open[a].score - open[b].score)
  return {
    order: idx.map((k) => open[k].imageId),
    model: g.model,
    decision: { used: 'learned', reason: g.reasons.used(loss), cv: loss }
  }
}
