/**
 * Model inputs for a run: pixel batches (ResNet backbones, with augmentation) or cached frozen
 * feature maps (face-api backbones, flip = the mirror image's map). Training and scoring both read
 * through this, so they see the same preprocessing.
 */
import type { DB } from '../store/db'
import type { Rng } from '../util/rng'
import { augmentInto, drawAugment, NO_AUGMENT, standardize, type AugmentOptions } from './augment'
import { isFrozenBackbone, type TrainConfig } from '../run/config'
import { PixelSource } from './dataset'
import { FeatureCache, type FeatureCacheProgress } from './features'

export interface ModelInputs {
  /** One model input: [H, W, C] (pixels, or the feature map). */
  readonly shape: [number, number, number]
  readonly kind: 'pixels' | 'features'
  /** NHWC float32 for `ids`; with `rng`, augmented per `aug` (features: flip only). */
  batch(ids: readonly number[], aug?: AugmentOptions, rng?: Rng): Float32Array
  release(): void
}

export interface OpenInputsOptions {
  db: DB
  /** For the feature cache file next to the project (null: memory only). */
  projectPath: string | null
  /** Every image the run will read (preloaded when it fits in memory). */
  ids: readonly number[]
  signal?: AbortSignal
  progress?: (e: FeatureCacheProgress) => void
}

export async function openInputs(cfg: TrainConfig, o: OpenInputsOptions): Promise<ModelInputs> {
  const pixels = new PixelSource(o.db, cfg.inputSize, cfg.channels)
  if (!isFrozenBackbone(cfg.backbone)) {
    pixels.preload(o.ids)
    const side = cfg.inputSize
    const ch = cfg.channels
    const per = side * side * ch
    return {
      shape: [side, side, ch],
      kind: 'pixels',
      batch(ids, aug = NO_AUGMENT, rng) {
        const out = new Float32Array(ids.length * per)
        ids.forEach((id, j) => {
          augmentInto(pixels.image(id), side, ch, rng ? drawAugment(rng, aug, side, ch) : IDENTITY, out, j * per)
          if (cfg.normalize === 'standardize') standardize(out, j * per, per)
        })
        return out
      },
      release: () => pixels.release()
    }
  }
  const cache = await FeatureCache.build({
    backbone: cfg.backbone,
    pixels,
    ids: o.ids,
    mirror: cfg.augment.flip,
    projectPath: o.projectPath,
    signal: o.signal,
    progress: o.progress
  })
  pixels.release()
  return {
    shape: cache.featureShape,
    kind: 'features',
    batch(ids, aug = NO_AUGMENT, rng) {
      const flips = rng && aug.flip ? ids.map(() => rng.next() < 0.5) : undefined
      return cache.batch(ids, flips)
    },
    release() {}
  }
}

const IDENTITY = { flip: false, dx: 0, dy: 0, brightness: 0, contrast: 1, saturation: 1 }
