/**
 * From a training config to the POI model configuration (core/model/config), and the model input
 * each backbone expects: pixels [S, S, Ch] for the ResNets, cached feature maps for frozen backbones.
 */
import type { ClassName } from '../classes'
import { resolveConfig, type PoiModelConfig, type PoiModelConfigInput } from '../model/config'
import { FROZEN_BACKBONES, isFrozenBackbone, type TrainConfig } from './config'

/** Head width C4 of the frozen backbones' TRN and PIN stages (a 1×1-free light head; compute.md §4). */
export const FROZEN_HEAD_WIDTH = 128

/** PIN sizes for the CPU-sized networks (the spec's 512/64 AU nets would dominate their cost). */
const SMALL_PIN = { branch: 'conv', auHidden: 64, auReduced: 16 } as const

export function modelConfigFor(cfg: TrainConfig, classes: readonly ClassName[]): PoiModelConfig {
  const { extractor: exOverride, ...m } = cfg.model
  const adapter = exOverride?.adapter
  const base: PoiModelConfigInput = {
    ...m,
    classes: [...classes],
    mode: cfg.mode === 'ce' ? 'baseline' : 'poi',
    seed: cfg.seed,
    optimizer: { momentum: cfg.momentum, weightDecay: cfg.weightDecay, weightDecayMode: 'l2' },
    input: { height: cfg.inputSize, width: cfg.inputSize, channels: cfg.channels }
  }
  if (isFrozenBackbone(cfg.backbone)) {
    const fs = [...FROZEN_BACKBONES[cfg.backbone].featureShape] as [number, number, number]
    return resolveConfig({
      ...base,
      input: { height: fs[0], width: fs[1], channels: fs[2] },
      pin: { ...SMALL_PIN, ...(m.pin ?? {}) },
      extractor: {
        kind: 'frozen',
        name: FROZEN_BACKBONES[cfg.backbone].extractor,
        featureShape: fs,
        headWidth: FROZEN_HEAD_WIDTH,
        ...(adapter ? { adapter } : {})
      }
    })
  }
  if (adapter && adapter !== 'none') {
    throw new Error(`model.extractor.adapter '${adapter}' applies only to frozen backbones, not to '${cfg.backbone}'`)
  }
  if (cfg.backbone === 'vgg') {
    return resolveConfig({
      ...base,
      // blocks[0], when set, is the convs per stage.
      extractor: {
        kind: 'vgg',
        ...(cfg.widths ? { widths: cfg.widths } : {}),
        ...(cfg.blocks ? { convs: cfg.blocks[0] } : {})
      },
      pin: { ...SMALL_PIN, ...(m.pin ?? {}) }
    })
  }
  const arch = cfg.backbone === 'resnet18' ? 'resnet18' : 'slim'
  return resolveConfig({
    ...base,
    extractor: {
      kind: 'resnet',
      arch,
      stem: cfg.stem,
      ...(cfg.widths ? { widths: cfg.widths } : {}),
      ...(cfg.blocks ? { blocks: cfg.blocks } : {})
    },
    // The light 3×3-conv branch and narrow AU nets keep the small CPU models small; resnet18 keeps the spec's sizes.
    pin: { ...(arch === 'slim' ? SMALL_PIN : {}), ...(m.pin ?? {}) }
  })
}
