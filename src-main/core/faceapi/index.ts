/**
 * face-api (@vladmandic/face-api 1.7.15) networks rebuilt on our single tfjs instance from the weight
 * files the npm package ships (no download, no tfjs-node): detectors, 68-point landmarks, expression,
 * recognition, and their intermediate feature maps as frozen extractors.
 */
export { tf, ensureTfBackend } from './backend'
export { loadWeightMap, faceApiModelDir, setFaceApiModelDir, FACEAPI_VERSION, type FaceApiModelName } from './weights'
export { FaceFeatureNet, FEATURE_INPUT_SIZE, type DenseStages, type DenseStageName } from './featureExtractor'
export {
  FaceRecognitionNet,
  RECOGNITION_INPUT_SIZE,
  type RecognitionStages,
  type RecognitionStageName
} from './recognition'
export {
  TinyFaceDetectorNet,
  SsdMobilenetV1Net,
  nonMaxSuppression,
  type Detection,
  type DetectorName,
  type FaceDetector
} from './detectors'
export { landmarkNet, expressionNet, recognitionNet, detectorNet } from './nets'
export { frozenExtractor, FROZEN_EXTRACTORS, type FrozenExtractor, type FrozenExtractorName } from './frozen'
