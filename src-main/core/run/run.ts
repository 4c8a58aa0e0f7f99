/**
 * A training run as a concept: its stored record (store/runs.ts), the training configuration it was
 * made with (runs.config.train), its model configuration (in the checkpoint) and the network rebuilt
 * from its checkpoint. Training, scoring and the benchmarks all open runs through here, so "rebuild a
 * run's model" is written once.
 */
import { identityFeatures } from '../model/backbone'
import type { PoiModelConfig } from '../model/config'
import { createPoiModel, type PoiNetwork } from '../model/poi-model'
import { ProjectError } from '../store/errors'
import type { RunInfo, RunKind } from '../store/runs'
import { loadCheckpoint, type Checkpoint } from './checkpoint'
import { isFrozenBackbone, parseTrainConfig, type TrainConfig, type TrainConfigInput } from './config'

/** The training config stored with a run (runs.config.train), validated. */
export function runTrainConfig(config: unknown, runId: number): TrainConfig {
  const c = (config as { train?: unknown } | null)?.train
  if (!c) throw new ProjectError('INVALID', `run ${runId} has no training configuration (was it made by this trainer?)`)
  return parseTrainConfig(c, `run ${runId} config`)
}

/** The `runs.kind` a configuration produces. */
export function runKind(cfg: TrainConfig): RunKind {
  return `${cfg.mode}${cfg.kfold >= 2 ? '-kfold' : ''}` as RunKind
}

/**
 * A new network for a run: frozen backbones train on cached features, so their extractor is the
 * identity (the feature cache already holds F); every other backbone is built in full.
 */
export function createRunModel(modelConfig: PoiModelConfig, cfg: TrainConfig): PoiNetwork {
  return createPoiModel(modelConfig, isFrozenBackbone(cfg.backbone) ? { frozenExtractor: identityFeatures } : {})
}

/** The network of a checkpoint with its weights set (the caller disposes it). */
export function modelFromCheckpoint(ckpt: Checkpoint): PoiNetwork {
  const model = createRunModel(ckpt.manifest.modelConfig, ckpt.manifest.trainConfig)
  try {
    model.setWeights(ckpt.weights)
  } catch (e) {
    model.dispose()
    throw e
  }
  return model
}

export interface RunModel {
  model: PoiNetwork
  trainConfig: TrainConfig
  checkpoint: Checkpoint
}

/** Rebuilds a run's network from its latest checkpoint (the caller disposes `model`). */
export async function openRunModel(run: Pick<RunInfo, 'id' | 'config' | 'checkpoint'>): Promise<RunModel> {
  const trainConfig = runTrainConfig(run.config, run.id)
  if (!run.checkpoint) throw new ProjectError('INVALID', `run ${run.id} has no checkpoint`)
  const checkpoint = await loadCheckpoint(run.checkpoint)
  return { model: modelFromCheckpoint(checkpoint), trainConfig, checkpoint }
}

/**
 * The job that scores a run out of sample: k new models trained with the run's configuration, each
 * scoring only the images of its held-out fold (a new run of kind '<mode>-kfold'). The CLI runs it in
 * a worker, tests and benchmarks with train(); either way the folds are planned by data/dataset.ts.
 */
export function kfoldScoreJob(
  run: Pick<RunInfo, 'id' | 'config'>,
  k: number
): { config: TrainConfigInput; name: string } {
  if (!Number.isInteger(k) || k < 2) throw new ProjectError('INVALID', `k-fold scoring needs k ≥ 2, got ${k}`)
  return {
    config: { ...runTrainConfig(run.config, run.id), kfold: k, scoreAfter: true },
    name: `${k}-fold scores of run ${run.id}`
  }
}

/** What a "retrain from run N" job trains with: run N's configuration, the caller's overrides on top. */
export interface FromRunJob {
  config: TrainConfigInput
  name: string
  /** Recorded in the new run's `runs.config.parentRunId`. */
  parentRunId: number
}

/**
 * "Retrain with my corrections": a new run with run N's training configuration (backbone, epochs,
 * seed, k-fold …) on the project's CURRENT labels (data/dataset.ts reads them when the run starts, so
 * curator decisions count by kind: kept and relabeled images train on their label, ambiguous and
 * excluded ones are left out — training has no soft targets). `overrides` (other CLI flags, the app's
 * form) replace single options; `model` overrides merge key by key.
 */
export function fromRunJob(
  run: Pick<RunInfo, 'id' | 'config' | 'status'>,
  overrides: TrainConfigInput = {}
): FromRunJob {
  if (run.status === 'running')
    throw new ProjectError('INVALID', `run ${run.id} is still running; retrain from a finished run`)
  const base = runTrainConfig(run.config, run.id)
  const defined = Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined)) as TrainConfigInput
  const config: TrainConfigInput = { ...base, ...defined, model: { ...base.model, ...(overrides.model ?? {}) } }
  return { config, name: `retrain of run ${run.id} with the current labels`, parentRunId: run.id }
}

/** The parent run id recorded by `fromRunJob` runs (runs.config.parentRunId), else null. */
export function runParent(config: unknown): number | null {
  const p = (config as { parentRunId?: unknown } | null)?.parentRunId
  return typeof p === 'number' && Number.isInteger(p) ? p : null
}
