import { tf } from '../faceapi/backend'
import { FEATURE_INPUT_SIZE } from '../faceapi/featureExtractor'
import { landmarkNet } from '../faceapi/nets'
import {
  applyAffine,
  eyeAlignTransform,
  invertAffine,
  keyPoints,
  type Affine,
  type CanonicalFrame,
  type Point
} from './geometry'
import { convertChannels, warpAffine, type RawImage } from './warp'

/** An axis-aligned box in source pixels. */
export interface Box {
  x: number
  y: number
  width: number
  height: number
}

/** Makes a [H, W, 3] int32 tensor (0..255) from raw pixels of any channel layout. Caller disposes. */
export function toRgbTensor(img: RawImage): tf.Tensor3D {
  const rgb = convertChannels(img, 3)
  return tf.tensor3d(rgb.data, [rgb.height, rgb.width, 3], 'int32')
}

/**
 * 68 landmarks for the face in `box`, in source pixels. Like face-api, the crop is the box padded to a
 * square around its centre (zeros outside the image) and resized to 112×112.
 */
export async function landmarksInBox(image: tf.Tensor3D, box: Box): Promise<Point[]> {
  const net = await landmarkNet()
  const [H, W] = image.shape
  const side = Math.max(box.width, box.height)
  if (!(side > 1)) throw new Error(`landmarks: face box too small (${box.width}×${box.height})`)
  const x0 = box.x + box.width / 2 - side / 2
  const y0 = box.y + box.height / 2 - side / 2
  const out = tf.tidy(() => {
    // cropAndResize samples box corners at pixel centres: normalise by (size - 1).
    const b = tf.tensor2d([
      [y0 / (H - 1 || 1), x0 / (W - 1 || 1), (y0 + side) / (H - 1 || 1), (x0 + side) / (W - 1 || 1)]
    ])
    const crop = tf.image.cropAndResize(
      tf.expandDims(tf.cast(image, 'float32'), 0) as tf.Tensor4D,
      b,
      [0],
      [FEATURE_INPUT_SIZE, FEATURE_INPUT_SIZE],
      'bilinear',
      0
    )
    return net.predict(crop)
  })
  const v = await out.data()
  out.dispose()
  const pts: Point[] = []
  for (let k = 0; k < 68; k++) pts.push({ x: x0 + v[2 * k] * side, y: y0 + v[2 * k + 1] * side })
  return pts
}

/**
 * A second landmark pass on a rotation-normalised crop: the first pass's eyes define a similarity that
 * levels the eye line and frames the face the way the net saw faces in training; landmarks found in
 * that crop are mapped back to the source. Improves accuracy on tilted heads.
 * `frame` is the framing of the refinement crop (eyes relative to a 112 crop).
 */
export async function refineLandmarks(src: RawImage, first: Point[], frame: CanonicalFrame): Promise<Point[]> {
  const { leftEye, rightEye } = keyPoints(first)
  const m: Affine = eyeAlignTransform(leftEye, rightEye, frame, FEATURE_INPUT_SIZE)
  const crop = warpAffine(convertChannels(src, 3), m, FEATURE_INPUT_SIZE, FEATURE_INPUT_SIZE, {
    mode: 'constant',
    value: 0
  })
  const net = await landmarkNet()
  const out = tf.tidy(() =>
    net.predict(tf.tensor4d(crop.data, [1, FEATURE_INPUT_SIZE, FEATURE_INPUT_SIZE, 3], 'int32'))
  )
  const v = await out.data()
  out.dispose()
  const inv = invertAffine(m)
  const pts: Point[] = []
  for (let k = 0; k < 68; k++)
    pts.push(applyAffine(inv, { x: v[2 * k] * FEATURE_INPUT_SIZE, y: v[2 * k + 1] * FEATURE_INPUT_SIZE }))
  return pts
}
