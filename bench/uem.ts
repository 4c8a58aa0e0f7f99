/**
 * Table IV of the paper on FER2013 PrivateTest (`npm run bench:uem [-- options]`): rank the test images by
 * UEM confidence c (how much the four region predictions agree) and report the TRN accuracy of the 30 /
 * 50 / 70 % most confident (H) and least confident (L) images, next to 100 %. The same split by the
 * TRN's own max-probability is printed as a reference (the plainest confidence there is).
 *
 *   --run ID        a finished POI run in the cached FER2013 project (default: the 30 %-noise POI run of
 *                   bench-results/noisy.json, else a new run on clean labels)
 *   --train         train a new POI model on the clean Training labels (--epochs N, --backbone NAME)
 *   --data DIR / --cache DIR as bench:noisy
 *   --out FILE      result file (default bench-results/uem.json)
 * Target: H30 ≥ L30 + 15 points.
 */
import { parseArgs } from 'node:util'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { TrainConfigInput } from '../src-main/core/run/config'
import type { PredictionInput } from '../src-main/core/store/runs'
import { getRun } from '../src-main/core/store/runs'
import { uemMutualInformation } from '../src-main/core/model/oim'
import * as tf from '@tensorflow/tfjs'
import {
  accuracyOf,
  FER_OPTIONS,
  ferDataDir,
  ferMissing,
  openFer,
  predictWithRun,
  ROOT,
  trainAndTest,
  trainingLabels
} from './noisy'

const SHARES = [0.3, 0.5, 0.7] as const

export interface UemTable {
  /** H30, H50, H70, 100, L70, L50, L30 (accuracy in %, and image counts). */
  columns: string[]
  accuracy: number[]
  counts: number[]
}

/** Accuracy of the top/bottom shares of `preds` ranked by `conf` (higher = more confident). */
export function confidenceTable(
  preds: readonly PredictionInput[],
  labels: ReadonlyMap<number, number>,
  conf: (p: PredictionInput) => number
): UemTable {
  // Ties broken by image id so the table is reproducible.
  const sorted = [...preds].sort((a, b) => conf(b) - conf(a) || a.imageId - b.imageId)
  const n = sorted.length
  const cols: string[] = []
  const acc: number[] = []
  const counts: number[] = []
  const add = (name: string, set: PredictionInput[]): void => {
    cols.push(name)
    acc.push(accuracyOf(set, labels) * 100)
    counts.push(set.length)
  }
  for (const s of SHARES) add(`H${s * 100}%`, sorted.slice(0, Math.round(s * n)))
  add('100%', sorted)
  for (const s of [...SHARES].reverse()) add(`L${s * 100}%`, sorted.slice(n - Math.round(s * n)))
  return { columns: cols, accuracy: acc, counts }
}

/** c from the model's own mutual-information UEM (core/model/oim.ts) over the stored region predictions [n, 4, C]. */
function miConfidences(preds: readonly PredictionInput[], C: number): Map<number, number> {
  const flat = new Float32Array(preds.length * 4 * C)
  preds.forEach((p, i) => flat.set(Array.from(p.regionProbs!), i * 4 * C))
  const c = tf.tidy(() => uemMutualInformation(tf.tensor3d(flat, [preds.length, 4, C])).confidence.dataSync())
  return new Map(preds.map((p, i) => [p.imageId, c[i]]))
}

async function main(): Promise<void> {
  // node:util parseArgs: an unknown option or a missing value is an error.
  const { values: o } = parseArgs({
    options: {
      ...FER_OPTIONS,
      run: { type: 'string' },
      train: { type: 'boolean' },
      backbone: { type: 'string' },
      epochs: { type: 'string' },
      out: { type: 'string' }
    },
    strict: true
  })
  const dir = ferDataDir(o)
  if (ferMissing(dir, 'bench:uem')) return
  const fer = await openFer(dir, o)
  try {
    let runId = o.run ? Number(o.run) : null
    let source = runId != null ? `run ${runId} (given)` : ''
    const noisyFile = join(ROOT, 'bench-results', 'noisy.json')
    if (runId == null && !o.train && existsSync(noisyFile)) {
      const j = JSON.parse(readFileSync(noisyFile, 'utf8')) as {
        project: string
        rows: { noise: number; model: string; runId: number }[]
      }
      const row = j.rows.filter((r) => r.model === 'POI').sort((a, b) => b.noise - a.noise)[0]
      if (row && j.project === fer.project.path && getRun(fer.project.db, row.runId)?.status === 'done') {
        runId = row.runId
        source = `run ${runId}: the POI model of bench:noisy at ${row.noise * 100}% label noise`
      }
    }
    if (runId == null) {
      const cfg: TrainConfigInput = {
        mode: 'poi',
        backbone: o.backbone as TrainConfigInput['backbone'],
        epochs: Number(o.epochs ?? 4)
      }
      const r = await trainAndTest(fer, 'POI clean', trainingLabels(fer, fer.training, fer.labels), cfg)
      runId = r.result.runId
      source = `run ${runId}: POI trained on the clean Training labels (${cfg.epochs} epochs)`
    }
    const run = getRun(fer.project.db, runId)
    if (!run || run.status !== 'done') throw new Error(`run ${runId} is not a finished run of ${fer.project.path}`)
    process.stderr.write(`bench:uem: scoring PrivateTest (${fer.privateTest.length} images) with ${source}\n`)
    const preds = await predictWithRun(fer, runId, fer.privateTest)
    if (preds.some((p) => p.uemConfidence == null))
      throw new Error(`run ${runId} has no UEM (a CE model?); give a POI run`)
    const uem = confidenceTable(preds, fer.labels, (p) => p.uemConfidence!)
    const maxp = confidenceTable(preds, fer.labels, (p) => Math.max(...Array.from(p.trnProbs)))
    // The spec's alternative UEM formula (§4 (10)), from the same stored region predictions, and the
    // OIM soft label's own peak: what the reconstructed choice costs or gains, not a new default.
    const miC = miConfidences(preds, preds[0].trnProbs.length)
    const mi = confidenceTable(preds, fer.labels, (p) => miC.get(p.imageId)!)
    const qmax = confidenceTable(preds, fer.labels, (p) => Math.max(...Array.from(p.oimSoftT1 ?? p.trnProbs)))
    const rows = [
      ['ranking', ...uem.columns],
      ['UEM confidence (variance, the default)', ...uem.accuracy.map((a) => a.toFixed(2))],
      ['UEM confidence (mutual information)', ...mi.accuracy.map((a) => a.toFixed(2))],
      ['OIM soft label q max prob', ...qmax.accuracy.map((a) => a.toFixed(2))],
      ['TRN max prob (reference)', ...maxp.accuracy.map((a) => a.toFixed(2))],
      ['images', ...uem.counts.map(String)]
    ]
    const w = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)))
    process.stdout.write(rows.map((r) => r.map((c, i) => c.padEnd(w[i])).join('  ')).join('\n') + '\n')
    const gap = uem.accuracy[0] - uem.accuracy[uem.accuracy.length - 1]
    process.stdout.write(`H30 − L30 by UEM: ${gap.toFixed(2)} points (target ≥ 15)\n`)
    const out = resolve(o.out ?? join(ROOT, 'bench-results', 'uem.json'))
    mkdirSync(dirname(out), { recursive: true })
    const gapOf = (t: UemTable): number => t.accuracy[0] - t.accuracy[t.accuracy.length - 1]
    process.stdout.write(
      `H30 − L30: mutual-information UEM ${gapOf(mi).toFixed(2)}, q max ${gapOf(qmax).toFixed(2)}, TRN max prob ${gapOf(maxp).toFixed(2)} points\n`
    )
    writeFileSync(
      out,
      JSON.stringify(
        {
          bench: 'uem',
          at: new Date().toISOString(),
          runId,
          source,
          project: fer.project.path,
          uem,
          uemMutualInformation: mi,
          oimSoftMax: qmax,
          maxProb: maxp,
          h30MinusL30: gap,
          h30MinusL30Other: { mutualInformation: gapOf(mi), oimSoftMax: gapOf(qmax), trnMaxProb: gapOf(maxp) }
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
    process.stderr.write(`bench:uem: ${(e as Error).stack ?? e}\n`)
    process.exit(1)
  })
}
