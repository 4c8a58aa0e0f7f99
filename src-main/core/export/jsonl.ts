/**
 * JSON Lines with everything, one image per line: identity, labels and states (current and
 * original), votes, the curator's soft label, review, the run's POI outputs (soft labels, UEM,
 * regions, gate, AU evidence), the audit item (score, flags, suggestion, signals, explanation) and
 * the full change history, and — for images with annotator votes — the consensus (`consensus`: label,
 * quality, method, votes counted, votes per class now; export/consensus.ts; added in version 2). Labels are
 * class names; vectors index the manifest's `classes`.
 * Labels, states, votes and soft labels are written exactly as stored; model outputs (Float32)
 * are rounded to 6 decimals.
 */
import { createReadStream } from 'node:fs'
import { createInterface } from 'node:readline'
import type { DB } from '../store/db'
import { EYE_AUS, MOUTH_AUS } from '../classes'
import { getRun, iteratePredictions, type Prediction } from '../store/runs'
import { flagNames } from '../audit/flags'
import { className, step, type FormatContext, type FormatResult } from './context'
import { ExportFormatError, verifyExport, type ExportManifest } from './manifest'
import type { ExportRow } from './rows'
import { consensusManifest, exportConsensus } from './consensus'

export const JSONL_FILE = 'images.jsonl'
const REGION_NAMES = ['UL', 'UR', 'LL', 'LR'] as const

const r6 = (v: number): number => Math.round(v * 1e6) / 1e6
const arr = (v: ArrayLike<number> | null): number[] | null => (v ? Array.from(v, r6) : null)

/** Loads a run's predictions keyed by image id, re-indexed into the project's class list. */
export function predictionsByImage(db: DB, runId: number, classes: readonly string[]): Map<number, Prediction> {
  const run = getRun(db, runId)
  if (!run) throw new Error(`no run ${runId}`)
  const map = run.classes.map((c) => classes.indexOf(c))
  const C = classes.length
  const same = map.every((m, k) => m === k) && run.classes.length === C
  const reindex = (v: Float32Array | null, blocks = 1): Float32Array | null => {
    if (!v || same) return v
    const out = new Float32Array(blocks * C)
    for (let b = 0; b < blocks; b++) map.forEach((m, k) => m >= 0 && (out[b * C + m] = v[b * run.classes.length + k]))
    return out
  }
  const out = new Map<number, Prediction>()
  for (const p of iteratePredictions(db, runId)) {
    out.set(p.imageId, {
      ...p,
      trnProbs: reindex(p.trnProbs)!,
      oimSoft: reindex(p.oimSoft),
      oimSoftT1: reindex(p.oimSoftT1),
      regionProbs: reindex(p.regionProbs, 4)
    })
  }
  return out
}

function auBlock(v: ArrayLike<number> | null): Record<string, Record<string, number>> | null {
  if (!v) return null
  const block = (off: number, ids: readonly number[]) =>
    Object.fromEntries(ids.map((au, m) => [`AU${au}`, r6(v[off + m])]))
  return { UL: block(0, EYE_AUS), UR: block(6, EYE_AUS), LL: block(12, MOUTH_AUS), LR: block(19, MOUTH_AUS) }
}

function predictionRecord(runId: number, p: Prediction, C: number) {
  return {
    run_id: runId,
    fold: p.fold,
    trn_probs: arr(p.trnProbs),
    oim_soft: arr(p.oimSoft),
    oim_soft_t1: arr(p.oimSoftT1),
    uem_uncertainty: p.uemUncertainty == null ? null : r6(p.uemUncertainty),
    uem_confidence: p.uemConfidence == null ? null : r6(p.uemConfidence),
    gate: p.gate ? Object.fromEntries(REGION_NAMES.map((n, j) => [n, r6(p.gate![j])])) : null,
    region_probs: p.regionProbs
      ? Object.fromEntries(REGION_NAMES.map((n, j) => [n, arr(p.regionProbs!.subarray(j * C, (j + 1) * C))]))
      : null,
    au_prob: auBlock(p.auProb),
    au_importance: auBlock(p.auImportance)
  }
}

interface HistRow {
  image_id: number
  at: string
  actor: string
  source: string
  old_label: number | null
  new_label: number | null
  old_state: string | null
  new_state: string
  old_soft: string | null
  new_soft: string | null
  old_review: string | null
  new_review: string | null
  reason: string | null
  batch_id: string
  reverts_batch: string | null
}

export async function writeJsonl(ctx: FormatContext): Promise<FormatResult> {
  const preds = ctx.runId != null ? predictionsByImage(ctx.db, ctx.runId, ctx.classes) : new Map<number, Prediction>()
  const history = new Map<number, HistRow[]>()
  for (const h of ctx.db
    .prepare('SELECT * FROM label_history ORDER BY image_id, id')
    .iterate() as IterableIterator<HistRow>) {
    const list = history.get(h.image_id)
    if (list) list.push(h)
    else history.set(h.image_id, [h])
  }
  const name = (k: number | null) => className(ctx.classes, k)
  const consensus = await exportConsensus(ctx)
  const f = await ctx.sink.open(JSONL_FILE)
  let chunk = ''
  let n = 0
  for (const r of ctx.rows) {
    const p = preds.get(r.imageId)
    const cons = consensus?.byImage.get(r.imageId)
    const rec = {
      id: r.imageId,
      path: r.path,
      rel_path: r.relPath,
      dataset_root: r.datasetRoot,
      sha256: r.sha256,
      split: r.split,
      source_split: r.sourceSplit,
      dup_group: r.dupGroup,
      label: name(r.label),
      original_label: name(r.originalLabel),
      state: r.state,
      original_state: r.originalState,
      votes: r.votes,
      soft_label: r.softLabel,
      review: r.review,
      updated_at: r.updatedAt,
      prediction: p && ctx.runId != null ? predictionRecord(ctx.runId, p, ctx.classes.length) : null,
      consensus: cons
        ? {
            label: name(cons.label),
            quality: r6(cons.quality),
            method: consensus!.method,
            votes: cons.votes,
            counts: cons.counts
          }
        : null
    }
    // The audit's signals and explanation are stored as JSON already: splice them in verbatim
    // instead of parsing and re-serialising 35k of them.
    const audit =
      r.audit && ctx.audit
        ? JSON.stringify({
            audit_id: ctx.audit.id,
            score: r.audit.score,
            rank: r.audit.rank,
            flags: flagNames(r.audit.flags),
            suggested_label: name(r.audit.suggested),
            strength: r.audit.strength
          }).slice(0, -1) + `,"signals":${r.audit.signals ?? 'null'},"explanation":${r.audit.explanation ?? 'null'}}`
        : 'null'
    const hist = (history.get(r.imageId) ?? []).map((h) => ({
      at: h.at,
      actor: h.actor,
      source: h.source,
      old_label: name(h.old_label),
      new_label: name(h.new_label),
      old_state: h.old_state,
      new_state: h.new_state,
      old_soft: h.old_soft ? JSON.parse(h.old_soft) : null,
      new_soft: h.new_soft ? JSON.parse(h.new_soft) : null,
      old_review: h.old_review,
      new_review: h.new_review,
      reason: h.reason,
      batch_id: h.batch_id,
      reverts_batch: h.reverts_batch
    }))
    const line = JSON.stringify(rec).slice(0, -1) + `,"audit":${audit},"history":${JSON.stringify(hist)}}\n`
    chunk += line
    if (chunk.length > 1 << 16) {
      await f.write(chunk)
      chunk = ''
    }
    step(ctx, ++n)
  }
  await f.write(chunk)
  await f.finish()
  return { rows: n, options: { floatDecimals: 6, consensus: consensusManifest(consensus) } }
}

/** One JSONL record as read back (the fields a re-import needs are typed; the rest stays JSON). */
export interface JsonlRecord {
  id: number
  path: string
  label: string | null
  original_label: string | null
  state: ExportRow['state']
  original_state: ExportRow['originalState']
  votes: number[] | null
  soft_label: number[] | null
  review: string | null
  prediction: Record<string, unknown> | null
  /** Images with annotator votes (version 2), else null. */
  consensus: {
    label: string | null
    quality: number
    method: string
    /** Votes the consensus counted (annotators, curators, the given label). */
    votes: number
    /** Annotators' and curators' votes now, per class of the manifest. */
    counts: number[]
  } | null
  audit: Record<string, unknown> | null
  history: Record<string, unknown>[]
  [k: string]: unknown
}

/** Verifies a JSONL export and streams its records back; errors name the line. */
export async function readJsonlExport(target: string): Promise<{ manifest: ExportManifest; records: JsonlRecord[] }> {
  const v = await verifyExport(target, 'jsonl')
  const records: JsonlRecord[] = []
  let line = 0
  for await (const text of createInterface({ input: createReadStream(v.files[0], 'utf8'), crlfDelay: Infinity })) {
    line++
    if (!text.trim()) continue
    try {
      const rec = JSON.parse(text) as JsonlRecord
      if (typeof rec.id !== 'number' || typeof rec.state !== 'string') throw new Error('missing id or state')
      records.push(rec)
    } catch (e) {
      throw new ExportFormatError(`${v.files[0]}: line ${line}: ${(e as Error).message}`)
    }
  }
  return { manifest: v.manifest, records }
}
