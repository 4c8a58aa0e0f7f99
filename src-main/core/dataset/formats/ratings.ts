/**
 * Per-class rater scores in an annotation CSV (`rating_<class>` columns), kept as the image's source
 * votes (`annotations.votes`, a distribution over the canonical classes).
 *
 * JAFFE's labels.csv is the case in hand: `rating_HAP … rating_FEA` are the mean 5-point scores of
 * about 60 raters per emotion (1 = the emotion is absent, 5 = strongly present); neutral was not
 * rated. The raters' individual answers were never published, so there are no annotators to import
 * as annotator_votes; what there is, is how strongly the crowd saw each emotion. The representation
 * chosen: the share of the score above the scale's floor, p_k ∝ max(0, r_k − 1) over the rated
 * classes — a class nobody saw (every rater said 1) gets 0, and two classes seen equally strongly get
 * equal mass. It feeds what any source's votes feed: soft training targets (store/votes.ts
 * voteTargets), the audit's given distribution when its peak is the given label (audit/signals.ts),
 * and the FERPlus-style votes export.
 *
 * Rows whose label is not among the rated classes (JAFFE's 30 neutral poses) get no votes: the
 * raters could not choose that class, so a distribution over the others would contradict the posed
 * label by construction. Their scores stay in images.extra like every other source column.
 */
import { CANONICAL_CLASSES, normaliseClassName, type ClassName } from '../../classes'
import type { SourceProblem } from '../types'

/** The score scale: JAFFE's 5-point semantic rating. */
export const RATING_MIN = 1
export const RATING_MAX = 5

/** A `rating_<class>` column: its index in the row and the class it scores. */
export interface RatingColumn {
  index: number
  name: string
  cls: ClassName
}

/**
 * The header's rating columns (`rating_HAP`, `rating_happy`, `Rating-Fear`, …; any spelling
 * normaliseClassName knows). Fewer than two is not a rating set (a lone "rating" column may mean
 * anything) and yields [].
 */
export function ratingColumns(header: readonly string[]): RatingColumn[] {
  const out: RatingColumn[] = []
  header.forEach((h, index) => {
    const m = /^rating[\s_-]*(.+)$/i.exec(h.trim())
    const cls = m ? normaliseClassName(m[1]) : null
    if (cls && !out.some((c) => c.cls === cls)) out.push({ index, name: h.trim(), cls })
  })
  return out.length >= 2 ? out : []
}

/**
 * One row's scores as votes in CANONICAL_CLASSES order (sums to 1), or null when the row's label is
 * not rated or nothing was seen above the floor; a problem naming line, column and value when a score
 * is not a number in [RATING_MIN, RATING_MAX].
 */
export function ratingVotes(
  fields: readonly string[],
  cols: readonly RatingColumn[],
  label: ClassName | null,
  at: { file: string; line: number }
): { votes: number[] | null } | { problem: SourceProblem } {
  const votes = new Array<number>(CANONICAL_CLASSES.length).fill(0)
  let sum = 0
  for (const c of cols) {
    const raw = fields[c.index]?.trim() ?? ''
    const r = Number(raw)
    if (raw === '' || !Number.isFinite(r) || r < RATING_MIN || r > RATING_MAX)
      return {
        problem: {
          ...at,
          message: `${c.name} is "${raw}", not a score from ${RATING_MIN} to ${RATING_MAX} (mean rater scores, as JAFFE's)`
        }
      }
    const w = r - RATING_MIN
    votes[CANONICAL_CLASSES.indexOf(c.cls)] = w
    sum += w
  }
  if (!label || !cols.some((c) => c.cls === label) || sum <= 0) return { votes: null }
  return { votes: votes.map((w) => w / sum) }
}
