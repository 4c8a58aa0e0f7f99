/**
 * Generates a synthetic facial-expression dataset on disk: images/<split>/<id>.png, labels.csv (the given,
 * possibly flipped labels), ground_truth.json (true classes, AUs, flips) and README.txt.
 *
 * Determinism: the plan (class per image, split, identity, flips) comes from one seeded stream and every
 * image from its own stream hashSeed(seed, 'image', index), so the output does not depend on the order
 * in which the concurrent renders finish. ground_truth.json is written last, atomically: a folder without
 * it is an interrupted run.
 */
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { ALL_AUS, CANONICAL_CLASSES, canonicalOrder, type ClassName } from '../classes'
import { writeFileAtomic } from '../fsutil/atomic'
import type { ExpressionOptions } from './expression'
import {
  GROUND_TRUTH_FORMAT,
  GROUND_TRUTH_VERSION,
  SPLITS,
  type GroundTruth,
  type GroundTruthImage,
  type Split
} from './ground-truth'
import { sampleIdentity, type FaceIdentity } from './params'
import { renderFace } from './render'
import { Rng, hashSeed } from '../util/rng'
import { sampleFaceParams } from './sample'
import { datasetReadme } from './readme'

export interface SynthProgress {
  phase: 'render' | 'write'
  /** Images rendered so far. */
  done: number
  total: number
}

export interface GenerateDatasetOptions extends ExpressionOptions {
  outDir: string
  /** Total number of images, spread evenly over the classes (default 2000 when perClass is not set). */
  n?: number
  /** Images per class (overrides n). */
  perClass?: number
  /** Classes to draw, any order (written in canonical order); default all 8. */
  classes?: ClassName[]
  /** Output size, pixels; default 64. */
  size?: number
  /** 1 = grey (default), 3 = RGB. */
  channels?: 1 | 3
  /** Fraction of each flipped split whose given label is replaced by another class; default 0.2. */
  noiseRate?: number
  /** Which splits get flipped labels; default ['train']. */
  flipSplits?: Split[]
  /** Default 1. */
  seed?: number
  /** Split fractions, summing to 1; default { train: 0.8, val: 0.1, test: 0.1 }. */
  splits?: { train: number; val: number; test: number }
  /** Number of distinct synthetic people; default max(8, round(total / 10)). */
  identities?: number
  /** Pose/lighting/noise variation, 0..1; default 1. */
  jitter?: number
  /** Replace the generator's files in a non-empty outDir (other files are never touched). */
  overwrite?: boolean
  /** Images rendered at once; default 4. */
  concurrency?: number
  progress?: (e: SynthProgress) => void
  signal?: AbortSignal
}

export interface SynthSummary {
  outDir: string
  total: number
  classes: ClassName[]
  /** Images per true class. */
  perClass: Record<string, number>
  perSplit: Record<Split, number>
  /** Flipped labels per split. */
  flipped: Record<Split, number>
  identities: number
  labelsCsv: string
  groundTruth: string
  seconds: number
}

const OWN_ENTRIES = ['images', 'labels.csv', 'ground_truth.json', 'README.txt']

interface PlanItem {
  index: number
  id: string
  cls: ClassName
  split: Split
  identity: number
  given: ClassName
}

function checkOptions(o: GenerateDatasetOptions, classes: ClassName[]): void {
  if (classes.length === 0) throw new Error('classes: at least one class is needed')
  for (const c of o.classes ?? []) {
    if (!(CANONICAL_CLASSES as readonly string[]).includes(c))
      throw new Error(`classes: unknown class "${c}" (known: ${CANONICAL_CLASSES.join(', ')})`)
  }
  const rate = o.noiseRate ?? 0.2
  if (!(rate >= 0 && rate <= 1)) throw new Error(`noiseRate must be in 0..1, got ${rate}`)
  if (rate > 0 && classes.length < 2)
    throw new Error('noiseRate > 0 needs at least 2 classes (a flipped label must be another class)')
  const s = o.splits ?? { train: 0.8, val: 0.1, test: 0.1 }
  if (![s.train, s.val, s.test].every((v) => v >= 0) || Math.abs(s.train + s.val + s.test - 1) > 1e-6) {
    throw new Error(
      `splits must be non-negative fractions summing to 1, got train ${s.train}, val ${s.val}, test ${s.test}`
    )
  }
  for (const sp of o.flipSplits ?? []) if (!SPLITS.includes(sp)) throw new Error(`flipSplits: unknown split "${sp}"`)
  if (o.perClass !== undefined && !(Number.isInteger(o.perClass) && o.perClass >= 1))
    throw new Error(`perClass must be a positive integer, got ${o.perClass}`)
  if (o.n !== undefined && !(Number.isInteger(o.n) && o.n >= 1))
    throw new Error(`n must be a positive integer, got ${o.n}`)
  if (o.identities !== undefined && !(Number.isInteger(o.identities) && o.identities >= 1))
    throw new Error(`identities must be a positive integer, got ${o.identities}`)
}

/** Decides class, split, identity and given label of every image (no rendering). */
export function planDataset(o: GenerateDatasetOptions): {
  items: PlanItem[]
  classes: ClassName[]
  identities: number
} {
  const classes = canonicalOrder(o.classes ?? CANONICAL_CLASSES)
  checkOptions(o, classes)
  const seed = o.seed ?? 1
  const rng = new Rng(hashSeed(seed, 'plan'))
  const counts = classes.map((_, k) => {
    if (o.perClass !== undefined) return o.perClass
    const n = o.n ?? 2000
    return Math.floor(n / classes.length) + (k < n % classes.length ? 1 : 0)
  })
  const total = counts.reduce((a, b) => a + b, 0)
  const identities = o.identities ?? Math.max(8, Math.round(total / 10))
  const order: ClassName[] = []
  classes.forEach((c, k) => {
    for (let i = 0; i < counts[k]; i++) order.push(c)
  })
  rng.shuffle(order)
  const fr = o.splits ?? { train: 0.8, val: 0.1, test: 0.1 }
  const nTrain = Math.round(total * fr.train)
  const nVal = Math.min(total - nTrain, Math.round(total * fr.val))
  const width = Math.max(6, String(total - 1).length)
  const items: PlanItem[] = order.map((cls, index) => {
    const split: Split = index < nTrain ? 'train' : index < nTrain + nVal ? 'val' : 'test'
    return {
      index,
      id: `s${String(index).padStart(width, '0')}`,
      cls,
      split,
      identity: rng.int(identities),
      given: cls
    }
  })
  // Exactly round(noiseRate × n_split) flips per flipped split, each to a uniformly chosen other class.
  const rate = o.noiseRate ?? 0.2
  for (const split of o.flipSplits ?? ['train']) {
    const pool = items.filter((it) => it.split === split)
    const k = Math.round(rate * pool.length)
    for (const it of rng.shuffle(pool).slice(0, k)) {
      const others = classes.filter((c) => c !== it.cls)
      it.given = rng.pick(others)
    }
  }
  return { items, classes, identities }
}

async function prepareOutDir(outDir: string, overwrite: boolean): Promise<void> {
  await mkdir(outDir, { recursive: true })
  const entries = await readdir(outDir)
  const ours = entries.filter((e) => OWN_ENTRIES.includes(e))
  if (entries.length > 0 && !overwrite) {
    throw new Error(
      `${outDir} is not empty (${entries.slice(0, 3).join(', ')}${entries.length > 3 ? ', …' : ''}); choose an empty folder or pass overwrite`
    )
  }
  // ground_truth.json first: from here on the folder reads as an interrupted run until we finish.
  for (const e of ['ground_truth.json', ...ours.filter((x) => x !== 'ground_truth.json')]) {
    await rm(join(outDir, e), { recursive: true, force: true })
  }
}

const csvField = (s: string): string => (/[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s)

/** Renders and writes a whole dataset; see the module comment for the layout. */
export async function generateDataset(o: GenerateDatasetOptions): Promise<SynthSummary> {
  const t0 = performance.now()
  const { items, classes, identities } = planDataset(o)
  const seed = o.seed ?? 1
  const size = o.size ?? 64
  const channels = o.channels ?? 1
  const signal = o.signal
  signal?.throwIfAborted()
  await prepareOutDir(o.outDir, o.overwrite ?? false)
  for (const split of SPLITS) await mkdir(join(o.outDir, 'images', split), { recursive: true })

  const people: FaceIdentity[] = []
  for (let k = 0; k < identities; k++) people.push(sampleIdentity(new Rng(hashSeed(seed, 'identity', k)), k))
  const records: GroundTruthImage[] = new Array(items.length)
  let next = 0
  let done = 0
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      signal?.throwIfAborted()
      const it = items[next++]
      const face = sampleFaceParams(new Rng(hashSeed(seed, 'image', it.index)), it.cls, {
        auPresence: o.auPresence,
        intensity: o.intensity,
        distractorRate: o.distractorRate,
        distractorIntensity: o.distractorIntensity,
        jitter: o.jitter,
        size,
        channels,
        identity: people[it.identity]
      })
      const png = await renderFace(face.params)
      const path = `images/${it.split}/${it.id}.png`
      await writeFile(join(o.outDir, path), png)
      const aus: Record<string, number> = {}
      for (const au of ALL_AUS) aus[`AU${au}`] = face.params.aus[au]
      records[it.index] = {
        id: it.id,
        path,
        split: it.split,
        trueClass: it.cls,
        givenLabel: it.given,
        flipped: it.given !== it.cls,
        identity: it.identity,
        aus,
        dropped: face.dropped,
        distractors: face.distractors
      }
      done++
      o.progress?.({ phase: 'render', done, total: items.length })
    }
  }
  const concurrency = Math.max(1, Math.min(o.concurrency ?? 4, items.length))
  await Promise.all(Array.from({ length: concurrency }, worker))
  signal?.throwIfAborted()
  o.progress?.({ phase: 'write', done, total: items.length })

  const noiseRate = o.noiseRate ?? 0.2
  const flipSplits = o.flipSplits ?? ['train']
  const gt: GroundTruth = {
    format: GROUND_TRUTH_FORMAT,
    version: GROUND_TRUTH_VERSION,
    createdBy: 'poi-audit synth',
    settings: {
      seed,
      size,
      channels,
      classes,
      noiseRate,
      flipSplits,
      splits: o.splits ?? { train: 0.8, val: 0.1, test: 0.1 },
      identities
    },
    images: records
  }
  const csv =
    ['path,label,split', ...records.map((r) => `${csvField(r.path)},${r.givenLabel},${r.split}`)].join('\n') + '\n'
  const perClass: Record<string, number> = {}
  const perSplit = { train: 0, val: 0, test: 0 }
  const flipped = { train: 0, val: 0, test: 0 }
  for (const r of records) {
    perClass[r.trueClass] = (perClass[r.trueClass] ?? 0) + 1
    perSplit[r.split]++
    if (r.flipped) flipped[r.split]++
  }
  const summary: SynthSummary = {
    outDir: o.outDir,
    total: records.length,
    classes,
    perClass,
    perSplit,
    flipped,
    identities,
    labelsCsv: join(o.outDir, 'labels.csv'),
    groundTruth: join(o.outDir, 'ground_truth.json'),
    seconds: 0
  }
  await writeFileAtomic(join(o.outDir, 'README.txt'), datasetReadme(gt, summary), { signal })
  await writeFileAtomic(summary.labelsCsv, csv, { signal })
  await writeFileAtomic(summary.groundTruth, JSON.stringify(gt, null, 1) + '\n', { signal })
  summary.seconds = (performance.now() - t0) / 1000
  return summary
}
