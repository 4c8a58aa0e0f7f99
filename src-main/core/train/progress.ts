/**
 * What training reports while it runs (TrainProgressEvent) and records when an epoch or the run ends
 * (EpochMetrics in run_epochs.metrics, RunMetrics in runs.metrics). Shapes only.
 */
import type { LossValues } from '../model/losses'

/** Loss terms as the progress reports them (running means over the epoch so far). */
export type LossTerms = Partial<LossValues>

export interface TrainProgressEvent {
  phase: 'prepare' | 'features' | 'train' | 'validate' | 'checkpoint' | 'score' | 'done'
  runId: number | null
  /** -1 = the single model; 0..k-1 in k-fold. */
  fold: number
  /** Number of folds (0 = single model). */
  folds: number
  /** 1-based epoch in progress (0 before training). */
  epoch: number
  epochs: number
  /** Steps done in this epoch, of `steps`. */
  step: number
  steps: number
  lossTerms: LossTerms
  /** Running TRN accuracy on this epoch's (augmented) batches against the given labels, [0, 1]. */
  trainAcc: number | null
  /** Last validation accuracy (TRN vs current labels), [0, 1]. */
  valAcc: number | null
  /** Training images per second over this epoch. */
  imgPerSec: number | null
  /** Estimated seconds left for the whole run (training of all folds; scoring excluded). */
  etaSeconds: number | null
  backend: string
  backendReason: string
  /** For 'features' / 'score': units done and total. */
  done?: number
  total?: number
  message?: string
}

/** One epoch's record (run_epochs.metrics). */
export interface EpochMetrics {
  fold: number
  epoch: number
  lr: number
  loss: LossTerms
  trainAcc: number | null
  valAcc: number | null
  images: number
  seconds: number
  imgPerSec: number
}

export interface RunMetrics {
  epochs: number
  folds: number
  valSource: string
  trainImages: number
  valImages: number
  scored: number
  final: EpochMetrics[]
  seconds: number
  trainSeconds: number
  backend: string
}

/** How train/ emits progress: only the fields that changed; the run-wide ones are filled in. */
export type ProgressEmit = (e: Partial<TrainProgressEvent> & Pick<TrainProgressEvent, 'phase'>) => void
