/**
 * What a training run reads from the project (read-only): the images, their current labels and
 * splits, the train / validation / k-fold partitions, and pixels from the pixel cache (the source
 * images are never decoded again here).
 *
 * Which images train: decoded images whose annotation state is 'labeled' with a label, in split
 * 'train' (or no split). Split 'val' validates; split 'test' is never trained on. Every decoded
 * image is scored.
 */
import type { DB } from '../store/db'
import { ProjectError } from '../store/errors'
import { readPixels } from '../store/cache'
import { Rng, hashSeed } from '../util/rng'

export type SplitName = 'train' | 'val' | 'test'

export interface DatasetImage {
  imageId: number
  /** Current label (project class index) when the image is labelled for training, else null. */
  label: number | null
  split: SplitName | null
}

export interface Dataset {
  /** Every decoded image, in id order. */
  images: DatasetImage[]
  /** Images with a usable label. */
  labelled: DatasetImage[]
}

/** Reads the decoded images with their labels and splits. */
export function loadDataset(db: DB, classCount: number): Dataset {
  const rows = db
    .prepare(
      `SELECT i.id, i.split, a.state, a.current_label FROM images i LEFT JOIN annotations a ON a.image_id = i.id
       WHERE i.decode_status = 'ok' ORDER BY i.id`
    )
    .all() as { id: number; split: SplitName | null; state: string | null; current_label: number | null }[]
  const images = rows.map((r) => {
    const ok = r.state === 'labeled' && r.current_label != null
    if (ok && !(r.current_label! >= 0 && r.current_label! < classCount)) {
      throw new ProjectError(
        'CORRUPT',
        `image ${r.id}: label ${r.current_label} is outside the project's ${classCount} classes`
      )
    }
    return { imageId: r.id, label: ok ? r.current_label : null, split: r.split }
  })
  return { images, labelled: images.filter((i) => i.label != null) }
}

/** Labelled images that can train (decoded, state 'labeled'): what the native default epochs are sized on. */
export function countLabelled(db: DB): number {
  return db
    .prepare(
      `SELECT count(*) FROM images i JOIN annotations a ON a.image_id = i.id
        WHERE i.decode_status = 'ok' AND a.state = 'labeled' AND a.current_label IS NOT NULL`
    )
    .pluck()
    .get() as number
}

/** Image ids per class (stratification helper). */
function byClass(items: readonly DatasetImage[]): Map<number, number[]> {
  const m = new Map<number, number[]>()
  for (const it of items) {
    const k = it.label ?? -1
    let a = m.get(k)
    if (!a) m.set(k, (a = []))
    a.push(it.imageId)
  }
  return m
}

export interface TrainValSplit {
  train: number[]
  val: number[]
  /** 'project': the project's 'val' split; 'holdout': a seeded, stratified share of the train pool; 'none'. */
  valSource: 'project' | 'holdout' | 'none'
}

/**
 * The project's val split when it has labelled val images; otherwise a stratified hold-out of
 * `valFraction` of the train pool (at least one image per class that has ≥ 2), seeded.
 */
export function trainValSplit(ds: Dataset, valFraction: number, seed: number): TrainValSplit {
  const pool = ds.labelled.filter((i) => i.split === 'train' || i.split === null)
  const projectVal = ds.labelled.filter((i) => i.split === 'val').map((i) => i.imageId)
  if (projectVal.length) return { train: pool.map((i) => i.imageId), val: projectVal, valSource: 'project' }
  if (valFraction <= 0) return { train: pool.map((i) => i.imageId), val: [], valSource: 'none' }
  const rng = new Rng(hashSeed(seed, 'val-holdout'))
  const train: number[] = []
  const val: number[] = []
  for (const [, ids] of [...byClass(pool)].sort((a, b) => a[0] - b[0])) {
    const shuffled = rng.shuffle([...ids])
    const n = ids.length >= 2 ? Math.max(1, Math.round(valFraction * ids.length)) : 0
    val.push(...shuffled.slice(0, n))
    train.push(...shuffled.slice(n))
  }
  return { train: train.sort((a, b) => a - b), val: val.sort((a, b) => a - b), valSource: 'holdout' }
}

export interface FoldPlan {
  k: number
  /** imageId → fold, for every decoded image. */
  foldOf: Map<number, number>
  /** Training images of each fold's model: the trainable labelled images outside that fold. */
  train: number[][]
  /** Labelled images of each fold (its model's validation set: out-of-sample by construction). */
  val: number[][]
}

/**
 * k folds over every decoded image: trainable labelled images stratified by class, the rest (test
 * split, unlabelled) spread round-robin. Model f trains on trainable images not in fold f and scores
 * fold f, so no image is ever scored by a model that trained on it.
 */
export function planFolds(ds: Dataset, k: number, seed: number): FoldPlan {
  if (!Number.isInteger(k) || k < 2) throw new Error(`k-fold needs k ≥ 2, got ${k}`)
  const trainable = ds.labelled.filter((i) => i.split !== 'test')
  const trainableIds = new Set(trainable.map((i) => i.imageId))
  const rng = new Rng(hashSeed(seed, 'kfold', k))
  const foldOf = new Map<number, number>()
  let next = 0
  for (const [, ids] of [...byClass(trainable)].sort((a, b) => a[0] - b[0])) {
    for (const id of rng.shuffle([...ids])) foldOf.set(id, next++ % k)
  }
  const rest = rng.shuffle(ds.images.filter((i) => !trainableIds.has(i.imageId)).map((i) => i.imageId))
  rest.forEach((id, j) => foldOf.set(id, j % k))
  const train: number[][] = Array.from({ length: k }, () => [])
  const val: number[][] = Array.from({ length: k }, () => [])
  for (const it of trainable) {
    const f = foldOf.get(it.imageId)!
    val[f].push(it.imageId)
    for (let g = 0; g < k; g++) if (g !== f) train[g].push(it.imageId)
  }
  for (let f = 0; f < k; f++) {
    if (train[f].length < 2)
      throw new ProjectError(
        'INVALID',
        `fold ${f} has ${train[f].length} training image(s); k-fold needs more labelled images than k`
      )
  }
  return { k, foldOf, train, val }
}

/**
 * Pixel-cache access for a run: preloads every image it will need into one buffer when that fits a
 * budget (fast epochs), else reads each batch from SQLite.
 */
export class PixelSource {
  readonly per: number
  private readonly index = new Map<number, number>()
  private buffer: Uint8Array | null = null

  constructor(
    private readonly db: DB,
    readonly size: number,
    readonly channels: 1 | 3
  ) {
    this.per = size * size * channels
  }

  /** Loads `ids` into memory if they fit in `maxBytes` (default 768 MiB); returns whether they were loaded. */
  preload(ids: readonly number[], maxBytes = 768 * 2 ** 20): boolean {
    if (ids.length * this.per > maxBytes) return false
    const uniq = [...new Set(ids)]
    this.buffer = readPixels(this.db, uniq, this.size, this.channels)
    this.index.clear()
    uniq.forEach((id, i) => this.index.set(id, i))
    return true
  }

  /** The uint8 HWC pixels of one image (a view when preloaded). */
  image(id: number): Uint8Array {
    const i = this.index.get(id)
    if (this.buffer && i !== undefined) return this.buffer.subarray(i * this.per, (i + 1) * this.per)
    return readPixels(this.db, [id], this.size, this.channels)
  }

  /** NHWC uint8 pixels of `ids`, in order. */
  batch(ids: readonly number[]): Uint8Array {
    if (this.buffer && ids.every((id) => this.index.has(id))) {
      const out = new Uint8Array(ids.length * this.per)
      ids.forEach((id, j) => out.set(this.image(id), j * this.per))
      return out
    }
    return readPixels(this.db, ids, this.size, this.channels)
  }

  release(): void {
    this.buffer = null
    this.index.clear()
  }
}

/** The epoch's visiting order: a seeded permutation that depends only on (seed, fold, epoch). */
export function epochOrder(ids: readonly number[], seed: number, fold: number, epoch: number): number[] {
  return new Rng(hashSeed(seed, 'order', fold, epoch)).shuffle([...ids])
}

/** The augmentation stream of one step: depends only on (seed, fold, epoch, step), so resume replays it. */
export function stepRng(seed: number, fold: number, epoch: number, step: number): Rng {
  return new Rng(hashSeed(seed, 'augment', fold, epoch, step))
}
