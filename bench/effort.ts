/**
 * Curator effort (`npm run bench:effort [-- options]`): a simulated curator who knows which labels are
 * wrong reviews the queue in order, 50 images at a time, and we count the wrong labels found after
 * 500 / 1,000 / 2,000 reviews for four orders on the same audit of the same model:
 *
 *   static    the audit's ranking, fixed;
 *   learning  the ranking re-fitted after every 50 decisions (core/rerank/learned.ts);
 *   random    review in a seeded random order (what a curator without a tool does);
 *   head      the model's head re-fitted on the decided images' true labels after every 50 decisions
 *             (core/rerank/head.ts; the simulated curator relabels a wrong label to its true class).
 *
 * Datasets:
 *   synthetic  the demo's synthetic faces (20 % flipped training labels), trained and audited as the
 *              demo does (in-training scores); ground truth from the generator;
 *   fer2013    a stratified FER2013 Training subset with seeded flips (default 20 %), POI k-fold
 *              (out-of-sample) outputs audited with the defaults, the same project and folds as
 *              bench:detect (its cache in .poi-tmp/bench-detect/ is reused).
 * Also, on synthetic annotators (different reliabilities) labelling the synthetic faces, consensus
 * accuracy of majority vote, Dawid–Skene and ours (model + annotators), and the rank correlation of
 * estimated vs true annotator quality.
 *
 *   --datasets synthetic,fer   (default both)   --n N  synthetic images (default 2000)
 *   --subset N  FER2013 images (default 5000)   --noise R (default 0.2)   --k K  folds (default 3)
 *   --epochs N  (default: each dataset's default)   --data DIR   --out FILE (default bench-results/effort.json)
 *   --from-items F1,F2  re-run only the simulation on audit items an earlier run saved
 *                       (bench-results/effort-items-<dataset>.json), without training
 *   --poi-run N         FER2013: use the POI k-fold run N that bench:detect left in the cached project
 *                       (same subset, noise, k and seed; checked) instead of training one again
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir, cpus, loadavg } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { parse } from 'csv-parse/sync'
import { initCompute } from '../src-main/core/compute/backend'
import { runDemo } from '../src-main/core/demo'
import { openProject } from '../src-main/core/project'
import { auditItems } from '../src-main/core/audit/store'
import { getRun, readPredictions, type Prediction } from '../src-main/core/store/runs'
import { getClasses } from '../src-main/core/store/meta'
import { loadGroundTruth } from '../src-main/core/synth/ground-truth'
import { Rng } from '../src-main/core/util/rng'
import type { RerankItem } from '../src-main/core/rerank/learned'
import { simulateReview, type EffortResult } from '../src-main/core/rerank/simulate'
import { crowdlab, dawidSkene, majorityVote, type Vote } from '../src-main/core/consensus/consensus'
import { spearman } from '../src-main/core/evaluate/metrics'
import type { TrainConfigInput } from '../src-main/core/run/config'
import { auditFromKfold, cachedProject, flip, kfold, loadData, type Data, type Oos } from './detect'
import { ROOT, stratifiedSubset } from './noisy'

const AT = [500, 1000, 2000]

/**
 * The out-of-sample outputs of a k-fold POI run already in the project (bench:detect's), after checking
 * it is the run this simulation would train: POI, k folds, seed 1, named for this noise rate.
 */
function storedKfold(d: Data, runId: number, want: { k: number; tag: string }): Pick<Oos, 'preds'> {
  const run = getRun(d.project.db, runId)
  if (!run) throw new Error(`--poi-run ${runId}: no such run in ${d.project.path}`)
  // The stored configuration keeps the training keys under `train` (run/config.ts).
  const c = (run.config as { train?: { mode?: string; kfold?: number; seed?: number } } | null)?.train ?? {}
  if (
    run.status !== 'done' ||
    c.mode !== 'poi' ||
    c.kfold !== want.k ||
    c.seed !== 1 ||
    !run.name?.startsWith(want.tag)
  )
    throw new Error(
      `--poi-run ${runId} is "${run.name}" (${run.status}, mode ${c.mode}, k ${c.kfold}, seed ${c.seed}); want a finished "${want.tag} ${want.k}-fold" run`
    )
  const preds = new Map<number, Prediction>()
  for (const p of readPredictions(d.project.db, runId)) if (p.fold != null) preds.set(p.imageId, p)
  const missing = d.ids.filter((id) => !preds.has(id)).length
  if (missing) throw new Error(`--poi-run ${runId}: ${missing} of ${d.ids.length} images have no out-of-sample output`)
  process.stderr.write(`bench:effort: FER2013 POI outputs from run ${runId} ("${run.name}"), not trained again\n`)
  return { preds }
}

interface EffortRow {
  dataset: string
  images: number
  wrong: number
  /** static, learning, random, then head (absent when the true labels are unknown). */
  results: EffortResult[]
}

/** The four orders on one dataset; 'head' only with the true labels (image id → true class). */
function simulateAll(items: RerankItem[], wrong: Set<number>, C: number, truth: Map<number, number> | null) {
  return [
    ...(['static', 'learning', 'random'] as const).map((o) => simulateReview(items, wrong, C, o, { at: AT, seed: 1 })),
    ...(truth ? [simulateReview(items, wrong, C, 'head', { at: AT, seed: 1, truth })] : [])
  ]
}

/**
 * Where each dataset's audit items and truth are kept, so the simulation can be re-run without training (--from-items).
 */
const itemsFile = (dataset: string): string =>
  join(ROOT, 'bench-results', `effort-items-${dataset.replace(/[^a-z0-9]+/gi, '-')}.json`)

function effort(
  dataset: string,
  items: RerankItem[],
  wrong: Set<number>,
  C: number,
  truth: Map<number, number>
): EffortRow {
  mkdirSync(join(ROOT, 'bench-results'), { recursive: true })
  const t = items.map((i) => [i.imageId, truth.get(i.imageId)!])
  writeFileSync(itemsFile(dataset), JSON.stringify({ dataset, C, items, wrong: [...wrong], truth: t }) + '\n')
  return { dataset, images: items.length, wrong: wrong.size, results: simulateAll(items, wrong, C, truth) }
}

/** Synthetic annotators over the synthetic faces' true classes; the model is the demo run's TRN. */
function consensusOnSynthetic(truth: number[], probs: number[][], C: number): Record<string, number> {
  const reliab = [0.9, 0.82, 0.75, 0.68, 0.6, 0.5, 0.42, 0.35]
  const rng = new Rng(17)
  const votes: Vote[] = []
  truth.forEach((y, i) => {
    for (const j of rng.shuffle([...reliab.keys()]).slice(0, 3))
      votes.push({ image: i, annotator: `a${j}`, label: rng.chance(reliab[j]) ? y : (y + 1 + rng.int(C - 1)) % C })
  })
  const input = { images: truth.length, classes: C, votes, modelProbs: probs }
  const acc = (l: number[]): number => l.filter((v, i) => v === truth[i]).length / truth.length
  const mv = majorityVote({ ...input, modelProbs: null })
  const ds = dawidSkene(input)
  const ours = crowdlab(input)
  const q = (m: Map<string, number>): number[] => reliab.map((_, j) => m.get(`a${j}`)!)
  return {
    images: truth.length,
    modelAccuracy: probs.filter((p, i) => p.indexOf(Math.max(...p)) === truth[i]).length / truth.length,
    majority: acc(mv.label),
    dawidSkene: acc(ds.label),
    ours: acc(ours.label),
    spearmanOurs: spearman(q(ours.annotatorQuality), reliab),
    spearmanDawidSkene: spearman(q(ds.annotatorQuality), reliab)
  }
}

async function main(): Promise<void> {
  const { values: a } = parseArgs({
    options: {
      datasets: { type: 'string', default: 'synthetic,fer' },
      n: { type: 'string', default: '2000' },
      subset: { type: 'string', default: '5000' },
      noise: { type: 'string', default: '0.2' },
      k: { type: 'string', default: '3' },
      epochs: { type: 'string' },
      data: { type: 'string', default: join(ROOT, '..', 'shared', 'data') },
      out: { type: 'string', default: join(ROOT, 'bench-results', 'effort.json') },
      'from-items': { type: 'string' },
      'poi-run': { type: 'string' }
    }
  })
  const t0 = performance.now()
  const load0 = loadavg()[0]
  const info = await initCompute({ backend: 'auto' })
  process.stderr.write(
    `bench:effort: backend ${info.backend} (${info.reason}); load ${load0.toFixed(2)} on ${cpus().length} cores\n`
  )
  const which = a.datasets.split(',')
  const rows: EffortRow[] = []
  let consensus: Record<string, number> | null = null
  const skipped: string[] = []
  const epochs = a.epochs ? Number(a.epochs) : undefined
  if (a['from-items']) {
    // Re-run only the simulation on items saved by an earlier run (no training).
    for (const f of a['from-items'].split(',')) {
      const j = JSON.parse(readFileSync(f, 'utf8')) as {
        dataset: string
        C: number
        items: RerankItem[]
        wrong: number[]
        /** [image id, true class] pairs; absent in files written before the head order. */
        truth?: [number, number][]
      }
      const wrong = new Set(j.wrong)
      if (!j.truth) skipped.push(`head order on ${f}: the file has no true labels (written before 'head')`)
      rows.push({
        dataset: `${j.dataset} (from ${f})`,
        images: j.items.length,
        wrong: wrong.size,
        results: simulateAll(j.items, wrong, j.C, j.truth ? new Map(j.truth) : null)
      })
    }
    which.length = 0
  }

  if (which.includes('synthetic')) {
    const dir = mkdtempSync(join(tmpdir(), 'poi-effort-'))
    try {
      const r = await runDemo({
        dir: join(dir, 'demo'),
        n: Number(a.n),
        epochs,
        progress: (e) => {
          if (e.phase === 'train' && e.event.phase === 'validate')
            process.stderr.write(`  synthetic: epoch ${e.event.epoch}/${e.event.epochs}\n`)
        }
      })
      const gt = await loadGroundTruth(r.dataset.groundTruth)
      const p = openProject(r.project, { readonly: true })
      try {
        const byPath = new Map(gt.images.map((g) => [g.path, g]))
        const paths = new Map(
          (p.db.prepare('SELECT id, rel_path FROM images').all() as { id: number; rel_path: string }[]).map((x) => [
            x.id,
            x.rel_path
          ])
        )
        const items = auditItems(p.db, r.auditId, { scoredOnly: true }).filter(
          (i) => i.givenLabel != null && byPath.get(paths.get(i.imageId)!)?.split === 'train'
        )
        const wrong = new Set(items.filter((i) => byPath.get(paths.get(i.imageId)!)!.flipped).map((i) => i.imageId))
        const classes = getClasses(p.db)
        rows.push(
          effort(
            'synthetic',
            items.map((i) => ({
              imageId: i.imageId,
              score: i.score!,
              givenLabel: i.givenLabel!,
              suggestedLabel: i.suggestedLabel,
              signals: i.signals
            })),
            wrong,
            classes.length,
            new Map(
              items.map((i) => [
                i.imageId,
                classes.indexOf(byPath.get(paths.get(i.imageId)!)!.trueClass as (typeof classes)[number])
              ])
            )
          )
        )
        const preds = new Map(readPredictions(p.db, r.runId).map((x) => [x.imageId, x]))
        const truthIdx = items.map((i) =>
          classes.indexOf(byPath.get(paths.get(i.imageId)!)!.trueClass as (typeof classes)[number])
        )
        consensus = consensusOnSynthetic(
          truthIdx,
          items.map((i) => Array.from(preds.get(i.imageId)!.trnProbs)),
          classes.length
        )
      } finally {
        p.close()
      }
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  }

  if (which.includes('fer')) {
    const csv = join(resolve(a.data), 'fer2013', 'labels.csv')
    if (!existsSync(csv)) skipped.push(`FER2013 not found at ${csv}`)
    else {
      const all = parse(readFileSync(csv), { columns: true }) as Record<string, string>[]
      const train = all.map((r, i) => ({ r, i })).filter((x) => x.r.split === 'Training')
      const labelIdx = new Map([...new Set(train.map((x) => x.r.label))].map((l, j) => [l, j]))
      const keep = new Set(
        stratifiedSubset(
          train.map((x) => x.i),
          new Map(train.map((x) => [x.i, labelIdx.get(x.r.label)!])),
          Number(a.subset),
          1
        )
      )
      const d = loadData(
        'fer2013',
        await cachedProject(`fer2013-train-${keep.size}`, csv, (_r, i) => keep.has(i)),
        false
      )
      try {
        const base: TrainConfigInput = { seed: 1, ...(epochs ? { epochs } : {}) }
        const noise = Number(a.noise)
        const { labels, flipped } = flip(d, noise, 1)
        const poi = a['poi-run']
          ? storedKfold(d, Number(a['poi-run']), { k: Number(a.k), tag: `fer2013 ${noise * 100}% POI` })
          : await kfold(d, labels, Number(a.k), base, 'poi', `fer2013 ${noise * 100}%`)
        const audit = auditFromKfold(d, labels, poi)
        const items = audit.items.filter((i) => i.score != null).sort((x, y) => x.score! - y.score!)
        rows.push(
          effort(
            `fer2013 ${noise * 100}% flips`,
            items.map((i) => ({
              imageId: i.imageId,
              score: i.score!,
              givenLabel: i.givenLabel!,
              suggestedLabel: i.suggestedLabel,
              signals: i.signals
            })),
            flipped,
            getClasses(d.project.db).length,
            d.clean
          )
        )
      } finally {
        d.project.close()
      }
    }
  }

  for (const s of skipped) process.stdout.write(`bench:effort: ${s}; skipped\n`)
  process.stdout.write(`wrong labels found after ${AT.join(' / ')} reviews (50 per re-rank)\n`)
  for (const r of rows) {
    process.stdout.write(`${r.dataset} (${r.images} images, ${r.wrong} wrong):\n`)
    for (const e of r.results)
      process.stdout.write(
        `  ${e.order.padEnd(9)} ${e.found.join(' / ')}${e.rerankMs != null ? `   (re-rank ${e.rerankMs.toFixed(0)} ms; ${e.order === 'head' ? "head's" : 'learned'} order used in ${e.learnedUsed!.learned} of ${e.learnedUsed!.of} re-ranks)` : ''}\n`
      )
    const [st, le, , he] = r.results
    const vs = (e: EffortResult): string => ((e.found[1] / Math.max(1, st.found[1]) - 1) * 100).toFixed(1)
    process.stdout.write(`  learning vs static after 1,000: ${vs(le)} %\n`)
    if (he) process.stdout.write(`  head vs static after 1,000: ${vs(he)} %\n`)
  }
  if (consensus) {
    const c = consensus
    process.stdout.write(
      `consensus on ${c.images} synthetic faces, 8 simulated annotators (reliability 0.35–0.9, 3 per image), model accuracy ${(c.modelAccuracy * 100).toFixed(1)} %:\n`
    )
    process.stdout.write(
      `  majority ${(c.majority * 100).toFixed(1)} %, Dawid–Skene ${(c.dawidSkene * 100).toFixed(1)} %, ours ${(c.ours * 100).toFixed(1)} %; annotator-quality Spearman ours ${c.spearmanOurs.toFixed(3)}, Dawid–Skene ${c.spearmanDawidSkene.toFixed(3)}\n`
    )
  }
  const minutes = (performance.now() - t0) / 60000
  process.stdout.write(
    `wall time ${minutes.toFixed(1)} min; load ${load0.toFixed(2)} at start, ${loadavg()[0].toFixed(2)} at end (${cpus().length} cores)\n`
  )
  const out = resolve(a.out)
  mkdirSync(dirname(out), { recursive: true })
  writeFileSync(
    out,
    JSON.stringify(
      {
        bench: 'effort',
        version: 1,
        at: new Date().toISOString(),
        backend: info.backend,
        machine: { cpus: cpus().length, loadStart: load0, loadEnd: loadavg()[0] },
        reviewsAt: AT,
        rows,
        consensus,
        skipped,
        minutes
      },
      null,
      2
    ) + '\n'
  )
  process.stdout.write(`wrote ${out}\n`)
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((e: unknown) => {
    process.stderr.write(`bench:effort: ${(e as Error).stack ?? e}\n`)
    process.exit(1)
  })
}
