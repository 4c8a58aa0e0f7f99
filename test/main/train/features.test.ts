/**
 * Frozen face-api backbone: features are extracted once into a versioned float16 cache file next to
 * the project, reused by the next run (and re-extracted when pixels change), and the POI heads train
 * and score on them.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { initCompute } from '../../../src-main/core/compute/backend'
import { tf } from '../../../src-main/core/compute/tf'
import { openProject } from '../../../src-main/core/project'
import { readPredictions } from '../../../src-main/core/store/runs'
import { pixelWriter } from '../../../src-main/core/store/cache'
import { cacheFile, FeatureCache, FEATURE_CACHE_FORMAT } from '../../../src-main/core/data/features'
import { PixelSource, loadDataset } from '../../../src-main/core/data/dataset'
import { train, type TrainProgressEvent } from '../../../src-main/core/train/train'
import { makeSynthProject, type SynthProject } from './helpers'

let fx: SynthProject

beforeAll(async () => {
  await initCompute({ backend: 'wasm' })
  fx = await makeSynthProject({ n: 24, size: 32, seed: 9 })
})
afterAll(() => fx?.cleanup())

describe('frozen face-api backbone', () => {
  it('caches features once, reuses them, and trains and scores the POI heads on them', async () => {
    const path = fx.fresh('frozen')
    const cfg = { backbone: 'faceapi-landmark' as const, epochs: 1, batchSize: 8, checkpointMinutes: 0 }
    const ev1: TrainProgressEvent[] = []
    const r1 = await train({ projectPath: path, config: cfg, progress: (e) => ev1.push(e) })
    expect(r1.status).toBe('done')
    const file = cacheFile(path, 'faceapi-landmark', 32, 1)
    expect(existsSync(file)).toBe(true)
    const bytes = readFileSync(file)
    expect(bytes.toString('latin1', 0, 4)).toBe('POIF')
    const header = JSON.parse(bytes.subarray(8, 8 + bytes.readUInt32LE(4)).toString('utf8'))
    expect(header).toMatchObject({
      format: FEATURE_CACHE_FORMAT,
      version: 1,
      extractor: 'landmark68.dense3',
      featureShape: [7, 7, 256],
      mirror: true
    })
    expect(header.ids.length).toBe(24)
    expect(ev1.some((e) => e.phase === 'features')).toBe(true)

    const base = tf.memory().numTensors
    const ev2: TrainProgressEvent[] = []
    const r2 = await train({ projectPath: path, config: cfg, progress: (e) => ev2.push(e) })
    expect(tf.memory().numTensors).toBe(base)
    expect(ev2.filter((e) => e.phase === 'features').at(-1)?.message).toBe('24 from the feature cache')
    const p = openProject(path, { readonly: true })
    try {
      const preds = readPredictions(p.db, r2.runId)
      expect(preds.length).toBe(24)
      expect(preds[0].regionProbs!.length).toBe(32)
      expect(preds[0].uemConfidence).not.toBeNull()
    } finally {
      p.close()
    }
  })

  it('re-extracts an image whose cached pixels changed, and ignores a cache file of another version', async () => {
    const path = fx.fresh('frozen-stale')
    const p = openProject(path)
    try {
      const ids = loadDataset(p.db, 8).images.map((i) => i.imageId)
      const px = new PixelSource(p.db, 32, 1)
      const build = () =>
        FeatureCache.build({ backbone: 'faceapi-landmark', pixels: px, ids, mirror: false, projectPath: path })
      const a = await build()
      expect(a.reused).toBe(0)
      const b = await build()
      expect(b.reused).toBe(24)
      expect(Array.from(b.batch([ids[3]]))).toEqual(Array.from(a.batch([ids[3]])))
      pixelWriter(p.db)(ids[0], 32, 1, new Uint8Array(32 * 32).fill(128))
      const c = await build()
      expect(c.reused).toBe(23)
      const file = cacheFile(path, 'faceapi-landmark', 32, 1)
      const bytes = readFileSync(file)
      const hlen = bytes.readUInt32LE(4)
      const header = JSON.parse(bytes.subarray(8, 8 + hlen).toString('utf8'))
      const other = Buffer.from(JSON.stringify({ ...header, version: 99 }).padEnd(hlen, ' '), 'utf8')
      other.copy(bytes, 8)
      writeFileSync(file, bytes)
      expect((await build()).reused).toBe(0)
      // Builds for disjoint subsets merge into one file instead of replacing each other.
      const half = (part: number[]) =>
        FeatureCache.build({ backbone: 'faceapi-landmark', pixels: px, ids: part, mirror: false, projectPath: path })
      rmSync(file)
      expect((await half(ids.slice(0, 10))).reused).toBe(0)
      expect((await half(ids.slice(10))).reused).toBe(0)
      const merged = await build()
      expect(merged.reused).toBe(24)
      // The records copied over from the first file are the same features, byte for byte.
      const fresh = await FeatureCache.build({
        backbone: 'faceapi-landmark',
        pixels: px,
        ids,
        mirror: false,
        projectPath: null
      })
      for (const id of ids) expect(Array.from(merged.batch([id]))).toEqual(Array.from(fresh.batch([id])))
    } finally {
      p.close()
    }
  })
})
