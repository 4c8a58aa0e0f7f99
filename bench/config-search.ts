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
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { cpus } from 'node:os'
import { listEpochs } from '../src-main/core/store/runs'
import type { TrainConfigInput } from '../src-main/core/train/config'
import { argValue, dataDir, ferMissing, openFer, ROOT, stratifiedSubset, trainAndTest, trainingLabels } from './noisy'
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
  { key: 'slim-s2', config: { backbone: 'slim', stem: 'stride2', widths: [16, 32, 64, 128], blocks: [1, 1, 1, 1] }, imgPerSec: 55, setupSeconds: () => 0 },
  { key: 'slim-in', config: { backbone: 'slim', stem: 'imagenet', widths: [16, 32, 64, 128], blocks: [1, 1, 1, 1] }, imgPerSec: 110, setupSeconds: () => 0 },
  { key: 'slim32-s2', config: { backbone: 'slim', stem: 'stride2', widths: [32, 64, 128, 256], blocks: [2, 2, 2, 2] }, imgPerSec: 22, setupSeconds: () => 0 },
  { key: 'landmark7', config: { backbone: 'faceapi-landmark' }, imgPerSec: 250, setupSeconds: (n) => (n * 2) / 150 },
  { key: 'landmark14', config: { backbone: 'faceapi-landmark-14' }, imgPerSec: 120, setupSeconds: (n) => (n * 2) / 150 }
]

async function main(): Promise<void> {
  const argv = process.argv.slice(2)
  const dir = dataDir(argv)
  if (ferMissing(dir, 'config-search')) return
  const minutes = Number(argValue(argv, '--minutes') ?? 10)
  const want = (argValue(argv, '--candidates') ?? CANDIDATES.map((c) => c.key).join(',')).split(',')
  const seed = Number(argValue(argv, '--seed') ?? 1)
  const fer = await openFer(dir, argv)
  const results: unknown[] = []
  try {
    const n = Number(argValue(argv, '--subset') ?? 12000)
    const trainIds = stratifiedSubset(fer.training, fer.labels, n, seed)
    const labels = trainingLabels(fer, trainIds, fer.labels)
    const all = fer.training.length + fer.publicTest.length + fer.privateTest.length
    for (const c of CANDIDATES.filter((x) => want.includes(x.key))) {
      const budget = minutes * 60 - c.setupSeconds(all)
      const epochs = Math.max(1, Math.min(40, Math.floor((budget * c.imgPerSec) / trainIds.length)))
      process.stderr.write(`config-search: ${c.key}: ${epochs} epoch(s) on ${trainIds.length} images (budget ${minutes} min)\n`)
      const { value: r, others } = await withOthers(() => trainAndTest(fer, `search ${c.key}`, labels, { ...c.config, mode: 'poi', epochs, seed }))
      const epochsRec = listEpochs(fer.project.db, r.result.runId).map((e) => e.metrics as { epoch: number; seconds: number; valAcc: number | null; imgPerSec: number })
      const totalMin = r.result.metrics.seconds / 60
      let elapsed = (r.result.metrics.seconds - r.result.metrics.trainSeconds) / 60
      const curve = epochsRec.map((e) => {
        elapsed += e.seconds / 60
        return { epoch: e.epoch, minutes: +elapsed.toFixed(2), publicTestAcc: e.valAcc, imgPerSec: +e.imgPerSec.toFixed(1) }
      })
      const row = { key: c.key, config: c.config, runId: r.result.runId, epochs, minutes: +totalMin.toFixed(2), privateTestAcc: r.privateTestAcc, accPerMinute: r.privateTestAcc / totalMin, othersCores: +others.toFixed(2), curve }
      results.push(row)
      process.stderr.write(`  ${c.key}: PrivateTest ${(r.privateTestAcc * 100).toFixed(2)}% in ${totalMin.toFixed(1)} min (other processes used ${others.toFixed(2)} cores meanwhile)\n`)
    }
    const rows = [['candidate', 'epochs', 'minutes', 'others', 'PrivateTest', 'acc/min', 'PublicTest by epoch (minutes)']]
    for (const r of results as { key: string; epochs: number; minutes: number; othersCores: number; privateTestAcc: number; accPerMinute: number; curve: { minutes: number; publicTestAcc: number | null }[] }[]) {
      rows.push([r.key, String(r.epochs), r.minutes.toFixed(1), r.othersCores.toFixed(2), `${(r.privateTestAcc * 100).toFixed(2)}%`, `${(r.accPerMinute * 100).toFixed(2)}%`, r.curve.map((p) => `${((p.publicTestAcc ?? 0) * 100).toFixed(1)}@${p.minutes.toFixed(1)}`).join(' ')])
    }
    const w = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)))
    process.stdout.write(rows.map((r) => r.map((x, i) => x.padEnd(w[i])).join('  ')).join('\n') + '\n')
    const out = join(ROOT, 'bench-results', 'config-search.json')
    mkdirSync(dirname(out), { recursive: true })
    writeFileSync(out, JSON.stringify({ bench: 'config-search', at: new Date().toISOString(), machine: { cpus: cpus().length, model: cpus()[0]?.model ?? null }, minutes, trainImages: trainIds.length, seed, results }, null, 2) + '\n')
    process.stdout.write(`wrote ${out}\n`)
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
