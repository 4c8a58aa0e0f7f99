import { ensureTfBackend } from './backend'
import { SsdMobilenetV1Net, TinyFaceDetectorNet, type DetectorName, type FaceDetector } from './detectors'
import { FaceFeatureNet } from './featureExtractor'
import { FaceRecognitionNet } from './recognition'

/**
 * Process-wide, lazily built nets. Weights are read from disk once and kept (a few MB of tensors); they
 * count in tf.memory(), so leak checks take their baseline after the first call.
 */
const cache = new Map<string, unknown>()

async function once<T>(key: string, make: () => T): Promise<T> {
  await ensureTfBackend()
  let v = cache.get(key) as T | undefined
  if (!v) {
    v = make()
    cache.set(key, v)
  }
  return v
}

/** The 68-point landmark net (FaceFeatureExtractor + FC 136). */
export function landmarkNet(): Promise<FaceFeatureNet> {
  return once('landmark68', () => new FaceFeatureNet('face_landmark_68_model'))
}

/** The expression net (same extractor architecture, trained on expression data). */
export function expressionNet(): Promise<FaceFeatureNet> {
  return once('expression', () => new FaceFeatureNet('face_expression_model'))
}

/** The ResNet-34 face recogniser. */
export function recognitionNet(): Promise<FaceRecognitionNet> {
  return once('recognition', () => new FaceRecognitionNet())
}

/** A face detector; inputSize applies to the tiny detector only (SSD is fixed at 512). */
export function detectorNet(name: DetectorName, inputSize = 416): Promise<FaceDetector> {
  if (name === 'ssd_mobilenetv1') return once('ssd', () => new SsdMobilenetV1Net())
  return once(`tiny${inputSize}`, () => new TinyFaceDetectorNet(inputSize))
}
