/**
 * The end-to-end demo (README's first run, and a known-answer check of the whole pipeline):
 * synthetic faces with 20 % flipped training labels → a new project → import → POI training →
 * in-training scores → audit → what the audit found against the generator's ground truth.
 *
 * `evaluateAgainstTruth` is the comparison itself (also used by the acceptance tests): accuracy of
 * the TRN on the true labels of never-trained images, AU-head AUROC against the true AUs, and how
 * well the audit ranking and the soft labels separate flipped from clean training labels.
 */
import { existsSync } from 'node:fs'
import { mkdir, readdir } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { EYE_AUS, MOUTH_AUS, type ClassName } from './classes'
import { importDataset } from './dataset/index'
import { createProject } from './project'
import type { DB } from './store/db'
import { readPredictions } from './store/runs'
import { auditItems, runAudit, getAudit } from './audit/store'
import { generateDataset, loadGroundTruth, type GroundTruth, type SynthSummary } from './synth/index'
import type { ComputeOptions } from './compute/backend'
import { slimFast, type TrainConfigInput } from './train/config'
import { train, type TrainProgressEvent, type RunMetrics, type TrainResult } from './train/train'
import { runTrainingWorker } from './train/host'
import { auroc as rankAuroc } from './audit/metrics'

/** Area under the ROC curve of `pos` scored above `neg` (ties count ½); NaN when a side is empty. */
export function auroc(pos: readonly number[], neg: readonly number[]): number {
  return rankAuroc([...pos, ...neg], [...pos.map(() => true), ...neg.map(() => false)])
}

const argmax = (v: ArrayLike<number>): number => {
  let k = 0
  for (let i = 1; i < v.length; i++) if (v[i] > v[k]) k = i
  return k
}

export interface TruthEvaluation {
  /** Images never trained on (the generator's val/test splits), scored by the run. */
  heldOut: number
  /** TRN argmax = true class on held-out images. */
  trnAccuracy: number
  /** OIM soft label (T = 1) argmax = true class on held-out images (null without a PIN). */
  oimAccuracy: number | null
  /** Per AU: AUROC of the AU head (mean of the two regions of its branch) against "AU drawn", held-out images. */
  auAuroc: Record<string, number>
  auAurocMean: number | null
  /** Training images and how many of them have a flipped label. */
  train: number
  flipped: number
  /** AUROC of 1 − q[given] (OIM soft label, T = 1; TRN probs without a PIN) for flipped vs clean training labels. */
  flipAurocSoft: number
  /** AUROC of the audit ranking (lower score = more suspicious) for flipped vs clean (null without an audit). */
  flipAurocAudit: number | null
  /** Precision of the audit's top-k (k = number of flipped) and of its flagged set. */
  precisionAtK: number | null
  flaggedPrecision: number | null
  flaggedRecall: number | null
}

/** Compares a run's predictions (and optionally an audit) with a synthetic dataset's ground truth. */
export function evaluateAgainstTruth(db: DB, runId: number, gt: GroundTruth, auditId: number | null = null): TruthEvaluation {
  const classes = (db.prepare('SELECT name FROM classes ORDER BY idx').pluck().all() as ClassName[])
  const byPath = new Map(gt.images.map((g) => [g.path, g]))
  const rows = db.prepare('SELECT id, rel_path FROM images').all() as { id: number; rel_path: string }[]
  const truth = new Map(rows.map((r) => [r.id, byPath.get(r.rel_path)]))
  const preds = readPredictions(db, runId)
  const held = preds.filter((p) => truth.get(p.imageId) && truth.get(p.imageId)!.split !== 'train')
  const right = (v: ArrayLike<number> | null, id: number): boolean => v != null && classes[argmax(v)] === truth.get(id)!.trueClass
  const hasPin = held.some((p) => p.oimSoftT1)
  const auAuroc: Record<string, number> = {}
  const aus = [...EYE_AUS, ...MOUTH_AUS]
  if (held.some((p) => p.auProb)) {
    aus.forEach((au, k) => {
      const pos: number[] = []
      const neg: number[] = []
      for (const p of held) {
        if (!p.auProb) continue
        const v = k < 6 ? (p.auProb[k] + p.auProb[6 + k]) / 2 : (p.auProb[12 + k - 6] + p.auProb[19 + k - 6]) / 2
        ;((truth.get(p.imageId)!.aus[`AU${au}`] ?? 0) > 0 ? pos : neg).push(v)
      }
      const a = auroc(pos, neg)
      if (!Number.isNaN(a)) auAuroc[`AU${au}`] = a
    })
  }
  const auVals = Object.values(auAuroc)
  const tr = preds.filter((p) => truth.get(p.imageId)?.split === 'train')
  const isFlip = (id: number): boolean => truth.get(id)!.flipped
  const disagree = (p: (typeof preds)[number]): number => 1 - (p.oimSoftT1 ?? p.trnProbs)[classes.indexOf(truth.get(p.imageId)!.givenLabel)]
  const flipAurocSoft = auroc(tr.filter((p) => isFlip(p.imageId)).map(disagree), tr.filter((p) => !isFlip(p.imageId)).map(disagree))
  let flipAurocAudit: number | null = null
  let precisionAtK: number | null = null
  let flaggedPrecision: number | null = null
  let flaggedRecall: number | null = null
  const nFlip = tr.filter((p) => isFlip(p.imageId)).length
  if (auditId != null) {
    const items = auditItems(db, auditId, { scoredOnly: true }).filter((i) => truth.get(i.imageId)?.split === 'train')
    flipAurocAudit = auroc(items.filter((i) => isFlip(i.imageId)).map((i) => -i.score!), items.filter((i) => !isFlip(i.imageId)).map((i) => -i.score!))
    const top = items.slice(0, nFlip)
    precisionAtK = top.length ? top.filter((i) => isFlip(i.imageId)).length / top.length : null
    const flagged = items.filter((i) => i.flags.includes('likely_mislabeled'))
    flaggedPrecision = flagged.length ? flagged.filter((i) => isFlip(i.imageId)).length / flagged.length : null
    flaggedRecall = nFlip ? flagged.filter((i) => isFlip(i.imageId)).length / nFlip : null
  }
  return {
    heldOut: held.length,
    trnAccuracy: held.length ? held.filter((p) => right(p.trnProbs, p.imageId)).length / held.length : NaN,
    oimAccuracy: hasPin ? held.filter((p) => right(p.oimSoftT1, p.imageId)).length / held.length : null,
    auAuroc,
    auAurocMean: auVals.length ? auVals.reduce((a, b) => a + b, 0) / auVals.length : null,
    train: tr.length,
    flipped: nFlip,
    flipAurocSoft,
    flipAurocAudit,
    precisionAtK,
    flaggedPrecision,
    flaggedRecall
  }
}

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
  | { phase: 'synth' | 'import' | 'audit'; done: number; total: number }
  | { phase: 'train'; event: TrainProgressEvent }

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
  if (existsSync(dir) && (await readdir(dir)).length) throw new Error(`${dir} is not empty; give the demo an empty or new folder`)
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
    const config: TrainConfigInput = { ...DEMO_TRAIN, ...o.train, epochs: o.epochs ?? o.train?.epochs ?? DEMO_TRAIN.epochs, seed }
    let r: TrainResult
    if (o.inWorker) {
      const out = await runTrainingWorker(
        { projectPath, config, name: 'demo', compute: { backend: o.compute?.backend ?? 'auto', threads: o.compute?.threads } },
        { db: project.db, signal: o.signal, onProgress: (w) => o.progress?.({ phase: 'train', event: w.detail }) }
      )
      if (out.status !== 'done' || !out.result) throw new Error(out.status === 'cancelled' ? 'the demo was cancelled during training' : `training ${out.status}: ${out.error}`)
      r = out.result
    } else {
      r = await train({ db: project.db, projectPath, config, compute: o.compute, signal: o.signal, name: 'demo', progress: (event) => o.progress?.({ phase: 'train', event }) })
    }
    if (r.status !== 'done') throw new Error('the demo was cancelled during training')
    const t3 = performance.now()
    const auditId = await runAudit(project.db, r.runId, {}, { signal: o.signal, progress: (e) => o.progress?.({ phase: 'audit', done: e.done, total: e.total }) })
    const t4 = performance.now()
    const gt = await loadGroundTruth(dataset.groundTruth)
    const truth = evaluateAgainstTruth(project.db, r.runId, gt, auditId)
    const summary = getAudit(project.db, auditId)?.summary as { flags?: { names: string[]; totals: number[] } } | undefined
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
      seconds: { synth: (t1 - t0) / 1000, import: (t2 - t1) / 1000, train: (t3 - t2) / 1000, audit: (t4 - t3) / 1000, total: (t4 - t0) / 1000 }
    }
  } finally {
    project.close()
  }
}
