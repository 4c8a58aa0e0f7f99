/**
 * The types of the run comparison (compare-runs.ts), in a file with no imports so the API contract
 * (and through it the renderer) can name the result of `runs.compare` without pulling in the code.
 */
export type SplitName = 'train' | 'val' | 'test'

/** One run's stored outputs, in the project's class space. */
export interface CompareRunInput {
  runId: number
  /** imageId → p̂ (TRN softmax), one value per project class (length C). */
  probs: ReadonlyMap<number, ArrayLike<number>>
  /** imageId → the label the run trained on (project class index); images it did not train on or judge are absent. */
  trainedLabels: ReadonlyMap<number, number>
}

/** An image of the project with its current label (null = not labelled: unlabeled, ambiguous, excluded …). */
export interface CompareImage {
  imageId: number
  split: SplitName | null
  label: number | null
}

/** Precision and recall of one class (0..1; null where undefined: nothing predicted / no image of the class). */
export interface PrecisionRecall {
  precision: number | null
  recall: number | null
}

/** One run's estimate of the label noise left in one class (from its calibrated confident joint). */
export interface NoiseEstimate {
  /** Images with this given label that the run judged. */
  given: number
  /** Calibrated confident-joint off-diagonal count of the row: how many of them are estimated wrong. */
  wrong: number
  /** wrong / given (0..1); null when the class has no image. */
  rate: number | null
}

export interface RunComparison {
  classes: string[]
  a: number
  b: number
  /** Which labels the accuracy and precision/recall figures are measured against. */
  measuredAgainst: 'current labels'
  /**
   * Accuracy (share of images whose predicted class is the current label) per set: the project's
   * 'val' and 'test' splits when it has labelled images there, and 'all' (every labelled image both
   * runs scored; optimistic for in-training scores). images = how many were measured.
   */
  accuracy: { set: 'val' | 'test' | 'all'; images: number; a: number | null; b: number | null }[]
  /** The set per-class figures use: test if present, else val, else all. */
  perClassSet: 'val' | 'test' | 'all'
  perClass: { name: string; support: number; a: PrecisionRecall; b: PrecisionRecall }[]
  flags: {
    /** Images each run flags as likely mislabelled (over its own trained labels). */
    a: number
    b: number
    /** Flagged by A, not by B (image ids, ascending). */
    resolved: number[]
    /** Flagged by B, not by A (image ids, ascending). */
    introduced: number[]
  }
  /** Images scored by both runs whose predicted class differs (ascending ids). */
  suggestionChanged: number[]
  /** Images whose trained label differs between A and B, or that only one of them trained on. */
  labelsChanged: number
  /** Per project class: each run's estimated remaining noise. */
  noise: { name: string; a: NoiseEstimate; b: NoiseEstimate }[]
}

/** A comparison with counts and at most `cap` ids per list (what the API and `compare --json` return). */
export interface RunComparisonView extends Omit<RunComparison, 'flags' | 'suggestionChanged'> {
  flags: { a: number; b: number; resolved: number; introduced: number; resolvedIds: number[]; introducedIds: number[] }
  suggestionChanged: number
  suggestionChangedIds: number[]
  /** The most ids each *Ids list holds (the lowest ids first). */
  idsCap: number
}
