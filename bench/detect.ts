/**
 * Label-error detection (`npm run bench:detect [-- options]`): inject seeded symmetric label flips
 * (each flipped label goes to a uniformly drawn other class present in the data) and measure how well
 * each method finds them. **Every method is out-of-sample on the same k folds** (k = 3 by default): a
 * POI k-fold run and a CE k-fold run share the fold assignment (the engine's seeded stratified folds, or
 * subject-disjoint folds on CK+48), and each image is scored only by the model that did not train on it.
 *
 *   (i)   ours: the POI audit's ranking score (OIM soft label + TRN + UEM weighting, audit/signals.ts)
 *         on the POI k-fold outputs, and its likely_mislabeled flag;
 *   (ii)  POI TRN self-confidence (ablation: what the OIM soft label and UEM add on top of the TRN);
 *   (iii) from the CE k-fold: CE loss −log p̂[given], cleanlab's self-confidence and normalized margin
 *         rankings, and confident learning's find_label_issues mask.
 *
 * Reported per dataset and noise rate: AUROC, average precision, precision@k (k = number of flips),
 * precision/recall of the yes/no flags, and the ambiguous flag's share with the TRN accuracy (against
 * the clean labels) of the flagged images and of the rest.
 *
 *   --noise 0.1,0.2,0.3   noise rates (default 0.2, the target; 0.1,0.2,0.3 with --all-noise)
 *   --subset N            FER2013 Training images used (stratified, seeded; default 5000; 28709 = all)
 *   --epochs N            epochs for every model (default: the backend's default)   --k K   folds (default 3)
 *   --backbone NAME       backbone for every model (default: the backend's default)
 *   --datasets fer,ck     which datasets (default both; CK+48 uses subject-disjoint folds)
 *   --data DIR            folder holding fer2013/ and ckplus48/ (default ../shared/data)
 *   --backend NAME        compute backend (default auto: tfjs-node where installed)
 *   --out FILE            report (default bench-results/detect.json)
 *
 * Measured: CK+48 (981 images), 20 %, 10 epochs, native VGG default: 26.8 min on 2 cores shared with other
 * work (load 2–7); FER2013 5,001-image subset, 20 %, 10 epochs: 45.4 min (POI 31.6, CE 13.5; load 1–7).
 * Projects are cached in .poi-tmp/bench-detect/ (the k-fold runs too: bench:effort --poi-run reuses them).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { cpus, loadavg } from 'node:os'
import { parseArgs } from 'node:util'
import { parse } from 'csv-parse/sync'
import { initCompute } from '../src-main/core/compute/backend'
import { importDataset } from '../src-main/core/dataset/index'
import { createProject, openProject, type Project } from '../src-main/core/project'
import { getClasses } from '../src-main/core/store/meta'
import { readPredictions, type Prediction, type PredictionInput } from '../src-main/core/store/runs'
import { Rng, hashSeed } from '../src-main/core/util/rng'
import type { TrainConfigInput } from '../src-main/core/run/config'
import { train } from '../src-main/core/train/train'
import { computeAudit, resolveAuditConfig, FLAG_BITS, type AuditImage } from '../src-main/core/audit/index'
import { findLabelIssues, labelQualityScores } from '../src-main/core/audit/cl'
import { detectionMetrics, flagPrecisionRecall, type DetectionMetrics } from '../src-main/core/evaluate/metrics'
import { benchProgress, predictWithRun, ROOT, stratifiedSubset } from './noisy'
import { argmax } from '../src-main/core/util/vector'

export interface Data {
  name: 'fer2013' | 'ckplus48'
  project: Project
  ids: number[]
  clean: Map<number, number>
  /** Class indices present in the data (flips stay among them). */
  present: number[]
  /** Fold of each image for the CE k-fold (CK+48: by subject). null: the engine's stratified folds. */
  groups: Map<number, string> | null
}

/** Imports (once) a project holding exactly the rows of `csvFile` chosen by `keep`. */
export async function cachedProject(
  name: string,
  csvFile: string,
  keep: (row: Record<string, string>, i: number) => boolean
): Promise<Project> {
  const dir = join(ROOT, '.poi-tmp', 'bench-detect')
  const path = join(dir, `${name}.poi`)
  const done = `${path}.imported`
  if (!existsSync(done)) {
    mkdirSync(dir, { recursive: true })
    if (existsSync(path)) throw new Error(`${path} exists but its import did not finish; delete it and run again`)
    const rows = parse(readFileSync(csvFile), { columns: true }) as Record<string, string>[]
    const cols = Object.keys(rows[0] ?? {})
    const kept = rows.filter(keep)
    // A subset list in our own cache folder; image paths resolve against the dataset's folder (root).
    const list = join(dir, `${name}.csv`)
    const q = (v: string): string => (/[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v)
    writeFileSync(
      list,
      [cols.join(','), ...kept.map((r) => cols.map((c) => q(r[c] ?? '')).join(','))].join('\n') + '\n'
    )
    process.stderr.write(`bench:detect: importing ${kept.length} images into ${path}…\n`)
    const p = createProject(path, { inputSize: 48, channels: 1 })
    await importDataset(p, list, { format: 'csv', root: dirname(csvFile) })
    p.close()
    writeFileSync(done, new Date().toISOString() + '\n')
  }
  return openProject(path)
}

export function loadData(name: Data['name'], project: Project, withGroups: boolean): Data {
  const rows = project.db
    .prepare(
      `SELECT i.id, a.current_label AS l, i.extra AS extra FROM images i JOIN annotations a ON a.image_id = i.id WHERE i.decode_status = 'ok' AND a.state = 'labeled' ORDER BY i.id`
    )
    .all() as { id: number; l: number; extra: string | null }[]
  const clean = new Map(rows.map((r) => [r.id, r.l]))
  const groups = withGroups
    ? new Map(rows.map((r) => [r.id, String((JSON.parse(r.extra ?? '{}') as Record<string, unknown>).subject ?? r.id)]))
    : null
  return {
    name,
    project,
    ids: rows.map((r) => r.id),
    clean,
    present: [...new Set(rows.map((r) => r.l))].sort((a, b) => a - b),
    groups
  }
}

/** Seeded symmetric flips of round(rate·n) images among the present classes. */
export function flip(d: Data, rate: number, seed: number): { labels: Map<number, number>; flipped: Set<number> } {
  const rng = new Rng(hashSeed(seed, 'detect-noise', d.name, rate))
  const labels = new Map(d.clean)
  const chosen = rng.shuffle([...d.ids]).slice(0, Math.round(rate * d.ids.length))
  for (const id of chosen) {
    const others = d.present.filter((c) => c !== d.clean.get(id))
    labels.set(id, others[rng.int(others.length)])
  }
  return { labels, flipped: new Set(chosen) }
}

/** Out-of-sample outputs of one mode on the k folds: fold of each image and its prediction. */
export interface Oos {
  runIds: number[]
  fold: Map<number, number>
  preds: Map<number, Prediction | PredictionInput>
  minutes: number
}

/**
 * The project's POI audit (default settings) over out-of-sample predictions: each image judged against
 * `labels` (the noisy labels the models trained on), without votes, duplicates or face checks.
 */
export function auditFromKfold(
  d: Data,
  labels: ReadonlyMap<number, number>,
  oos: Pick<Oos, 'preds'>
): ReturnType<typeof computeAudit> {
  const images: AuditImage[] = d.ids.map((id) => ({
    imageId: id,
    label: labels.get(id)!,
    groupLabel: labels.get(id)!,
    votes: null,
    softLabel: null,
    dupGroup: null,
    face: null,
    pred: oos.preds.get(id)! as Prediction
  }))
  return computeAudit(getClasses(d.project.db), images, resolveAuditConfig({ method: 'poi' }))
}

/**
 * k models of `mode`, each trained on the other folds and scoring its own fold. Without groups the
 * engine's k-fold run is used (its folds are a function of the labels, k and the seed, so POI and CE
 * get the same ones: checked by the caller); with groups (CK+48 subjects) the folds are built here.
 */
export async function kfold(
  d: Data,
  labels: Map<number, number>,
  k: number,
  base: TrainConfigInput,
  mode: 'poi' | 'ce',
  tag: string
): Promise<Oos> {
  const t0 = performance.now()
  const name = `${tag} ${mode.toUpperCase()} ${k}-fold`
  if (!d.groups) {
    const r = await train({
      db: d.project.db,
      projectPath: d.project.path,
      config: { ...base, mode, kfold: k, scoreAfter: true, checkpointMinutes: 0 },
      labels,
      name,
      progress: benchProgress(name)
    })
    const preds = new Map<number, Prediction>()
    const fold = new Map<number, number>()
    for (const p of readPredictions(d.project.db, r.runId)) {
      if (p.fold == null) continue
      preds.set(p.imageId, p)
      fold.set(p.imageId, p.fold)
    }
    return { runIds: [r.runId], fold, preds, minutes: (performance.now() - t0) / 60000 }
  }
  // Group-disjoint folds (one subject never in both a model's training set and its scored fold).
  const subjects = new Rng(hashSeed(base.seed ?? 1, 'detect-folds')).shuffle([...new Set(d.groups.values())].sort())
  const foldOfSubject = new Map(subjects.map((s, i) => [s, i % k]))
  const fold = new Map(d.ids.map((id) => [id, foldOfSubject.get(d.groups!.get(id)!)!]))
  const preds = new Map<number, PredictionInput>()
  const runIds: number[] = []
  for (let f = 0; f < k; f++) {
    const held = d.ids.filter((id) => fold.get(id) === f)
    const tr = new Map([...labels].filter(([id]) => fold.get(id) !== f))
    const r = await train({
      db: d.project.db,
      projectPath: d.project.path,
      config: { ...base, mode, kfold: 0, valFraction: 0, scoreAfter: false, checkpointMinutes: 0 },
      labels: tr,
      name: `${name}, fold ${f}`,
      progress: benchProgress(`${name}, fold ${f}`)
    })
    runIds.push(r.runId)
    for (const p of await predictWithRun({ project: d.project } as Parameters<typeof predictWithRun>[0], r.runId, held))
      preds.set(p.imageId, p)
  }
  return { runIds, fold, preds, minutes: (performance.now() - t0) / 60000 }
}

interface Row {
  dataset: string
  noise: number
  method: string
  /** Which k-fold run the scores come from. */
  source: 'POI k-fold' | 'CE k-fold'
  metrics: DetectionMetrics
  flags: { flagged: number; precision: number; recall: number } | null
}

interface AmbiguousRow {
  dataset: string
  noise: number
  /** Share of images flagged ambiguous by the default audit. */
  share: number
  /** POI TRN accuracy against the clean labels, flagged vs not flagged. */
  accFlagged: number
  accRest: number
}

async function detectOne(
  d: Data,
  noise: number,
  base: TrainConfigInput,
  k: number
): Promise<{ rows: Row[]; amb: AmbiguousRow; minutes: Record<string, number> }> {
  const seed = base.seed ?? 1
  const { labels, flipped } = flip(d, noise, seed)
  const tag = `${d.name} ${noise * 100}%`
  const truth = d.ids.map((id) => flipped.has(id))
  const y = d.ids.map((id) => labels.get(id)!)
  const classes = getClasses(d.project.db)
  const C = classes.length
  const rows: Row[] = []
  const row = (method: string, source: Row['source'], suspicion: number[], flags: boolean[] | null): void => {
    rows.push({
      dataset: d.name,
      noise,
      method,
      source,
      metrics: detectionMetrics(suspicion, truth),
      flags: flags ? flagPrecisionRecall(flags, truth) : null
    })
  }

  const poi = await kfold(d, labels, k, base, 'poi', tag)
  const ce = await kfold(d, labels, k, base, 'ce', tag)
  const missing = d.ids.filter((id) => !poi.preds.has(id) || !ce.preds.has(id))
  if (missing.length)
    throw new Error(`${missing.length} images lack an out-of-sample score (first: image ${missing[0]})`)
  const differ = d.ids.filter((id) => poi.fold.get(id) !== ce.fold.get(id))
  if (differ.length)
    throw new Error(`POI and CE folds differ on ${differ.length} images: the comparison would not be on the same folds`)

  // (i) ours, from the POI k-fold outputs.
  const audit = auditFromKfold(d, labels, poi)
  const byId = new Map(audit.items.map((it) => [it.imageId, it]))
  row(
    'POI audit score (ours)',
    'POI k-fold',
    d.ids.map((id) => -byId.get(id)!.score!),
    d.ids.map((id) => (byId.get(id)!.flags & FLAG_BITS.likely_mislabeled) !== 0)
  )
  // (ii) the same outputs' TRN alone.
  row(
    'POI TRN self-confidence (ablation)',
    'POI k-fold',
    d.ids.map((id) => -poi.preds.get(id)!.trnProbs[labels.get(id)!]),
    null
  )

  // (iii) the CE k-fold baselines.
  const probs = d.ids.map((id) => ce.preds.get(id)!.trnProbs)
  row(
    'CE loss',
    'CE k-fold',
    d.ids.map((id, i) => -Math.log(Math.max(probs[i][labels.get(id)!], 1e-12))),
    null
  )
  row(
    'self-confidence (cleanlab)',
    'CE k-fold',
    labelQualityScores(y, probs, 'self_confidence').map((v) => -v),
    null
  )
  row(
    'normalized margin (cleanlab)',
    'CE k-fold',
    labelQualityScores(y, probs, 'normalized_margin').map((v) => -v),
    findLabelIssues(y, probs, C, {}).issues
  )
  rows[rows.length - 1].method = 'normalized margin + CL flags (cleanlab)'

  // The ambiguous flag must pick a minority that is measurably less accurate than the rest.
  const amb = d.ids.map((id) => (byId.get(id)!.flags & FLAG_BITS.ambiguous) !== 0)
  const ok = d.ids.map((id) => argmax(poi.preds.get(id)!.trnProbs) === d.clean.get(id))
  const acc = (want: boolean): number => {
    const sel = ok.filter((_, i) => amb[i] === want)
    return sel.length ? sel.filter(Boolean).length / sel.length : NaN
  }
  const share = amb.filter(Boolean).length / amb.length
  return {
    rows,
    amb: { dataset: d.name, noise, share, accFlagged: acc(true), accRest: acc(false) },
    minutes: { poi: poi.minutes, ce: ce.minutes }
  }
}

async function main(): Promise<void> {
  const { values: a } = parseArgs({
    options: {
      noise: { type: 'string' },
      'all-noise': { type: 'boolean', default: false },
      subset: { type: 'string', default: '5000' },
      k: { type: 'string', default: '3' },
      epochs: { type: 'string' },
      backbone: { type: 'string' },
      seed: { type: 'string', default: '1' },
      datasets: { type: 'string', default: 'fer,ck' },
      data: { type: 'string', default: join(ROOT, '..', 'shared', 'data') },
      backend: { type: 'string', default: 'auto' },
      out: { type: 'string', default: join(ROOT, 'bench-results', 'detect.json') }
    }
  })
  const num = (name: string, v: string, min: number): number => {
    const n = Number(v)
    if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer ≥ ${min}; got "${v}"`)
    return n
  }
  const dir = resolve(a.data)
  const noises = (a.noise ?? (a['all-noise'] ? '0.1,0.2,0.3' : '0.2')).split(',').map((v) => {
    const n = Number(v)
    if (!(n > 0 && n < 1)) throw new Error(`--noise takes rates in (0, 1); got "${v}"`)
    return n
  })
  const subset = num('subset', a.subset, 100)
  const k = num('k', a.k, 2)
  const base: TrainConfigInput = { seed: num('seed', a.seed, 0) }
  if (a.epochs) base.epochs = num('epochs', a.epochs, 1)
  if (a.backbone) base.backbone = a.backbone as TrainConfigInput['backbone']
  const which = a.datasets.split(',')
  const rows: Row[] = []
  const ambiguous: AmbiguousRow[] = []
  const minutes: Record<string, Record<string, number>> = {}
  const skipped: string[] = []
  // Scoring outside train() (k-fold by subject) needs the backend chosen first.
  const info = await initCompute({ backend: a.backend as 'auto' })
  const load0 = loadavg()[0]
  process.stderr.write(
    `bench:detect: backend ${info.backend} (${info.reason}); load average at start ${load0.toFixed(2)} on ${cpus().length} cores\n`
  )
  const t0 = performance.now()
  const datasets: (() => Promise<Data | null>)[] = []
  if (which.includes('ck')) {
    datasets.push(async () => {
      const csv = join(dir, 'ckplus48', 'labels.csv')
      if (!existsSync(csv)) return (skipped.push(`CK+48 not found at ${csv}`), null)
      return loadData('ckplus48', await cachedProject('ckplus48', csv, () => true), true)
    })
  }
  if (which.includes('fer')) {
    datasets.push(async () => {
      const csv = join(dir, 'fer2013', 'labels.csv')
      if (!existsSync(csv)) return (skipped.push(`FER2013 not found at ${csv}`), null)
      const all = parse(readFileSync(csv), { columns: true }) as Record<string, string>[]
      const train = all.map((r, i) => ({ r, i })).filter((x) => x.r.split === 'Training')
      const labelIdx = new Map([...new Set(train.map((x) => x.r.label))].map((l, j) => [l, j]))
      const keep = new Set(
        stratifiedSubset(
          train.map((x) => x.i),
          new Map(train.map((x) => [x.i, labelIdx.get(x.r.label)!])),
          subset,
          base.seed ?? 1
        )
      )
      return loadData('fer2013', await cachedProject(`fer2013-train-${keep.size}`, csv, (_r, i) => keep.has(i)), false)
    })
  }
  for (const open of datasets) {
    const d = await open()
    if (!d) continue
    try {
      process.stderr.write(
        `bench:detect: ${d.name}, ${d.ids.length} images, ${d.present.length} classes, noise ${noises.join(', ')}, POI and CE ${k}-fold on the same folds${d.groups ? ' (subject-disjoint)' : ''}\n`
      )
      for (const noise of noises) {
        const r = await detectOne(d, noise, base, k)
        rows.push(...r.rows)
        ambiguous.push(r.amb)
        minutes[`${d.name} ${noise}`] = r.minutes
      }
    } finally {
      d.project.close()
    }
  }
  for (const s of skipped) process.stdout.write(`bench:detect: ${s}; skipped\n`)
  const pct = (v: number): string => (Number.isFinite(v) ? (v * 100).toFixed(1) : '–')
  const table = [
    ['dataset', 'noise', 'method', 'scores from', 'AUROC', 'AP', 'P@k', 'flagged', 'flag precision', 'flag recall'],
    ...rows.map((r) => [
      r.dataset,
      `${r.noise * 100}%`,
      r.method,
      r.source,
      r.metrics.auroc.toFixed(3),
      r.metrics.ap.toFixed(3),
      r.metrics.precisionAtK.toFixed(3),
      r.flags ? String(r.flags.flagged) : '',
      r.flags ? pct(r.flags.precision) + '%' : '',
      r.flags ? pct(r.flags.recall) + '%' : ''
    ])
  ]
  const w = table[0].map((_, i) => Math.max(...table.map((r) => r[i].length)))
  process.stdout.write(table.map((r) => r.map((c, i) => c.padEnd(w[i])).join('  ')).join('\n') + '\n')
  for (const m of ambiguous) {
    process.stdout.write(
      `${m.dataset} ${m.noise * 100}%: ambiguous flag on ${pct(m.share)}% of images; POI TRN accuracy (clean labels) ${pct(m.accFlagged)}% flagged vs ${pct(m.accRest)}% rest\n`
    )
  }
  for (const r of rows.filter((x) => x.method.startsWith('POI audit') && x.noise === 0.2)) {
    const base = rows.filter((x) => x.dataset === r.dataset && x.noise === r.noise && x.source === 'CE k-fold')
    const best = base.reduce((b, x) => (x.metrics.ap > b.metrics.ap ? x : b))
    process.stdout.write(
      `${r.dataset} 20%: our AP ${r.metrics.ap.toFixed(3)} vs the best baseline (${best.method}) ${best.metrics.ap.toFixed(3)} — target ≥ +0.03: ${r.metrics.ap >= best.metrics.ap + 0.03 ? 'met' : 'missed'}; ` +
        `our AUROC ${r.metrics.auroc.toFixed(3)} — target ≥ 0.93: ${r.metrics.auroc >= 0.93 ? 'met' : 'missed'}\n`
    )
  }
  const total = (performance.now() - t0) / 60000
  process.stdout.write(
    `wall time ${total.toFixed(1)} min; load average ${load0.toFixed(2)} at start, ${loadavg()[0].toFixed(2)} at end (${cpus().length} cores)\n`
  )
  const out = resolve(a.out)
  mkdirSync(dirname(out), { recursive: true })
  writeFileSync(
    out,
    JSON.stringify(
      {
        bench: 'detect',
        version: 2,
        at: new Date().toISOString(),
        machine: { cpus: cpus().length, model: cpus()[0]?.model ?? null, loadStart: load0, loadEnd: loadavg()[0] },
        backend: { name: info.backend, reason: info.reason },
        subset,
        k,
        config: base,
        noises,
        rows,
        ambiguous,
        minutes,
        skipped,
        totalMinutes: total
      },
      null,
      2
    ) + '\n'
  )
  process.stdout.write(`wrote ${out}\n`)
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((e: unknown) => {
    process.stderr.write(`bench:detect: ${(e as Error).stack ?? e}\n`)
    process.exit(1)
  })
}
