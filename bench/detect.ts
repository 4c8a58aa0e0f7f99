/**
 * Label-error detection (`npm run bench:detect [-- options]`): inject seeded symmetric label flips
 * (each flipped label goes to a uniformly drawn other class present in the data) and measure how well
 * three rankings find them, all with the same backbone, epochs and seed:
 *
 *   (i)   ours: the POI audit's ranking score (OIM soft label + TRN + UEM weighting, ./audit/signals.ts)
 *         from one POI model scoring its own training images (the product's default, in-training mode);
 *   (ii)  confident learning on out-of-sample k-fold CE probabilities: cleanlab's self-confidence
 *         ranking, plus its find_label_issues mask (precision/recall);
 *   (iii) plain CE loss −log p̂[given] of one CE model on its own training images (the "small-loss" rule).
 *
 * Reported per dataset and noise rate: AUROC, average precision, precision@k (k = number of flips), and
 * precision/recall of the yes/no flags (our likely_mislabeled, CL's issues).
 *
 *   --noise 0.1,0.2,0.3   noise rates (default 0.2, the target; 0.1,0.2,0.3 with --all-noise)
 *   --subset N            FER2013 Training images used (stratified, seeded; default 5000; 28709 = all)
 *   --epochs N            epochs for every model (default 4)   --k K   CE folds (default 3)
 *   --datasets fer,ck     which datasets (default both; CK+48 uses subject-disjoint folds)
 *   --data DIR            folder holding fer2013/ and ckplus48/ (default ../shared/data)
 *   --out FILE            report (default bench-results/detect.json)
 *
 * Budget: at the defaults one noise rate on FER2013 takes ≈ 15–20 min on the 2-core machine (feature
 * extraction once per project ≈ 4 min); CK+48 ≈ 2 min. Projects are cached in .poi-tmp/bench-detect/.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { cpus } from 'node:os'
import { parse } from 'csv-parse/sync'
import { initCompute } from '../src-main/core/compute/backend'
import { importDataset } from '../src-main/core/dataset/index'
import { createProject, openProject, type Project } from '../src-main/core/project'
import { getClasses } from '../src-main/core/store/meta'
import { getRun, readPredictions, type Prediction } from '../src-main/core/store/runs'
import { Rng, hashSeed } from '../src-main/core/util/rng'
import type { TrainConfigInput } from '../src-main/core/run/config'
import { train } from '../src-main/core/train/train'
import { computeAudit, resolveAuditConfig, FLAG_BITS, type AuditImage } from '../src-main/core/audit/index'
import { findLabelIssues, labelQualityScores } from '../src-main/core/audit/cl'
import { detectionMetrics, flagPrecisionRecall, type DetectionMetrics } from '../src-main/core/evaluate/metrics'
import { argValue, benchProgress, dataDir, predictWithRun, ROOT, stratifiedSubset } from './noisy'

interface Data {
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
async function cachedProject(name: string, csvFile: string, keep: (row: Record<string, string>, i: number) => boolean): Promise<Project> {
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
    writeFileSync(list, [cols.join(','), ...kept.map((r) => cols.map((c) => q(r[c] ?? '')).join(','))].join('\n') + '\n')
    process.stderr.write(`bench:detect: importing ${kept.length} images into ${path}…\n`)
    const p = createProject(path, { inputSize: 48, channels: 1 })
    await importDataset(p, list, { format: 'csv', root: dirname(csvFile) })
    p.close()
    writeFileSync(done, new Date().toISOString() + '\n')
  }
  return openProject(path)
}

function loadData(name: Data['name'], project: Project, withGroups: boolean): Data {
  const rows = project.db
    .prepare(`SELECT i.id, a.current_label AS l, i.extra AS extra FROM images i JOIN annotations a ON a.image_id = i.id WHERE i.decode_status = 'ok' AND a.state = 'labeled' ORDER BY i.id`)
    .all() as { id: number; l: number; extra: string | null }[]
  const clean = new Map(rows.map((r) => [r.id, r.l]))
  const groups = withGroups ? new Map(rows.map((r) => [r.id, String((JSON.parse(r.extra ?? '{}') as Record<string, unknown>).subject ?? r.id)])) : null
  return { name, project, ids: rows.map((r) => r.id), clean, present: [...new Set(rows.map((r) => r.l))].sort((a, b) => a - b), groups }
}

/** Seeded symmetric flips of round(rate·n) images among the present classes. */
function flip(d: Data, rate: number, seed: number): { labels: Map<number, number>; flipped: Set<number> } {
  const rng = new Rng(hashSeed(seed, 'detect-noise', d.name, rate))
  const labels = new Map(d.clean)
  const chosen = rng.shuffle([...d.ids]).slice(0, Math.round(rate * d.ids.length))
  for (const id of chosen) {
    const others = d.present.filter((c) => c !== d.clean.get(id))
    labels.set(id, others[rng.int(others.length)])
  }
  return { labels, flipped: new Set(chosen) }
}

/** Out-of-sample CE probabilities: k models, each trained on the other folds, scoring its own fold. */
async function kfoldCe(d: Data, labels: Map<number, number>, k: number, base: TrainConfigInput, tag: string): Promise<Map<number, { trnProbs: ArrayLike<number> }>> {
  const out = new Map<number, { trnProbs: ArrayLike<number> }>()
  if (!d.groups) {
    const r = await train({ db: d.project.db, projectPath: d.project.path, config: { ...base, mode: 'ce', kfold: k, scoreAfter: true, checkpointMinutes: 0 }, labels, name: `${tag} CE ${k}-fold`, progress: benchProgress(`${tag} CE ${k}-fold`) })
    for (const p of readPredictions(d.project.db, r.runId)) if (p.fold != null) out.set(p.imageId, p)
    return out
  }
  // Group-disjoint folds (one subject never in both a model's training set and its scored fold).
  const subjects = new Rng(hashSeed(base.seed ?? 1, 'detect-folds')).shuffle([...new Set(d.groups.values())].sort())
  const foldOf = new Map(subjects.map((s, i) => [s, i % k]))
  for (let f = 0; f < k; f++) {
    const held = d.ids.filter((id) => foldOf.get(d.groups!.get(id)!) === f)
    const tr = new Map([...labels].filter(([id]) => foldOf.get(d.groups!.get(id)!) !== f))
    const r = await train({ db: d.project.db, projectPath: d.project.path, config: { ...base, mode: 'ce', valFraction: 0, scoreAfter: false, checkpointMinutes: 0 }, labels: tr, name: `${tag} CE fold ${f}`, progress: benchProgress(`${tag} CE fold ${f}`) })
    for (const p of await predictWithRun({ project: d.project } as Parameters<typeof predictWithRun>[0], r.runId, held)) out.set(p.imageId, p)
  }
  return out
}

/** One model on all (noisy) labels, scoring its own training images. */
async function inTraining(d: Data, labels: Map<number, number>, mode: 'poi' | 'ce', base: TrainConfigInput, tag: string): Promise<{ runId: number; preds: Map<number, Prediction> }> {
  const r = await train({ db: d.project.db, projectPath: d.project.path, config: { ...base, mode, valFraction: 0, scoreAfter: true, checkpointMinutes: 0 }, labels, name: `${tag} ${mode.toUpperCase()}`, progress: benchProgress(`${tag} ${mode.toUpperCase()}`) })
  const run = getRun(d.project.db, r.runId)!
  const classes = getClasses(d.project.db)
  if (run.classes.join() !== classes.join()) throw new Error(`run ${r.runId} classes ${run.classes.join()} differ from the project's ${classes.join()}`)
  return { runId: r.runId, preds: new Map(readPredictions(d.project.db, r.runId).map((p) => [p.imageId, p])) }
}

interface Row {
  dataset: string
  noise: number
  method: string
  metrics: DetectionMetrics
  flags: { flagged: number; precision: number; recall: number } | null
}

async function detectOne(d: Data, noise: number, base: TrainConfigInput, k: number): Promise<Row[]> {
  const seed = base.seed ?? 1
  const { labels, flipped } = flip(d, noise, seed)
  const tag = `${d.name} ${noise * 100}%`
  const truth = d.ids.map((id) => flipped.has(id))
  const y = d.ids.map((id) => labels.get(id)!)
  const classes = getClasses(d.project.db)
  const C = classes.length
  const rows: Row[] = []

  // (i) ours
  const poi = await inTraining(d, labels, 'poi', base, tag)
  const images: AuditImage[] = d.ids.map((id) => {
    const p = poi.preds.get(id)!
    return { imageId: id, label: labels.get(id)!, groupLabel: labels.get(id)!, votes: null, softLabel: null, dupGroup: null, face: null, pred: p }
  })
  const audit = computeAudit(classes, images, resolveAuditConfig({ method: 'poi' }))
  const byId = new Map(audit.items.map((it) => [it.imageId, it]))
  rows.push({
    dataset: d.name,
    noise,
    method: 'POI score (ours)',
    metrics: detectionMetrics(d.ids.map((id) => -byId.get(id)!.score!), truth),
    flags: flagPrecisionRecall(d.ids.map((id) => (byId.get(id)!.flags & FLAG_BITS.likely_mislabeled) !== 0), truth)
  })
  // The same POI model's TRN alone (self-confidence), to show what the OIM soft label and UEM add.
  rows.push({ dataset: d.name, noise, method: 'POI TRN self-confidence (ablation)', metrics: detectionMetrics(d.ids.map((id) => -poi.preds.get(id)!.trnProbs[labels.get(id)!]), truth), flags: null })

  // (ii) confident learning on k-fold CE probabilities
  const oos = await kfoldCe(d, labels, k, base, tag)
  const probs = d.ids.map((id) => oos.get(id)!.trnProbs)
  const sc = labelQualityScores(y, probs, 'self_confidence')
  const issues = findLabelIssues(y, probs, C, {})
  rows.push({ dataset: d.name, noise, method: `confident learning (${k}-fold CE)`, metrics: detectionMetrics(sc.map((v) => -v), truth), flags: flagPrecisionRecall(issues.issues, truth) })

  // (iii) plain CE loss on the CE model's own training images
  const ce = await inTraining(d, labels, 'ce', base, tag)
  rows.push({ dataset: d.name, noise, method: 'CE loss (in-training)', metrics: detectionMetrics(d.ids.map((id) => -Math.log(Math.max(ce.preds.get(id)!.trnProbs[labels.get(id)!], 1e-12))), truth), flags: null })
  return rows
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2)
  const dir = dataDir(argv)
  const noises = (argValue(argv, '--noise') ?? (argv.includes('--all-noise') ? '0.1,0.2,0.3' : '0.2')).split(',').map(Number)
  const subset = Number(argValue(argv, '--subset') ?? 5000)
  const k = Number(argValue(argv, '--k') ?? 3)
  const base: TrainConfigInput = { epochs: Number(argValue(argv, '--epochs') ?? 4), seed: Number(argValue(argv, '--seed') ?? 1) }
  const which = (argValue(argv, '--datasets') ?? 'fer,ck').split(',')
  const rows: Row[] = []
  const skipped: string[] = []
  // Scoring outside train() (k-fold by subject) needs the backend chosen first.
  const info = await initCompute({ backend: (argValue(argv, '--backend') as 'wasm' | undefined) ?? 'auto' })
  process.stderr.write(`bench:detect: backend ${info.backend}\n`)
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
      const keep = new Set(stratifiedSubset(train.map((x) => x.i), new Map(train.map((x) => [x.i, labelIdx.get(x.r.label)!])), subset, base.seed ?? 1))
      return loadData('fer2013', await cachedProject(`fer2013-train-${keep.size}`, csv, (_r, i) => keep.has(i)), false)
    })
  }
  for (const open of datasets) {
    const d = await open()
    if (!d) continue
    try {
      process.stderr.write(`bench:detect: ${d.name}, ${d.ids.length} images, ${d.present.length} classes, noise ${noises.join(', ')}, ${base.epochs} epochs, CPU-default backbone, CE ${k}-fold${d.groups ? ' (subject-disjoint)' : ''}\n`)
      for (const noise of noises) rows.push(...(await detectOne(d, noise, base, k)))
    } finally {
      d.project.close()
    }
  }
  for (const s of skipped) process.stdout.write(`bench:detect: ${s}; skipped\n`)
  const pct = (v: number): string => (Number.isFinite(v) ? (v * 100).toFixed(1) : '–')
  const table = [
    ['dataset', 'noise', 'method', 'AUROC', 'AP', 'P@k', 'flagged', 'flag precision', 'flag recall'],
    ...rows.map((r) => [r.dataset, `${r.noise * 100}%`, r.method, r.metrics.auroc.toFixed(3), r.metrics.ap.toFixed(3), r.metrics.precisionAtK.toFixed(3), r.flags ? String(r.flags.flagged) : '', r.flags ? pct(r.flags.precision) + '%' : '', r.flags ? pct(r.flags.recall) + '%' : ''])
  ]
  const w = table[0].map((_, i) => Math.max(...table.map((r) => r[i].length)))
  process.stdout.write(table.map((r) => r.map((c, i) => c.padEnd(w[i])).join('  ')).join('\n') + '\n')
  for (const r of rows.filter((x) => x.method.startsWith('POI score') && x.dataset === 'fer2013' && x.noise === 0.2)) {
    const cl = rows.find((x) => x.dataset === r.dataset && x.noise === r.noise && x.method.startsWith('confident'))!
    process.stdout.write(`FER2013 20%: our AUROC ${r.metrics.auroc.toFixed(3)} (target ≥ 0.95), AP ${r.metrics.ap.toFixed(3)} vs CL ${cl.metrics.ap.toFixed(3)} (target: above)\n`)
  }
  const out = resolve(argValue(argv, '--out') ?? join(ROOT, 'bench-results', 'detect.json'))
  mkdirSync(dirname(out), { recursive: true })
  writeFileSync(out, JSON.stringify({ bench: 'detect', version: 1, at: new Date().toISOString(), machine: { cpus: cpus().length, model: cpus()[0]?.model ?? null }, subset, k, config: base, noises, rows, skipped, minutes: (performance.now() - t0) / 60000 }, null, 2) + '\n')
  process.stdout.write(`wrote ${out}\n`)
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((e: unknown) => {
    process.stderr.write(`bench:detect: ${(e as Error).stack ?? e}\n`)
    process.exit(1)
  })
}
