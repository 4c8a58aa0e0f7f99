/**
 * What the review shows as the evidence behind a suggestion (pure): which distribution the
 * suggestion is the top of, its top classes, and how strong the suggestion is. The audit stores the
 * distribution (AuditView.evidence); this module only names and orders it, so the bars, the top-3
 * and the suggestion can never disagree (issue 14, defect 4).
 */
import type { AuditView, PredictionView } from './api'

/** Below this strength a suggestion is shown greyed as weak (strength = w·(m[s] − m[y]), [0, 1]). */
export const WEAK_STRENGTH = 0.25

export interface EvidenceDist {
  /** Short name for captions and table headers. */
  name: string
  /** What the numbers are, in words (shown as a title / caption). */
  meaning: string
  values: number[]
  /** True when this is the distribution the audit's suggestion is the argmax of. */
  drivesSuggestion: boolean
}

/** The distribution behind the suggestion: the audit's stored evidence, else the TRN probabilities. */
export function suggestionEvidence(audit: AuditView | null, pred: PredictionView | null): EvidenceDist | null {
  if (audit?.evidence) {
    const a = audit.softWeight
    return {
      name: 'Evidence m',
      meaning:
        a == null
          ? 'the TRN probabilities the audit judged the label with; the suggestion is its top class'
          : `m = ${fmt(a)} × OIM soft label (T = 1) + ${fmt(1 - a)} × TRN probabilities: what the audit judged the label with; the suggestion is its top class`,
      values: audit.evidence,
      drivesSuggestion: true
    }
  }
  if (pred) {
    return {
      name: 'TRN',
      meaning:
        'the TRN probabilities (this audit did not store its evidence: re-run the audit to see what produced the suggestion)',
      values: pred.trnProbs,
      drivesSuggestion: false
    }
  }
  return null
}

const fmt = (v: number): string => String(Math.round(v * 100) / 100)

/** The k largest entries as { index, p }, largest first (ties: lower index first). */
export function topK(values: readonly number[], k: number): { index: number; p: number }[] {
  return values
    .map((p, index) => ({ index, p }))
    .sort((a, b) => b.p - a.p || a.index - b.index)
    .slice(0, k)
}

export function isWeak(strength: number | null | undefined): boolean {
  return strength != null && strength < WEAK_STRENGTH
}
