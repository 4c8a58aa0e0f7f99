import { readFileSync, existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { tf } from './backend'

/**
 * The face-api model files we use. @vladmandic/face-api ships weights only: a tfjs weights manifest
 * (`<name>-weights_manifest.json`) plus one `.bin` shard per model; the networks are rebuilt in code
 * (see the other modules in this folder).
 */
export type FaceApiModelName =
  | 'tiny_face_detector_model'
  | 'ssd_mobilenetv1_model'
  | 'face_landmark_68_model'
  | 'face_expression_model'
  | 'face_recognition_model'

/** The face-api package version whose weights and architectures this code reproduces. */
export const FACEAPI_VERSION = '1.7.15'

interface ManifestEntry {
  name: string
  shape: number[]
  dtype: string
  quantization?: { dtype: string; scale?: number; min?: number }
}
interface ManifestGroup {
  paths: string[]
  weights: ManifestEntry[]
}

/** Name → tensor, as the manifest names them (e.g. `dense0/conv0/filters`). */
export type WeightMap = Record<string, tf.Tensor>

let modelDirOverride: string | null = null

/**
 * Points the loader at another folder holding the same files (a packaged app that unpacks them next to
 * the executable). `null` restores the default: `node_modules/@vladmandic/face-api/model/`.
 */
export function setFaceApiModelDir(dir: string | null): void {
  modelDirOverride = dir
}

/** The folder the weights are read from; throws a clear error when face-api is not installed. */
export function faceApiModelDir(): string {
  if (modelDirOverride) return modelDirOverride
  const require = createRequire(import.meta.url)
  let pkgJson: string
  try {
    pkgJson = require.resolve('@vladmandic/face-api/package.json')
  } catch {
    throw new Error('face-api weights not found: the package @vladmandic/face-api is not installed (npm install)')
  }
  const version = (JSON.parse(readFileSync(pkgJson, 'utf8')) as { version: string }).version
  if (version !== FACEAPI_VERSION) {
    // Weight names and architectures are rebuilt from 1.7.15's source; another version may differ silently.
    throw new Error(`@vladmandic/face-api ${version} is installed; this build reproduces ${FACEAPI_VERSION}`)
  }
  return join(dirname(pkgJson), 'model')
}

/**
 * Reads one model's manifest and shards from disk (no network) and returns its tensors, dequantized
 * to float32. The caller owns the tensors (keep them for the process lifetime or dispose them).
 * Errors name the file that is missing or malformed.
 */
export function loadWeightMap(name: FaceApiModelName, dir = faceApiModelDir()): WeightMap {
  const manifestPath = join(dir, `${name}-weights_manifest.json`)
  if (!existsSync(manifestPath)) throw new Error(`face-api weights manifest missing: ${manifestPath}`)
  let groups: ManifestGroup[]
  try {
    groups = JSON.parse(readFileSync(manifestPath, 'utf8')) as ManifestGroup[]
  } catch (e) {
    throw new Error(`face-api weights manifest ${manifestPath} is not valid JSON: ${(e as Error).message}`)
  }
  if (!Array.isArray(groups) || groups.some((g) => !Array.isArray(g.paths) || !Array.isArray(g.weights))) {
    throw new Error(
      `face-api weights manifest ${manifestPath} is not a tfjs weights manifest (expected [{paths, weights}])`
    )
  }
  const out: WeightMap = {}
  for (const group of groups) {
    const shards = group.paths.map((p) => {
      const file = join(dir, p)
      if (!existsSync(file)) throw new Error(`face-api weights shard missing: ${file} (named in ${manifestPath})`)
      return readFileSync(file)
    })
    const buf = Buffer.concat(shards)
    const expected = group.weights.reduce((n, w) => n + entryBytes(w), 0)
    if (buf.byteLength !== expected) {
      throw new Error(
        `face-api weights ${group.paths.join(', ')}: ${buf.byteLength} bytes, manifest ${manifestPath} needs ${expected}`
      )
    }
    // decodeWeights wants an ArrayBuffer holding exactly the group's bytes.
    const ab = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer
    Object.assign(out, tf.io.decodeWeights(ab, group.weights as tf.io.WeightsManifestEntry[]))
  }
  return out
}

function entryBytes(w: ManifestEntry): number {
  const n = w.shape.reduce((a, b) => a * b, 1)
  const dtype = w.quantization?.dtype ?? w.dtype
  const bytes: Record<string, number> = { float32: 4, int32: 4, uint8: 1, int8: 1, uint16: 2, float16: 2, bool: 1 }
  const b = bytes[dtype]
  if (!b) throw new Error(`face-api weight ${w.name}: unsupported dtype ${dtype}`)
  return n * b
}

/**
 * Hands a net its tensors by manifest name, checking rank, and remembers which were taken so the rest
 * can be disposed. Messages name the model and the entry so a mismatched weights folder is diagnosable.
 */
export class WeightReader {
  private readonly used = new Set<string>()
  constructor(
    private readonly map: WeightMap,
    readonly model: string
  ) {}

  get<R extends tf.Rank>(name: string, rank: number): tf.Tensor<R> {
    const t = this.map[name]
    if (!t) throw new Error(`${this.model}: weight '${name}' missing from the manifest`)
    if (t.rank !== rank) throw new Error(`${this.model}: weight '${name}' has rank ${t.rank}, expected ${rank}`)
    this.used.add(name)
    return t as tf.Tensor<R>
  }

  /** Disposes every tensor the net did not take (face-api does the same); call once after building. */
  disposeUnused(): void {
    for (const [k, t] of Object.entries(this.map)) if (!this.used.has(k)) t.dispose()
  }
}
