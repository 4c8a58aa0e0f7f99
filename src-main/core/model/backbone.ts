/**
 * The shared extractor E (spec §2.1, eq. 1) and the TRN head.
 *
 * E is an interface so a pretrained, frozen face backbone (or identity over cached feature maps) can
 * replace the trainable ResNet trunk: the PIN and TRN only ever see F = E(x) of shape [B, H3, W3, C3].
 * Crop level (RECONSTRUCTED, §7.1): E = stem + layer1..layer3, F = layer3's output.
 */
import { tf } from './tf'
import type { ModelGeometry, PoiModelConfig, ResnetExtractorConfig, VggExtractorConfig } from './config'
import { convBnRelu, dense, gap, maxPool2, maxPool3s2, resStage, type ForwardCtx, type Module4D } from './layers'
import type { ParamRegistry } from './params'

/** x [B, H, W, Ch] → F [B, H3, W3, C3]. */
export interface FeatureExtractor {
  readonly kind: 'resnet' | 'vgg' | 'frozen'
  /** [H3, W3, C3] of F for the configured input. */
  readonly outShape: [number, number, number]
  apply(x: tf.Tensor4D, ctx: ForwardCtx): tf.Tensor4D
}

/**
 * An injected extractor: input batch → feature map, with no trainable variables of this model. For
 * cached features pass `identityFeatures` and feed the cached maps as the model input.
 */
export type FrozenFeatureFn = (x: tf.Tensor4D) => tf.Tensor4D

export const identityFeatures: FrozenFeatureFn = (x) => x

/**
 * Wraps a frozen extractor with the trainable residual adapter of FrozenExtractorConfig.adapter:
 * F' = F + ReLU(BN(conv3×3(F))), same shape as F. The residual form keeps the pretrained map intact at
 * the start, so the heads begin from the same features as without the adapter.
 */
export function withResidualAdapter(
  reg: ParamRegistry,
  base: FeatureExtractor,
  bn: PoiModelConfig['bn']
): FeatureExtractor {
  const c = base.outShape[2]
  const stage = convBnRelu(reg, 'extractor.adapter', { cin: c, cout: c, k: 3, stride: 1 }, bn)
  return {
    kind: base.kind,
    outShape: base.outShape,
    apply(x, ctx) {
      const f = base.apply(x, ctx)
      return tf.add(f, stage.apply(f, ctx))
    }
  }
}

/** computeGeometry predicted this shape (crop size, layer widths); a mismatch is a bug, not bad input. */
function checkFeatureShape(f: tf.Tensor4D, outShape: [number, number, number]): tf.Tensor4D {
  if (f.shape[1] !== outShape[0] || f.shape[2] !== outShape[1] || f.shape[3] !== outShape[2]) {
    throw new Error(`extractor produced [${f.shape.join(', ')}], geometry predicted [B, ${outShape.join(', ')}]`)
  }
  return f
}

/** Stem + layer1..layer3 of a (slim) ResNet, variables under 'extractor.'. */
export function resnetExtractor(
  reg: ParamRegistry,
  ex: ResnetExtractorConfig,
  channels: number,
  bn: PoiModelConfig['bn'],
  outShape: [number, number, number]
): FeatureExtractor {
  const [w1, w2, w3] = ex.widths
  const stem: Module4D =
    ex.stem === 'imagenet'
      ? convBnRelu(reg, 'extractor.stem', { cin: channels, cout: w1, k: 7, stride: 2 }, bn)
      : convBnRelu(reg, 'extractor.stem', { cin: channels, cout: w1, k: 3, stride: ex.stem === 'stride2' ? 2 : 1 }, bn)
  const layer1 = resStage(reg, 'extractor.layer1', { cin: w1, cout: w1, blocks: ex.blocks[0], stride: 1 }, bn)
  const layer2 = resStage(reg, 'extractor.layer2', { cin: w1, cout: w2, blocks: ex.blocks[1], stride: 2 }, bn)
  const layer3 = resStage(reg, 'extractor.layer3', { cin: w2, cout: w3, blocks: ex.blocks[2], stride: 2 }, bn)
  return {
    kind: 'resnet',
    outShape,
    apply(x, ctx) {
      let h = stem.apply(x, ctx)
      if (ex.stem === 'imagenet') h = maxPool3s2(h)
      return checkFeatureShape(layer3.apply(layer2.apply(layer1.apply(h, ctx), ctx), ctx), outShape)
    }
  }
}

/** `convs` × (3×3 conv + BN + ReLU); the first conv takes `stride`. Variables under `${name}.${i}`. */
export function vggStage(
  reg: ParamRegistry,
  name: string,
  o: { cin: number; cout: number; convs: number; stride: number },
  bn: PoiModelConfig['bn']
): Module4D {
  const convs: Module4D[] = []
  for (let i = 0; i < o.convs; i++) {
    convs.push(
      convBnRelu(
        reg,
        `${name}.${i}`,
        { cin: i === 0 ? o.cin : o.cout, cout: o.cout, k: 3, stride: i === 0 ? o.stride : 1 },
        bn
      )
    )
  }
  return { apply: (x, ctx) => convs.reduce((h, c) => c.apply(h, ctx), x) }
}

/**
 * VGG-style E = stage1 → pool → stage2 → pool → stage3 (variables under 'extractor.'): full resolution
 * in stage 1, so a 48-px face keeps a 12×12 map for the PIN's corner crops.
 */
export function vggExtractor(
  reg: ParamRegistry,
  ex: VggExtractorConfig,
  channels: number,
  bn: PoiModelConfig['bn'],
  outShape: [number, number, number]
): FeatureExtractor {
  const [w1, w2, w3] = ex.widths
  const s1 = vggStage(reg, 'extractor.stage1', { cin: channels, cout: w1, convs: ex.convs, stride: 1 }, bn)
  const s2 = vggStage(reg, 'extractor.stage2', { cin: w1, cout: w2, convs: ex.convs, stride: 1 }, bn)
  const s3 = vggStage(reg, 'extractor.stage3', { cin: w2, cout: w3, convs: ex.convs, stride: 1 }, bn)
  return {
    kind: 'vgg',
    outShape,
    apply(x, ctx) {
      return checkFeatureShape(s3.apply(maxPool2(s2.apply(maxPool2(s1.apply(x, ctx)), ctx)), ctx), outShape)
    }
  }
}

/** Wraps an injected function and checks that every batch it returns has the configured shape. */
export function frozenExtractor(
  name: string,
  fn: FrozenFeatureFn,
  outShape: [number, number, number]
): FeatureExtractor {
  return {
    kind: 'frozen',
    outShape,
    apply(x) {
      const f = fn(x)
      const [, h, w, c] = f.shape
      if (f.rank !== 4 || f.shape[0] !== x.shape[0] || h !== outShape[0] || w !== outShape[1] || c !== outShape[2]) {
        throw new Error(
          `frozen extractor '${name}' returned shape [${f.shape.join(', ')}], expected [${x.shape[0]}, ${outShape.join(', ')}]`
        )
      }
      return f
    }
  }
}

/**
 * A stage that maps a feature map (or crop) of width cin to width c4: 'layer4' = BasicBlock stage,
 * 'conv' = one 3×3 conv + BN + ReLU (the light variant).
 */
export function headStage(
  reg: ParamRegistry,
  name: string,
  kind: 'layer4' | 'conv',
  o: { cin: number; cout: number; blocks: number; stride: number },
  bn: PoiModelConfig['bn'],
  family: 'resnet' | 'vgg' = 'resnet'
): Module4D {
  if (kind === 'conv') return convBnRelu(reg, name, { cin: o.cin, cout: o.cout, k: 3, stride: o.stride }, bn)
  // For a VGG extractor 'layer4' is its stage 4 (o.blocks = convs per stage).
  return family === 'vgg'
    ? vggStage(reg, name, { cin: o.cin, cout: o.cout, convs: o.blocks, stride: o.stride }, bn)
    : resStage(reg, name, o, bn)
}

/** Blocks (ResNet) or convs (VGG) per head stage; 2 for frozen maps. */
export function headDepth(cfg: PoiModelConfig): number {
  const ex = cfg.extractor
  return ex.kind === 'resnet' ? ex.blocks[3] : ex.kind === 'vgg' ? ex.convs : 2
}

/** TRN: its own stage on F → GAP → FC(C4 → C). Variables under 'trn.'. */
export interface Trn {
  /** F [B, H3, W3, C3] → logits s [B, C]. */
  apply(f: tf.Tensor4D, ctx: ForwardCtx): tf.Tensor2D
}

export function buildTrn(reg: ParamRegistry, cfg: PoiModelConfig, geo: ModelGeometry): Trn {
  const vgg = cfg.extractor.kind === 'vgg'
  // The spec's TRN stage is layer4 with stride 2 (VGG: a 2×2 max-pool, then stage 4 at stride 1); the
  // light 'conv' stage (for small frozen maps) keeps stride 1.
  const pooled = vgg && cfg.trnStage === 'layer4'
  const stage = headStage(
    reg,
    'trn.stage',
    cfg.trnStage,
    { cin: geo.feature[2], cout: geo.c4, blocks: headDepth(cfg), stride: cfg.trnStage === 'layer4' && !vgg ? 2 : 1 },
    cfg.bn,
    vgg ? 'vgg' : 'resnet'
  )
  const fc = dense(reg, 'trn.fc', { cin: geo.c4, cout: cfg.classes.length })
  return { apply: (f, ctx) => fc.apply(gap(stage.apply(pooled ? maxPool2(f) : f, ctx))) }
}
