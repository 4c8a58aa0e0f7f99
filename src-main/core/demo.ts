/**
 * The end-to-end demo (README's first run, and a known-answer check of the whole pipeline):
 * synthetic faces with 20 % flipped training labels → a new project → import → POI training →
 * in-training scores → audit → what the audit found against the generator's ground truth.
 * The comparison with the ground truth is evaluate/truth.ts.
 */
import { existsSync } from 'node:fs'
import { mkdir, readdir } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { importDataset } from './dataset/index'
import { createProject } from './project'
import { runAudit, getAudit } from './audit/store'
import { generateDataset, loadGroundTruth, type SynthSummary } from './synth/index'
import type { ComputeOptions } from './compute/backend'
import { slimFast, type TrainConfigInput } from './run/config'
import { train, type TrainProgressEvent, type RunMetrics, type TrainResult } from './train/train'
import { runTrainingWorker } from './train/worker-host'
import { evaluateAgainstTruth, type TruthEvaluation } from './evaluate/truth'

/**
 * The demo's training recipe: the fast slim ResNet at 64 px, short and light enough for a few minutes on
 * 2 cores (docs/compute-defaults.md). The CPU default (a frozen face-api net) is for real faces; on these
 * drawn faces a small network trained from scratch learns more. Light augmentation only: at a dozen
 * epochs, translation costs more accuracy than it buys; the lr drops once, at 3/4 of the epochs.
 */
export const DEMO_TRAIN: TrainConfigInput = {
  ...slimFast(),
  mode: 'poi',
  epochs: 10,
  batchSize: 64,
  lr: 0.2,
  schedule: { milestones: [0.75], gamma: 0.1 },
  augment: { flip: true, translate: 0, brightness: 0.1, contrast: 0.1 },
  checkpointMinutes: 0
}

export interface DemoOptions {
  /** Folder for the dataset (data/) and the project (demo.poi). Must be empty or absent. */
  dir: string
  /** Synthetic images (all 8 classes, 80/10/10 split). */
  n?: number
  epochs?: number
  seed?: number
  /** Share of training labels flipped (default 0.2). */
  noise?: number
  /** Image side, pixels (default 64). */
  size?: number
  compute?: ComputeOptions
  train?: TrainConfigInput
  /** Train in a worker thread (the CLI), else in this thread. */
  inWorker?: boolean
  signal?: AbortSignal
  progress?: (e: DemoProgress) => void
}

export type DemoProgress =
  { phase: 'synth' | 'import' | 'audit'; done: number; total: number } | { phase: 'train'; event: TrainProgressEvent }

export interface DemoReport {
  dir: string
  project: string
  dataset: SynthSummary
  runId: number
  auditId: number
  train: RunMetrics
  truth: TruthEvaluation
  /** Flag counts of the audit (name → images). */
  flags: Record<string, number>
  seconds: { synth: number; import: number; train: number; audit: number; total: number }
}

export const DEMO_DEFAULTS = { n: 2000, epochs: DEMO_TRAIN.epochs as number, seed: 1, noise: 0.2, size: 64 }

export async function runDemo(o: DemoOptions): Promise<DemoReport> {
  const t0 = performance.now()
  const dir = resolve(o.dir)
  if (existsSync(dir) && (await readdir(dir)).length)
    throw new Error(`${dir} is not empty; give the demo an empty or new folder`)
  await mkdir(dir, { recursive: true })
  const n = o.n ?? DEMO_DEFAULTS.n
  const seed = o.seed ?? DEMO_DEFAULTS.seed
  const size = o.size ?? DEMO_DEFAULTS.size
  const dataDir = join(dir, 'data')
  const dataset = await generateDataset({
    outDir: dataDir,
    n,
    size,
    seed,
    noiseRate: o.noise ?? DEMO_DEFAULTS.noise,
    signal: o.signal,
    progress: (e) => o.progress?.({ phase: 'synth', done: e.done, total: e.total })
  })
  const t1 = performance.now()
  const projectPath = join(dir, 'demo.poi')
  const project = createProject(projectPath, { name: 'POI Audit demo', inputSize: size, channels: 1 })
  try {
    await importDataset(project, dataset.labelsCsv, {
      format: 'csv',
      signal: o.signal,
      progress: (e) => o.progress?.({ phase: 'import', done: e.done, total: e.total })
    })
    const t2 = performance.now()
    const config: TrainConfigInput = {
      ...DEMO_TRAIN,
      ...o.train,
      epochs: o.epochs ?? o.train?.epochs ?? DEMO_TRAIN.epochs,
      seed
    }
    let r: TrainResult
    if (o.inWorker) {
      const out = await runTrainingWorker(
        {
          projectPath,
          config,
          name: 'demo',
          compute: { backend: o.compute?.backend ?? 'auto', threads: o.compute?.threads }
        },
        { db: project.db, signal: o.signal, onProgress: (w) => o.progress?.({ phase: 'train', event: w.detail }) }
      )
      if (out.status !== 'done' || !out.result)
        throw new Error(
          out.status === 'cancelled' ? 'the demo was cancelled during training' : `training ${out.status}: ${out.error}`
        )
      r = out.result
    } else {
      r = await train({
        db: project.db,
        projectPath,
        config,
        compute: o.compute,
        signal: o.signal,
        name: 'demo',
        progress: (event) => o.progress?.({ phase: 'train', event })
      })
    }
    if (r.status !== 'done') throw new Error('the demo was cancelled during training')
    const t3 = performance.now()
    const auditId = await runAudit(
      project.db,
      r.runId,
      {},
      { signal: o.signal, progress: (e) => o.progress?.({ phase: 'audit', done: e.done, total: e.total }) }
    )
    const t4 = performance.now()
    const gt = await loadGroundTruth(dataset.groundTruth)
    const truth = evaluateAgainstTruth(project.db, r.runId, gt, auditId)
    const summary = getAudit(project.db, auditId)?.summary as
      { flags?: { names: string[]; totals: number[] } } | undefined
    const flags: Record<string, number> = {}
    summary?.flags?.names.forEach((name, i) => (flags[name] = summary.flags!.totals[i]))
    return {
      dir,
      project: projectPath,
      dataset,
      runId: r.runId,
      auditId,
      train: r.metrics,
      truth,
      flags,
      seconds: {
        synth: (t1 - t0) / 1000,
        import: (t2 - t1) / 1000,
        train: (t3 - t2) / 1000,
        audit: (t4 - t3) / 1000,
        total: (t4 - t0) / 1000
      }
    }
  } finally {
    project.close()
  }
}
