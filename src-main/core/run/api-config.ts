/**
 * The app's training options (core/api/contract.ts `zTrainConfig`: every field optional) mapped onto
 * the engine's TrainConfigInput. Kept structural (no import of the contract) so the engine does not
 * depend on the API layer.
 */
import type { ComputeBackend } from '../compute/backend'
import type { BackboneName, TrainConfigInput } from './config'

/** Structural copy of the contract's TrainConfig (z.input of zTrainConfig). */
export interface ApiTrainConfig {
  model?: 'poi' | 'ce'
  epochs?: number
  batchSize?: number
  learningRate?: number
  inputSize?: number
  folds?: number
  seed?: number
  backend?: 'auto' | ComputeBackend
  /** 'auto' (or absent) = the default for the backend that runs. */
  backbone?: 'auto' | BackboneName
  temperature?: number
  cropK?: number
  lambdas?: { au: number; pinCe: number; trnCe: number }
  smoothing?: number
  valFraction?: number
  softTargets?: boolean
}

export function fromApiConfig(a: ApiTrainConfig): { config: TrainConfigInput; backend: 'auto' | ComputeBackend } {
  const model: NonNullable<TrainConfigInput['model']> = {}
  if (a.temperature !== undefined) model.temperature = a.temperature
  if (a.cropK !== undefined) model.pin = { cropK: a.cropK }
  if (a.lambdas || a.smoothing !== undefined) {
    model.loss = {
      ...(a.lambdas ? { lambda1: a.lambdas.au, lambda2: a.lambdas.pinCe, lambda3: a.lambdas.trnCe } : {}),
      ...(a.smoothing !== undefined ? { auEpsilon: a.smoothing } : {})
    }
  }
  const config: TrainConfigInput = { model }
  if (a.model !== undefined) config.mode = a.model
  if (a.epochs !== undefined) config.epochs = a.epochs
  if (a.batchSize !== undefined) config.batchSize = a.batchSize
  if (a.learningRate !== undefined) config.lr = a.learningRate
  if (a.inputSize !== undefined) config.inputSize = a.inputSize
  if (a.folds !== undefined) config.kfold = a.folds
  if (a.seed !== undefined) config.seed = a.seed
  if (a.valFraction !== undefined) config.valFraction = a.valFraction
  if (a.softTargets !== undefined) config.softTargets = a.softTargets
  if (a.backbone !== undefined && a.backbone !== 'auto') config.backbone = a.backbone
  return { config, backend: a.backend ?? 'auto' }
}
