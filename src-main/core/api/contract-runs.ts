/**
 * Part of THE app API contract (contract.ts re-exports it; import from there): result types of the audit, overview,
 * run, job and training methods, and the events.
 * Imported by the renderer too, so it imports nothing from Node.
 */
import { z } from 'zod'
import type { ClassName } from '../classes'
import { type ApiErrorCode, type JsonValue, type LabelState, type ReviewState } from './contract-base'

// #region result types: audit, overview, runs, jobs, training
/**
 * The audit settings a curator adjusts in the app (Overview → Flag thresholds). The CLI's
 * `poi-audit audit --threshold path=value` reaches every AuditConfig field; these five are the ones that
 * decide how many images get flagged.
 */
export interface AuditSettings {
  /** Multiplies every per-class likely_mislabeled threshold t_j (1 = confident learning's mean self-confidence). */
  thresholdScale: number
  /** likely_mislabeled: the suggestion must beat the given label by at least this much in the combined score m. */
  minMargin: number
  /** ambiguous: UEM confidence below this percentile of the scored images. */
  confidencePercentile: number
  /** ambiguous: soft-label entropy / ln C at or above this is a flat soft label. */
  flatEntropy: number
  /** region_conflict: flagged when the eye/mouth conflict strength is at least this. */
  regionMinStrength: number
}

/** What decided the flags of the current audit: its settings and the per-class thresholds they gave. */
export interface AuditThresholdsView {
  auditId: number
  /** The run the audit scored (re-running with other settings audits the same run). */
  runId: number | null
  method: 'poi' | 'cl'
  settings: AuditSettings
  /**
   * Per class index: the likely_mislabeled threshold t_j on m (POI) or p̂ (CL); null = the class was never confident.
   */
  perClass: (number | null)[]
  /** The UEM confidence below which an image counts as ambiguous (the percentile's value); null without UEM. */
  ambiguousConfidenceCut: number | null
}

/** Allowed [min, max] of each setting (the AuditConfig ranges); the API checks them and the app's form shows them. */
export const AUDIT_SETTING_RANGES = {
  thresholdScale: [0.05, 5],
  minMargin: [-1, 1],
  confidencePercentile: [0, 1],
  flatEntropy: [0, 1],
  regionMinStrength: [0, 1]
} as const satisfies Record<keyof AuditSettings, readonly [number, number]>

const zSetting = (k: keyof AuditSettings) =>
  z.number().min(AUDIT_SETTING_RANGES[k][0]).max(AUDIT_SETTING_RANGES[k][1]).optional()
export const zAuditSettings = z.strictObject({
  thresholdScale: zSetting('thresholdScale'),
  minMargin: zSetting('minMargin'),
  confidencePercentile: zSetting('confidencePercentile'),
  flatEntropy: zSetting('flatEntropy'),
  regionMinStrength: zSetting('regionMinStrength')
})

export interface OverviewStats {
  classes: ClassName[]
  total: number
  labelStates: Record<LabelState, number>
  reviews: Record<ReviewState | 'unreviewed', number>
  classCounts: { original: number[]; current: number[]; suggested: number[] | null }
  /**
   * matrix[given][suggested] image counts. source 'audit' = the audit's suggestion; 'prediction' =
   * argmax of the TRN probabilities when no audit exists. Cell → images: images.queue with
   * `filter.pair` (audit) or `filter.given` (prediction).
   */
  confusion: { source: 'audit' | 'prediction'; auditId: number | null; runId: number | null; matrix: number[][] } | null
  /**
   * UEM confidence histogram: `edges` has bins+1 confidence values, ascending; byClass[given][bin].
   * `scale` 'linear': equal bins over [0, 1]. 'logit': the values are saturated (see
   * ConfidenceSpread.saturated), so the bins are equal steps of log(c / (1 − c)) between the run's
   * lowest and highest value, where they spread; the edges are still confidence values.
   */
  confidence: {
    runId: number
    scale: 'linear' | 'logit'
    edges: number[]
    counts: number[]
    byClass: number[][]
  } | null
  /** Mean AU occurrence probability per given class (left and mirrored-right regions averaged): mean[class][au]. */
  auHeatmap: { runId: number; aus: number[]; names: string[]; mean: number[][]; imagesPerClass: number[] } | null
  /** Flag counts per given class: perClass[flag][class]. */
  flags: { auditId: number; names: string[]; perClass: number[][]; totals: number[] } | null
  /** The current audit's settings and thresholds; null without an audit. */
  thresholds: AuditThresholdsView | null
}

/** One run's evidence for trusting it (runs.detail): curves, validation accuracy, per-class precision/recall. */
export interface RunDetail {
  runId: number
  /** Per epoch (fold -1 = the single model); null = not measured in that epoch. Accuracies 0..1. */
  epochs: { fold: number; epoch: number; loss: number | null; trainAcc: number | null; valAcc: number | null }[]
  /** Final validation accuracy (mean over folds); null when the run had no validation set. */
  valAcc: number | null
  /**
   * Which images the per-class figures are measured on: out-of-fold predictions (k-fold), the project's
   * 'val' split, or every scored image (in-training scores: optimistic, the model saw most of them).
   */
  basis: 'out-of-fold' | 'validation split' | 'all scored images'
  /** Labeled images measured, and the share whose predicted class (TRN argmax) is their current label. */
  images: number
  accuracy: number | null
  /** In the project's class order; null where undefined (nothing predicted / no image of the class). */
  perClass: { name: string; support: number; precision: number | null; recall: number | null }[]
}

export interface RunSummary {
  id: number
  kind: string
  name: string | null
  status: 'running' | 'done' | 'failed' | 'cancelled'
  startedAt: string
  finishedAt: string | null
  backend: string | null
  /**
   * The run's shared extractor and square input side in px (from its recorded config; null for runs that recorded
   * none).
   */
  backbone: string | null
  inputSize: number | null
  metrics: JsonValue
  error: string | null
  /** Number of images with predictions from this run. */
  predictions: number
  /** The run this one retrains ("retrain with my corrections", `train --from-run`), else null. */
  parentRunId: number | null
  /** Stored columns that are no longer valid JSON (metrics shown as empty; the UI says "damaged record"). */
  damaged?: string[]
}

export type JobKind = 'import' | 'audit' | 'train' | 'export'
export type JobState = 'running' | 'done' | 'failed' | 'cancelled'

export interface JobInfo {
  id: string
  kind: JobKind
  state: JobState
  /** Engine-defined step name ('scanning', 'decoding', 'epoch', 'writing' ...). */
  phase: string
  done: number
  total: number | null
  message: string | null
  startedAt: string
  finishedAt: string | null
  error: { code: ApiErrorCode; message: string } | null
  /** The curator whose call started it (serve --curators: the signed-in one; else the app's own actor). */
  startedBy: string | null
}

export interface TrainProgress {
  runId: number | null
  /** -1 = the single model; 0..k-1 in k-fold. */
  fold: number
  /** 1-based. */
  epoch: number
  epochs: number
  step: number
  steps: number
  /** Loss terms of spec eq. 12 (absent terms were not used by the model). */
  loss: { total: number; trnCe?: number; or?: number; au?: number; pinCe?: number; kl?: number }
  trainAcc: number | null
  valAcc: number | null
  imagesPerSec: number | null
  etaSec: number | null
  /** tfjs backend actually used, and why it was chosen (or why faster ones were not). */
  backend: string
  backendReason: string
  at: string
  /**
   * What the engine is doing (absent from hosts that do not say): prepare, features (caching frozen
   * features: done of total), train (steps of an epoch), validate, checkpoint, score (done of total), done.
   */
  phase?: 'prepare' | 'features' | 'train' | 'validate' | 'checkpoint' | 'score' | 'done'
  done?: number | null
  total?: number | null
}

export type TrainState =
  'idle' | 'starting' | 'running' | 'cancelling' | 'completed' | 'cancelled' | 'failed' | 'crashed'

export interface TrainStatus {
  /** Training engine present in this build. */
  available: boolean
  state: TrainState
  runId: number | null
  jobId: string | null
  progress: TrainProgress | null
  error: string | null
  /** For 'crashed': the worker's exit code. */
  exitCode: number | null
  /** The curator whose call started the current (or last) run; null before any. */
  startedBy: string | null
}

export interface ImportSummary {
  id: number
  datasetId: number
  datasetRoot: string
  format: string
  source: string
  startedAt: string
  finishedAt: string
  /** The import engine's report (counts, quarantined files, warnings). */
  report: JsonValue
  /** Stored columns that are no longer valid JSON (shown as empty; the UI says "damaged record"). */
  damaged?: string[]
}

// #endregion
// #region events

/** Everything main pushes to the renderer, on one channel (IPC `poi:event` / SSE `/api/events`). */
export type ApiEvent =
  | { type: 'job.progress'; job: JobInfo }
  | { type: 'job.finished'; job: JobInfo; result: JsonValue }
  | { type: 'train.progress'; progress: TrainProgress }
  | { type: 'train.state'; status: TrainStatus }
  | {
      type: 'project.changed'
      /** queue = the learning queue stored a new order (or its settings changed): reload the default queue. */
      /** consensus = a consensus fit landed (or failed) in its worker: ask consensus.get / images.detail again. */
      /** assignments = a curator's assignment was set or removed: the Team list and "Mine" queues change. */
      what: 'opened' | 'closed' | 'labels' | 'images' | 'runs' | 'audit' | 'queue' | 'consensus' | 'assignments'
      /** Affected images when at most 1000, else omitted (= many). */
      imageIds?: number[]
    }

// #endregion
