/**
 * Fused TensorFlow kernels for the training step on the native engine (tfjs-node), where tfjs-core
 * composes them from many small ops.
 *
 * Why: a profile of one VGG-style training step (48×48×1, batch 64) on tfjs-node spent 62 % of its kernel
 * time outside the convolutions, in full-size elementwise passes: tfjs-core's batch-norm gradient (Tile,
 * Mul, Sum, Sub… per layer, plus the gradient through tf.moments) and its ReLU gradient (dy · step(x),
 * where tfjs-node's Step is IsNan + Greater + Fill + Select). TensorFlow has one kernel for each:
 * FusedBatchNormV3 / FusedBatchNormGradV3 in training mode and ReluGrad, the ones TF's own Keras (and,
 * as oneDNN kernels, PyTorch) use. The same formulas, so the results equal the composed ones within
 * float32 rounding (test/main/compute/native-numerics.test.ts checks them against the cpu backend).
 *
 * Only the 'tensorflow' backend has these kernels: `nativeTrainOps()` is null on every other backend and
 * callers keep tfjs-core's composed ops there. POI_NATIVE_FUSED=0 in the environment turns them off on
 * native too (the ablation row of `bench:speed --vs-torch`, engine 'tfjs-node-unfused').
 */
import { tf } from './tf'

/** The part of tfjs-node's NodeJSKernelBackend used here (its TFE op runner and attribute type codes). */
interface NodeBackend {
  binding: {
    TF_ATTR_FLOAT: number
    TF_ATTR_STRING: number
    TF_ATTR_BOOL: number
    TF_ATTR_TYPE: number
    TF_FLOAT: number
  }
  executeSingleOutput(name: string, attrs: OpAttr[], inputs: tf.Tensor[]): tf.Tensor
  executeMultipleOutputs(name: string, attrs: OpAttr[], inputs: tf.Tensor[], numOutputs: number): tf.Tensor[]
}

interface OpAttr {
  name: string
  type: number
  value: number | string | boolean
}

/** Batch statistics of one training-mode batch norm over every axis but the last: [C] each. */
export interface BatchStats {
  mean: tf.Tensor1D
  /** Bessel-corrected (n / (n − 1)) variance, what PyTorch feeds its running variance. */
  unbiasedVariance: tf.Tensor1D
}

export interface NativeTrainOps {
  /**
   * Training-mode batch norm of x [B, H, W, C] with batch statistics (biased variance, as PyTorch and
   * tf.moments): y = γ·(x − μ)/√(σ² + eps) + β, differentiable in x, γ and β through one fused gradient
   * kernel. `onStats` receives the batch statistics (untracked by any tidy scope: the receiver disposes them).
   */
  batchNormTrain(
    x: tf.Tensor4D,
    gamma: tf.Tensor1D,
    beta: tf.Tensor1D,
    eps: number,
    onStats: (s: BatchStats) => void
  ): tf.Tensor4D
  /** max(x, 0) whose gradient is one ReluGrad kernel (dy where the output is > 0, else 0). */
  relu<T extends tf.Tensor>(x: T): T
}

/** The fused kernels when the active backend is native TensorFlow, else null. */
export function nativeTrainOps(): NativeTrainOps | null {
  if (tf.getBackend() !== 'tensorflow' || process.env.POI_NATIVE_FUSED === '0') return null
  const be = tf.backend() as unknown as NodeBackend
  if (typeof be.executeMultipleOutputs !== 'function' || !be.binding) return null
  return cached ?? (cached = makeOps(be))
}
let cached: NativeTrainOps | null = null

function makeOps(be: NodeBackend): NativeTrainOps {
  const b = be.binding
  const bnAttrs = (eps: number): OpAttr[] => [
    { name: 'T', type: b.TF_ATTR_TYPE, value: b.TF_FLOAT },
    { name: 'U', type: b.TF_ATTR_TYPE, value: b.TF_FLOAT },
    { name: 'epsilon', type: b.TF_ATTR_FLOAT, value: eps },
    { name: 'data_format', type: b.TF_ATTR_STRING, value: 'NHWC' },
    { name: 'is_training', type: b.TF_ATTR_BOOL, value: true }
  ]
  const floatT: OpAttr[] = [{ name: 'T', type: b.TF_ATTR_TYPE, value: b.TF_FLOAT }]

  const reluOp = tf.customGrad((x, save) => {
    const y = tf.relu(x as tf.Tensor)
    ;(save as tf.GradSaveFunc)([y])
    // ReluGrad(gradients, features) masks by features > 0; the output is > 0 exactly where the input is.
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => be.executeSingleOutput('ReluGrad', floatT, [dy, saved[0]])
    }
  })

  return {
    relu: <T extends tf.Tensor>(x: T): T => reluOp(x) as T,
    batchNormTrain(x, gamma, beta, eps, onStats) {
      const attrs = bnAttrs(eps)
      const op = tf.customGrad((xi, g, bt, save) => {
        // Outputs: y, batch mean, batch variance (Bessel-corrected), and the reserve spaces the gradient
        // kernel reads (mean, biased variance, scratch). exponential_avg_factor 1 (the default): the
        // population-statistics inputs are ignored, so empty tensors serve.
        const empty = tf.tensor1d([], 'float32')
        const [y, mean, variance, r1, r2, r3] = be.executeMultipleOutputs(
          'FusedBatchNormV3',
          attrs,
          [xi as tf.Tensor, g as tf.Tensor, bt as tf.Tensor, empty, empty],
          6
        )
        ;(save as tf.GradSaveFunc)([xi as tf.Tensor, g as tf.Tensor, r1, r2, r3])
        onStats({ mean: tf.keep(mean) as tf.Tensor1D, unbiasedVariance: tf.keep(variance) as tf.Tensor1D })
        return {
          value: y,
          gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
            const [dx, dg, db] = be.executeMultipleOutputs('FusedBatchNormGradV3', attrs, [dy, ...saved], 5)
            return [dx, dg, db]
          }
        }
      })
      return op(x, gamma, beta) as tf.Tensor4D
    }
  }
}
