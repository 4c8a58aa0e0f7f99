/**
 * Synthetic faces: the first-run demo dataset and the fixture source for model, training and audit
 * tests. Faces are drawn procedurally as SVG and rasterised with sharp; their muscle movements follow
 * the AU–expression prior (Table I). Eye AUs change only the upper face, mouth AUs only the lower face.
 */
export { Rng, hashSeed } from '../util/rng'
export {
  zeroAus,
  sampleIdentity,
  type AuId,
  type AuIntensities,
  type FaceParams,
  type FaceIdentity,
  type FacePose,
  type FaceLighting,
  type FaceNoise,
  type FaceBackground,
  type Rgb
} from './params'
export { sampleExpression, classAus, identifiable, type ExpressionOptions, type SampledExpression } from './expression'
export { sampleFaceParams, type SampleFaceOptions, type SampledFace } from './sample'
export { faceSvg, FRAME_SCALE, FRAME_DY } from './svg'
export { renderFace, renderFaceRaw, encodePng, type RawImage } from './render'
export { UPPER_FACE_MAX_Y } from './draw-upper'
export { LOWER_FACE_MIN_Y } from './draw-lower'
export {
  generateDataset,
  planDataset,
  type GenerateDatasetOptions,
  type SynthSummary,
  type SynthProgress
} from './dataset'
export {
  loadGroundTruth,
  parseGroundTruth,
  GROUND_TRUTH_FORMAT,
  GROUND_TRUTH_VERSION,
  SPLITS,
  type GroundTruth,
  type GroundTruthImage,
  type Split
} from './ground-truth'
