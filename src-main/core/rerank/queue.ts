/**
 * The learning review queue in a project: reading what a re-rank needs from the project file,
 * computing the new order (rerankQueue of learned.ts, or rerankHead of head.ts: setting `method`) and
 * storing it, plus the per-project settings and the record of the last re-rank.
 *
 * The three steps are separate on purpose: reading and computing run in a worker thread on its own
 * read-only connection (worker-entry.ts), so review never waits on them; only the write of the
 * finished order (one transaction, ~35k small rows) runs on the writer's connection. The order is a
 * position per scored image of the audit (table queue_order, migration 0090): reviewed images keep
 * their place in the audit's order and the not-yet-reviewed ones fill the other places in the
 * learned order, so paging, filters and "next image" work exactly as with the score order.
 *
 * Decisions as signal (decisionSignal): kept = the label was right; accepted / relabeled = wrong
 * (unless the new label equals the old); ambiguous gives no hard target (a soft label is not a
 * verdict on the given label), excluded is dropped; both, like every decided image, leave the open
 * part of the queue. Skipped images stay open (the curator will come back to them). The head method
 * learns from the true labels instead (decisionLabel): kept = the given label, accepted / relabeled = the
 * current label; ambiguous, excluded and skipped give none.
 */
import type { DB } from '../store/db'
import { nowIso } from '../store/db'
import { getMeta, setMeta } from '../store/meta'
import type { ItemSignals } from '../audit/engine'
import type { ReviewState } from '../store/labels'
import { rerankHead } from './head'
import {
  decisionLabel,
  decisionSignal,
  rerankQueue,
  type DecisionSignal,
  type LabelDecision,
  type RerankDecision,
  type RerankItem
} from './learned'

/**
 * What the learning queue fits: 'signals' = P(label wrong) from the audit's signals (learned.ts), 'head' = the
 * model's per-class head from the decided images' true labels (head.ts).
 */
export type LearningMethod = 'signals' | 'head'

/** Per-project settings of the learning queue (meta key `learningQueue.settings`). */
export interface LearningSettings {
  /** Re-rank automatically and use the learned order as the Review default (default true). */
  enabled: boolean
  /** Re-rank after this many new curator decisions (default 50). */
  every: number
  /** What the re-rank fits (default 'signals'). */
  method: LearningMethod
}

export const DEFAULT_EVERY = 50
const SETTINGS_KEY = 'learningQueue.settings'
const RECORD_KEY = 'learningQueue.last'

export function getLearningSettings(db: DB): LearningSettings {
  const s = getMeta<Partial<LearningSettings>>(db, SETTINGS_KEY, {})
  const every = Number.isInteger(s.every) && s.every! >= 1 ? s.every! : DEFAULT_EVERY
  return { enabled: s.enabled !== false, every, method: s.method === 'head' ? 'head' : 'signals' }
}

export function setLearningSettings(db: DB, patch: Partial<LearningSettings>): LearningSettings {
  const next = {
    ...getLearningSettings(db),
    ...Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined))
  }
  setMeta(db, SETTINGS_KEY, next)
  return next
}

/** What a re-rank read: every scored item of the audit (static order) and the decisions, oldest first. */
export interface RerankInput {
  auditId: number
  /** Classes of the project. */
  classes: number
  /** Scored audit items, most suspicious first (the audit's order). */
  items: RerankItem[]
  /** Decided (not skipped) image id → what the decision says, in the order the decisions were made. */
  decided: Map<number, DecisionSignal>
  /** The same images (same order) → the true label the decision gives, or null (the head method's targets). */
  labels: Map<number, LabelDecision>
  /** Highest label_history id the decisions include (the "decisions since" watermark). */
  watermark: number
}

/** The stored record of the last re-rank (meta key `learningQueue.last`). */
export interface RerankRecord {
  auditId: number
  at: string
  /** Not-yet-reviewed scored images the re-rank placed. */
  images: number
  /** Decisions read (every decided image, skips excluded). */
  decisions: number
  /** Decisions that gave a hard target: label wrong / label right. */
  used: { wrong: number; right: number }
  /** What was fitted; absent in records written before the head method ('signals'). */
  method?: LearningMethod
  /** Which order the open part got: the learned one, or the audit's (with the guard's reason). */
  order: RerankDecision['used']
  reason: string
  /** Fit + re-rank (ms, in the worker). */
  fitMs: number
  /** Reading the audit and the decisions (ms, in the worker). */
  readMs: number
  /** The worker thread's nice value while it ran (19 = background; null = unknown; absent in older records). */
  priority?: number | null
  /**
   * Storing the order: time spent in write transactions on the writer's connection (ms, review can wait only on
   * these).
   */
  storeMs: number
  /** The longest of those transactions (ms): the most one review call can have waited. */
  storeMaxMs: number
  /** The queue_order generation holding this order. */
  gen: number
  /** Read + fit + re-rank + store, end to end (ms). */
  totalMs: number
  watermark: number
}

interface ItemRow {
  image_id: number
  score: number
  given_label: number | null
  suggested_label: number | null
  signals: string | null
}

/** Reads a re-rank's input in one read transaction (a consistent snapshot under concurrent review). */
export function loadRerankInput(db: DB, auditId: number): RerankInput {
  return db.transaction(() => {
    const classes = (db.prepare('SELECT count(*) AS n FROM classes').get() as { n: number }).n
    const rows = db
      .prepare('SELECT image_id, score, given_label, suggested_label, signals FROM audit_items WHERE audit_id = ?')
      .all(auditId) as ItemRow[]
    const items: RerankItem[] = []
    const given = new Map<number, number | null>()
    for (const r of rows) {
      const signals = r.signals ? (JSON.parse(r.signals) as ItemSignals) : null
      // A decided image's row was re-judged for its new label (audit/reassess.ts); the queue learns
      // from what the audit said, the judgement the curator saw and answered.
      const a = signals?.audit
      const view = a ?? {
        givenLabel: r.given_label,
        score: r.score,
        suggestedLabel: r.suggested_label,
        signals
      }
      if (view.score == null) continue
      given.set(r.image_id, view.givenLabel)
      // An item without a given label cannot be "wrong"; -1 gives it no class one-hot.
      items.push({
        imageId: r.image_id,
        score: view.score,
        givenLabel: view.givenLabel ?? -1,
        suggestedLabel: view.suggestedLabel,
        signals: view.signals
      })
    }
    items.sort((x, y) => x.score - y.score || x.imageId - y.imageId)
    const decided = new Map<number, DecisionSignal>()
    const labels = new Map<number, LabelDecision>()
    const dec = db
      .prepare(
        "SELECT r.image_id AS id, r.state, a.current_label AS current FROM reviews r LEFT JOIN annotations a ON a.image_id = r.image_id WHERE r.state != 'skipped' ORDER BY r.decided_at, r.image_id"
      )
      .all() as { id: number; state: ReviewState; current: number | null }[]
    for (const d of dec)
      if (given.has(d.id)) {
        decided.set(d.id, decisionSignal(d.state, d.current, given.get(d.id) ?? null))
        labels.set(d.id, decisionLabel(d.state, d.current, given.get(d.id) ?? null))
      }
    const watermark = (db.prepare('SELECT coalesce(max(id), 0) AS m FROM label_history').get() as { m: number }).m
    return { auditId, classes, items, decided, labels, watermark }
  })()
}

/** A computed order: image ids of every scored item, first to last. */
export interface ComputedOrder {
  method: LearningMethod
  order: Int32Array
  images: number
  decisions: number
  /** Decisions used: label wrong / right ('head': target label ≠ / = the given label). */
  used: { wrong: number; right: number }
  decision: RerankDecision
  fitMs: number
}

/**
 * Fits the re-ranker on the decisions and places the open items: reviewed items keep their slots of
 * the audit's order, the open ones fill the rest in the re-ranked order.
 */
export function computeOrder(input: RerankInput, method: LearningMethod = 'signals'): ComputedOrder {
  const t0 = performance.now()
  const r =
    method === 'head'
      ? rerankHead(input.items, input.labels, input.classes)
      : rerankQueue(input.items, input.decided, input.classes)
  const order = new Int32Array(input.items.length)
  let next = 0
  input.items.forEach((it, k) => (order[k] = input.decided.has(it.imageId) ? it.imageId : r.order[next++]))
  return {
    method,
    order,
    images: r.order.length,
    decisions: input.decided.size,
    used: r.model.used,
    decision: r.decision,
    fitMs: performance.now() - t0
  }
}

/**
 * Rows per write transaction when storing an order. A review write that arrives meanwhile waits for
 * the chunk in progress: 4,000 rows held the writer 12–15 ms (bench:rerank, 35,887 images), about the
 * +13 ms seen at p95 during a re-rank; 1,000 rows should hold it about a quarter of that, for a few
 * more turns of the loop (not yet re-measured: `npm run bench:rerank` reports storeMaxMs).
 */
const STORE_CHUNK = 1000

const yieldTurn = (): Promise<void> => new Promise((r) => setImmediate(r))

/**
 * Stores an order for an audit and its record without holding the writer's connection for long:
 * the rows go in as a new generation in chunks (one short transaction each, the event loop serving
 * review in between), then ONE small transaction switches the record (and so every reader) to the new
 * generation — the swap is atomic — and older generations are deleted in chunks afterwards. A crash
 * mid-way leaves only unreferenced rows, deleted by the next store. `stillCurrent` is asked before the
 * swap: false (project or audit changed meanwhile) → nothing switched, null returned. `startedAt`
 * (performance.now() when the re-rank began) makes the record's totalMs end to end.
 */
export async function saveQueueOrder(
  db: DB,
  auditId: number,
  order: ArrayLike<number>,
  record: Omit<RerankRecord, 'at' | 'auditId' | 'totalMs' | 'storeMs' | 'storeMaxMs' | 'gen'>,
  startedAt: number,
  stillCurrent: () => boolean = () => true
): Promise<RerankRecord | null> {
  const gen = (lastRerank(db)?.gen ?? 0) + 1
  let busy = 0
  let longest = 0
  const timed = (fn: () => void): void => {
    const t = performance.now()
    db.transaction(fn).immediate()
    const d = performance.now() - t
    busy += d
    longest = Math.max(longest, d)
  }
  // One INSERT … SELECT over a JSON array per chunk: a single statement, not one call per image.
  const ins = db.prepare(
    'INSERT INTO queue_order (audit_id, gen, image_id, pos) SELECT ?, ?, value, key + ? FROM json_each(?)'
  )
  for (let k = 0; k < order.length; k += STORE_CHUNK) {
    if (!stillCurrent()) return null
    const ids = JSON.stringify(Array.from({ length: Math.min(STORE_CHUNK, order.length - k) }, (_, j) => order[k + j]))
    timed(() => ins.run(auditId, gen, k, ids))
    await yieldTurn()
  }
  if (!stillCurrent()) return null
  let full: RerankRecord | null = null
  timed(() => {
    const now = performance.now()
    full = {
      auditId,
      gen,
      at: nowIso(),
      ...record,
      storeMs: Math.round(busy),
      storeMaxMs: Math.round(longest),
      totalMs: Math.round(now - startedAt)
    }
    setMeta(db, RECORD_KEY, full)
  })
  const del = db.prepare(
    'DELETE FROM queue_order WHERE (audit_id, gen, image_id) IN (SELECT audit_id, gen, image_id FROM queue_order WHERE NOT (audit_id = ? AND gen = ?) LIMIT ?)'
  )
  for (;;) {
    let n = 0
    timed(() => (n = del.run(auditId, gen, STORE_CHUNK).changes))
    if (n < STORE_CHUNK) break
    await yieldTurn()
  }
  return full
}

/** The last re-rank's record, or null (never re-ranked). */
export function lastRerank(db: DB): RerankRecord | null {
  return getMeta<RerankRecord | null>(db, RECORD_KEY, null)
}

/** Curator decisions (not skips, not imports or reverts) recorded after `watermark`. */
export function decisionsSince(db: DB, watermark: number): number {
  return (
    db
      .prepare(
        "SELECT count(*) AS n FROM label_history WHERE id > ? AND source IN ('curator', 'bulk') AND coalesce(new_review, '') != 'skipped'"
      )
      .get(watermark) as { n: number }
  ).n
}

/**
 * The generation of queue_order that is the Review default order now, or null: the queue is on and
 * its last stored order is for this audit.
 */
export function learnedOrderActive(db: DB, auditId: number | null): number | null {
  if (auditId == null || !getLearningSettings(db).enabled) return null
  const last = lastRerank(db)
  if (!last || last.auditId !== auditId || last.gen == null) return null
  return db.prepare('SELECT 1 FROM queue_order WHERE audit_id = ? AND gen = ? LIMIT 1').get(auditId, last.gen)
    ? last.gen
    : null
}
