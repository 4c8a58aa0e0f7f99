import { tf } from './backend'
import { checkRgbBatch, normalizeRgb, resizeTo } from './layers'
import { loadWeightMap, WeightReader } from './weights'

/** Input side of face-api's recogniser (dlib's ResNet-34 port): square RGB face crops. */
export const RECOGNITION_INPUT_SIZE = 150
const MEAN_RGB = [122.782, 117.001, 104.298] as const

interface ConvScale {
  filters: tf.Tensor4D
  bias: tf.Tensor1D
  scale: tf.Tensor1D
  shift: tf.Tensor1D
}
interface Residual {
  conv1: ConvScale
  conv2: ConvScale
}

/**
 * Stage outputs for a 150×150 input: stem [B,35,35,32] (after max-pool), conv32 [B,35,35,32],
 * conv64 [B,17,17,64], conv128 [B,8,8,128], conv256 [B,4,4,256], conv256Out [B,2,2,256].
 */
export interface RecognitionStages {
  conv32: tf.Tensor4D
  conv64: tf.Tensor4D
  conv128: tf.Tensor4D
  conv256: tf.Tensor4D
  conv256Out: tf.Tensor4D
}
export type RecognitionStageName = keyof RecognitionStages

function convLayer(
  x: tf.Tensor4D,
  p: ConvScale,
  stride: number,
  relu: boolean,
  pad: 'same' | 'valid' = 'same'
): tf.Tensor4D {
  const out = tf.add(tf.mul(tf.add(tf.conv2d(x, p.filters, stride, pad), p.bias), p.scale), p.shift) as tf.Tensor4D
  return relu ? tf.relu(out) : out
}

function residual(x: tf.Tensor4D, p: Residual): tf.Tensor4D {
  return tf.relu(tf.add(convLayer(convLayer(x, p.conv1, 1, true), p.conv2, 1, false), x))
}

/** face-api's residualDown: a valid stride-2 branch, zero-padded to the 2×2-avg-pooled shortcut's shape. */
function residualDown(x: tf.Tensor4D, p: Residual): tf.Tensor4D {
  let out = convLayer(convLayer(x, p.conv1, 2, true, 'valid'), p.conv2, 1, false)
  let pooled = tf.avgPool(x, 2, 2, 'valid') as tf.Tensor4D
  if (pooled.shape[1] !== out.shape[1] || pooled.shape[2] !== out.shape[2]) {
    out = tf.concat([out, tf.zeros([out.shape[0], 1, out.shape[2], out.shape[3]])], 1)
    out = tf.concat([out, tf.zeros([out.shape[0], out.shape[1], 1, out.shape[3]])], 2)
  }
  if (pooled.shape[3] !== out.shape[3]) pooled = tf.concat([pooled, tf.zeros(pooled.shape)], 3)
  return tf.relu(tf.add(pooled, out))
}

/**
 * face-api's FaceRecognitionNet (ResNet-34 variant, 128-d descriptor), rebuilt from its manifest.
 * Trained for identity, not expression: its maps are a "clean" backbone for FER2013 benchmarks.
 */
export class FaceRecognitionNet {
  readonly model = 'face_recognition_model'
  private readonly p: Record<string, ConvScale | Residual>
  private readonly fc: tf.Tensor2D

  constructor() {
    const w = new WeightReader(loadWeightMap('face_recognition_model'), this.model)
    const cs = (prefix: string): ConvScale => ({
      filters: w.get<tf.Rank.R4>(`${prefix}/conv/filters`, 4),
      bias: w.get<tf.Rank.R1>(`${prefix}/conv/bias`, 1),
      scale: w.get<tf.Rank.R1>(`${prefix}/scale/weights`, 1),
      shift: w.get<tf.Rank.R1>(`${prefix}/scale/biases`, 1)
    })
    const res = (prefix: string): Residual => ({ conv1: cs(`${prefix}/conv1`), conv2: cs(`${prefix}/conv2`) })
    this.p = { conv32_down: cs('conv32_down') }
    for (const n of [
      'conv32_1',
      'conv32_2',
      'conv32_3',
      'conv64_down',
      'conv64_1',
      'conv64_2',
      'conv64_3',
      'conv128_down',
      'conv128_1',
      'conv128_2',
      'conv256_down',
      'conv256_1',
      'conv256_2',
      'conv256_down_out'
    ]) {
      this.p[n] = res(n)
    }
    this.fc = w.get<tf.Rank.R2>('fc', 2)
    w.disposeUnused()
  }

  /** All stage maps for x: [B, H, W, 3] 0..255 square face crops (resized to 150 when not). */
  stages(x: tf.Tensor4D): RecognitionStages {
    checkRgbBatch(x, this.model)
    return tf.tidy(() => {
      const r = (t: tf.Tensor4D, n: string) => residual(t, this.p[n] as Residual)
      const d = (t: tf.Tensor4D, n: string) => residualDown(t, this.p[n] as Residual)
      let out = normalizeRgb(resizeTo(tf.cast(x, 'float32'), RECOGNITION_INPUT_SIZE), MEAN_RGB)
      out = convLayer(out, this.p.conv32_down as ConvScale, 2, true, 'valid')
      out = tf.maxPool(out, 3, 2, 'valid')
      const conv32 = r(r(r(out, 'conv32_1'), 'conv32_2'), 'conv32_3')
      const conv64 = r(r(r(d(conv32, 'conv64_down'), 'conv64_1'), 'conv64_2'), 'conv64_3')
      const conv128 = r(r(d(conv64, 'conv128_down'), 'conv128_1'), 'conv128_2')
      const conv256 = r(r(d(conv128, 'conv256_down'), 'conv256_1'), 'conv256_2')
      const conv256Out = d(conv256, 'conv256_down_out')
      return { conv32, conv64, conv128, conv256, conv256Out }
    })
  }

  stage(x: tf.Tensor4D, name: RecognitionStageName): tf.Tensor4D {
    return tf.tidy(() => this.stages(x)[name])
  }

  /** 128-d face descriptors [B, 128] (global average of conv256Out, then the linear layer). */
  descriptor(x: tf.Tensor4D): tf.Tensor2D {
    return tf.tidy(() => tf.matMul(tf.mean(this.stage(x, 'conv256Out'), [1, 2]) as tf.Tensor2D, this.fc))
  }
}
