/**
 * Training checkpoints: a folder `ckpt-<epoch>[-s<step>]/` holding weights.bin, optimizer.bin and
 * manifest.json. Written atomically (fsync'ed temp folder renamed into place, manifest last: see
 * fsutil/atomic-dir.ts), versioned, and verified on read (format, version, file sizes and sha256).
 *
 * The manifest carries everything a resume needs: the training and model configs, the position
 * (fold, completed epochs, steps into the next epoch), the RNG scheme (every random draw of training
 * is a pure function of (seed, fold, epoch, step), so the position *is* the RNG state), and the
 * optimizer's step count, lr and momentum-buffer index. Binary layout: little-endian float32,
 * tensors concatenated in index order.
 */
import { createHash } from 'node:crypto'
import { mkdir, readFile, readdir, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { endianness } from 'node:os'
import { AtomicDir } from '../fsutil/atomic-dir'
import { recoverDirTarget } from '../fsutil/recover-dir'
import type { AtomicFs } from '../fsutil/atomic'
import { parseModelConfig, type PoiModelConfig } from '../model/config'
import { OPTIMIZER_STATE_FORMAT, OPTIMIZER_STATE_VERSION, type OptimizerState } from '../model/optimizer'
import type { WeightMap } from '../model/poi-model'
import { parseTrainConfig, type TrainConfig } from './config'

export const CHECKPOINT_FORMAT = 'poi-audit-checkpoint'
export const CHECKPOINT_VERSION = 1

/** A tensor in a .bin file: float32 values [offset, offset + length) (counted in floats). */
export interface TensorIndexEntry {
  name: string
  shape: number[]
  offset: number
  length: number
}

/** Where training stands. */
export interface CheckpointPosition {
  /** -1 = the single model; 0..k-1 in k-fold. */
  fold: number
  /** Epochs fully completed. */
  epoch: number
  /** Steps completed in epoch `epoch` (0 at an epoch boundary). */
  step: number
}

export interface CheckpointManifest {
  format: typeof CHECKPOINT_FORMAT
  version: typeof CHECKPOINT_VERSION
  createdAt: string
  runId: number | null
  trainConfig: TrainConfig
  modelConfig: PoiModelConfig
  position: CheckpointPosition
  /** Training randomness is derived, not stored: hashSeed(seed, purpose, fold, epoch[, step]). */
  rng: { scheme: 'derived-v1'; seed: number }
  optimizer: {
    format: typeof OPTIMIZER_STATE_FORMAT
    version: typeof OPTIMIZER_STATE_VERSION
    lr: number
    momentum: number
    weightDecay: number
    weightDecayMode: 'l2' | 'decoupled'
    step: number
    slots: TensorIndexEntry[]
  }
  weights: TensorIndexEntry[]
  /** Per-epoch metrics so far (what run_epochs holds), so a resumed run keeps its history. */
  history: unknown[]
  /** Size and sha256 of each data file. */
  files: { path: string; bytes: number; sha256: string }[]
}

export interface Checkpoint {
  path: string
  manifest: CheckpointManifest
  weights: WeightMap
  optimizer: OptimizerState
}

/** Refused on read: wrong format, unsupported version, or damaged files. The message names the folder. */
export class CheckpointError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'CheckpointError'
  }
}

const LE = endianness() === 'LE'

function pack(map: Map<string, { shape: number[]; data: Float32Array }>): {
  index: TensorIndexEntry[]
  bytes: Uint8Array
} {
  const index: TensorIndexEntry[] = []
  let total = 0
  for (const [name, t] of map) {
    index.push({ name, shape: [...t.shape], offset: total, length: t.data.length })
    total += t.data.length
  }
  const all = new Float32Array(total)
  let i = 0
  for (const t of map.values()) {
    all.set(t.data, index[i].offset)
    i++
  }
  if (!LE) {
    const dv = new DataView(all.buffer)
    for (let j = 0; j < total; j++) dv.setFloat32(j * 4, all[j], true)
  }
  return { index, bytes: new Uint8Array(all.buffer) }
}

function unpack(
  bytes: Buffer,
  index: TensorIndexEntry[],
  file: string
): Map<string, { shape: number[]; data: Float32Array }> {
  const floats = new Float32Array(bytes.byteLength / 4)
  if (LE) new Uint8Array(floats.buffer).set(bytes)
  else for (let j = 0; j < floats.length; j++) floats[j] = bytes.readFloatLE(j * 4)
  const out = new Map<string, { shape: number[]; data: Float32Array }>()
  for (const e of index) {
    const size = e.shape.reduce((a, b) => a * b, 1)
    if (size !== e.length || e.offset < 0 || e.offset + e.length > floats.length) {
      throw new CheckpointError(
        `${file}: tensor '${e.name}' [${e.shape.join(', ')}] at ${e.offset}+${e.length} does not fit the file (${floats.length} floats)`
      )
    }
    out.set(e.name, { shape: e.shape, data: floats.slice(e.offset, e.offset + e.length) })
  }
  return out
}

export function checkpointName(p: CheckpointPosition): string {
  return `ckpt-${String(p.epoch).padStart(4, '0')}${p.step ? `-s${String(p.step).padStart(6, '0')}` : ''}`
}

export interface SaveCheckpointInput {
  runId: number | null
  trainConfig: TrainConfig
  modelConfig: PoiModelConfig
  position: CheckpointPosition
  weights: WeightMap
  optimizer: OptimizerState
  history: unknown[]
  /** For tests: the file-system primitives (fault injection, e.g. a full disk). */
  fs?: AtomicFs
}

/** Writes a checkpoint folder inside `dir` atomically and returns its path. Replaces one with the same name. */
export async function saveCheckpoint(dir: string, c: SaveCheckpointInput): Promise<string> {
  const dest = join(dir, checkpointName(c.position))
  const w = pack(c.weights)
  const o = pack(c.optimizer.slots)
  await mkdir(dir, { recursive: true })
  const out = await AtomicDir.create(dest, { overwrite: true, fs: c.fs })
  try {
    await out.writeFile('weights.bin', w.bytes)
    await out.writeFile('optimizer.bin', o.bytes)
    await out.commit((files) => {
      const m: CheckpointManifest = {
        format: CHECKPOINT_FORMAT,
        version: CHECKPOINT_VERSION,
        createdAt: new Date().toISOString(),
        runId: c.runId,
        trainConfig: c.trainConfig,
        modelConfig: c.modelConfig,
        position: c.position,
        rng: { scheme: 'derived-v1', seed: c.trainConfig.seed },
        optimizer: {
          format: OPTIMIZER_STATE_FORMAT,
          version: OPTIMIZER_STATE_VERSION,
          lr: c.optimizer.lr,
          momentum: c.optimizer.momentum,
          weightDecay: c.optimizer.weightDecay,
          weightDecayMode: c.optimizer.weightDecayMode,
          step: c.optimizer.step,
          slots: o.index
        },
        weights: w.index,
        history: c.history,
        files: files.map((f) => ({ path: f.path, bytes: f.bytes, sha256: f.sha256 }))
      }
      return m
    })
  } catch (e) {
    await out.abort()
    throw e
  }
  return dest
}

/** Reads and checks only the manifest (cheap; for listings and config lookups). */
export async function readCheckpointManifest(path: string): Promise<CheckpointManifest> {
  let text: string
  try {
    text = await readFile(join(path, 'manifest.json'), 'utf8')
  } catch (e) {
    throw new CheckpointError(
      `checkpoint ${path} cannot be read: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no manifest.json (not a checkpoint, or an unfinished one)' : (e as Error).message}`
    )
  }
  let m: CheckpointManifest
  try {
    m = JSON.parse(text) as CheckpointManifest
  } catch (e) {
    throw new CheckpointError(`checkpoint ${path}: manifest.json is not valid JSON (${(e as Error).message})`)
  }
  if (!m || m.format !== CHECKPOINT_FORMAT) {
    throw new CheckpointError(`checkpoint ${path}: format ${JSON.stringify(m?.format)} is not "${CHECKPOINT_FORMAT}"`)
  }
  if (m.version !== CHECKPOINT_VERSION) {
    throw new CheckpointError(
      `checkpoint ${path} has version ${JSON.stringify(m.version)}; this build reads version ${CHECKPOINT_VERSION} only (train again, or use the POI Audit version that wrote it)`
    )
  }
  try {
    m.trainConfig = parseTrainConfig(m.trainConfig, `checkpoint ${path}: trainConfig`)
    m.modelConfig = parseModelConfig(m.modelConfig)
  } catch (e) {
    throw new CheckpointError(`checkpoint ${path}: ${(e as Error).message}`)
  }
  const p = m.position
  if (
    !p ||
    !Number.isInteger(p.fold) ||
    !Number.isInteger(p.epoch) ||
    !Number.isInteger(p.step) ||
    p.epoch < 0 ||
    p.step < 0
  ) {
    throw new CheckpointError(`checkpoint ${path}: invalid position ${JSON.stringify(p)}`)
  }
  return m
}

/** Reads, verifies (sizes and sha256 of every file) and decodes a checkpoint. */
export async function loadCheckpoint(path: string): Promise<Checkpoint> {
  // A save killed between its two renames leaves the folder aside or unswapped: finish or undo it.
  recoverDirTarget(path)
  const manifest = await readCheckpointManifest(path)
  const data = new Map<string, Buffer>()
  for (const f of ['weights.bin', 'optimizer.bin']) {
    const rec = manifest.files.find((x) => x.path === f)
    if (!rec) throw new CheckpointError(`checkpoint ${path}: manifest lists no ${f}`)
    let b: Buffer
    try {
      b = await readFile(join(path, f))
    } catch (e) {
      throw new CheckpointError(`checkpoint ${path}: cannot read ${f} (${(e as Error).message})`)
    }
    if (b.byteLength !== rec.bytes || createHash('sha256').update(b).digest('hex') !== rec.sha256) {
      throw new CheckpointError(`checkpoint ${path}: ${f} is damaged (size or sha256 differs from the manifest)`)
    }
    if (b.byteLength % 4) throw new CheckpointError(`checkpoint ${path}: ${f} is not a float32 file`)
    data.set(f, b)
  }
  const weights = unpack(data.get('weights.bin')!, manifest.weights, join(path, 'weights.bin'))
  const o = manifest.optimizer
  const optimizer: OptimizerState = {
    format: o.format,
    version: o.version,
    lr: o.lr,
    momentum: o.momentum,
    weightDecay: o.weightDecay,
    weightDecayMode: o.weightDecayMode,
    step: o.step,
    slots: unpack(data.get('optimizer.bin')!, o.slots, join(path, 'optimizer.bin'))
  }
  return { path, manifest, weights, optimizer }
}

/** Deletes all but the newest `keep` complete checkpoints in `dir` (and leftover temp folders). */
export async function pruneCheckpoints(dir: string, keep: number): Promise<void> {
  let names: string[]
  try {
    names = await readdir(dir)
  } catch {
    return
  }
  const done = names.filter((n) => /^ckpt-\d+(-s\d+)?$/.test(n)).sort()
  const stale = [
    ...done.slice(0, Math.max(0, done.length - keep)),
    ...names.filter((n) => /^ckpt-.*\.(tmp|old)-[0-9a-f]+$/.test(n))
  ]
  for (const n of stale) await rm(join(dir, n), { recursive: true, force: true })
}
