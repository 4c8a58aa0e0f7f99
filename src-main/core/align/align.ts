import { ensureTfBackend, tf } from '../faceapi/backend'
import type { Detection, DetectorName } from '../faceapi/detectors'
import { detectorNet } from '../faceapi/nets'
import {
  alignScaleDistance,
  distance,
  eyeAlignTransform,
  keyPoints,
  withMargin,
  type Affine,
  type CanonicalFrame,
  type Point
} from './geometry'
import { landmarksInBox, refineLandmarks, toRgbTensor, type Box } from './landmarks'
import type { AlignMode } from './mode'
import { checkRawImage, convertChannels, warpAffine, type RawImage } from './warp'

/**
 * The canonical framing of an aligned crop, measured on the data the app is meant for: the median eye
 * geometry the 68-point net finds on CK+48 (eyes at 0.379 of the height, 0.361 of the width apart) and
 * on a FER2013 sample (0.368, 0.358); see bench/align.ts. So aligned JAFFE-like photos end up framed
 * like the 48×48 crops, and POI's corner regions see eyes (top) and mouth (bottom).
 */
export const CANONICAL_FRAME: CanonicalFrame = { eyeDistance: 0.36, eyeY: 0.38 }

/**
 * The framing used for the second landmark pass: looser than CANONICAL_FRAME so the whole face,
 * chin and brows included, is inside the 112 crop, close to how the detector boxes faces.
 */
const REFINE_FRAME: CanonicalFrame = { eyeDistance: 0.3, eyeY: 0.36 }

/** Square sides (pixels) of widely distributed pre-aligned face-crop datasets. */
export const KNOWN_CROP_SIZES: readonly number[] = [48, 64, 96, 100, 112, 128, 160, 224]

export type AlignStatus = 'aligned' | 'already-aligned' | 'no-face' | 'several-faces' | 'low-score' | 'skipped'

export type { AlignMode } from './mode'

export interface AlignOptions {
  /** Side of the aligned square crop in pixels (default 112). */
  outSize?: number
  /** Channels of the aligned crop: 1, 3, or 'same' as the source (gray+alpha → 1, RGBA → 3). Default 'same'. */
  channels?: 1 | 3 | 'same'
  /**
   * 'auto': pass images that already are tight face crops through unchanged; 'always': align every image
   * with a face; 'never': no detection at all (status 'skipped', pixels unchanged).
   */
  mode?: AlignMode
  /** Extra border on every side as a fraction of the canonical crop (default 0). */
  margin?: number
  /** Canonical eye placement (default CANONICAL_FRAME). */
  frame?: CanonicalFrame
  /** Default 'tiny_face_detector' (see bench/align.ts for the measurement behind the choice). */
  detector?: DetectorName
  /** Detections below this score are ignored (default 0.3). */
  minScore?: number
  /** A chosen face scoring below this is flagged 'low-score' (default 0.5); faces below it never count as "several". */
  confidentScore?: number
  /** Run the second, rotation-normalised landmark pass (default true). */
  refine?: boolean
  /** Fill for crop pixels that fall outside the source (default: replicate the edge). */
  border?: 'replicate' | 'black'
  /**
   * A face box the source itself gives (e.g. AffectNet's face rectangle), in source pixels: detection is
   * skipped and the landmarks are found in this box (detScore null, detector 'source-box').
   */
  faceBox?: Box
}

export interface AlignResult {
  status: AlignStatus
  /**
   * The pixels to use: the aligned outSize×outSize crop when status is aligned, several-faces or low-score;
   * otherwise the source, unchanged (already-aligned, no-face, skipped).
   */
  image: RawImage
  /** Score (0..1) of the chosen face, null when none was detected. */
  detScore: number | null
  /** The chosen face's box in source pixels, clipped to the image. */
  box: Box | null
  /** 68 landmarks of the chosen face in source pixels (continuous coordinates, see geometry.ts). */
  landmarks: Point[] | null
  /** Source → crop transform of the aligned crop; null when the source is passed through. */
  transform: Affine | null
  /** Faces at or above confidentScore (a weaker face counts only when it is the only one). */
  facesFound: number
  /** Index of the chosen face in score order (0 = best), null when none. */
  chosenIndex: number | null
  /** Detector that produced the box, with its input size, e.g. 'tiny_face_detector@224'. */
  detector: string | null
}

const DEFAULTS = {
  outSize: 112,
  mode: 'auto' as AlignMode,
  margin: 0,
  detector: 'tiny_face_detector' as DetectorName,
  minScore: 0.3,
  confidentScore: 0.5,
  refine: true,
  border: 'replicate' as const
}

/** The tiny detector's input sizes, tried in order until one finds a face (224 is ~7× faster than 416). */
const TINY_SIZES = [224, 416]
/** The tiny detector's input for small square images (padded tight crops). */
const SMALL_SIZES = [160]

interface Found {
  dets: Detection[]
  detector: string
  /** The detection ran on the image padded by this many pixels on each side (tight-crop check). */
  pad: number
}

/**
 * Tries the detector's input sizes in order and stops at the first whose best face is confident
 * (score ≥ `confidentScore`); when none is, the size with the best top score wins. A face the small
 * input only half sees (JAFFE: one of 213 scored 0.45 at 224) thus gets a second look at 416 before it
 * is called low-score, while the common case still costs one pass.
 */
async function runDetector(
  name: DetectorName,
  image: tf.Tensor3D,
  minScore: number,
  pad: number,
  tinySizes = TINY_SIZES,
  confidentScore = DEFAULTS.confidentScore
): Promise<Found> {
  const sizes = name === 'tiny_face_detector' ? tinySizes : [512]
  let input = image
  if (pad > 0)
    input = tf.tidy(() =>
      tf.pad(
        image,
        [
          [pad, pad],
          [pad, pad],
          [0, 0]
        ],
        128
      )
    ) as tf.Tensor3D
  try {
    let best: Found | null = null
    const top = (f: Found | null): number => (f ? Math.max(...f.dets.map((d) => d.score)) : -1)
    for (const size of sizes) {
      const net = await detectorNet(name, size)
      const dets = await net.detect(input, minScore)
      if (dets.length) {
        const back = dets.map((d) => ({ ...d, x: d.x - pad, y: d.y - pad }))
        const found = { dets: back, detector: `${name}@${net.inputSize}`, pad }
        if (top(found) > top(best)) best = found
        if (top(best) >= confidentScore) break
      }
    }
    return best ?? { dets: [], detector: `${name}@${sizes.at(-1)}`, pad }
  } finally {
    if (input !== image) input.dispose()
  }
}

function clip(d: Detection, w: number, h: number): Box {
  const x0 = Math.max(0, d.x)
  const y0 = Math.max(0, d.y)
  const x1 = Math.min(w, d.x + d.width)
  const y1 = Math.min(h, d.y + d.height)
  return { x: x0, y: y0, width: Math.max(0, x1 - x0), height: Math.max(0, y1 - y0) }
}

/** Share of the frame covered by a box (0..1). */
function coverage(b: Box, w: number, h: number): number {
  return (b.width * b.height) / (w * h)
}

/**
 * A "tight crop" (auto mode): a near-square image whose chosen face box covers at least TIGHT_COVERAGE
 * of the frame, or whose eyes are at least TIGHT_EYE_DISTANCE of the width apart. Measured with the
 * tiny detector (bench/align.ts): JAFFE's uncropped 256×256 photos have box coverage 0.33–0.51 and eye
 * distance 0.22–0.25 of the width; CK+48 has 0.75–0.96 and 0.31–0.41; FER2013's 5th percentiles are
 * 0.64 and 0.25.
 */
const TIGHT_COVERAGE = 0.6
const TIGHT_EYE_DISTANCE = 0.3
/** Square images up to this side (pixels) are treated as probable tight crops first. */
const SMALL_SIDE = 160
const isSquarish = (w: number, h: number) => Math.max(w, h) / Math.min(w, h) <= 1.15

/**
 * Detects the face(s) in an image, finds 68 landmarks on the chosen (largest) one and returns the crop
 * rotated so the eyes are level, scaled so they are frame.eyeDistance·outSize apart, with the eye midpoint
 * at (outSize/2, frame.eyeY·outSize). Turned heads (eye distance < 1.1 × eye-to-nose distance) are scaled
 * by the eye-to-nose distance instead, so they are not over-zoomed (geometry.ts alignScaleDistance). See AlignOptions
 * for the modes and AlignResult for what comes back.
 * The caller's pixels are never modified. Throws only on invalid input.
 */
export async function alignFace(src: RawImage, options: AlignOptions = {}): Promise<AlignResult> {
  checkRawImage(src, 'alignFace')
  const o = { ...DEFAULTS, ...options }
  if (!(Number.isInteger(o.outSize) && o.outSize >= 16 && o.outSize <= 1024))
    throw new Error(`alignFace: outSize ${o.outSize} must be an integer in 16..1024`)
  const frame = withMargin(o.frame ?? CANONICAL_FRAME, o.margin)
  const { width: W, height: H } = src
  const none = (status: AlignStatus, detector: string | null): AlignResult => ({
    status,
    image: src,
    detScore: null,
    box: null,
    landmarks: null,
    transform: null,
    facesFound: 0,
    chosenIndex: null,
    detector
  })
  if (o.mode === 'never') return none('skipped', null)

  await ensureTfBackend()
  const rgb = toRgbTensor(src)
  try {
    // Tight crops: the detectors' largest anchors are ~70% of the frame, so a face that fills the image is
    // only found once context is added around it (padding by half the side on every side). Small square
    // images are nearly always such crops, so they skip the direct pass. For them input 160 beats 224:
    // 300/300 vs 296/300 faces found on CK+48, 254 vs 247 on FER2013, at half the time (bench notes).
    const pad = Math.round(Math.max(W, H) / 2)
    const small = isSquarish(W, H) && Math.max(W, H) <= SMALL_SIDE
    let found: Found
    if (o.faceBox) {
      const b = o.faceBox
      if (!(b.width > 1 && b.height > 1) || b.x + b.width <= 0 || b.y + b.height <= 0 || b.x >= W || b.y >= H) {
        throw new Error(
          `alignFace: faceBox [${b.x}, ${b.y}, ${b.width}, ${b.height}] is empty or outside the ${W}×${H} image`
        )
      }
      // Score 1 only for the selection logic below; the record says null (not a detection).
      found = { dets: [{ score: 1, ...b }], detector: 'source-box', pad: 0 }
    } else {
      found = small
        ? await runDetector(o.detector, rgb, o.minScore, pad, SMALL_SIZES, o.confidentScore)
        : await runDetector(o.detector, rgb, o.minScore, 0, TINY_SIZES, o.confidentScore)
      // In auto mode a faceless known-size crop is passed through either way: skip the second pass.
      const knownCrop = o.mode === 'auto' && W === H && KNOWN_CROP_SIZES.includes(W)
      if (!found.dets.length && isSquarish(W, H) && !(small && knownCrop)) {
        found = small
          ? await runDetector(o.detector, rgb, o.minScore, 0, SMALL_SIZES, o.confidentScore)
          : await runDetector(o.detector, rgb, o.minScore, pad, TINY_SIZES, o.confidentScore)
      }
    }
    const confident = found.dets.filter((d) => d.score >= o.confidentScore)
    if (!found.dets.length) {
      const tightSize = W === H && KNOWN_CROP_SIZES.includes(W)
      return none(o.mode === 'auto' && tightSize ? 'already-aligned' : 'no-face', found.detector)
    }
    const pool = confident.length ? confident : found.dets.slice(0, 1)
    // The largest face is the subject; its index is reported in score order.
    const chosen = pool.reduce((a, b) => (b.width * b.height > a.width * a.height ? b : a))
    const chosenIndex = found.dets.indexOf(chosen)
    const box = clip(chosen, W, H)
    let landmarks = await landmarksInBox(rgb, { x: chosen.x, y: chosen.y, width: chosen.width, height: chosen.height })
    const first = keyPoints(landmarks)
    const tight =
      coverage(box, W, H) >= TIGHT_COVERAGE || distance(first.leftEye, first.rightEye) >= TIGHT_EYE_DISTANCE * W
    const passThrough = o.mode === 'auto' && isSquarish(W, H) && tight
    // The refinement pass only matters for the crop; pass-through images keep the first pass (faster).
    if (o.refine && !passThrough) landmarks = await refineLandmarks(src, landmarks, REFINE_FRAME)
    const base = {
      detScore: o.faceBox ? null : chosen.score,
      box,
      landmarks,
      facesFound: confident.length || 1,
      chosenIndex,
      detector: found.detector
    }
    const status: AlignStatus =
      confident.length > 1 ? 'several-faces' : chosen.score < o.confidentScore ? 'low-score' : 'aligned'
    if (passThrough) {
      // Passed through whatever the score or face count: facesFound still tells about extra faces.
      return { ...base, status: 'already-aligned', image: src, transform: null }
    }
    const { leftEye, rightEye } = keyPoints(landmarks)
    const transform = eyeAlignTransform(leftEye, rightEye, frame, o.outSize, alignScaleDistance(landmarks))
    const channels = o.channels === 'same' || o.channels === undefined ? (src.channels <= 2 ? 1 : 3) : o.channels
    const border = o.border === 'black' ? ({ mode: 'constant', value: 0 } as const) : ({ mode: 'replicate' } as const)
    const image = warpAffine(convertChannels(src, channels), transform, o.outSize, o.outSize, border)
    return { ...base, status, image, transform }
  } finally {
    rgb.dispose()
  }
}
