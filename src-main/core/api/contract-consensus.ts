/**
 * Part of THE app API contract (contract.ts re-exports it; import from there): consensus of several
 * annotators (core/consensus) as the app reads it — per-annotator quality for the Overview, per-image
 * consensus label and quality for the Review detail and for lists of images.
 * Imported by the renderer too, so it imports nothing from Node.
 */
import { z } from 'zod'
import { LIMITS, zId } from './contract-base'

/** 'auto': the model + annotators ensemble when a run is used, else Dawid–Skene. */
export const CONSENSUS_METHODS = ['auto', 'majority', 'dawid-skene', 'crowdlab'] as const
export type ConsensusMethodArg = (typeof CONSENSUS_METHODS)[number]

export const zConsensusArgs = z.strictObject({
  /**
   * Run whose model probabilities join the annotators. Omitted: the current audit's run (else the newest
   * finished run), left out with a note when it lacks predictions for voted images; null: annotators only.
   */
  runId: zId.nullable().optional(),
  method: z.enum(CONSENSUS_METHODS).optional(),
  /** Count the dataset's own label as one more annotator, "given" (default true). */
  includeGiven: z.boolean().optional(),
  /** Images whose consensus to return (only those with annotator votes are answered). */
  imageIds: z.array(zId).max(LIMITS.maxPage).optional(),
  /**
   * Fit again even when a fit of the same votes, run and method is in memory but curator decisions came
   * since (default: answer that fit and say how many history entries came since).
   */
  refresh: z.boolean().optional(),
  /**
   * Wait for the fit when none is in memory (CLI, exports, tests). Default false: a miss starts the fit in
   * a worker and answers `{available: true, status: 'fitting'}` at once; a `project.changed` event with
   * what 'consensus' follows when it lands.
   */
  wait: z.boolean().optional()
})

/** One image's consensus; only for images with imported annotator votes. */
export interface ImageConsensusView {
  imageId: number
  /** Consensus class index (from the fit: decisions recorded since it are not in it). */
  label: number
  /** Quality of the consensus label in [0, 1]: its posterior probability. */
  quality: number
  /** Votes the fit counted for the image (annotators, curators and, when counted, the given label). */
  fitVotes: number
  /** Imported annotators' votes now, per class (index = class index). */
  counts: number[]
  /** Curators' decisions now that name a class, one per curator (each counts as a vote). */
  curators: { actor: string; label: number }[]
}

/** An annotator as the consensus judged them (imported names, "curator:<actor>", "given"). */
export interface AnnotatorQualityView {
  annotator: string
  votes: number
  /** Estimated probability that their label is correct, [0, 1]; null when it could not be estimated. */
  quality: number | null
  /** Share of their votes equal to the consensus label, [0, 1]. */
  agreement: number
}

/** How a consensus was reached (shared by consensus.get and the Review detail). */
export interface ConsensusFitView {
  /** The estimator that ran. */
  method: 'majority' | 'dawid-skene' | 'crowdlab'
  /** The run whose model joined, or null (annotators only). */
  runId: number | null
  /** The requested or default run was left out: why. */
  note: string | null
  /** History entries (curator decisions, undos) recorded since the fit; 0 = current. */
  changesSince: number
  fittedAt: string
}

/** No fit to answer yet: one is running in a worker; a `project.changed` 'consensus' event follows. */
export interface ConsensusFitting {
  status: 'fitting'
  /** When the running fit started (ISO). */
  startedAt: string
}

export type ConsensusView =
  | {
      available: false
      /** Why there is nothing to show (no annotator votes in the project). */
      reason: string
    }
  | (ConsensusFitting & { available: true })
  | (ConsensusFitView & {
      available: true
      status: 'fitted'
      /** The model's probabilities are out-of-sample (k-fold) for every image used; null without a model. */
      outOfSample: boolean | null
      /** The model's weight in the ensemble (crowdlab), else null. */
      modelWeight: number | null
      includeGiven: boolean
      /** Images with imported annotator votes. */
      imagesWithVotes: number
      /** Of those, images whose consensus differs from their current label (as of the fit). */
      disagreeing: number
      /** Highest quality first. */
      annotators: AnnotatorQualityView[]
      /** The requested `imageIds` that have annotator votes, in request order. */
      images: ImageConsensusView[]
      /** How long the fit took, ms. */
      fitMs: number
    })

/**
 * images.detail's consensus: the image's consensus and how it was reached (the last fit, with
 * `changesSince` when decisions came after it), or `fitting` while the first fit runs.
 */
export type ImageConsensusDetail = (ImageConsensusView & ConsensusFitView & { status: 'fitted' }) | ConsensusFitting
