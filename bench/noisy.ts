/**
 * The paper's noisy-label protocol on FER2013 (`npm run bench:noisy [-- options]`): flip a share of the
 * Training labels (seeded, symmetric: each flipped label goes to a uniformly drawn other class), train
 * POI and a plain CE model with the same backbone, epochs and seed, and report PrivateTest accuracy of
 * each (PublicTest is the validation split, as in the standard protocol).
 *
 *   --noise 0.3            comma list of noise rates (default 0.3; --full = 0.1,0.2,0.3)
 *   --epochs N             epochs per model (default 4: about an hour for POI + CE at one noise rate)
 *   --subset N             train on a stratified subset of N Training images (default: all 28,709)
 *   --backbone NAME        slim | resnet18 | faceapi-landmark | faceapi-landmark-14 (default: the CPU default)
 *   --stem S --widths a,b,c,d --blocks a,b,c,d   ResNet shape (the fast slim: --backbone slim --stem imagenet
 *                          --widths 16,32,64,128 --blocks 1,1,1,1)
 *   --ablation             also train POI without the OIM gate, without UEM weighting (no-PIN = the CE model),
 *                          and with ω normalised to batch mean 1 (loss.normaliseOmega)
 *   --variants LIST        the models to train, comma list (default POI,CE): POI, CE, inpre (Table III: no gate,
 *                          no L_KL), POI no-gate, POI no-UEM, POI ω-normalised
 *   --reuse NAME=RUN,…     measure these variants from runs an earlier bench:noisy left in the cached project
 *                          (same name, noise, epochs, seed, batch and lr: checked) instead of training them again
 *   --adapter residual-conv  frozen backbones: a trainable shared stage on the frozen map, so the PIN's
 *                          losses can shape the features the TRN reads (model.extractor.adapter)
 *   --full                 the paper's recipe where time allows: noise 10/20/30 %, 60 epochs, batch 256, lr 0.1
 *   --data DIR             folder holding fer2013/ (default ../shared/data); --cache DIR for the imported project
 *   --out FILE             result file (default bench-results/noisy.json, which bench:uem reads)
 *
 * FER2013 is imported once into a cached project (default .poi-tmp/bench-train/fer2013-48.poi) and reused.
 * Writes bench-results/noisy.json (the runs are kept in the cached project for bench:uem).
 * The shared FER2013 helpers below are also used by bench/uem.ts and bench/config-search.ts.
 */
import { parseArgs } from 'node:util'
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { cpus, loadavg } from 'node:os'
import { initCompute, type ComputeInfo } from '../src-main/core/compute/backend'
import { defaultBackbone, type TrainConfigInput } from '../src-main/core/run/config'
import { importDataset } from '../src-main/core/dataset/index'
import { createProject, openProject, type Project } from '../src-main/core/project'
import { getClasses } from '../src-main/core/store/meta'
import { getRun } from '../src-main/core/store/runs'
import { Rng, hashSeed } from '../src-main/core/util/rng'
import { argmax } from '../src-main/core/util/vector'
import { openRunModel } from '../src-main/core/run/run'
import { openInputs } from '../src-main/core/data/inputs'
import { train, type TrainProgressEvent, type TrainResult } from '../src-main/core/train/train'
import { scoreImages } from '../src-main/core/run/predict'
import type { PredictionInput } from '../src-main/core/store/runs'

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')

/** The options every FER bench takes; each bench merges them into its own node:util parseArgs table. */
export const FER_OPTIONS = { data: { type: 'string' }, cache: { type: 'string' }, backend: { type: 'string' } } as const
export interface FerOptions {
  data?: string
  cache?: string
  backend?: string
}

/** The data folder: --data DIR, else ../shared/data next to the repository. */
export function ferDataDir(o: FerOptions): string {
  return resolve(o.data ?? join(ROOT, '..', 'shared', 'data'))
}

/** Prints why the bench cannot run and returns true when FER2013 is absent (the script then exits 0). */
export function ferMissing(dir: string, bench: string): boolean {
  const csv = join(dir, 'fer2013', 'labels.csv')
  if (existsSync(csv)) return false
  process.stdout.write(
    `${bench}: FER2013 not found at ${csv}; nothing to measure (give --data DIR holding fer2013/). Skipped.\n`
  )
  return true
}

export interface Fer {
  project: Project
  /** Image ids by FER2013 split. */
  training: number[]
  publicTest: number[]
  privateTest: number[]
  /** Original FER2013 labels (project class indices). */
  labels: Map<number, number>
  classes: string[]
  /** The engine every run of this bench trains and scores on (chosen once, before the first run). */
  compute: ComputeInfo
}

/** Opens (importing on first use) the cached FER2013 project, for writing. */
export async function openFer(dir: string, o: FerOptions): Promise<Fer> {
  const cache = resolve(o.cache ?? join(ROOT, '.poi-tmp', 'bench-train'))
  const path = join(cache, 'fer2013-48.poi')
  const done = join(cache, 'fer2013-48.imported')
  if (!existsSync(done)) {
    mkdirSync(cache, { recursive: true })
    if (existsSync(path)) throw new Error(`${path} exists but its import did not finish; delete it and run again`)
    process.stderr.write(`importing FER2013 into ${path} (once; about 5–10 min on 2 cores)…\n`)
    const p = createProject(path, { inputSize: 48, channels: 1 })
    let last = 0
    await importDataset(p, join(dir, 'fer2013', 'labels.csv'), {
      format: 'csv',
      progress: (e) => {
        if (Date.now() - last > 10_000) {
          last = Date.now()
          process.stderr.write(`  import ${e.phase} ${e.done}/${e.total}\n`)
        }
      }
    })
    p.close()
    writeFileSync(done, new Date().toISOString() + '\n')
  }
  // Scoring helpers below run outside train(): pick the backend first (tfjs would silently fall back to cpu).
  const compute = await initCompute({ backend: (o.backend as 'wasm' | undefined) ?? 'auto' })
  const project = openProject(path)
  const rows = project.db
    .prepare(
      `SELECT i.id, i.source_split AS s, a.current_label AS l FROM images i JOIN annotations a ON a.image_id = i.id WHERE i.decode_status = 'ok' AND a.state = 'labeled' ORDER BY i.id`
    )
    .all() as { id: number; s: string; l: number }[]
  const by = (s: string): number[] => rows.filter((r) => r.s === s).map((r) => r.id)
  return {
    project,
    training: by('Training'),
    publicTest: by('PublicTest'),
    privateTest: by('PrivateTest'),
    labels: new Map(rows.map((r) => [r.id, r.l])),
    classes: getClasses(project.db),
    compute
  }
}

/** The backbone a bench run trains: the one asked for, else the engine's default (run/config.ts). */
export function benchBackbone(fer: Fer, asked: TrainConfigInput['backbone']): string {
  if (asked) return asked
  const d = defaultBackbone(fer.compute.backend, fer.compute.gpu)
  const shape = d.widths ? ` ${d.widths.join('-')}` : ''
  return `${d.backbone}${shape} stem ${d.stem} (the ${fer.compute.backend} default)`
}

/** The engine line and the machine's other load, printed and stored with every bench figure. */
export function benchMachine(fer: Fer): { engine: string; threads: number | null; loadavg: number[] } {
  const c = fer.compute
  return {
    engine: `${c.backend} (${c.threads ?? '?'} threads${c.threadsWhy ? `, ${c.threadsWhy}` : ''}): ${c.reason}`,
    threads: c.threads,
    loadavg: loadavg().map((x) => Math.round(x * 100) / 100)
  }
}

/**
 * Flips round(rate·n) of `ids` to a uniformly drawn other class (seeded). Returns the noisy label map and the flipped
 * ids.
 */
export function flipLabels(
  ids: readonly number[],
  labels: ReadonlyMap<number, number>,
  rate: number,
  seed: number,
  classCount: number
): { labels: Map<number, number>; flipped: Set<number> } {
  const rng = new Rng(hashSeed(seed, 'fer-noise', rate))
  const out = new Map(labels)
  const k = Math.round(rate * ids.length)
  const chosen = rng.shuffle([...ids]).slice(0, k)
  for (const id of chosen) {
    const y = labels.get(id)!
    const o = rng.int(classCount - 1)
    out.set(id, o >= y ? o + 1 : o)
  }
  return { labels: out, flipped: new Set(chosen) }
}

/** A class-stratified, seeded subset of `n` ids. */
export function stratifiedSubset(
  ids: readonly number[],
  labels: ReadonlyMap<number, number>,
  n: number,
  seed: number
): number[] {
  if (n >= ids.length) return [...ids]
  const rng = new Rng(hashSeed(seed, 'subset', n))
  const byC = new Map<number, number[]>()
  for (const id of ids) {
    const c = labels.get(id)!
    if (!byC.has(c)) byC.set(c, [])
    byC.get(c)!.push(id)
  }
  const out: number[] = []
  for (const [, list] of [...byC].sort((a, b) => a[0] - b[0]))
    out.push(...rng.shuffle([...list]).slice(0, Math.round((n * list.length) / ids.length)))
  return out.sort((a, b) => a - b)
}

/**
 * The label map a bench run trains with: noisy Training subset + clean PublicTest (validation); PrivateTest never
 * enters.
 */
export function trainingLabels(
  fer: Fer,
  trainIds: readonly number[],
  noisy: ReadonlyMap<number, number>
): Map<number, number> {
  const m = new Map<number, number>()
  for (const id of trainIds) m.set(id, noisy.get(id)!)
  for (const id of fer.publicTest) m.set(id, fer.labels.get(id)!)
  return m
}

/** Scores `ids` with a finished run's final model (nothing stored). */
export async function predictWithRun(fer: Fer, runId: number, ids: readonly number[]): Promise<PredictionInput[]> {
  const run = getRun(fer.project.db, runId)
  if (!run) throw new Error(`no run ${runId}`)
  const { model, trainConfig: cfg } = await openRunModel(run)
  try {
    const inputs = await openInputs(cfg, { db: fer.project.db, projectPath: fer.project.path, ids })
    try {
      return await scoreImages(model, inputs, ids, { fold: null })
    } finally {
      inputs.release()
    }
  } finally {
    model.dispose()
  }
}

export function accuracyOf(preds: readonly PredictionInput[], labels: ReadonlyMap<number, number>): number {
  return preds.filter((p) => argmax(p.trnProbs) === labels.get(p.imageId)).length / Math.max(preds.length, 1)
}

/** A progress printer for long bench runs (one line per epoch end, plus every 60 s). */
export function benchProgress(tag: string): (e: TrainProgressEvent) => void {
  let last = 0
  return (e) => {
    const now = Date.now()
    const end = e.phase === 'train' && e.step === e.steps
    if (e.phase === 'features' && now - last > 30_000) {
      last = now
      process.stderr.write(`  [${tag}] features ${e.done}/${e.total}\n`)
    }
    if (e.phase !== 'train' || (!end && now - last < 60_000)) return
    last = now
    process.stderr.write(
      `  [${tag}] epoch ${e.epoch}/${e.epochs} step ${e.step}/${e.steps} loss ${(e.lossTerms.total ?? 0).toFixed(3)} acc ${((e.trainAcc ?? 0) * 100).toFixed(1)}% val ${e.valAcc == null ? '–' : (e.valAcc * 100).toFixed(1) + '%'} ${e.imgPerSec?.toFixed(1)} img/s ETA ${Math.round(e.etaSeconds ?? 0)} s\n`
    )
  }
}

export interface NoisyRow {
  noise: number
  model: string
  runId: number
  privateTestAcc: number
  publicTestAcc: number | null
  trainMinutes: number
  epochs: number
  /** Measured from a run an earlier bench trained (--reuse), not trained by this one. */
  reused?: boolean
}

/** Trains one model on the noisy labels and measures it on PrivateTest. */
export async function trainAndTest(
  fer: Fer,
  tag: string,
  labels: Map<number, number>,
  config: TrainConfigInput
): Promise<{ result: TrainResult; privateTestAcc: number; preds: PredictionInput[] }> {
  const result = await train({
    db: fer.project.db,
    projectPath: fer.project.path,
    // One model, measured on PrivateTest: kfold pinned (the native default is 2-fold from 10,000 images).
    config: { ...config, kfold: 0, scoreAfter: false, checkpointMinutes: 0 },
    labels,
    name: tag,
    progress: benchProgress(tag)
  })
  const preds = await predictWithRun(fer, result.runId, fer.privateTest)
  return { result, privateTestAcc: accuracyOf(preds, fer.labels), preds }
}

/**
 * The models bench:noisy can train, by name. 'inpre' is Table III's: no OIM gate and no L_KL, so the
 * regions' plain mean is the soft label the TRN learns from (the spec: "drop L_KL and the gate").
 */
export function variantConfig(name: string, base: TrainConfigInput): TrainConfigInput {
  const poi = (model: TrainConfigInput['model']): TrainConfigInput => ({
    ...base,
    mode: 'poi',
    model: { ...base.model, ...model }
  })
  switch (name) {
    case 'POI':
      return { ...base, mode: 'poi' }
    case 'CE':
      return { ...base, mode: 'ce' }
    case 'inpre':
      return poi({ ablation: { noGate: true }, loss: { lambdaKl: 0 } })
    case 'POI no-gate':
      return poi({ ablation: { noGate: true } })
    case 'POI no-UEM':
      return poi({ ablation: { noUEM: true } })
    case 'POI ω-normalised':
      // Not an ablation but the first remedy to try: ω rescaled to batch mean 1, so L_OR weighs like the TRN's CE.
      return poi({ loss: { normaliseOmega: true } })
    default:
      throw new Error(`--variants: unknown "${name}"; use POI, CE, inpre, POI no-gate, POI no-UEM or POI ω-normalised`)
  }
}

/** `--reuse POI=3,CE=4` → variant name → run id. */
function parseReuse(text: string | undefined): Map<string, number> {
  const m = new Map<string, number>()
  for (const pair of (text ?? '').split(',').filter(Boolean)) {
    const [name, id] = pair.split('=')
    if (!name || !/^\d+$/.test(id ?? '')) throw new Error(`--reuse: "${pair}" is not NAME=RUN_ID`)
    m.set(name.trim(), Number(id))
  }
  return m
}

/**
 * A run an earlier bench:noisy trained in the cached project, measured again on PrivateTest, after
 * checking it is the run this one would train (same name and noise tag, finished, same training keys).
 */
async function reuseAndTest(
  fer: Fer,
  tag: string,
  runId: number,
  want: TrainConfigInput
): Promise<{ result: Pick<TrainResult, 'runId' | 'metrics'>; privateTestAcc: number }> {
  const run = getRun(fer.project.db, runId)
  if (!run) throw new Error(`--reuse: no run ${runId} in ${fer.project.path}`)
  if (run.status !== 'done' || run.name !== tag)
    throw new Error(`--reuse: run ${runId} is "${run.name}" (${run.status}); this bench would train "${tag}"`)
  // A run's stored configuration: { train: the resolved TrainConfig's training keys, model, … } (run/config.ts).
  const got = ((run.config as { train?: Record<string, unknown> } | null)?.train ?? {}) as Record<string, unknown>
  for (const key of ['mode', 'epochs', 'seed', 'batchSize', 'lr'] as const) {
    if (want[key] !== undefined && got[key] !== want[key])
      throw new Error(`--reuse: run ${runId} has ${key} ${String(got[key])}, this bench ${String(want[key])}`)
  }
  const preds = await predictWithRun(fer, runId, fer.privateTest)
  return {
    result: { runId, metrics: run.metrics as TrainResult['metrics'] },
    privateTestAcc: accuracyOf(preds, fer.labels)
  }
}

async function main(): Promise<void> {
  // node:util parseArgs: an unknown option or a missing value is an error.
  const { values: o } = parseArgs({
    options: {
      ...FER_OPTIONS,
      full: { type: 'boolean' },
      noise: { type: 'string' },
      seed: { type: 'string' },
      backbone: { type: 'string' },
      epochs: { type: 'string' },
      stem: { type: 'string' },
      widths: { type: 'string' },
      blocks: { type: 'string' },
      lr: { type: 'string' },
      batch: { type: 'string' },
      adapter: { type: 'string' },
      subset: { type: 'string' },
      ablation: { type: 'boolean' },
      variants: { type: 'string' },
      reuse: { type: 'string' },
      out: { type: 'string' }
    },
    strict: true
  })
  const dir = ferDataDir(o)
  if (ferMissing(dir, 'bench:noisy')) return
  const full = !!o.full
  const noises = (o.noise ?? (full ? '0.1,0.2,0.3' : '0.3')).split(',').map(Number)
  const seed = Number(o.seed ?? 1)
  const backbone = o.backbone as TrainConfigInput['backbone']
  if (backbone === 'faceapi-expression')
    throw new Error('faceapi-expression was trained on expression labels and must not be benchmarked on FER2013')
  // Budget pick for about an hour on 2 cores at 30 % noise (POI + CE, CPU default backbone, all 28,709
  // Training images, one-off feature extraction included): see docs/compute-defaults.md.
  const epochs = Number(o.epochs ?? (full ? 60 : 4))
  const base: TrainConfigInput = {
    backbone,
    epochs,
    seed,
    ...(full ? { batchSize: 256, lr: 0.1 } : {}),
    ...(o.stem ? { stem: o.stem as TrainConfigInput['stem'] } : {}),
    ...(o.widths ? { widths: o.widths!.split(',').map(Number) as [number, number, number, number] } : {}),
    ...(o.blocks ? { blocks: o.blocks!.split(',').map(Number) as [number, number, number, number] } : {}),
    ...(o.lr ? { lr: Number(o.lr) } : {}),
    ...(o.batch ? { batchSize: Number(o.batch) } : {}),
    ...(o.adapter ? { model: { extractor: { adapter: o.adapter as 'none' | 'residual-conv' } } } : {})
  }
  const reuse = parseReuse(o.reuse)
  const fer = await openFer(dir, o)
  try {
    const subsetN = Number(o.subset ?? fer.training.length)
    const trainIds = stratifiedSubset(fer.training, fer.labels, subsetN, seed)
    process.stderr.write(
      `bench:noisy: FER2013 ${trainIds.length} Training images (of ${fer.training.length}), PublicTest ${fer.publicTest.length} (validation), PrivateTest ${fer.privateTest.length} (reported); noise ${noises.join(', ')}; ${epochs} epochs; backbone ${benchBackbone(fer, backbone)}${base.model?.extractor?.adapter ? ` + adapter ${base.model.extractor.adapter}` : ''}\n` +
        `  engine ${benchMachine(fer).engine}; 1-min load ${loadavg()[0].toFixed(2)} at start\n`
    )
    const rows: NoisyRow[] = []
    const t0 = performance.now()
    for (const noise of noises) {
      const { labels: noisy } = flipLabels(trainIds, fer.labels, noise, seed, fer.classes.length)
      const labels = trainingLabels(fer, trainIds, noisy)
      const names = o.variants
        ? o.variants.split(',').map((v) => v.trim())
        : ['POI', 'CE', ...(o.ablation ? ['POI no-gate', 'POI no-UEM', 'POI ω-normalised'] : [])]
      for (const name of names) {
        const cfg = variantConfig(name, base)
        const tag = `${name} noise ${noise}`
        const stored = reuse.get(name)
        const r = stored != null ? await reuseAndTest(fer, tag, stored, cfg) : await trainAndTest(fer, tag, labels, cfg)
        const m = r.result.metrics
        rows.push({
          noise,
          model: name,
          runId: r.result.runId,
          privateTestAcc: r.privateTestAcc,
          publicTestAcc: m.final.at(-1)?.valAcc ?? null,
          trainMinutes: m.seconds / 60,
          epochs,
          ...(stored != null ? { reused: true } : {})
        })
        process.stderr.write(
          `  [${tag}] PrivateTest ${(r.privateTestAcc * 100).toFixed(2)}% (run ${r.result.runId}${stored != null ? ', trained earlier' : ''}, ${(m.seconds / 60).toFixed(1)} min)\n`
        )
      }
    }
    const table = [
      ['noise', 'model', 'PrivateTest acc', 'PublicTest acc', 'minutes', 'run'],
      ...rows.map((r) => [
        `${r.noise * 100}%`,
        r.model,
        `${(r.privateTestAcc * 100).toFixed(2)}%`,
        r.publicTestAcc == null ? '–' : `${(r.publicTestAcc * 100).toFixed(2)}%`,
        r.trainMinutes.toFixed(1),
        String(r.runId)
      ])
    ]
    const w = table[0].map((_, i) => Math.max(...table.map((r) => r[i].length)))
    process.stdout.write(table.map((r) => r.map((c, i) => c.padEnd(w[i])).join('  ')).join('\n') + '\n')
    const acc = (n: number, model: string): number | null =>
      rows.find((r) => r.noise === n && r.model === model)?.privateTestAcc ?? null
    const diff = (a: number | null, b: number | null): number | null => (a == null || b == null ? null : (a - b) * 100)
    const gaps = noises.map((n) => ({
      noise: n,
      poiMinusCe: diff(acc(n, 'POI'), acc(n, 'CE')),
      /** Table III: OIM (the full POI) minus 'inpre' (no gate, no L_KL, regions' mean as soft label). */
      oimMinusInpre: diff(acc(n, 'POI'), acc(n, 'inpre'))
    }))
    const signed = (x: number): string => `${x >= 0 ? '+' : ''}${x.toFixed(2)}`
    for (const g of gaps) {
      if (g.poiMinusCe != null)
        process.stdout.write(
          `POI − CE at ${g.noise * 100}% noise: ${signed(g.poiMinusCe)} points (target: ≥ 0 at 0 %, ≥ +2 at 30 %)\n`
        )
      if (g.oimMinusInpre != null)
        process.stdout.write(
          `Table III at ${g.noise * 100}% noise: OIM − inpre ${signed(g.oimMinusInpre)} points (paper, RAF-DB/FERPlus/AffectNet at 30 %: +2.81/+3.41/+1.97)\n`
        )
    }
    const out = resolve(o.out ?? join(ROOT, 'bench-results', 'noisy.json'))
    mkdirSync(dirname(out), { recursive: true })
    writeFileSync(
      out,
      JSON.stringify(
        {
          bench: 'noisy',
          at: new Date().toISOString(),
          machine: { cpus: cpus().length, model: cpus()[0]?.model ?? null },
          project: fer.project.path,
          trainImages: trainIds.length,
          epochs,
          seed,
          backbone: benchBackbone(fer, backbone),
          machineAtEnd: benchMachine(fer),
          config: base,
          rows,
          gaps,
          minutes: (performance.now() - t0) / 60000
        },
        null,
        2
      ) + '\n'
    )
    process.stdout.write(`wrote ${out}\n`)
  } finally {
    fer.project.close()
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((e: unknown) => {
    process.stderr.write(`bench:noisy: ${(e as Error).stack ?? e}\n`)
    process.exit(1)
  })
}
