/**
 * The Prior Inference Network (spec §2.2–2.5): corner crops of F, the eye (P1) and mouth (P2) branches
 * with their AU nets, and the OIM gate.
 *
 * Region order everywhere: [UL, UR, LL, LR] in image coordinates; UR and LR are mirrored along W before
 * they enter their branch, so both regions of a branch look alike to the shared weights.
 */
import { tf } from './tf'
import { EYE_AUS, MOUTH_AUS } from '../classes'
import type { ModelGeometry, PoiModelConfig } from './config'
import { headDepth, headStage } from './backbone'
import { batchNorm, dense, gap, type ForwardCtx } from './layers'
import { heNormal, uniformFanIn, zerosInit, type ParamRegistry } from './params'

/** The four k×k corner crops of F, each [B, k, k, C3]; `ur` and `lr` are already mirrored along W. */
export interface CornerCrops {
  ul: tf.Tensor4D
  ur: tf.Tensor4D
  ll: tf.Tensor4D
  lr: tf.Tensor4D
}

/** Mirror along the width axis (flip_W of spec eq. 2; torch.flip(t, dims=[3]) in NCHW). */
export function mirrorW(x: tf.Tensor4D): tf.Tensor4D {
  return tf.reverse(x, 2)
}

/** Eq. (2): x1 = F[0:k, 0:k], x2 = flip_W(F[0:k, W−k:W]), x3 = F[H−k:H, 0:k], x4 = flip_W(F[H−k:H, W−k:W]). */
export function cornerCrops(f: tf.Tensor4D, k: number): CornerCrops {
  const [b, h, w, c] = f.shape
  if (k < 1 || k > h || k > w) throw new Error(`crop size k=${k} does not fit a ${h}×${w} feature map`)
  const size: [number, number, number, number] = [b, k, k, c]
  return {
    ul: tf.slice(f, [0, 0, 0, 0], size),
    ur: mirrorW(tf.slice(f, [0, 0, w - k, 0], size)),
    ll: tf.slice(f, [0, h - k, 0, 0], size),
    lr: mirrorW(tf.slice(f, [0, h - k, w - k, 0], size))
  }
}

/** [2B, ...rest] with the first B rows from region a and the next B from region b → [B, 2, ...rest]. */
export function splitPairs(x: tf.Tensor): tf.Tensor3D {
  const [twoB, ...rest] = x.shape
  const perm = [1, 0, ...rest.map((_, i) => i + 2)]
  return tf.transpose(tf.reshape(x, [2, twoB / 2, ...rest]), perm) as unknown as tf.Tensor3D
}

/** One branch's outputs over its 2B crops (first B: left region, next B: mirrored right region). */
export interface BranchOut {
  /** AU occurrence logits, ρ = sigmoid(auLogit): [2B, M]. */
  auLogit: tf.Tensor2D
  /** Importance w per AU: [2B, M] (vector mode: mean of the vector weight). */
  importance: tf.Tensor2D
  /** H = concat_m h_m: [2B, M·d']. */
  h: tf.Tensor2D
  /** Emotion logits z = FC_b(H): [2B, C]. */
  z: tf.Tensor2D
}

/**
 * A prior branch: stage → GAP → f, then one AU net per AU (eq. 3), then the branch's emotion FC.
 * The M per-AU FCs are held as stacked tensors ([C4, M, a] etc.) so each step is one (batched) matmul;
 * this is the same function as M separate FCs, with per-AU fan-in initialisation.
 */
function buildBranch(reg: ParamRegistry, name: string, nAu: number, cfg: PoiModelConfig, geo: ModelGeometry) {
  const { auHidden: ha, auReduced: hr, importance } = cfg.pin
  const c4 = geo.c4
  const stage = headStage(
    reg,
    `${name}.stage`,
    cfg.pin.branch,
    { cin: geo.feature[2], cout: c4, blocks: headDepth(cfg), stride: cfg.pin.branchStride },
    cfg.bn,
    cfg.extractor.kind === 'vgg' ? 'vgg' : 'resnet'
  )
  const w1 = reg.weight(`${name}.au.fc1.w`, [c4, nAu, ha], heNormal(c4))
  const b1 = reg.weight(`${name}.au.fc1.b`, [nAu, ha], zerosInit)
  const w2Shape = importance === 'scalar' ? [nAu, ha] : [nAu, ha, ha]
  const w2 = reg.weight(`${name}.au.fc2.w`, w2Shape, uniformFanIn(ha))
  const b2 = reg.weight(`${name}.au.fc2.b`, importance === 'scalar' ? [nAu] : [nAu, ha], uniformFanIn(ha))
  const w3 = reg.weight(`${name}.au.fc3.w`, [nAu, ha, hr], heNormal(ha))
  const b3 = reg.weight(`${name}.au.fc3.b`, [nAu, hr], zerosInit)
  const w4 = reg.weight(`${name}.au.fc4.w`, [nAu, hr], uniformFanIn(hr))
  const b4 = reg.weight(`${name}.au.fc4.b`, [nAu], uniformFanIn(hr))
  const emo = dense(reg, `${name}.emo`, { cin: nAu * hr, cout: cfg.classes.length })

  return {
    apply(crops: tf.Tensor4D, ctx: ForwardCtx): BranchOut {
      const n = crops.shape[0]
      const f = gap(stage.apply(crops, ctx)) // [2B, C4]
      // a_m = ReLU(FC_m1 f): [2B, M, a]
      const a = tf.relu(
        tf.add(tf.reshape(tf.matMul(f, tf.reshape(w1, [c4, nAu * ha]) as tf.Tensor2D), [n, nAu, ha]), b1)
      ) as tf.Tensor3D
      let aw: tf.Tensor3D
      let imp: tf.Tensor2D
      if (importance === 'scalar') {
        // w_m = sigmoid(FC_m2 a_m) ∈ (0,1): [2B, M]
        imp = tf.sigmoid(tf.add(tf.sum(tf.mul(a, w2), 2), b2)) as tf.Tensor2D
        aw = tf.mul(a, tf.expandDims(imp, 2)) as tf.Tensor3D
      } else {
        const aT = tf.transpose(a, [1, 0, 2]) // [M, 2B, a]
        const wv = tf.sigmoid(tf.add(tf.transpose(tf.matMul(aT, w2 as tf.Tensor3D), [1, 0, 2]), b2)) as tf.Tensor3D
        imp = tf.mean(wv, 2) as tf.Tensor2D
        aw = tf.mul(a, wv) as tf.Tensor3D
      }
      // h_m = ReLU(FC_m3 ã_m): [2B, M, d']
      const h = tf.relu(
        tf.add(tf.transpose(tf.matMul(tf.transpose(aw, [1, 0, 2]), w3 as tf.Tensor3D), [1, 0, 2]), b3)
      ) as tf.Tensor3D
      // ρ_m logit = FC_m4 h_m: [2B, M]
      const auLogit = tf.add(tf.sum(tf.mul(h, w4), 2), b4) as tf.Tensor2D
      const hCat = tf.reshape(h, [n, nAu * hr]) as tf.Tensor2D
      return { auLogit, importance: imp, h: hCat, z: emo.apply(hCat) }
    }
  }
}

/** PIN outputs before tempering / mixing (B = batch). */
export interface PinRaw {
  /** z_ij: [B, 4, C] in region order [UL, UR, LL, LR]. */
  regionLogits: tf.Tensor3D
  /** g_i: [B, 4] (uniform 1/4 under ablation.noGate). */
  gate: tf.Tensor2D
  /** AU logits: eye [B, 2, 6] (UL, UR), mouth [B, 2, 7] (LL, LR). */
  auLogits: { eye: tf.Tensor3D; mouth: tf.Tensor3D }
  /** AU importance weights w, shaped as auLogits. */
  auImportance: { eye: tf.Tensor3D; mouth: tf.Tensor3D }
}

export interface Pin {
  /** F [B, H3, W3, C3] → PIN outputs. */
  apply(f: tf.Tensor4D, ctx: ForwardCtx): PinRaw
}

/** PIN variables live under 'pin.eye.', 'pin.mouth.' and 'pin.gate.'. */
export function buildPin(reg: ParamRegistry, cfg: PoiModelConfig, geo: ModelGeometry): Pin {
  const eye = buildBranch(reg, 'pin.eye', EYE_AUS.length, cfg, geo)
  const mouth = buildBranch(reg, 'pin.mouth', MOUTH_AUS.length, cfg, geo)
  const gateIn = 2 * (EYE_AUS.length + MOUTH_AUS.length) * cfg.pin.auReduced
  let gate: ((hAll: tf.Tensor2D, ctx: ForwardCtx) => tf.Tensor2D) | null = null
  if (!cfg.ablation.noGate) {
    if (cfg.pin.gate === 'fc-zero') {
      // Zero weights and bias: softmax(0) = uniform at the start (spec §2.5 recommendation).
      const fc = dense(reg, 'pin.gate.fc', { cin: gateIn, cout: 4, init: 'zeros' })
      gate = (hAll) => tf.softmax(fc.apply(hAll))
    } else {
      // ONE's control branch: FC + BN + ReLU, then softmax.
      const fc = dense(reg, 'pin.gate.fc', { cin: gateIn, cout: 4 })
      const bn = batchNorm(reg, 'pin.gate.bn', 4, cfg.bn)
      gate = (hAll, ctx) => tf.softmax(tf.relu(bn.apply(fc.apply(hAll), ctx)))
    }
  }
  const k = geo.cropK
  return {
    apply(f, ctx) {
      const b = f.shape[0]
      const crops = cornerCrops(f, k)
      const e = eye.apply(tf.concat([crops.ul, crops.ur], 0), ctx)
      const m = mouth.apply(tf.concat([crops.ll, crops.lr], 0), ctx)
      const regionLogits = tf.concat([splitPairs(e.z), splitPairs(m.z)], 1)
      const hAll = tf.concat(
        [tf.reshape(splitPairs(e.h), [b, -1]), tf.reshape(splitPairs(m.h), [b, -1])],
        1
      ) as tf.Tensor2D
      const g = gate ? gate(hAll, ctx) : (tf.fill([b, 4], 0.25) as tf.Tensor2D)
      return {
        regionLogits,
        gate: g,
        auLogits: { eye: splitPairs(e.auLogit), mouth: splitPairs(m.auLogit) },
        auImportance: { eye: splitPairs(e.importance), mouth: splitPairs(m.importance) }
      }
    }
  }
}
