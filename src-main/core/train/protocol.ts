/**
 * Messages between a training host and the training worker (worker-entry.ts), whatever carries them:
 * a worker_threads port (CLI, `serve`), an Electron utilityProcess parent port, or a forked child.
 *
 * The worker opens the project read-only; every write (run rows, epochs, checkpoint pointer,
 * predictions) is a `store` request answered by the host with `store-result` (the host owns the
 * project's single writable connection). Names and the progress shape follow core/api/training.ts
 * (ready, started, progress, done, cancelled, failed, log), so the app's host reads them as is.
 */
import type { ApiTrainConfig } from '../run/api-config'
import type { ComputeBackend } from '../compute/backend'
import type { TrainConfigInput } from '../run/config'
import type { StoreOp } from '../run/store'
import type { TrainProgressEvent, TrainResult } from './train'

/** Bumped on any incompatible change; both sides refuse another version. */
export const TRAIN_WORKER_PROTOCOL = 1

export interface StartJob {
  projectPath: string
  /** Full config input (CLI) … */
  config?: TrainConfigInput
  /** … or the app's TrainConfig (mapped with fromApiConfig). */
  apiConfig?: ApiTrainConfig
  resumeFrom?: number
  name?: string
  /** "Retrain from run N" (run/run.ts fromRunJob): recorded as the new run's parent. */
  parentRunId?: number
  compute?: { backend?: 'auto' | ComputeBackend; threads?: number | 'auto' }
  runsDir?: string
}

export type HostMessage =
  | ({ type: 'start'; protocol: number } & StartJob)
  | { type: 'cancel' }
  | { type: 'store-result'; id: number; ok: boolean; value: unknown }

/** The app's TrainProgress (core/api/contract.ts) with the engine's full event in `detail`. */
export interface WireProgress {
  runId: number | null
  fold: number
  epoch: number
  epochs: number
  step: number
  steps: number
  loss: { total: number; trnCe?: number; or?: number; au?: number; pinCe?: number; kl?: number }
  trainAcc: number | null
  valAcc: number | null
  imagesPerSec: number | null
  etaSec: number | null
  backend: string
  backendReason: string
  at: string
  detail: TrainProgressEvent
}

export type WorkerMessage =
  | { type: 'ready'; protocol: number }
  | { type: 'started'; runId: number }
  | { type: 'progress'; progress: WireProgress }
  | { type: 'store'; id: number; op: StoreOp }
  | { type: 'done'; runId: number; result: TrainResult }
  | { type: 'cancelled'; runId: number | null; result: TrainResult | null }
  | { type: 'failed'; message: string; code?: string }
  | { type: 'log'; message: string }

export function toWireProgress(e: TrainProgressEvent): WireProgress {
  const t = e.lossTerms
  const loss: WireProgress['loss'] = { total: t.total ?? 0 }
  if (t.ceTrn !== undefined) loss.trnCe = t.ceTrn
  if (t.or !== undefined) loss.or = t.or
  if (t.au !== undefined) loss.au = t.au
  if (t.cePin !== undefined) loss.pinCe = t.cePin
  if (t.kl !== undefined) loss.kl = t.kl
  return {
    runId: e.runId,
    fold: e.fold,
    epoch: e.epoch,
    epochs: e.epochs,
    step: e.step,
    steps: e.steps,
    loss,
    trainAcc: e.trainAcc,
    valAcc: e.valAcc,
    imagesPerSec: e.imgPerSec,
    etaSec: e.etaSeconds,
    backend: e.backend.slice(0, 200),
    backendReason: e.backendReason.slice(0, 2000),
    at: new Date().toISOString(),
    detail: e
  }
}
