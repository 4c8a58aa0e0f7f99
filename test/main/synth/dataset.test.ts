import { afterEach, describe, expect, it } from 'vitest'
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { createHash } from 'node:crypto'
import { join } from 'node:path'
import sharp from 'sharp'
import { CANONICAL_CLASSES } from '../../../src-main/core/classes'
import { generateDataset, planDataset, type SynthProgress } from '../../../src-main/core/synth/dataset'
import { GROUND_TRUTH_VERSION, loadGroundTruth, parseGroundTruth } from '../../../src-main/core/synth/ground-truth'
import { tempDir } from '../../helpers/tmp'

const cleanups: (() => void)[] = []
afterEach(() => {
  while (cleanups.length) cleanups.pop()?.()
})
function tmp(): string {
  const t = tempDir('poi-synth-')
  cleanups.push(t.cleanup)
  return t.dir
}

function readCsv(file: string): { path: string; label: string; split: string }[] {
  const [header, ...rows] = readFileSync(file, 'utf8').trimEnd().split('\n')
  expect(header).toBe('path,label,split')
  return rows.map((r) => {
    const [path, label, split] = r.split(',')
    return { path, label, split }
  })
}

function digest(dir: string): string {
  const h = createHash('sha256')
  for (const split of ['train', 'val', 'test']) {
    for (const f of readdirSync(join(dir, 'images', split)).sort())
      h.update(f).update(readFileSync(join(dir, 'images', split, f)))
  }
  h.update(readFileSync(join(dir, 'labels.csv'))).update(readFileSync(join(dir, 'ground_truth.json')))
  return h.digest('hex')
}

describe('generateDataset', () => {
  it('writes images, labels.csv, ground_truth.json and README.txt that agree with each other', async () => {
    const dir = tmp()
    const events: SynthProgress[] = []
    const s = await generateDataset({ outDir: dir, perClass: 10, size: 32, seed: 3, progress: (e) => events.push(e) })
    expect(s.total).toBe(80)
    expect(s.perSplit).toEqual({ train: 64, val: 8, test: 8 })
    for (const c of CANONICAL_CLASSES) expect(s.perClass[c]).toBe(10)
    expect(events.filter((e) => e.phase === 'render').map((e) => e.done)).toEqual(
      Array.from({ length: 80 }, (_, i) => i + 1)
    )
    expect(events.at(-1)).toEqual({ phase: 'write', done: 80, total: 80 })

    const gt = await loadGroundTruth(join(dir, 'ground_truth.json'))
    expect(gt.version).toBe(GROUND_TRUTH_VERSION)
    const csv = readCsv(join(dir, 'labels.csv'))
    expect(csv.length).toBe(80)
    expect(csv.map((r) => r.path)).toEqual(gt.images.map((g) => g.path))
    for (const [i, g] of gt.images.entries()) {
      expect(csv[i].label).toBe(g.givenLabel)
      expect(csv[i].split).toBe(g.split)
      expect(g.path).toBe(`images/${g.split}/${g.id}.png`)
      expect(g.flipped).toBe(g.givenLabel !== g.trueClass)
      const meta = await sharp(join(dir, g.path)).metadata()
      expect([meta.width, meta.height, meta.channels]).toEqual([32, 32, 1])
    }
    // Neutral faces show no prior AU; other classes show theirs (the AU record is what was drawn).
    for (const g of gt.images) {
      if (g.trueClass === 'neutral')
        expect(
          Object.entries(g.aus).filter(([k, v]) => v > 0 && !g.distractors.includes(Number(k.slice(2)))).length
        ).toBe(0)
      if (g.trueClass === 'happiness' && !g.dropped.includes(12)) expect(g.aus.AU12).toBeGreaterThan(0.5)
    }
    expect(readFileSync(join(dir, 'README.txt'), 'utf8')).toMatch(/train 13, val 0, test 0 flipped labels/)
  })

  it('flips exactly round(noiseRate × n_train) training labels, each to another class, and only in train by default', async () => {
    for (const [rate, n] of [
      [0.2, 100],
      [0.3, 57],
      [0, 40]
    ]) {
      const plan = planDataset({ outDir: 'unused', n, noiseRate: rate, seed: 8 })
      const train = plan.items.filter((it) => it.split === 'train')
      const flipped = plan.items.filter((it) => it.given !== it.cls)
      expect(flipped.length).toBe(Math.round(rate * train.length))
      expect(flipped.every((it) => it.split === 'train')).toBe(true)
    }
    const both = planDataset({ outDir: 'unused', n: 200, noiseRate: 0.25, flipSplits: ['train', 'test'], seed: 2 })
    const count = (split: string): number => both.items.filter((it) => it.split === split && it.given !== it.cls).length
    expect(count('train')).toBe(40)
    expect(count('test')).toBe(5)
    expect(count('val')).toBe(0)
    // Flipped-to classes are spread over all the other classes, not a fixed permutation.
    const big = planDataset({
      outDir: 'unused',
      n: 4000,
      noiseRate: 0.5,
      seed: 5,
      classes: ['neutral', 'happiness', 'anger']
    })
    const targets = new Set(big.items.filter((it) => it.cls === 'anger' && it.given !== it.cls).map((it) => it.given))
    expect([...targets].sort()).toEqual(['happiness', 'neutral'])
  })

  it('is deterministic: the same seed gives byte-identical folders, another seed a different one', async () => {
    const opts = { n: 24, size: 24, classes: ['neutral' as const, 'surprise' as const, 'contempt' as const] }
    const a = tmp()
    const b = tmp()
    const c = tmp()
    await generateDataset({ ...opts, outDir: a, seed: 4, concurrency: 1 })
    await generateDataset({ ...opts, outDir: b, seed: 4, concurrency: 6 })
    await generateDataset({ ...opts, outDir: c, seed: 5 })
    expect(digest(a)).toBe(digest(b))
    expect(digest(a)).not.toBe(digest(c))
  })

  it('writes 112 px RGB, honours class subsets and split fractions', async () => {
    const dir = tmp()
    const s = await generateDataset({
      outDir: dir,
      n: 10,
      size: 112,
      channels: 3,
      classes: ['fear', 'anger'],
      splits: { train: 0.5, val: 0, test: 0.5 }
    })
    expect(s.classes).toEqual(['anger', 'fear'])
    expect(s.perSplit).toEqual({ train: 5, val: 0, test: 5 })
    expect(s.flipped.train).toBe(1)
    const gt = await loadGroundTruth(s.groundTruth)
    const meta = await sharp(join(dir, gt.images[0].path)).metadata()
    expect([meta.width, meta.channels]).toEqual([112, 3])
    expect(new Set(gt.images.map((g) => g.trueClass))).toEqual(new Set(['anger', 'fear']))
  })

  it('refuses a non-empty folder unless overwrite, and then replaces only its own files', async () => {
    const dir = tmp()
    writeFileSync(join(dir, 'notes.txt'), 'mine')
    await expect(generateDataset({ outDir: dir, n: 8, size: 24 })).rejects.toThrow(/not empty \(notes\.txt\)/)
    await generateDataset({ outDir: dir, n: 8, size: 24, overwrite: true })
    await generateDataset({ outDir: dir, n: 16, size: 24, overwrite: true })
    expect(readFileSync(join(dir, 'notes.txt'), 'utf8')).toBe('mine')
    expect(readCsv(join(dir, 'labels.csv')).length).toBe(16)
    const files = ['train', 'val', 'test'].flatMap((s) => readdirSync(join(dir, 'images', s)))
    expect(files.length).toBe(16)
  })

  it('stops on abort without writing ground_truth.json', async () => {
    const dir = tmp()
    const ac = new AbortController()
    const run = generateDataset({
      outDir: dir,
      n: 200,
      size: 24,
      signal: ac.signal,
      progress: (e) => {
        if (e.done === 5) ac.abort(new Error('user cancelled'))
      }
    })
    await expect(run).rejects.toThrow(/user cancelled/)
    expect(existsSync(join(dir, 'ground_truth.json'))).toBe(false)
    expect(existsSync(join(dir, 'labels.csv'))).toBe(false)
  })

  it('rejects bad options with messages naming the value', async () => {
    await expect(generateDataset({ outDir: tmp(), n: 10, noiseRate: 1.5 })).rejects.toThrow(/noiseRate .* 1.5/)
    await expect(
      generateDataset({ outDir: tmp(), n: 10, splits: { train: 0.5, val: 0.1, test: 0.1 } })
    ).rejects.toThrow(/summing to 1/)
    await expect(generateDataset({ outDir: tmp(), n: 10, classes: ['happiness'] })).rejects.toThrow(
      /at least 2 classes/
    )
    await expect(generateDataset({ outDir: tmp(), n: 10, classes: ['joy' as 'happiness', 'anger'] })).rejects.toThrow(
      /unknown class "joy"/
    )
    await expect(generateDataset({ outDir: tmp(), n: 0 })).rejects.toThrow(/n must be a positive integer, got 0/)
  })
})

describe('ground truth file', () => {
  it('checks format, version and consistency on read', async () => {
    const dir = tmp()
    await generateDataset({ outDir: dir, n: 8, size: 24 })
    const json = JSON.parse(readFileSync(join(dir, 'ground_truth.json'), 'utf8'))
    expect(parseGroundTruth(json).images.length).toBe(8)
    expect(() => parseGroundTruth({ ...json, format: 'other' })).toThrow(/not a synthetic-dataset ground truth/)
    expect(() => parseGroundTruth({ ...json, version: 99 })).toThrow(/version 99 is not supported/)
    const bad = structuredClone(json)
    bad.images[2].flipped = !bad.images[2].flipped
    expect(() => parseGroundTruth(bad, 'gt.json')).toThrow(/gt.json: images.2 .*flipped/)
    const missing = structuredClone(json)
    delete missing.images[1].aus.AU17
    expect(() => parseGroundTruth(missing)).toThrow(/images.1 .*AU17/)
    writeFileSync(join(dir, 'broken.json'), '{ nope')
    await expect(loadGroundTruth(join(dir, 'broken.json'))).rejects.toThrow(/broken.json: not valid JSON/)
  })
})
