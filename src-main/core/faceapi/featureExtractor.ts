import { tf } from './backend'
import {
  checkRgbBatch,
  conv,
  normalizeRgb,
  readConv,
  readSepConv,
  resizeTo,
  sepConv,
  type ConvParams,
  type SepConvParams
} from './layers'
import { loadWeightMap, WeightReader, type FaceApiModelName } from './weights'

/** The input side of face-api's FaceFeatureExtractor: square RGB crops, resized to this. */
export const FEATURE_INPUT_SIZE = 112
const MEAN_RGB = [122.782, 117.001, 104.298] as const

interface DenseBlock {
  conv0: ConvParams | SepConvParams
  conv1: SepConvParams
  conv2: SepConvParams
  conv3: SepConvParams
}

/**
 * The outputs of the four dense blocks for a 112×112 input (each halves the side):
 * dense0 [B,56,56,32], dense1 [B,28,28,64], dense2 [B,14,14,128], dense3 [B,7,7,256].
 */
export interface DenseStages {
  dense0: tf.Tensor4D
  dense1: tf.Tensor4D
  dense2: tf.Tensor4D
  dense3: tf.Tensor4D
}

export type DenseStageName = keyof DenseStages

function denseBlock4(x: tf.Tensor4D, p: DenseBlock, first: boolean): tf.Tensor4D {
  const out1 = tf.relu(first ? conv(x, p.conv0 as ConvParams, [2, 2]) : sepConv(x, p.conv0 as SepConvParams, [2, 2]))
  const out2 = sepConv(out1, p.conv1, [1, 1])
  const in3 = tf.relu(tf.add(out1, out2)) as tf.Tensor4D
  const out3 = sepConv(in3, p.conv2, [1, 1])
  const in4 = tf.relu(tf.add(out1, tf.add(out2, out3))) as tf.Tensor4D
  const out4 = sepConv(in4, p.conv3, [1, 1])
  return tf.relu(tf.add(out1, tf.add(out2, tf.add(out3, out4))))
}

/**
 * face-api's FaceFeatureExtractor (4 dense blocks of depthwise-separable convs) plus its fully connected
 * head: 136 outputs (68 landmarks, x/y in 0..1 of the input crop) for `face_landmark_68_model`, 7 logits
 * for `face_expression_model`. Rebuilt from the weight manifest; checked against face-api 1.7.15 itself
 * in test/main/align/faceapi-parity.test.ts.
 */
export class FaceFeatureNet {
  private readonly blocks: DenseBlock[]
  private readonly fc: { weights: tf.Tensor2D; bias: tf.Tensor1D }

  constructor(readonly model: 'face_landmark_68_model' | 'face_expression_model') {
    const w = new WeightReader(loadWeightMap(model as FaceApiModelName), model)
    this.blocks = [0, 1, 2, 3].map((i) => ({
      conv0: i === 0 ? readConv(w, `dense${i}/conv0`) : readSepConv(w, `dense${i}/conv0`),
      conv1: readSepConv(w, `dense${i}/conv1`),
      conv2: readSepConv(w, `dense${i}/conv2`),
      conv3: readSepConv(w, `dense${i}/conv3`)
    }))
    this.fc = { weights: w.get<tf.Rank.R2>('fc/weights', 2), bias: w.get<tf.Rank.R1>('fc/bias', 1) }
    w.disposeUnused()
  }

  /** Number of head outputs: 136 for landmarks, 7 for expression. */
  get outputs(): number {
    return this.fc.bias.shape[0]
  }

  /**
   * All four stage maps. x: [B, H, W, 3] float in 0..255, square face crops (resized to 112 when not).
   * Returns new tensors owned by the caller.
   */
  stages(x: tf.Tensor4D): DenseStages {
    checkRgbBatch(x, this.model)
    return tf.tidy(() => {
      const input = normalizeRgb(resizeTo(tf.cast(x, 'float32'), FEATURE_INPUT_SIZE), MEAN_RGB)
      const dense0 = denseBlock4(input, this.blocks[0], true)
      const dense1 = denseBlock4(dense0, this.blocks[1], false)
      const dense2 = denseBlock4(dense1, this.blocks[2], false)
      const dense3 = denseBlock4(dense2, this.blocks[3], false)
      return { dense0, dense1, dense2, dense3 }
    })
  }

  /** One stage map only (the others are freed inside the tidy). */
  stage(x: tf.Tensor4D, name: DenseStageName): tf.Tensor4D {
    return tf.tidy(() => this.stages(x)[name])
  }

  /** Head outputs [B, outputs] from the dense3 map [B, 7, 7, 256] (face-api: avgPool 7×7/2 then FC). */
  head(dense3: tf.Tensor4D): tf.Tensor2D {
    return tf.tidy(() => {
      const pooled = tf.avgPool(dense3, [7, 7], [2, 2], 'valid')
      return tf.add(tf.matMul(tf.reshape(pooled, [pooled.shape[0], -1]) as tf.Tensor2D, this.fc.weights), this.fc.bias)
    })
  }

  /** x → head outputs [B, outputs]; for landmarks, values are relative (0..1) to the square input crop. */
  predict(x: tf.Tensor4D): tf.Tensor2D {
    return tf.tidy(() => this.head(this.stage(x, 'dense3')))
  }
}
