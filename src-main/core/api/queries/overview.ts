/**
 * overview.stats: class counts, the given × suggested confusion matrix, the UEM confidence
 * histogram, the AU heatmap per class and flags per class. Counts come from SQL GROUP BYs; the parts
 * that read Float32 BLOBs (AU probabilities, TRN argmax without an audit) stream the run's
 * predictions once, in constant memory.
 */
import type { DB } from '../../store/db'
import { getClasses } from '../../store/meta'
import { getRun } from '../../store/runs'
import { AU_VECTOR_LENGTH, auMeans } from '../../model/prediction-layout'
import { ALL_AUS, AU_NAMES } from '../../classes'
import { FLAG_BITS } from '../../audit/flags'
import { getAudit } from '../../audit/store'
import { settingsOfConfig } from '../audit-settings'
import type { LabelState, OverviewStats, ReviewState } from '../contract'
import { LABEL_STATES, REVIEW_STATES } from '../contract'
import type { ReadContext } from './context'
import { isSaturated } from './confidence'

const BINS = 20
const AU_INDEX = Array.from({ length: AU_VECTOR_LENGTH }, (_, k) => k)

/**
 * The stats only change when labels, images, the audit or the run change; the key captures all of
 * them with O(1) reads, so revisiting the overview costs nothing.
 */
const cache = new WeakMap<DB, { key: string; stats: OverviewStats }>()

function cacheKey(db: DB, ctx: ReadContext): string {
  const h = db.prepare('SELECT max(id) AS h FROM label_history').get() as { h: number | null }
  const i = db.prepare('SELECT max(id) AS m, count(*) AS n FROM images').get() as { m: number | null; n: number }
  return `${ctx.auditId}:${ctx.runId}:${ctx.classes}:${h.h}:${i.m}:${i.n}`
}

export function overviewStats(db: DB, ctx: ReadContext): OverviewStats {
  const key = cacheKey(db, ctx)
  const hit = cache.get(db)
  if (hit && hit.key === key) return hit.stats
  const stats = computeOverview(db, ctx)
  cache.set(db, { key, stats })
  return stats
}

function zeros(n: number): number[] {
  return new Array<number>(n).fill(0)
}

function computeOverview(db: DB, ctx: ReadContext): OverviewStats {
  const classes = getClasses(db)
  const C = classes.length
  const total = (db.prepare('SELECT count(*) AS n FROM images').get() as { n: number }).n

  const labelStates = Object.fromEntries(LABEL_STATES.map((s) => [s, 0])) as Record<LabelState, number>
  for (const r of db
    .prepare(
      "SELECT coalesce(a.state, 'unlabeled') AS s, count(*) AS n FROM images i LEFT JOIN annotations a ON a.image_id = i.id GROUP BY s"
    )
    .all() as { s: LabelState; n: number }[]) {
    labelStates[r.s] = r.n
  }
  const reviews = Object.fromEntries([...REVIEW_STATES, 'unreviewed'].map((s) => [s, 0])) as Record<
    ReviewState | 'unreviewed',
    number
  >
  for (const r of db
    .prepare(
      "SELECT coalesce(r.state, 'unreviewed') AS s, count(*) AS n FROM images i LEFT JOIN reviews r ON r.image_id = i.id GROUP BY s"
    )
    .all() as { s: ReviewState; n: number }[]) {
    reviews[r.s] = r.n
  }
  const perClass = (sql: string, ...params: unknown[]): number[] => {
    const out = zeros(C)
    for (const r of db.prepare(sql).all(...params) as { c: number | null; n: number }[])
      if (r.c != null && r.c < C) out[r.c] = r.n
    return out
  }
  const current = perClass('SELECT current_label AS c, count(*) AS n FROM annotations GROUP BY c')
  const original = perClass('SELECT original_label AS c, count(*) AS n FROM annotations GROUP BY c')

  let suggested: number[] | null = null
  let confusion: OverviewStats['confusion'] = null
  let flags: OverviewStats['flags'] = null
  let thresholds: OverviewStats['thresholds'] = null
  if (ctx.auditId != null) {
    suggested = perClass(
      'SELECT suggested_label AS c, count(*) AS n FROM audit_items WHERE audit_id = ? GROUP BY c',
      ctx.auditId
    )
    const matrix = Array.from({ length: C }, () => zeros(C))
    const rows = db
      .prepare(
        `SELECT a.current_label AS g, ai.suggested_label AS s, count(*) AS n FROM audit_items ai
         JOIN annotations a ON a.image_id = ai.image_id
         WHERE ai.audit_id = ? AND a.current_label IS NOT NULL AND ai.suggested_label IS NOT NULL GROUP BY g, s`
      )
      .all(ctx.auditId) as { g: number; s: number; n: number }[]
    for (const r of rows) if (r.g < C && r.s < C) matrix[r.g][r.s] = r.n
    confusion = { source: 'audit', auditId: ctx.auditId, runId: ctx.runId, matrix }

    const names = Object.keys(FLAG_BITS)
    const agg = Object.values(FLAG_BITS).map((bit, k) => `sum(ai.flags & ${bit} != 0) AS f${k}`)
    const flagRows = db
      .prepare(
        `SELECT a.current_label AS c, ${agg.join(', ')} FROM audit_items ai JOIN annotations a ON a.image_id = ai.image_id
         WHERE ai.audit_id = ? GROUP BY c`
      )
      .all(ctx.auditId) as Record<string, number | null>[]
    const counts = names.map(() => zeros(C))
    const totals = zeros(names.length)
    for (const r of flagRows) {
      names.forEach((_, k) => {
        const n = r[`f${k}`] ?? 0
        totals[k] += n
        if (r.c != null && r.c < C) counts[k][r.c] += n
      })
    }
    flags = { auditId: ctx.auditId, names, perClass: counts, totals }
    thresholds = thresholdsView(db, ctx.auditId, C)
  }

  let confidence: OverviewStats['confidence'] = null
  let auHeatmap: OverviewStats['auHeatmap'] = null
  const run = ctx.runId != null ? getRun(db, ctx.runId) : null
  if (run) {
    const toProject = run.classes.map((c) => classes.indexOf(c as (typeof classes)[number]))
    const Cr = run.classes.length
    const counts = zeros(BINS)
    const byClass = Array.from({ length: C }, () => zeros(BINS))
    const auSum = Array.from({ length: C }, () => zeros(ALL_AUS.length))
    const auN = zeros(C)
    const matrix = Array.from({ length: C }, () => zeros(C))
    const needArgmax = !confusion
    const confs: number[] = []
    const confGiven: number[] = []
    let anyAu = false
    // Only the columns needed, decoded in place: the generic reader (runs.iteratePredictions)
    // copies all seven vectors per image, ~20x slower at 35k images.
    const rows = db
      .prepare(
        `SELECT a.current_label AS g, p.uem_confidence AS conf, p.au_prob AS au${needArgmax ? ', p.trn_probs AS trn' : ''}
         FROM predictions p LEFT JOIN annotations a ON a.image_id = p.image_id WHERE p.run_id = ?`
      )
      .iterate(run.id) as IterableIterator<{ g: number | null; conf: number | null; au: Buffer | null; trn?: Buffer }>
    for (const r of rows) {
      const given = r.g != null && r.g < C ? r.g : null
      if (r.conf != null && Number.isFinite(r.conf)) {
        confs.push(r.conf)
        confGiven.push(given ?? -1)
      }
      if (given == null) continue
      if (r.au && r.au.byteLength === AU_VECTOR_LENGTH * 4) {
        anyAu = true
        const rho = auMeans(AU_INDEX.map((k) => r.au!.readFloatLE(k * 4)))
        rho.forEach((v, k) => (auSum[given][k] += v))
        auN[given]++
      }
      if (needArgmax && r.trn && r.trn.byteLength === Cr * 4) {
        let best = 0
        for (let k = 1; k < Cr; k++) if (r.trn.readFloatLE(k * 4) > r.trn.readFloatLE(best * 4)) best = k
        const s = toProject[best]
        if (s >= 0) matrix[given][s]++
      }
    }
    if (confs.length) {
      const h = confidenceBins(confs, BINS)
      confs.forEach((c, i) => {
        const bin = h.bin(c)
        counts[bin]++
        if (confGiven[i] >= 0) byClass[confGiven[i]][bin]++
      })
      confidence = { runId: run.id, scale: h.scale, edges: h.edges, counts, byClass }
    }
    if (anyAu) {
      auHeatmap = {
        runId: run.id,
        aus: [...ALL_AUS],
        names: ALL_AUS.map((au) => AU_NAMES[au] ?? `AU${au}`),
        mean: auSum.map((row, c) => row.map((s) => (auN[c] ? Number((s / auN[c]).toPrecision(6)) : 0))),
        imagesPerClass: auN
      }
    }
    if (!confusion) confusion = { source: 'prediction', auditId: null, runId: run.id, matrix }
  }

  return {
    classes,
    total,
    labelStates,
    reviews,
    classCounts: { original, current, suggested },
    confusion,
    confidence,
    auHeatmap,
    flags,
    thresholds
  }
}

/** The audit's five app-adjustable settings and the per-class thresholds they produced. */
function thresholdsView(db: DB, auditId: number, C: number): OverviewStats['thresholds'] {
  const a = getAudit(db, auditId)
  if (!a) return null
  return {
    auditId,
    runId: a.runId,
    method: a.method,
    settings: settingsOfConfig(a.config),
    // The engine writes 2 for a class that was never confident (no threshold can be met).
    perClass: Array.from({ length: C }, (_, k) => {
      const t = a.summary.thresholds[k]
      return t == null || t > 1 ? null : t
    }),
    ambiguousConfidenceCut: a.summary.confidenceCutAmbiguous
  }
}

const EPS = 1e-6
const logit = (c: number): number => {
  const x = Math.min(1 - EPS, Math.max(EPS, c))
  return Math.log(x / (1 - x))
}
const sigmoid = (z: number): number => 1 / (1 + Math.exp(-z))

/**
 * The histogram's bins: equal bins over [0, 1], or — when the values are saturated (isSaturated) —
 * equal steps of logit(c) between the lowest and the highest value, where 0.98 and 0.9999 lie far
 * apart. `bin(c)` is the bin index of a value.
 */
export function confidenceBins(
  values: readonly number[],
  bins: number
): { scale: 'linear' | 'logit'; edges: number[]; bin: (c: number) => number } {
  const sorted = Float64Array.from(values).sort()
  const lo = logit(sorted[0])
  const hi = logit(sorted[sorted.length - 1])
  const clampBin = (b: number): number => Math.min(bins - 1, Math.max(0, Math.floor(b)))
  if (isSaturated(sorted) && hi - lo > 1e-9) {
    const edges = Array.from({ length: bins + 1 }, (_, k) =>
      Number(sigmoid(lo + ((hi - lo) * k) / bins).toPrecision(8))
    )
    return { scale: 'logit', edges, bin: (c) => clampBin(((logit(c) - lo) / (hi - lo)) * bins) }
  }
  return {
    scale: 'linear',
    edges: Array.from({ length: bins + 1 }, (_, k) => k / bins),
    bin: (c) => clampBin(c * bins)
  }
}
