/**
 * Hand-made audit inputs for the engine tests (engine.test.ts, reassess.test.ts): images whose TRN
 * probabilities and OIM soft label are one distribution `m`, so every signal follows from it exactly.
 */
import type { AuditImage, AuditPrediction } from '../../../src-main/core/audit/engine'

/** A prediction whose OIM soft label and TRN probabilities are both `m` (so m is exact); `c`: UEM confidence. */
export function pred(m: number[], c: number | null, extra: Partial<AuditPrediction> = {}): AuditPrediction {
  return {
    fold: 0,
    trnProbs: m,
    oimSoft: null,
    oimSoftT1: m,
    regionProbs: null,
    gate: null,
    uemConfidence: c,
    auProb: null,
    auImportance: null,
    ...extra
  }
}

/** An image labelled `label` (class index; null = unlabeled) with prediction `m` (null = not scored). */
export function img(
  id: number,
  label: number | null,
  m: number[] | null,
  c: number | null,
  more: Partial<AuditImage> = {}
): AuditImage {
  return {
    imageId: id,
    label,
    groupLabel: label,
    votes: null,
    softLabel: null,
    dupGroup: null,
    face: null,
    pred: m ? pred(m, c) : null,
    ...more
  }
}
