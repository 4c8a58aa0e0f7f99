/**
 * A small functional NN toolkit over named tf.Variables (no tf.layers): conv2d, batch norm with running
 * statistics, dense, ResNet BasicBlock and stage, max-pool, global average pooling, stop-gradient.
 * Each factory registers its variables in a ParamRegistry and returns an object with `apply`.
 *
 * Conventions: tensors are NHWC; convolutions use PyTorch's symmetric zero padding (k/2) rather than
 * TF's 'same', so output sizes and alignment match torchvision (and PyTorch weights could be imported).
 */
import { tf } from './tf'
import { heNormal, onesInit, uniformFanIn, zerosInit, type Init, type ParamRegistry } from './params'
import { nativeTrainOps, type BatchStats } from '../compute/native-ops'

/** Per-forward-pass context. */
export interface ForwardCtx {
  /** Train mode: BN normalises with batch statistics and records running-statistic updates. */
  training: boolean
  /**
   * BN running-stat updates produced in train mode (tf.keep'd). The pass's owner applies them after the
   * pass, outside any gradient tape, then disposes the values (see applyBnUpdates).
   */
  bnUpdates: Array<{ variable: tf.Variable; value: tf.Tensor }>
}

export function newCtx(training: boolean): ForwardCtx {
  return { training, bnUpdates: [] }
}

/** Assigns the queued BN updates and disposes their values. */
export function applyBnUpdates(ctx: ForwardCtx): void {
  for (const u of ctx.bnUpdates) {
    u.variable.assign(u.value)
    u.value.dispose()
  }
  ctx.bnUpdates.length = 0
}

/** Disposes queued BN updates without applying them (error paths). */
export function dropBnUpdates(ctx: ForwardCtx): void {
  for (const u of ctx.bnUpdates) u.value.dispose()
  ctx.bnUpdates.length = 0
}

export interface BnOptions {
  /** PyTorch convention: running ← (1 − momentum)·running + momentum·batch. */
  momentum: number
  eps: number
}

export interface Conv2d {
  /** [kh, kw, cin, cout] */
  w: tf.Variable
  /** [cout] or null */
  b: tf.Variable | null
  apply(x: tf.Tensor4D): tf.Tensor4D
}

/** conv2d with He-normal (fan-out, as torchvision ResNet) weights; bias optional (ResNet convs have none). */
export function conv2d(
  reg: ParamRegistry,
  name: string,
  o: { cin: number; cout: number; k: number; stride?: number; pad?: number; bias?: boolean }
): Conv2d {
  const stride = o.stride ?? 1
  const pad = o.pad ?? Math.floor(o.k / 2)
  const w = reg.weight(`${name}.w`, [o.k, o.k, o.cin, o.cout], heNormal(o.k * o.k * o.cout))
  const b = o.bias ? reg.weight(`${name}.b`, [o.cout], zerosInit) : null
  return {
    w,
    b,
    apply(x) {
      const y = conv2dSymmetric(x, w as tf.Tensor4D, stride, pad)
      return b ? tf.add(y, b) : y
    }
  }
}

export interface BatchNorm {
  gamma: tf.Variable
  beta: tf.Variable
  runMean: tf.Variable
  runVar: tf.Variable
  /** x: [..., C]; statistics over every axis but the last. */
  apply<T extends tf.Tensor>(x: T, ctx: ForwardCtx): T
}

/**
 * Batch norm over the last axis. Train mode normalises with the (biased) batch variance and queues the
 * running update with the unbiased variance, as PyTorch does. A frozen BN (gamma not trainable) always
 * uses its running statistics, so a frozen part of the network is fully fixed.
 */
export function batchNorm(reg: ParamRegistry, name: string, channels: number, o: BnOptions): BatchNorm {
  const gamma = reg.weight(`${name}.gamma`, [channels], onesInit)
  const beta = reg.weight(`${name}.beta`, [channels], zerosInit)
  const runMean = reg.state(`${name}.mean`, [channels], zerosInit)
  const runVar = reg.state(`${name}.var`, [channels], onesInit)
  return {
    gamma,
    beta,
    runMean,
    runVar,
    apply<T extends tf.Tensor>(x: T, ctx: ForwardCtx): T {
      if (!ctx.training || !gamma.trainable) {
        return tf.batchNorm(x, runMean, runVar, beta, gamma, o.eps) as unknown as T
      }
      const n = x.size / channels
      const m = o.momentum
      // Native TensorFlow: one fused kernel forward and one backward (compute/native-ops.ts) instead of
      // tf.moments + tfjs-core's composed gradient; the same statistics and update.
      const nat = x.rank === 4 && n > 1 ? nativeTrainOps() : null
      if (nat) {
        let stats: BatchStats | null = null
        const y = nat.batchNormTrain(
          x as unknown as tf.Tensor4D,
          gamma as tf.Tensor1D,
          beta as tf.Tensor1D,
          o.eps,
          (s) => (stats = s)
        )
        const s = stats as unknown as BatchStats
        ctx.bnUpdates.push({
          variable: runMean,
          value: tf.keep(tf.tidy(() => tf.add(tf.mul(runMean, 1 - m), tf.mul(s.mean, m))))
        })
        ctx.bnUpdates.push({
          variable: runVar,
          value: tf.keep(tf.tidy(() => tf.add(tf.mul(runVar, 1 - m), tf.mul(s.unbiasedVariance, m))))
        })
        tf.dispose([s.mean, s.unbiasedVariance])
        return y as unknown as T
      }
      const axes = x.shape.slice(0, -1).map((_, i) => i)
      const { mean, variance } = tf.moments(x, axes)
      const unbiased = n > 1 ? tf.mul(variance, n / (n - 1)) : variance
      ctx.bnUpdates.push({ variable: runMean, value: tf.keep(tf.add(tf.mul(runMean, 1 - m), tf.mul(mean, m))) })
      ctx.bnUpdates.push({ variable: runVar, value: tf.keep(tf.add(tf.mul(runVar, 1 - m), tf.mul(unbiased, m))) })
      return tf.batchNorm(x, mean, variance, beta, gamma, o.eps) as unknown as T
    }
  }
}

export interface Dense {
  /** [cin, cout] */
  w: tf.Variable
  /** [cout] */
  b: tf.Variable
  apply(x: tf.Tensor2D): tf.Tensor2D
}

/**
 * Fully connected layer. Default init: PyTorch's nn.Linear (uniform ±1/√cin) for weight and bias;
 * pass `init: 'he'` for layers followed by ReLU (He-normal fan-in, zero bias) or 'zeros'.
 */
export function dense(
  reg: ParamRegistry,
  name: string,
  o: { cin: number; cout: number; init?: 'torch' | 'he' | 'zeros' }
): Dense {
  const kind = o.init ?? 'torch'
  const wInit: Init = kind === 'he' ? heNormal(o.cin) : kind === 'zeros' ? zerosInit : uniformFanIn(o.cin)
  const bInit: Init = kind === 'torch' ? uniformFanIn(o.cin) : zerosInit
  const w = reg.weight(`${name}.w`, [o.cin, o.cout], wInit)
  const b = reg.weight(`${name}.b`, [o.cout], bInit)
  return { w, b, apply: (x) => tf.add(tf.matMul(x, w as tf.Tensor2D), b) }
}

export interface Module4D {
  apply(x: tf.Tensor4D, ctx: ForwardCtx): tf.Tensor4D
}

/**
 * ReLU; in train mode on native TensorFlow its gradient is one ReluGrad kernel (compute/native-ops.ts)
 * instead of tfjs-core's dy · step(x), which tfjs-node runs as five full-size ops.
 */
export function relu<T extends tf.Tensor>(x: T, ctx: ForwardCtx): T {
  const nat = ctx.training ? nativeTrainOps() : null
  return nat ? nat.relu(x) : tf.relu(x)
}

/** conv → BN → ReLU. */
export function convBnRelu(
  reg: ParamRegistry,
  name: string,
  o: { cin: number; cout: number; k: number; stride: number },
  bn: BnOptions
): Module4D {
  const conv = conv2d(reg, `${name}.conv`, o)
  const norm = batchNorm(reg, `${name}.bn`, o.cout, bn)
  return { apply: (x, ctx) => relu(norm.apply(conv.apply(x), ctx), ctx) }
}

/** ResNet BasicBlock: two 3×3 conv+BN, identity or 1×1-conv+BN shortcut, ReLU after the sum. */
export function basicBlock(
  reg: ParamRegistry,
  name: string,
  cin: number,
  cout: number,
  stride: number,
  bn: BnOptions
): Module4D {
  const c1 = conv2d(reg, `${name}.conv1`, { cin, cout, k: 3, stride })
  const b1 = batchNorm(reg, `${name}.bn1`, cout, bn)
  const c2 = conv2d(reg, `${name}.conv2`, { cin: cout, cout, k: 3 })
  const b2 = batchNorm(reg, `${name}.bn2`, cout, bn)
  const down =
    stride !== 1 || cin !== cout
      ? {
          conv: conv2d(reg, `${name}.down.conv`, { cin, cout, k: 1, stride, pad: 0 }),
          bn: batchNorm(reg, `${name}.down.bn`, cout, bn)
        }
      : null
  return {
    apply(x, ctx) {
      const h = relu(b1.apply(c1.apply(x), ctx), ctx)
      const out = b2.apply(c2.apply(h), ctx)
      const sc = down ? down.bn.apply(down.conv.apply(x), ctx) : x
      return relu(tf.add(out, sc), ctx)
    }
  }
}

/** A ResNet stage (torchvision `_make_layer`): `blocks` BasicBlocks, the first with `stride`. */
export function resStage(
  reg: ParamRegistry,
  name: string,
  o: { cin: number; cout: number; blocks: number; stride: number },
  bn: BnOptions
): Module4D {
  const blocks: Module4D[] = []
  for (let i = 0; i < o.blocks; i++) {
    blocks.push(basicBlock(reg, `${name}.${i}`, i === 0 ? o.cin : o.cout, o.cout, i === 0 ? o.stride : 1, bn))
  }
  return { apply: (x, ctx) => blocks.reduce((h, b) => b.apply(h, ctx), x) }
}

/**
 * Whether the active backend takes numeric (explicit symmetric) padding in conv2d / maxPool. Native
 * TensorFlow ('tensorflow', tfjs-node) accepts only 'same' and 'valid'; cpu and wasm take a number.
 */
function numericPadOk(): boolean {
  return tf.getBackend() !== 'tensorflow'
}

/**
 * conv2d with PyTorch's symmetric zero padding `pad` on both spatial sides. Where the backend takes
 * only 'same' / 'valid' (native TensorFlow): stride 1 with pad = ⌊k/2⌋ and odd k is exactly 'same';
 * anything else is an explicit tf.pad + 'valid' (TF's 'same' at stride 2 pads after, not before, which
 * would shift the sampling grid by one pixel against torchvision).
 */
export function conv2dSymmetric(x: tf.Tensor4D, w: tf.Tensor4D, stride: number, pad: number): tf.Tensor4D {
  if (pad === 0) return tf.conv2d(x, w, stride, 'valid')
  if (numericPadOk()) return tf.conv2d(x, w, stride, pad)
  const [kh, kw] = w.shape
  if (stride === 1 && kh === kw && kh % 2 === 1 && pad === (kh - 1) / 2) return tf.conv2d(x, w, 1, 'same')
  return tf.conv2d(
    tf.pad(x, [
      [0, 0],
      [pad, pad],
      [pad, pad],
      [0, 0]
    ]),
    w,
    stride,
    'valid'
  )
}

/**
 * 3×3 stride-2 max-pool with padding 1 (torchvision stem); padded cells never win. On native TensorFlow
 * the border is an explicit pad with the lowest float32, so a padded cell never wins there either.
 */
export function maxPool3s2(x: tf.Tensor4D): tf.Tensor4D {
  if (numericPadOk()) return tf.maxPool(x, 3, 2, 1)
  return tf.maxPool(
    tf.pad(
      x,
      [
        [0, 0],
        [1, 1],
        [1, 1],
        [0, 0]
      ],
      -3.4e38
    ),
    3,
    2,
    'valid'
  )
}

/** 2×2 stride-2 max-pool without padding (VGG stages); odd sides drop the last row/column as PyTorch does. */
export function maxPool2(x: tf.Tensor4D): tf.Tensor4D {
  return tf.maxPool(x, 2, 2, 'valid')
}

/** Global average pooling: [B, H, W, C] → [B, C]. */
export function gap(x: tf.Tensor4D): tf.Tensor2D {
  return tf.mean(x, [1, 2]) as tf.Tensor2D
}

/**
 * Identity forward, zero gradient (tfjs has no stop_gradient op). Upstream nodes still receive the
 * zeros, which costs one add per node that also has a real gradient path, and nothing more.
 */
const stopGradientOp = tf.customGrad((x) => ({
  value: tf.clone(x as tf.Tensor),
  gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy)
}))
export function stopGradient<T extends tf.Tensor>(x: T): T {
  return stopGradientOp(x) as T
}
