/**
 * A simulated curator for the effort benchmark and tests: knows which labels are wrong, reviews the
 * queue in order `batch` images at a time, and after each batch the queue may re-rank itself from the
 * decisions so far. Counts the wrong labels found after given numbers of reviews.
 *
 * Orders: 'static' (the audit's), 'learning' (learned.ts, from wrong/right), 'head' (head.ts, from the true
 * labels: the curator keeps a right label and relabels a wrong one to its true class, `truth`), 'random'.
 */
import { Rng } from '../util/rng'
import { rerankHead, type HeadOptions } from './head'
import {
  rerankQueue,
  type DecisionSignal,
  type LabelDecision,
  type RerankDecision,
  type RerankItem,
  type RerankerOptions
} from './learned'

export type ReviewOrder = 'static' | 'learning' | 'random' | 'head'

export interface EffortOptions {
  /** Decisions between re-ranks (default 50, the app's default). */
  batch?: number
  /** Report points: numbers of reviews (default 500, 1000, 2000). */
  at?: number[]
  seed?: number
  reranker?: RerankerOptions
  head?: HeadOptions
  /** Image id → true label; needed by 'head' only (its decisions carry the label the curator sets). */
  truth?: ReadonlyMap<number, number>
}

export interface EffortResult {
  order: ReviewOrder
  /** found[i]: wrong labels found after at[i] reviews. */
  found: number[]
  at: number[]
  /** Mean milliseconds per re-rank (learning and head only). */
  rerankMs: number | null
  /** Re-ranks that used the learned (or head's) order, of all re-ranks (learning and head only). */
  learnedUsed: { learned: number; of: number } | null
}

/**
 * `items` in the audit's static order (most suspicious first); `wrong`: image ids whose label is wrong (what is
 * counted as found, for every order; for 'head' it should equal the items whose `truth` differs from the given
 * label).
 */
export function simulateReview(
  items: readonly RerankItem[],
  wrong: ReadonlySet<number>,
  C: number,
  order: ReviewOrder,
  opts: EffortOptions = {}
): EffortResult {
  const batch = opts.batch ?? 50
  const at = [...(opts.at ?? [500, 1000, 2000])].sort((a, b) => a - b)
  const budget = Math.min(at[at.length - 1], items.length)
  if (order === 'head' && !opts.truth) throw new Error("simulateReview: order 'head' needs opts.truth")
  const decided = new Map<number, DecisionSignal>()
  const labels = new Map<number, LabelDecision>()
  const given = new Map(items.map((it) => [it.imageId, it.givenLabel]))
  let queue =
    order === 'random' ? new Rng(opts.seed ?? 1).shuffle(items.map((it) => it.imageId)) : items.map((it) => it.imageId)
  const found: number[] = []
  let hits = 0
  let reviewed = 0
  let ms = 0
  let reranks = 0
  let learned = 0
  while (reviewed < budget) {
    const take = queue.filter((id) => !decided.has(id)).slice(0, Math.min(batch, budget - reviewed))
    if (!take.length) break
    for (const id of take) {
      const w = wrong.has(id)
      decided.set(id, w ? 'wrong' : 'right')
      if (order === 'head') {
        const t = opts.truth!.get(id) ?? (w ? null : given.get(id)!)
        labels.set(id, t == null ? null : { label: t })
      }
      if (w) hits++
      reviewed++
      while (found.length < at.length && reviewed === at[found.length]) found.push(hits)
    }
    if ((order === 'learning' || order === 'head') && reviewed < budget) {
      const t0 = performance.now()
      const r: { order: number[]; decision: RerankDecision } =
        order === 'head' ? rerankHead(items, labels, C, opts.head) : rerankQueue(items, decided, C, opts.reranker)
      queue = r.order
      if (r.decision.used === 'learned') learned++
      ms += performance.now() - t0
      reranks++
    }
  }
  while (found.length < at.length) found.push(hits)
  return {
    order,
    found,
    at,
    rerankMs: reranks ? ms / reranks : null,
    learnedUsed: order === 'learning' || order === 'head' ? { learned, of: reranks } : null
  }
}
