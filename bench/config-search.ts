/**
 * Which backbone should be the CPU default? (`npx tsx bench/config-search.ts [-- options]`)
 * Accuracy per minute on FER2013 (clean labels, POI mode) for:
 *   slim-s2      slim ResNet 16-32-64-128, one block per stage, stride-2 stem (F 6×6 at 48 px)
 *   slim-in      the same with the ImageNet stem (7×7/2 conv + max-pool: F 3×3 at 48 px)
 *   slim32-s2    slim ResNet 32-64-128-256, two blocks per stage, stride-2 stem (compute.md's "slim")
 *   landmark7    frozen face-api landmark net, dense3 map 7×7×256, POI heads trained on cached features
 *   landmark14   frozen face-api landmark net, dense2 map 14×14×128
 * (The face-api expression net is excluded: it was trained on expression labels.)
 *
 * Each candidate trains for about the same wall time (--minutes, default 10, one-off feature extraction
 * included) on a stratified Training subset (--subset, default 12000); reported: PublicTest accuracy after
 * each epoch against elapsed minutes, final PrivateTest accuracy, and accuracy per minute. Writes
 * bench-results/config-search.json; the conclusion goes to docs/compute-defaults.md.
 */
import { parseArgs } from 'node:util'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { cpus } from 'node:os'
import { getRun, listEpochs } from '../src-main/core/store/runs'
import type { RunMetrics } from '../src-main/core/train/train'
import type { TrainConfigInput } from '../src-main/core/run/config'
import {
  accuracyOf,
  FER_OPTIONS,
  ferDataDir,
  ferMissing,
  openFer,
  predictWithRun,
  ROOT,
  stratifiedSubset,
  trainAndTest,
  trainingLabels,
  type Fer
} from './noisy'
import { withOthers } from './speed'

interface Candidate {
  key: string
  config: TrainConfigInput
  /** Rough training images/s on this machine class (bench:speed), to size the epochs to the budget. */
  imgPerSec: number
  /** Seconds of one-off work before training (feature extraction of every image and its mirror). */
  setupSeconds: (images: number) => number
}

const CANDIDATES: Candidate[] = [
  {
    key: 'slim-s2',
    config: { backbone: 'slim', stem: 'stride2', widths: [16, 32, 64, 128], blocks: [1, 1, 1, 1] },
    imgPerSec: 55,
    setupSeconds: () => 0
  },
  {
    key: 'slim-in',
    config: { backbone: 'slim', stem: 'imagenet', widths: [16, 32, 64, 128], blocks: [1, 1, 1, 1] },
    imgPerSec: 110,
    setupSeconds: () => 0
  },
  {
    key: 'slim32-s2',
    config: { backbone: 'slim', stem: 'stride2', widths: [32, 64, 128, 256], blocks: [2, 2, 2, 2] },
    imgPerSec: 22,
    setupSeconds: () => 0
  },
  { key: 'landmark7', config: { backbone: 'faceapi-landmark' }, imgPerSec: 250, setupSeconds: (n) => (n * 2) / 150 },
  { key: 'landmark14', config: { backbone: 'faceapi-landmark-14' }, imgPerSec: 120, setupSeconds: (n) => (n * 2) / 150 }
]

interface Row {
  key: string
  config: TrainConfigInput
  runId: number
  epochs: number
  minutes: number
  privateTestAcc: number
  accPerMinute: number
  othersCores: number | null
  curve: { epoch: number; minutes: number; publicTestAcc: number | null; imgPerSec: number }[]
}

/** A result row from a finished run (its epochs and a fresh PrivateTest evaluation). */
async function rowFor(
  fer: Fer,
  key: string,
  runId: number,
  others: number | null,
  privateTestAcc?: number
): Promise<Row> {
  const run = getRun(fer.project.db, runId)
  if (!run || run.status !== 'done') throw new Error(`run ${runId} is not a finished run`)
  const m = run.metrics as RunMetrics
  const acc = privateTestAcc ?? accuracyOf(await predictWithRun(fer, runId, fer.privateTest), fer.labels)
  const epochsRec = listEpochs(fer.project.db, runId).map(
    (e) => e.metrics as { epoch: number; seconds: number; valAcc: number | null; imgPerSec: number }
  )
  let elapsed = (m.seconds - m.trainSeconds) / 60
  const curve = epochsRec.map((e) => {
    elapsed += e.seconds / 60
    return { epoch: e.epoch, minutes: +elapsed.toFixed(2), publicTestAcc: e.valAcc, imgPerSec: +e.imgPerSec.toFixed(1) }
  })
  const cfg = (run.config as { train: TrainConfigInput }).train
  const minutes = m.seconds / 60
  return {
    key,
    config: { backbone: cfg.backbone, stem: cfg.stem, widths: cfg.widths, blocks: cfg.blocks },
    runId,
    epochs: m.epochs,
    minutes: +minutes.toFixed(2),
    privateTestAcc: acc,
    accPerMinute: acc / minutes,
    othersCores: others == null ? null : +others.toFixed(2),
    curve
  }
}

function printAndSave(rows: Row[], meta: Record<string, unknown>): void {
  const t = [
    ['candidate', 'epochs', 'minutes', 'others', 'PrivateTest', 'acc/min', 'PublicTest by epoch (acc@minutes)']
  ]
  for (const r of rows) {
    t.push([
      r.key,
      String(r.epochs),
      r.minutes.toFixed(1),
      r.othersCores == null ? '?' : r.othersCores.toFixed(2),
      `${(r.privateTestAcc * 100).toFixed(2)}%`,
      `${(r.accPerMinute * 100).toFixed(2)}%`,
      r.curve.map((p) => `${((p.publicTestAcc ?? 0) * 100).toFixed(1)}@${p.minutes.toFixed(1)}`).join(' ')
    ])
  }
  const w = t[0].map((_, i) => Math.max(...t.map((r) => r[i].length)))
  process.stdout.write(t.map((r) => r.map((x, i) => x.padEnd(w[i])).join('  ')).join('\n') + '\n')
  const out = join(ROOT, 'bench-results', 'config-search.json')
  mkdirSync(dirname(out), { recursive: true })
  writeFileSync(
    out,
    JSON.stringify(
      {
        bench: 'config-search',
        at: new Date().toISOString(),
        machine: { cpus: cpus().length, model: cpus()[0]?.model ?? null },
        ...meta,
        results: rows
      },
      null,
      2
    ) + '\n'
  )
  process.stdout.write(`wrote ${out}\n`)
}

async function main(): Promise<void> {
  // node:util parseArgs: an unknown option or a missing value is an error.
  const { values: o } = parseArgs({
    options: {
      ...FER_OPTIONS,
      minutes: { type: 'string' },
      candidates: { type: 'string' },
      seed: { type: 'string' },
      append: { type: 'boolean' },
      subset: { type: 'string' },
      recover: { type: 'string' }
    },
    strict: true
  })
  const dir = ferDataDir(o)
  if (ferMissing(dir, 'config-search')) return
  const minutes = Number(o.minutes ?? 10)
  const want = (o.candidates ?? CANDIDATES.map((c) => c.key).join(',')).split(',').filter(Boolean)
  const seed = Number(o.seed ?? 1)
  const fer = await openFer(dir, o)
  const outFile = join(ROOT, 'bench-results', 'config-search.json')
  // --append keeps the rows of earlier invocations (candidates are slow; they can run in several sittings).
  const rows: Row[] =
    o.append && existsSync(outFile) ? (JSON.parse(readFileSync(outFile, 'utf8')) as { results: Row[] }).results : []
  const put = (r: Row): void => {
    const i = rows.findIndex((x) => x.key === r.key)
    if (i >= 0) rows[i] = r
    else rows.push(r)
  }
  try {
    const n = Number(o.subset ?? 12000)
    const trainIds = stratifiedSubset(fer.training, fer.labels, n, seed)
    const labels = trainingLabels(fer, trainIds, fer.labels)
    const meta = { minutes, trainImages: trainIds.length, seed }
    // --recover key:runId,… re-reads finished runs (e.g. of an interrupted search) into the table.
    for (const pair of (o.recover ?? '').split(',').filter(Boolean)) {
      const [key, id] = pair.split(':')
      put(await rowFor(fer, key, Number(id), null))
    }
    // Frozen backbones extract the images they train, validate and are tested on (once; the cache file keeps them).
    const all = trainIds.length + fer.publicTest.length + fer.privateTest.length
    for (const c of CANDIDATES.filter((x) => want.includes(x.key))) {
      const budget = minutes * 60 - c.setupSeconds(all)
      const epochs = Math.max(1, Math.min(40, Math.floor((budget * c.imgPerSec) / trainIds.length)))
      process.stderr.write(
        `config-search: ${c.key}: ${epochs} epoch(s) on ${trainIds.length} images (budget ${minutes} min)\n`
      )
      const { value: r, others } = await withOthers(() =>
        trainAndTest(fer, `search ${c.key}`, labels, { ...c.config, mode: 'poi', epochs, seed })
      )
      const row = await rowFor(fer, c.key, r.result.runId, others, r.privateTestAcc)
      put(row)
      process.stderr.write(
        `  ${c.key}: PrivateTest ${(row.privateTestAcc * 100).toFixed(2)}% in ${row.minutes.toFixed(1)} min (other processes used ${others.toFixed(2)} cores meanwhile)\n`
      )
      printAndSave(rows, meta)
    }
    if (!want.length) printAndSave(rows, meta)
  } finally {
    fer.project.close()
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((e: unknown) => {
    process.stderr.write(`config-search: ${(e as Error).stack ?? e}\n`)
    process.exit(1)
  })
}
