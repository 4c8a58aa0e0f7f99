import { tf } from './backend'
import { FEATURE_INPUT_SIZE, type DenseStageName } from './featureExtractor'
import { expressionNet, landmarkNet, recognitionNet } from './nets'
import { RECOGNITION_INPUT_SIZE, type RecognitionStageName } from './recognition'

/** The frozen face-api feature maps offered to the model helper as backbones. */
export type FrozenExtractorName =
  | 'landmark68.dense2'
  | 'landmark68.dense3'
  | 'expression.dense2'
  | 'expression.dense3'
  | 'recognition.conv64'
  | 'recognition.conv128'
  | 'recognition.conv256'

/**
 * A pretrained, frozen feature extractor. extract() takes x: [B, H, W, 3] RGB float in 0..255 (aligned
 * square face crops; resized to inputSize when H, W differ) and returns a new [B, ...outputShape] map
 * that the caller disposes. No variables: nothing here trains.
 */
export interface FrozenExtractor {
  readonly name: FrozenExtractorName
  /** face-api model file the weights come from. */
  readonly model: string
  /** Side of the square input the net was trained at (pixels). */
  readonly inputSize: number
  /** Input channels (RGB). Grayscale images must be tiled to 3 channels. */
  readonly channels: 3
  /** [height, width, channels] of the output map at inputSize. */
  readonly outputShape: readonly [number, number, number]
  /** What the weights were trained for. */
  readonly trainedFor: 'landmarks' | 'expression' | 'identity'
  /**
   * True for the face_expression model: it saw expression labels (its training data is not documented
   * to exclude FER2013), so FER2013 benchmarks must refuse it.
   */
  readonly trainedOnExpression: boolean
  extract(x: tf.Tensor4D): tf.Tensor4D
}

interface Spec {
  model: string
  inputSize: number
  outputShape: [number, number, number]
  trainedFor: FrozenExtractor['trainedFor']
}

const SPECS: Record<FrozenExtractorName, Spec> = {
  'landmark68.dense2': {
    model: 'face_landmark_68_model',
    inputSize: FEATURE_INPUT_SIZE,
    outputShape: [14, 14, 128],
    trainedFor: 'landmarks'
  },
  'landmark68.dense3': {
    model: 'face_landmark_68_model',
    inputSize: FEATURE_INPUT_SIZE,
    outputShape: [7, 7, 256],
    trainedFor: 'landmarks'
  },
  'expression.dense2': {
    model: 'face_expression_model',
    inputSize: FEATURE_INPUT_SIZE,
    outputShape: [14, 14, 128],
    trainedFor: 'expression'
  },
  'expression.dense3': {
    model: 'face_expression_model',
    inputSize: FEATURE_INPUT_SIZE,
    outputShape: [7, 7, 256],
    trainedFor: 'expression'
  },
  'recognition.conv64': {
    model: 'face_recognition_model',
    inputSize: RECOGNITION_INPUT_SIZE,
    outputShape: [17, 17, 64],
    trainedFor: 'identity'
  },
  'recognition.conv128': {
    model: 'face_recognition_model',
    inputSize: RECOGNITION_INPUT_SIZE,
    outputShape: [8, 8, 128],
    trainedFor: 'identity'
  },
  'recognition.conv256': {
    model: 'face_recognition_model',
    inputSize: RECOGNITION_INPUT_SIZE,
    outputShape: [4, 4, 256],
    trainedFor: 'identity'
  }
}

/** Every name frozenExtractor() accepts. */
export const FROZEN_EXTRACTORS = Object.keys(SPECS) as FrozenExtractorName[]

/** Builds (once per process) and returns a frozen extractor; the backend is initialised if needed. */
export async function frozenExtractor(name: FrozenExtractorName): Promise<FrozenExtractor> {
  const spec = SPECS[name]
  if (!spec) throw new Error(`unknown frozen extractor '${name}'; known: ${FROZEN_EXTRACTORS.join(', ')}`)
  const stage = name.split('.')[1]
  let extract: (x: tf.Tensor4D) => tf.Tensor4D
  if (spec.trainedFor === 'identity') {
    const net = await recognitionNet()
    extract = (x) => net.stage(x, stage as RecognitionStageName)
  } else {
    const net = spec.trainedFor === 'expression' ? await expressionNet() : await landmarkNet()
    extract = (x) => net.stage(x, stage as DenseStageName)
  }
  return {
    name,
    model: spec.model,
    inputSize: spec.inputSize,
    channels: 3,
    outputShape: spec.outputShape,
    trainedFor: spec.trainedFor,
    trainedOnExpression: spec.trainedFor === 'expression',
    extract
  }
}
