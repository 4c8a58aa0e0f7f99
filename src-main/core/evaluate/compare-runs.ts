/**
 * Before/after comparison of two runs of one project (issue 17, "retrain and compare"): pure functions
 * over stored predictions, so the numbers can be recomputed by hand (test/main/evaluate) and by the
 * loader over the project database (./compare-load.ts).
 *
 * Two kinds of labels are involved, on purpose:
 * - Accuracy and per-class precision/recall are measured against the CURRENT labels, for both runs, on
 *   the images both runs scored — one yardstick, so the numbers are comparable.
 * - Flags and the estimated remaining noise are each run's own confident-learning read-out
 *   (audit/cl.ts, cleanlab's find_label_issues) over the labels THAT run trained on: A's flags judge
 *   the labels before the corrections, B's what is left after them. A flag "resolved" is an image A
 *   flagged and B does not (corrected, excluded, or now agreed with); a "new" flag is the reverse.
 *   These are confident-learning flags, not the POI audit's (which need an audit of each run).
 *
 * The predicted class ("suggestion") is the argmax of the TRN probabilities p̂.
 */
import { findLabelIssues } from '../audit/cl'
import { argmax } from '../util/vector'
import type {
  CompareImage,
  CompareRunInput,
  NoiseEstimate,
  PrecisionRecall,
  RunComparison,
  RunComparisonView
} from './compare-types'

export type {
  CompareImage,
  CompareRunInput,
  NoiseEstimate,
  PrecisionRecall,
  RunComparison,
  RunComparisonView,
  SplitName
} from './compare-types'

const ratio = (num: number, den: number): number | null => (den ? num / den : null)

/** Accuracy of `probs` on `ids` against `labels` (ids without a current label are skipped). */
function accuracyOn(
  ids: readonly number[],
  probs: ReadonlyMap<number, ArrayLike<number>>,
  labels: ReadonlyMap<number, number>
): number | null {
  let agree = 0
  for (const id of ids) if (argmax(probs.get(id)!) === labels.get(id)) agree++
  return ratio(agree, ids.length)
}

/** Per-class precision/recall of `probs` on `ids` against `labels`. */
export function precisionRecall(
  ids: readonly number[],
  probs: ReadonlyMap<number, ArrayLike<number>>,
  labels: ReadonlyMap<number, number>,
  C: number
): { support: number[]; pr: PrecisionRecall[] } {
  const tp = new Array<number>(C).fill(0)
  const predicted = new Array<number>(C).fill(0)
  const support = new Array<number>(C).fill(0)
  for (const id of ids) {
    const y = labels.get(id)!
    const p = argmax(probs.get(id)!)
    support[y]++
    predicted[p]++
    if (p === y) tp[y]++
  }
  return { support, pr: tp.map((t, c) => ({ precision: ratio(t, predicted[c]), recall: ratio(t, support[c]) })) }
}

/** One run's confident-learning flags and per-class noise over its own trained labels. */
export function runFlagsAndNoise(run: CompareRunInput, C: number): { flagged: Set<number>; noise: NoiseEstimate[] } {
  const ids = [...run.trainedLabels.keys()].filter((id) => run.probs.has(id)).sort((x, y) => x - y)
  const labels = ids.map((id) => run.trainedLabels.get(id)!)
  const flagged = new Set<number>()
  const noise: NoiseEstimate[] = Array.from({ length: C }, () => ({ given: 0, wrong: 0, rate: null }))
  if (!ids.length) return { flagged, noise }
  const li = findLabelIssues(
    labels,
    ids.map((id) => run.probs.get(id)!),
    C
  )
  li.issues.forEach((bad, i) => bad && flagged.add(ids[i]))
  for (const y of labels) noise[y].given++
  li.calibratedJoint.forEach((row, k) => {
    const wrong = row.reduce((s, v, j) => (j === k ? s : s + v), 0)
    noise[k] = { given: noise[k].given, wrong, rate: ratio(wrong, noise[k].given) }
  })
  return { flagged, noise }
}

/** Compares run A (before) with run B (after) over the project's `images`. */
export function compareRuns(
  classes: readonly string[],
  images: readonly CompareImage[],
  a: CompareRunInput,
  b: CompareRunInput
): RunComparison {
  const C = classes.length
  const current = new Map<number, number>()
  for (const im of images) if (im.label != null) current.set(im.imageId, im.label)
  const both = images.filter((im) => a.probs.has(im.imageId) && b.probs.has(im.imageId))
  const measured = both.filter((im) => im.label != null)
  const sets: { set: 'val' | 'test' | 'all'; ids: number[] }[] = []
  for (const s of ['val', 'test'] as const) {
    const ids = measured.filter((im) => im.split === s).map((im) => im.imageId)
    if (ids.length) sets.push({ set: s, ids })
  }
  sets.push({ set: 'all', ids: measured.map((im) => im.imageId) })
  const accuracy = sets.map(({ set, ids }) => ({
    set,
    images: ids.length,
    a: accuracyOn(ids, a.probs, current),
    b: accuracyOn(ids, b.probs, current)
  }))
  const basis = sets.find((s) => s.set === 'test') ?? sets.find((s) => s.set === 'val') ?? sets[sets.length - 1]
  const prA = precisionRecall(basis.ids, a.probs, current, C)
  const prB = precisionRecall(basis.ids, b.probs, current, C)

  const fa = runFlagsAndNoise(a, C)
  const fb = runFlagsAndNoise(b, C)
  const asc = (s: Iterable<number>): number[] => [...s].sort((x, y) => x - y)

  let labelsChanged = 0
  for (const id of new Set([...a.trainedLabels.keys(), ...b.trainedLabels.keys()])) {
    if (a.trainedLabels.get(id) !== b.trainedLabels.get(id)) labelsChanged++
  }
  return {
    classes: [...classes],
    a: a.runId,
    b: b.runId,
    measuredAgainst: 'current labels',
    accuracy,
    perClassSet: basis.set,
    perClass: classes.map((name, c) => ({ name, support: prA.support[c], a: prA.pr[c], b: prB.pr[c] })),
    flags: {
      a: fa.flagged.size,
      b: fb.flagged.size,
      resolved: asc([...fa.flagged].filter((id) => !fb.flagged.has(id))),
      introduced: asc([...fb.flagged].filter((id) => !fa.flagged.has(id)))
    },
    suggestionChanged: asc(
      both.filter((im) => argmax(a.probs.get(im.imageId)!) !== argmax(b.probs.get(im.imageId)!)).map((im) => im.imageId)
    ),
    labelsChanged,
    noise: classes.map((name, c) => ({ name, a: fa.noise[c], b: fb.noise[c] }))
  }
}

export function comparisonView(c: RunComparison, cap = 500): RunComparisonView {
  const { flags, suggestionChanged, ...rest } = c
  return {
    ...rest,
    flags: {
      a: flags.a,
      b: flags.b,
      resolved: flags.resolved.length,
      introduced: flags.introduced.length,
      resolvedIds: flags.resolved.slice(0, cap),
      introducedIds: flags.introduced.slice(0, cap)
    },
    suggestionChanged: suggestionChanged.length,
    suggestionChangedIds: suggestionChanged.slice(0, cap),
    idsCap: cap
  }
}
