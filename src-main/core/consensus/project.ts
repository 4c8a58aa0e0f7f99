/**
 * Consensus over a project: every annotator's vote (imported, table annotator_votes), every curator's
 * decision (label_history, as "curator:<actor>"), optionally the label the dataset came with (as the
 * annotator "given"), and optionally a run's model probabilities (out-of-sample where the run has
 * k-fold scores). Read-only.
 */
import type { DB } from '../store/db'
import { getClasses } from '../store/meta'
import { readPredictions } from '../store/runs'
import { curatorVotes, readVotes } from '../store/votes'
import type { ClassName } from '../classes'
import { crowdlab, dawidSkene, majorityVote, type ConsensusResult, type Vote } from './consensus'

export type ConsensusMethod = 'auto' | 'majority' | 'dawid-skene' | 'crowdlab'

export interface ProjectConsensusOptions {
  /** Run whose TRN probabilities join as the model (crowdlab); none = annotators only. */
  runId?: number | null
  /** 'auto' (default): crowdlab with a run, else Dawid–Skene. */
  method?: ConsensusMethod
  /** Count the dataset's original label as one more annotator, "given" (default true). */
  includeGiven?: boolean
}

export interface ImageConsensus {
  imageId: number
  /** The label now (after curator decisions), class index, or null. */
  currentLabel: number | null
  consensus: number
  quality: number
  votes: number
}

export interface AnnotatorQuality {
  annotator: string
  votes: number
  quality: number
  /** Share of their votes equal to the consensus. */
  agreement: number
}

export interface ProjectConsensus {
  method: ConsensusResult['method']
  classes: ClassName[]
  runId: number | null
  /** Whether the model's probabilities are out-of-sample (k-fold) for every image used. */
  outOfSample: boolean | null
  modelWeight: number | null
  images: ImageConsensus[]
  annotators: AnnotatorQuality[]
  /** Images whose consensus differs from their current label. */
  disagreeing: number
}

export function projectConsensus(db: DB, opts: ProjectConsensusOptions = {}): ProjectConsensus {
  const classes = getClasses(db)
  const all = [...readVotes(db), ...curatorVotes(db)]
  const current = new Map(
    (
      db
        .prepare(
          `SELECT image_id AS id, original_label AS orig, current_label AS cur FROM annotations WHERE original_label IS NOT NULL OR current_label IS NOT NULL`
        )
        .all() as { id: number; orig: number | null; cur: number | null }[]
    ).map((r) => [r.id, r])
  )
  if (opts.includeGiven ?? true)
    for (const [id, r] of current) if (r.orig != null) all.push({ imageId: id, annotator: 'given', label: r.orig })
  const ids = [...new Set(all.map((v) => v.imageId))].sort((a, b) => a - b)
  const index = new Map(ids.map((id, i) => [id, i]))
  const votes: Vote[] = all.map((v) => ({ image: index.get(v.imageId)!, annotator: v.annotator, label: v.label }))

  let modelProbs: number[][] | null = null
  let outOfSample: boolean | null = null
  const runId = opts.runId ?? null
  if (runId != null) {
    const preds = new Map(readPredictions(db, runId).map((p) => [p.imageId, p]))
    const missing = ids.filter((id) => !preds.has(id))
    if (missing.length)
      throw new Error(
        `run ${runId} has no prediction for ${missing.length} voted image(s) (first: image ${missing[0]}); score the run first`
      )
    modelProbs = ids.map((id) => Array.from(preds.get(id)!.trnProbs))
    outOfSample = ids.every((id) => preds.get(id)!.fold != null)
  }
  const method = opts.method ?? 'auto'
  const input = { images: ids.length, classes: classes.length, votes, modelProbs }
  if (method === 'crowdlab' && !modelProbs)
    throw new Error('consensus method crowdlab needs a run (--run N) for the model probabilities')
  const r =
    method === 'majority'
      ? majorityVote(input)
      : method === 'dawid-skene' || (method === 'auto' && !modelProbs)
        ? dawidSkene(input)
        : crowdlab(input)

  const counts = new Map<string, [number, number]>()
  for (const v of votes) {
    const c = counts.get(v.annotator) ?? [0, 0]
    c[0]++
    c[1] += v.label === r.label[v.image] ? 1 : 0
    counts.set(v.annotator, c)
  }
  const perImage = new Array<number>(ids.length).fill(0)
  for (const v of votes) perImage[v.image]++
  const images = ids.map((id, i) => ({
    imageId: id,
    currentLabel: current.get(id)?.cur ?? null,
    consensus: r.label[i],
    quality: r.quality[i],
    votes: perImage[i]
  }))
  return {
    method: r.method,
    classes,
    runId,
    outOfSample,
    modelWeight: r.modelWeight,
    images,
    annotators: [...counts]
      .map(([annotator, [n, agree]]) => ({
        annotator,
        votes: n,
        quality: r.annotatorQuality.get(annotator) ?? NaN,
        agreement: agree / n
      }))
      .sort((a, b) => b.quality - a.quality || a.annotator.localeCompare(b.annotator)),
    disagreeing: images.filter((im) => im.currentLabel != null && im.currentLabel !== im.consensus).length
  }
}
