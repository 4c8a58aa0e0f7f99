import { copyFileSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  detectorNet,
  ensureTfBackend,
  expressionNet,
  faceApiModelDir,
  frozenExtractor,
  FROZEN_EXTRACTORS,
  landmarkNet,
  loadWeightMap,
  recognitionNet,
  tf
} from '../../../src-main/core/faceapi/index'
import { tempDir } from '../../helpers/tmp'

describe('face-api weights loader', () => {
  const tmp = tempDir('poi-faceapi-')
  afterAll(() => tmp.cleanup())
  beforeAll(async () => {
    await ensureTfBackend()
  })

  it('reads the weights shipped in node_modules, dequantised to float32', () => {
    const dir = faceApiModelDir()
    expect(dir).toMatch(/@vladmandic[/\\]face-api[/\\]model$/)
    const before = tf.memory().numTensors
    const map = loadWeightMap('face_landmark_68_model')
    expect(Object.keys(map)).toHaveLength(49)
    expect(map['dense0/conv0/filters'].shape).toEqual([3, 3, 3, 32])
    expect(map['fc/weights'].shape).toEqual([256, 136])
    expect(map['fc/weights'].dtype).toBe('float32')
    Object.values(map).forEach((t) => t.dispose())
    expect(tf.memory().numTensors).toBe(before)
  })

  it('names the file when a manifest or shard is missing, corrupt or the wrong size', () => {
    const src = faceApiModelDir()
    const name = 'tiny_face_detector_model'
    expect(() => loadWeightMap(name, tmp.dir)).toThrow(new RegExp(`manifest missing: .*${name}-weights_manifest.json`))
    writeFileSync(join(tmp.dir, `${name}-weights_manifest.json`), '{not json')
    expect(() => loadWeightMap(name, tmp.dir)).toThrow(/is not valid JSON/)
    copyFileSync(join(src, `${name}-weights_manifest.json`), join(tmp.dir, `${name}-weights_manifest.json`))
    expect(() => loadWeightMap(name, tmp.dir)).toThrow(new RegExp(`shard missing: .*${name}.bin`))
    writeFileSync(join(tmp.dir, `${name}.bin`), Buffer.alloc(100))
    expect(() => loadWeightMap(name, tmp.dir)).toThrow(/100 bytes, manifest .* needs 193321/)
  })
})

describe('frozen extractors', () => {
  it('give the documented shapes and flags, accept any square size, and free every intermediate tensor', async () => {
    await ensureTfBackend()
    // Build every net first: their weights are process-lifetime tensors and belong to the baseline.
    for (const n of FROZEN_EXTRACTORS) await frozenExtractor(n)
    const before = tf.memory().numTensors
    for (const name of FROZEN_EXTRACTORS) {
      const ex = await frozenExtractor(name)
      expect(ex.channels).toBe(3)
      expect(ex.trainedOnExpression).toBe(name.startsWith('expression.'))
      const x = tf.randomUniform([2, ex.inputSize, ex.inputSize, 3], 0, 255, 'float32', 7) as tf.Tensor4D
      const y = ex.extract(x)
      expect(y.shape).toEqual([2, ...ex.outputShape])
      // A different input side is resized to inputSize first, so the map keeps its shape.
      const x2 = tf.randomUniform([1, 96, 96, 3], 0, 255) as tf.Tensor4D
      const y2 = ex.extract(x2)
      expect(y2.shape).toEqual([1, ...ex.outputShape])
      tf.dispose([x, y, x2, y2])
    }
    expect((await frozenExtractor('landmark68.dense2')).outputShape).toEqual([14, 14, 128])
    expect((await frozenExtractor('landmark68.dense3')).outputShape).toEqual([7, 7, 256])
    expect(tf.memory().numTensors).toBe(before)
    await expect(frozenExtractor('nope' as never)).rejects.toThrow(/unknown frozen extractor 'nope'/)
    const ex = await frozenExtractor('recognition.conv128')
    const gray = tf.zeros([1, 150, 150, 1]) as tf.Tensor4D
    expect(() => ex.extract(gray)).toThrow(/\[B, H, W, 3\] RGB batch, got shape \[1, 150, 150, 1\]/)
    gray.dispose()
  })
})

/**
 * Our rebuilt nets against @vladmandic/face-api 1.7.15's own node-wasm build, on the same tfjs engine and
 * the same inputs: the outputs must be identical (same kernels in the same order).
 */
describe('parity with face-api 1.7.15', () => {
  it('landmarks, expression, recognition and both detectors match the library', async () => {
    await ensureTfBackend()
    const require = createRequire(import.meta.url)
    const faceapi = require('@vladmandic/face-api/dist/face-api.node-wasm.js')
    expect(faceapi.tf.engine()).toBe(tf.engine())
    const dir = faceApiModelDir()
    for (const n of [
      'faceLandmark68Net',
      'faceExpressionNet',
      'faceRecognitionNet',
      'tinyFaceDetector',
      'ssdMobilenetv1'
    ])
      await faceapi.nets[n].loadFromDisk(dir)
    const maxDiff = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0])
    const img112 = tf.tidy(() => tf.round(tf.randomUniform([112, 112, 3], 0, 255, 'float32', 1))) as tf.Tensor3D
    const img150 = tf.tidy(() => tf.round(tf.randomUniform([150, 150, 3], 0, 255, 'float32', 2))) as tf.Tensor3D
    const wide = tf.tidy(() => tf.round(tf.randomUniform([300, 416, 3], 0, 255, 'float32', 3))) as tf.Tensor3D
    const batch = (t: tf.Tensor3D) => tf.expandDims(t, 0) as tf.Tensor4D

    const pairs: [string, tf.Tensor, tf.Tensor][] = []
    pairs.push([
      'landmarks',
      (await landmarkNet()).predict(batch(img112)),
      faceapi.nets.faceLandmark68Net.runNet(await faceapi.toNetInput(img112))
    ])
    pairs.push([
      'expression',
      (await expressionNet()).predict(batch(img112)),
      faceapi.nets.faceExpressionNet.runNet(await faceapi.toNetInput(img112))
    ])
    pairs.push([
      'recognition',
      (await recognitionNet()).descriptor(batch(img150)),
      faceapi.nets.faceRecognitionNet.forwardInput(await faceapi.toNetInput(img150))
    ])
    const padded = (size: number) =>
      tf.tidy(() =>
        tf.image.resizeBilinear(
          tf.pad(batch(wide), [
            [0, 0],
            [0, 116],
            [0, 0],
            [0, 0]
          ]),
          [size, size]
        )
      ) as tf.Tensor4D
    const tiny = (await detectorNet('tiny_face_detector', 416)) as unknown as { forward(x: tf.Tensor4D): tf.Tensor4D }
    pairs.push([
      'tiny_face_detector',
      tiny.forward(padded(416)),
      await faceapi.nets.tinyFaceDetector.forward(wide, 416)
    ])
    const ssd = (await detectorNet('ssd_mobilenetv1')) as unknown as {
      forward(x: tf.Tensor4D): { boxes: tf.Tensor; scores: tf.Tensor }
    }
    const ours = ssd.forward(padded(512))
    const theirs = await faceapi.nets.ssdMobilenetv1.forward(wide)
    pairs.push(['ssd boxes', ours.boxes, theirs.boxes[0]], ['ssd scores', ours.scores, theirs.scores[0]])
    for (const [what, a, b] of pairs) {
      expect(a.shape, what).toEqual(b.shape)
      expect(maxDiff(a, b), what).toBeLessThanOrEqual(1e-5)
    }
    for (const n of [
      'faceLandmark68Net',
      'faceExpressionNet',
      'faceRecognitionNet',
      'tinyFaceDetector',
      'ssdMobilenetv1'
    ])
      faceapi.nets[n].dispose()
    tf.dispose([img112, img150, wide, ...pairs.flatMap(([, a, b]) => [a, b])])
  })
})
