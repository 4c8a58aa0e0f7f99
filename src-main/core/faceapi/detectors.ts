import { tf } from './backend'
import { conv, leaky, normalizeRgb, readConv, readSepConv, type ConvParams, type SepConvParams } from './layers'
import { loadWeightMap, WeightReader } from './weights'

/** A face box in pixels of the image given to the detector, with the detector's score (0..1). */
export interface Detection {
  score: number
  x: number
  y: number
  width: number
  height: number
}

export type DetectorName = 'tiny_face_detector' | 'ssd_mobilenetv1'

/** Common shape of the two face-api detectors. */
export interface FaceDetector {
  readonly name: DetectorName
  /** Side of the square the image is padded and resized to (pixels). */
  readonly inputSize: number
  /**
   * Detects faces in one RGB image [H, W, 3] (0..255). The image is zero-padded at the bottom/right to a
   * square and resized to inputSize, exactly as face-api does, so boxes match the library's.
   * Returns detections above minScore after non-maximum suppression, best first, in image pixels.
   * Like face-api, boxes are not clipped to the image (tiny) or only to the padded square (ssd).
   */
  detect(image: tf.Tensor3D, minScore: number): Promise<Detection[]>
}

/** Pads bottom/right with zeros to a square and resizes to size: face-api's toBatchTensor(size, false). */
function toSquareInput(image: tf.Tensor3D, size: number): tf.Tensor4D {
  const [h, w] = image.shape
  let x = tf.expandDims(tf.cast(image, 'float32'), 0) as tf.Tensor4D
  if (h !== w)
    x = tf.pad(x, [
      [0, 0],
      [0, Math.max(0, w - h)],
      [0, Math.max(0, h - w)],
      [0, 0]
    ])
  if (x.shape[1] !== size) x = tf.image.resizeBilinear(x, [size, size], false, false)
  return x
}

function iou(a: Detection, b: Detection): number {
  const w = Math.max(0, Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x))
  const h = Math.max(0, Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y))
  const inter = w * h
  return inter / (a.width * a.height + b.width * b.height - inter)
}

/** Greedy NMS, best score first (face-api's ops/nonMaxSuppression). */
export function nonMaxSuppression(dets: Detection[], iouThreshold: number): Detection[] {
  const sorted = [...dets].sort((a, b) => b.score - a.score)
  const keep: Detection[] = []
  for (const d of sorted) if (keep.every((k) => iou(k, d) <= iouThreshold)) keep.push(d)
  return keep
}

const sigmoid = (v: number) => 1 / (1 + Math.exp(-v))

/**
 * face-api's TinyFaceDetector: a Tiny-YOLOv2 with separable convs, 5 anchors, one class, 13×13 cells at
 * 416 input. 0.19 MB of weights.
 */
export class TinyFaceDetectorNet implements FaceDetector {
  readonly name = 'tiny_face_detector' as const
  private static readonly ANCHORS: [number, number][] = [
    [1.603231, 2.094468],
    [6.041143, 7.080126],
    [2.882459, 3.518061],
    [4.266906, 5.178857],
    [9.041765, 10.66308]
  ]
  private static readonly MEAN_RGB = [117.001, 114.697, 97.404] as const
  private readonly conv0: ConvParams
  private readonly seps: SepConvParams[]
  private readonly conv8: ConvParams

  /** inputSize: a multiple of 32; 416 is face-api's default, smaller is faster and misses small faces. */
  constructor(readonly inputSize = 416) {
    if (inputSize % 32 !== 0) throw new Error(`tiny_face_detector: inputSize ${inputSize} is not a multiple of 32`)
    const w = new WeightReader(loadWeightMap('tiny_face_detector_model'), 'tiny_face_detector_model')
    this.conv0 = readConv(w, 'conv0')
    this.seps = [1, 2, 3, 4, 5].map((i) => readSepConv(w, `conv${i}`))
    this.conv8 = readConv(w, 'conv8')
    w.disposeUnused()
  }

  /** Raw grid output [1, cells, cells, 5 anchors × 5] for a prepared [1, S, S, 3] 0..255 input. */
  forward(x: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => {
      const sep = (t: tf.Tensor4D, p: SepConvParams) =>
        leaky(
          tf.add(
            tf.separableConv2d(
              tf.pad(t, [
                [0, 0],
                [1, 1],
                [1, 1],
                [0, 0]
              ]),
              p.depthwise,
              p.pointwise,
              [1, 1],
              'valid'
            ),
            p.bias
          )
        )
      let out = leaky(conv(normalizeRgb(x, TinyFaceDetectorNet.MEAN_RGB), this.conv0, [1, 1], 'valid'))
      for (let i = 0; i < 5; i++) {
        out = tf.maxPool(out, [2, 2], [2, 2], 'same')
        out = sep(out, this.seps[i])
      }
      out = tf.maxPool(out, [2, 2], [1, 1], 'same')
      return conv(out, this.conv8, [1, 1], 'valid')
    })
  }

  async detect(image: tf.Tensor3D, minScore: number): Promise<Detection[]> {
    const side = Math.max(image.shape[0], image.shape[1])
    const grid = tf.tidy(() => this.forward(toSquareInput(image, this.inputSize)))
    const cells = grid.shape[1]
    const data = await grid.data()
    grid.dispose()
    const dets: Detection[] = []
    const nA = TinyFaceDetectorNet.ANCHORS.length
    for (let row = 0; row < cells; row++) {
      for (let col = 0; col < cells; col++) {
        for (let a = 0; a < nA; a++) {
          const o = ((row * cells + col) * nA + a) * 5
          const score = sigmoid(data[o + 4])
          if (score <= minScore) continue
          // Relative to the padded square, then to image pixels.
          const cx = (col + sigmoid(data[o])) / cells
          const cy = (row + sigmoid(data[o + 1])) / cells
          const bw = (Math.exp(data[o + 2]) * TinyFaceDetectorNet.ANCHORS[a][0]) / cells
          const bh = (Math.exp(data[o + 3]) * TinyFaceDetectorNet.ANCHORS[a][1]) / cells
          dets.push({ score, x: (cx - bw / 2) * side, y: (cy - bh / 2) * side, width: bw * side, height: bh * side })
        }
      }
    }
    return nonMaxSuppression(dets, 0.4)
  }
}

interface PointwiseParams {
  filters: tf.Tensor4D
  offset: tf.Tensor1D
}
interface DepthwiseParams {
  filters: tf.Tensor4D
  scale: tf.Tensor1D
  offset: tf.Tensor1D
  mean: tf.Tensor1D
  variance: tf.Tensor1D
}

/**
 * face-api's SsdMobilenetv1: MobileNet-v1 backbone plus 6 SSD box predictors (1917 anchors) at 512 input.
 * 5.6 MB of weights; slower than the tiny detector, usually more accurate on small or tilted faces.
 */
export class SsdMobilenetV1Net implements FaceDetector {
  readonly name = 'ssd_mobilenetv1' as const
  readonly inputSize = 512
  private readonly conv0: PointwiseParams
  private readonly pairs: { dw: DepthwiseParams; pw: PointwiseParams }[]
  private readonly pred: PointwiseParams[]
  private readonly boxPred: { box: ConvParams; cls: ConvParams }[]
  private readonly anchors: tf.Tensor3D

  constructor() {
    const w = new WeightReader(loadWeightMap('ssd_mobilenetv1_model'), 'ssd_mobilenetv1_model')
    const pw = (prefix: string, i: number): PointwiseParams => ({
      filters: w.get<tf.Rank.R4>(`${prefix}/Conv2d_${i}_pointwise/weights`, 4),
      offset: w.get<tf.Rank.R1>(`${prefix}/Conv2d_${i}_pointwise/convolution_bn_offset`, 1)
    })
    const cp = (prefix: string): ConvParams => ({
      filters: w.get<tf.Rank.R4>(`${prefix}/weights`, 4),
      bias: w.get<tf.Rank.R1>(`${prefix}/biases`, 1)
    })
    this.conv0 = pw('MobilenetV1', 0)
    this.pairs = Array.from({ length: 13 }, (_, k) => {
      const i = k + 1
      const d = `MobilenetV1/Conv2d_${i}_depthwise`
      return {
        dw: {
          filters: w.get<tf.Rank.R4>(`${d}/depthwise_weights`, 4),
          scale: w.get<tf.Rank.R1>(`${d}/BatchNorm/gamma`, 1),
          offset: w.get<tf.Rank.R1>(`${d}/BatchNorm/beta`, 1),
          mean: w.get<tf.Rank.R1>(`${d}/BatchNorm/moving_mean`, 1),
          variance: w.get<tf.Rank.R1>(`${d}/BatchNorm/moving_variance`, 1)
        },
        pw: pw('MobilenetV1', i)
      }
    })
    this.pred = Array.from({ length: 8 }, (_, i) => pw('Prediction', i))
    this.boxPred = Array.from({ length: 6 }, (_, i) => ({
      box: cp(`Prediction/BoxPredictor_${i}/BoxEncodingPredictor`),
      cls: cp(`Prediction/BoxPredictor_${i}/ClassPredictor`)
    }))
    this.anchors = w.get<tf.Rank.R3>('Output/extra_dim', 3)
    w.disposeUnused()
  }

  /** Boxes [N, 4] (ymin, xmin, ymax, xmax, relative to the padded square) and scores [N] for one image. */
  forward(x: tf.Tensor4D): { boxes: tf.Tensor2D; scores: tf.Tensor1D } {
    return tf.tidy(() => {
      const pwc = (t: tf.Tensor4D, p: PointwiseParams, s: [number, number]) =>
        tf.clipByValue(tf.add(tf.conv2d(t, p.filters, s, 'same'), p.offset), 0, 6) as tf.Tensor4D
      const dwc = (t: tf.Tensor4D, p: DepthwiseParams, s: [number, number]) =>
        tf.clipByValue(
          tf.batchNorm(
            tf.depthwiseConv2d(t, p.filters, s, 'same'),
            p.mean,
            p.variance,
            p.offset,
            p.scale,
            0.0010000000474974513
          ),
          0,
          6
        ) as tf.Tensor4D
      let out = pwc(tf.sub(tf.div(x, 127.5), 1), this.conv0, [2, 2])
      let conv11: tf.Tensor4D | null = null
      this.pairs.forEach((p, k) => {
        const i = k + 1
        out = dwc(out, p.dw, [2, 4, 6, 12].includes(i) ? [2, 2] : [1, 1])
        out = pwc(out, p.pw, [1, 1])
        if (i === 11) conv11 = out
      })
      const c0 = pwc(out, this.pred[0], [1, 1])
      const c1 = pwc(c0, this.pred[1], [2, 2])
      const c3 = pwc(pwc(c1, this.pred[2], [1, 1]), this.pred[3], [2, 2])
      const c5 = pwc(pwc(c3, this.pred[4], [1, 1]), this.pred[5], [2, 2])
      const c7 = pwc(pwc(c5, this.pred[6], [1, 1]), this.pred[7], [2, 2])
      const maps = [conv11 as unknown as tf.Tensor4D, out, c1, c3, c5, c7]
      const enc = tf.concat(
        maps.map((m, i) => tf.reshape(conv(m, this.boxPred[i].box, [1, 1]), [-1, 4])),
        0
      ) as tf.Tensor2D
      const cls = tf.concat(
        maps.map((m, i) => tf.reshape(conv(m, this.boxPred[i].cls, [1, 1]), [-1, 3])),
        0
      ) as tf.Tensor2D
      // Decode SSD offsets against the anchors (ycenter/xcenter scaled by 10, sizes by 5).
      const a = tf.reshape(this.anchors, [-1, 4])
      const [a0, a1, a2, a3] = tf.unstack(a, 1)
      const [e0, e1, e2, e3] = tf.unstack(enc, 1)
      const sy = tf.sub(a2, a0)
      const sx = tf.sub(a3, a1)
      const cy = tf.add(a0, tf.div(sy, 2))
      const cx = tf.add(a1, tf.div(sx, 2))
      const hh = tf.div(tf.mul(tf.exp(tf.div(e2, 5)), sy), 2)
      const hw = tf.div(tf.mul(tf.exp(tf.div(e3, 5)), sx), 2)
      const yc = tf.add(tf.mul(tf.div(e0, 10), sy), cy)
      const xc = tf.add(tf.mul(tf.div(e1, 10), sx), cx)
      const boxes = tf.stack([tf.sub(yc, hh), tf.sub(xc, hw), tf.add(yc, hh), tf.add(xc, hw)], 1) as tf.Tensor2D
      const scores = tf.reshape(tf.sigmoid(tf.slice(cls, [0, 1], [-1, 1])), [-1]) as tf.Tensor1D
      return { boxes, scores }
    })
  }

  async detect(image: tf.Tensor3D, minScore: number): Promise<Detection[]> {
    const side = Math.max(image.shape[0], image.shape[1])
    const { boxes, scores } = tf.tidy(() => this.forward(toSquareInput(image, this.inputSize)))
    const [b, s] = await Promise.all([boxes.data(), scores.data()])
    boxes.dispose()
    scores.dispose()
    const dets: Detection[] = []
    for (let i = 0; i < s.length; i++) {
      if (s[i] <= minScore) continue
      const top = Math.max(0, b[i * 4]) * side
      const left = Math.max(0, b[i * 4 + 1]) * side
      const bottom = Math.min(1, b[i * 4 + 2]) * side
      const right = Math.min(1, b[i * 4 + 3]) * side
      dets.push({ score: s[i], x: left, y: top, width: right - left, height: bottom - top })
    }
    // face-api keeps at most 100 and suppresses at IoU 0.5.
    return nonMaxSuppression(dets, 0.5).slice(0, 100)
  }
}
