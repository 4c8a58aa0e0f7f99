/**
 * How a run (and optionally its audit) compares with a synthetic dataset's ground truth (the demo's
 * report and the acceptance tests): accuracy of the TRN on the true labels of never-trained images,
 * AU-head AUROC against the AUs the generator drew, and how well the audit ranking and the soft
 * labels separate flipped from clean training labels.
 */
import { ALL_AUS, type ClassName } from '../classes'
import { auditItems } from '../audit/store'
import { auMeans } from '../model/prediction-layout'
import type { DB } from '../store/db'
import { readPredictions } from '../store/runs'
import type { GroundTruth } from '../synth/index'
import { argmax } from '../util/vector'
import { auAurocWithinClass } from './au-truth'
import { aurocOf } from './metrics'

export interface TruthEvaluation {
  /** Images never trained on (the generator's val/test splits), scored by the run. */
  heldOut: number
  /** TRN argmax = true class on held-out images. */
  trnAccuracy: number
  /** OIM soft label (T = 1) argmax = true class on held-out images (null without a PIN). */
  oimAccuracy: number | null
  /** Per AU: AUROC of the AU head (mean of the two regions of its branch) against "AU drawn", held-out images. */
  auAuroc: Record<string, number>
  auAurocMean: number | null
  /**
   * Per AU: AUROC within each true class (au-truth.ts), held-out images. The pooled auAuroc above is
   * high for a head that only knows the class; this one is 0.5 for such a head.
   */
  auAurocWithinClass: Record<string, number>
  auAurocWithinClassMean: number | null
  /** Training images and how many of them have a flipped label. */
  train: number
  flipped: number
  /** AUROC of 1 − q[given] (OIM soft label, T = 1; TRN probs without a PIN) for flipped vs clean training labels. */
  flipAurocSoft: number
  /** AUROC of the audit ranking (lower score = more suspicious) for flipped vs clean (null without an audit). */
  flipAurocAudit: number | null
  /** Precision of the audit's top-k (k = number of flipped) and of its flagged set. */
  precisionAtK: number | null
  flaggedPrecision: number | null
  flaggedRecall: number | null
}

/** Compares a run's predictions (and optionally an audit) with a synthetic dataset's ground truth. */
export function evaluateAgainstTruth(
  db: DB,
  runId: number,
  gt: GroundTruth,
  auditId: number | null = null
): TruthEvaluation {
  const classes = db.prepare('SELECT name FROM classes ORDER BY idx').pluck().all() as ClassName[]
  const byPath = new Map(gt.images.map((g) => [g.path, g]))
  const rows = db.prepare('SELECT id, rel_path FROM images').all() as { id: number; rel_path: string }[]
  const truth = new Map(rows.map((r) => [r.id, byPath.get(r.rel_path)]))
  const preds = readPredictions(db, runId)
  const held = preds.filter((p) => truth.get(p.imageId) && truth.get(p.imageId)!.split !== 'train')
  const right = (v: ArrayLike<number> | null, id: number): boolean =>
    v != null && classes[argmax(v)] === truth.get(id)!.trueClass
  const hasPin = held.some((p) => p.oimSoftT1)
  const auAuroc: Record<string, number> = {}
  if (held.some((p) => p.auProb)) {
    const rho = new Map(held.filter((p) => p.auProb).map((p) => [p.imageId, auMeans(p.auProb!)]))
    ALL_AUS.forEach((au, k) => {
      const pos: number[] = []
      const neg: number[] = []
      for (const [id, v] of rho) ((truth.get(id)!.aus[`AU${au}`] ?? 0) > 0 ? pos : neg).push(v[k])
      const a = aurocOf(pos, neg)
      if (!Number.isNaN(a)) auAuroc[`AU${au}`] = a
    })
  }
  const within = auAurocWithinClass(
    held
      .filter((p) => p.auProb)
      .map((p) => ({
        trueClass: truth.get(p.imageId)!.trueClass,
        aus: truth.get(p.imageId)!.aus,
        rho: auMeans(p.auProb!)
      }))
  )
  const auVals = Object.values(auAuroc)
  const tr = preds.filter((p) => truth.get(p.imageId)?.split === 'train')
  const isFlip = (id: number): boolean => truth.get(id)!.flipped
  const disagree = (p: (typeof preds)[number]): number =>
    1 - (p.oimSoftT1 ?? p.trnProbs)[classes.indexOf(truth.get(p.imageId)!.givenLabel)]
  const flipAurocSoft = aurocOf(
    tr.filter((p) => isFlip(p.imageId)).map(disagree),
    tr.filter((p) => !isFlip(p.imageId)).map(disagree)
  )
  let flipAurocAudit: number | null = null
  let precisionAtK: number | null = null
  let flaggedPrecision: number | null = null
  let flaggedRecall: number | null = null
  const nFlip = tr.filter((p) => isFlip(p.imageId)).length
  if (auditId != null) {
    const items = auditItems(db, auditId, { scoredOnly: true }).filter((i) => truth.get(i.imageId)?.split === 'train')
    flipAurocAudit = aurocOf(
      items.filter((i) => isFlip(i.imageId)).map((i) => -i.score!),
      items.filter((i) => !isFlip(i.imageId)).map((i) => -i.score!)
    )
    const top = items.slice(0, nFlip)
    precisionAtK = top.length ? top.filter((i) => isFlip(i.imageId)).length / top.length : null
    const flagged = items.filter((i) => i.flags.includes('likely_mislabeled'))
    flaggedPrecision = flagged.length ? flagged.filter((i) => isFlip(i.imageId)).length / flagged.length : null
    flaggedRecall = nFlip ? flagged.filter((i) => isFlip(i.imageId)).length / nFlip : null
  }
  return {
    heldOut: held.length,
    trnAccuracy: held.length ? held.filter((p) => right(p.trnProbs, p.imageId)).length / held.length : NaN,
    oimAccuracy: hasPin ? held.filter((p) => right(p.oimSoftT1, p.imageId)).length / held.length : null,
    auAuroc,
    auAurocMean: auVals.length ? auVals.reduce((a, b) => a + b, 0) / auVals.length : null,
    auAurocWithinClass: within.perAu,
    auAurocWithinClassMean: within.mean,
    train: tr.length,
    flipped: nFlip,
    flipAurocSoft,
    flipAurocAudit,
    precisionAtK,
    flaggedPrecision,
    flaggedRecall
  }
}
