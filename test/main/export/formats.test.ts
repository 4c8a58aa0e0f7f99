import { afterEach, describe, expect, it } from 'vitest'
import { readdirSync, readFileSync, rmSync, statSync, writeFileSync, mkdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import sharp from 'sharp'
import { tempDir } from '../../helpers/tmp'
import { makeProject, type Fixture } from '../audit/helpers'
import { applyChanges, getAnnotation } from '../../../src-main/core/store/labels'
import { putVotes } from '../../../src-main/core/store/votes'
import { createRun, finishRun, writePredictions } from '../../../src-main/core/store/runs'
import { runAudit, getAuditItem } from '../../../src-main/core/audit/store'
import {
  CSV_COLUMNS,
  decodeNpy,
  exportProject,
  readCleanlabExport,
  readCsvExport,
  readFerplusExport,
  readFoldersExport,
  readJsonlExport,
  readLabelStudioExport,
  verifyExport
} from '../../../src-main/core/export/index'
import { faultyFs } from './faults'

let fx: Fixture | null = null
let cleanup: (() => void) | null = null
afterEach(() => {
  fx?.p.close()
  fx = null
  cleanup?.()
  cleanup = null
})

const CLASSES = ['neutral', 'happiness', 'surprise', 'sadness'] as const

/**
 * Six images: a (neutral, votes), b (happiness → relabelled surprise by a curator), c (surprise →
 * kept as ambiguous with a soft label), d (sadness → not a face), e (unlabeled), f (path that
 * starts with '=' and contains a comma). Real PNGs made with sharp sit in the dataset root.
 */
async function setup(): Promise<{ f: Fixture; dir: string; runId: number; auditId: number }> {
  const t = tempDir('poi-export-')
  cleanup = t.cleanup
  const f = makeProject(
    t.dir,
    [...CLASSES],
    [
      { relPath: 'train/a.png', label: 0, votes: [6, 2, 1, 1], sourceSplit: 'Training' },
      { relPath: 'train/b.png', label: 1 },
      { relPath: 'test/c.png', label: 2, split: 'test' },
      { relPath: 'train/d.png', label: 3 },
      { relPath: 'train/e.png', label: null, split: null },
      { relPath: '=sum,1.png', label: 1, split: 'val' }
    ]
  )
  fx = f
  for (const [i, rel] of [
    'train/a.png',
    'train/b.png',
    'test/c.png',
    'train/d.png',
    'train/e.png',
    '=sum,1.png'
  ].entries()) {
    mkdirSync(dirname(join(f.root, rel)), { recursive: true })
    await sharp({ create: { width: 8, height: 8, channels: 3, background: { r: 40 * i, g: 10, b: 200 } } })
      .png()
      .toFile(join(f.root, rel))
  }
  const [a, b, c, d, , ff] = f.ids
  applyChanges(f.p.db, [{ imageId: b, label: 2, review: 'relabeled' }], { actor: '@curator', source: 'curator' })
  applyChanges(f.p.db, [{ imageId: c, state: 'ambiguous', softLabel: [0, 0.3, 0.7, 0] }], {
    actor: 'ann',
    source: 'curator'
  })
  applyChanges(f.p.db, [{ imageId: d, state: 'not_face' }], { actor: 'ann', source: 'bulk' })
  const runId = createRun(f.p.db, { kind: 'poi-kfold', config: {}, classes: [...CLASSES] })
  const v = (k: number, p: number): number[] => CLASSES.map((_, i) => (i === k ? p : (1 - p) / 3))
  const pred = (id: number, k: number, p: number) => ({
    imageId: id,
    fold: id % 2,
    trnProbs: v(k, p),
    oimSoft: v(k, 0.4),
    oimSoftT1: v(k, p),
    regionProbs: [...v(k, p), ...v(k, p), ...v(k, p), ...v(k, p)],
    gate: [0.25, 0.25, 0.25, 0.25],
    uemUncertainty: 0.1,
    uemConfidence: 0.9,
    auProb: new Array(26).fill(0.2),
    auImportance: new Array(26).fill(0.5)
  })
  writePredictions(f.p.db, runId, [
    pred(a, 0, 0.9),
    pred(b, 2, 0.8),
    pred(c, 2, 0.6),
    pred(d, 3, 0.7),
    pred(ff, 0, 0.95)
  ])
  finishRun(f.p.db, runId, { status: 'done' })
  const auditId = await runAudit(f.p.db, runId)
  return { f, dir: t.dir, runId, auditId }
}

describe('exports', () => {
  it('CSV: header, current label names, states, curator, audit columns; reads back through the manifest', async () => {
    const { f, dir, auditId } = await setup()
    const res = await exportProject(f.p.db, { format: 'csv', out: join(dir, 'csv-out'), projectPath: f.file })
    expect(res.rows).toBe(6)
    expect(readdirSync(join(dir, 'csv-out')).sort()).toEqual(['labels.csv', 'manifest.json'])
    const text = readFileSync(join(dir, 'csv-out', 'labels.csv'), 'utf8')
    expect(text.split('\n')[0]).toBe(CSV_COLUMNS.join(','))
    expect(text).toContain('"=sum,1.png",happiness,val,happiness,labeled,,,')
    const { manifest, rows } = await readCsvExport(join(dir, 'csv-out'))
    expect(manifest.kind).toBe('csv')
    expect(manifest.auditId).toBe(auditId)
    expect(manifest.project.classes).toEqual([...CLASSES])
    const b = rows.find((r) => r.path === 'train/b.png')!
    expect([b.label, b.originalLabel, b.state, b.changedBy]).toEqual(['surprise', 'happiness', 'labeled', '@curator'])
    expect(b.changedAt).toMatch(/^\d{4}-\d\d-\d\dT/)
    const ff = rows.find((r) => r.path === '=sum,1.png')!
    const item = getAuditItem(f.p.db, auditId, f.ids[5])!
    expect(ff.flags).toEqual(item.flags)
    expect(ff.flags).toContain('likely_mislabeled')
    expect(ff.score).toBeCloseTo(item.score!, 6)
    expect(ff.suggestedLabel).toBe('neutral')
    // Every row equals the database.
    for (const r of rows) {
      const id =
        f.ids[['train/a.png', 'train/b.png', 'test/c.png', 'train/d.png', 'train/e.png', '=sum,1.png'].indexOf(r.path)]
      const ann = getAnnotation(f.p.db, id)!
      expect(r.label).toBe(ann.currentLabel == null ? null : CLASSES[ann.currentLabel])
      expect(r.state).toBe(ann.state)
    }
  })

  it('CSV spreadsheet-safe mode escapes free text only, with a BOM, and reads back exactly', async () => {
    const { f, dir } = await setup()
    await exportProject(f.p.db, { format: 'csv', out: join(dir, 'safe.csv'), spreadsheetSafe: true, bom: true })
    // Single-file mode: the file plus its manifest.
    expect(readdirSync(dir).filter((n) => n.startsWith('safe'))).toEqual(['safe.csv', 'safe.csv.manifest.json'])
    const text = readFileSync(join(dir, 'safe.csv'), 'utf8')
    expect(text.charCodeAt(0)).toBe(0xfeff)
    expect(text).toContain(`"'=sum,1.png"`)
    expect(text).toContain(`'@curator`)
    expect(text).not.toContain(`'surprise`)
    const { rows } = await readCsvExport(join(dir, 'safe.csv'))
    expect(rows.find((r) => r.label === 'surprise' && r.originalLabel === 'happiness')!.changedBy).toBe('@curator')
    expect(rows.some((r) => r.path === '=sum,1.png')).toBe(true)
  })

  it('JSONL round-trips labels, states, votes and soft labels exactly, with predictions, audit and history', async () => {
    const { f, dir, runId, auditId } = await setup()
    await exportProject(f.p.db, { format: 'jsonl', out: join(dir, 'all.jsonl') })
    const { records, manifest } = await readJsonlExport(join(dir, 'all.jsonl'))
    expect(manifest.runId).toBe(runId)
    expect(records).toHaveLength(6)
    for (const rec of records) {
      const ann = getAnnotation(f.p.db, rec.id)!
      expect(rec.label).toBe(ann.currentLabel == null ? null : CLASSES[ann.currentLabel])
      expect(rec.original_label).toBe(ann.originalLabel == null ? null : CLASSES[ann.originalLabel])
      expect(rec.state).toBe(ann.state)
      expect(rec.original_state).toBe(ann.originalState)
      expect(rec.soft_label).toEqual(ann.softLabel)
      expect(rec.votes).toEqual(ann.votes)
      expect(rec.review).toBe(ann.review)
    }
    const c = records.find((r) => r.path === 'test/c.png')!
    expect(c.soft_label).toEqual([0, 0.3, 0.7, 0])
    expect(c.history).toHaveLength(1)
    expect(c.history[0]).toMatchObject({
      actor: 'ann',
      source: 'curator',
      old_state: 'labeled',
      new_state: 'ambiguous',
      new_soft: [0, 0.3, 0.7, 0]
    })
    const pred = c.prediction as {
      trn_probs: number[]
      region_probs: Record<string, number[]>
      au_prob: Record<string, Record<string, number>>
      uem_confidence: number
    }
    expect(pred.trn_probs[2]).toBeCloseTo(0.6, 6)
    expect(pred.region_probs.LR).toHaveLength(4)
    expect(Object.keys(pred.au_prob.UL)).toEqual(['AU1', 'AU2', 'AU4', 'AU5', 'AU6', 'AU9'])
    expect(Object.keys(pred.au_prob.LL)).toEqual(['AU10', 'AU12', 'AU14', 'AU15', 'AU17', 'AU24', 'AU26'])
    expect(pred.uem_confidence).toBeCloseTo(0.9, 6)
    const audit = c.audit as { audit_id: number; explanation: { text: string } }
    expect(audit.audit_id).toBe(auditId)
    expect(audit.explanation.text).toContain('labelled: surprise')
    expect(records.find((r) => r.path === 'train/e.png')!.prediction).toBeNull()
  })

  it('FERPlus: votes from the source, the curator, the soft label or the state', async () => {
    const { f, dir } = await setup()
    await exportProject(f.p.db, { format: 'ferplus', out: join(dir, 'fer') })
    const { rows, manifest } = await readFerplusExport(join(dir, 'fer'))
    const by = new Map(rows.map((r) => [r.imageName, r]))
    //                                  neu hap sur sad ang dis fea con unk NF
    expect(by.get('train/a.png')).toEqual({
      usage: 'Training',
      imageName: 'train/a.png',
      votes: [6, 2, 1, 1, 0, 0, 0, 0, 0, 0]
    })
    expect(by.get('train/b.png')!.votes).toEqual([0, 0, 10, 0, 0, 0, 0, 0, 0, 0])
    expect(by.get('test/c.png')).toEqual({
      usage: 'PrivateTest',
      imageName: 'test/c.png',
      votes: [0, 3, 7, 0, 0, 0, 0, 0, 0, 0]
    })
    expect(by.get('train/d.png')!.votes).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 10])
    expect(by.get('=sum,1.png')!.usage).toBe('PublicTest')
    expect(by.has('train/e.png')).toBe(false)
    expect(manifest.skipped).toEqual({ unlabeled: 1 })
    expect(manifest.options.voteSources).toEqual({ state: 1, soft: 1, curator: 1, annotators: 0, votes: 1, label: 1 })
  })

  it('consensus: JSONL and CSV carry each voted image’s consensus, FERPlus its annotators’ vote counts', async () => {
    const { f, dir, runId } = await setup()
    const [a, b, , , , ff] = f.ids
    // a: neutral with source votes 6/2/1/1; b: happiness, relabelled surprise by @curator; ff: happiness.
    const votes: [number, string, number][] = [
      [a, 'x', 0],
      [a, 'y', 0],
      [a, 'z', 1],
      [b, 'x', 2],
      [b, 'y', 2],
      [b, 'z', 1],
      [ff, 'x', 1],
      [ff, 'y', 0],
      [ff, 'z', 1]
    ]
    putVotes(
      f.p.db,
      votes.map(([imageId, annotator, label]) => ({ imageId, annotator, label })),
      'votes.csv'
    )

    await exportProject(f.p.db, { format: 'jsonl', out: join(dir, 'c.jsonl') })
    const { records, manifest } = await readJsonlExport(join(dir, 'c.jsonl'))
    expect(manifest.kindVersion).toBe(2)
    const rec = (path: string) => records.find((r) => r.path === path)!
    // The k-fold run predicts every labelled image, so the model joins (crowdlab).
    expect(rec('train/a.png').consensus).toMatchObject({ label: 'neutral', method: 'crowdlab', votes: 4 })
    expect(rec('train/a.png').consensus!.counts).toEqual([2, 1, 0, 0])
    // b: x, y, z, the given label and the curator's relabel.
    expect(rec('train/b.png').consensus).toMatchObject({ label: 'surprise', votes: 5, counts: [0, 1, 3, 0] })
    for (const path of ['train/a.png', 'train/b.png', '=sum,1.png']) {
      const q = rec(path).consensus!.quality
      expect(q).toBeGreaterThan(0)
      expect(q).toBeLessThanOrEqual(1)
    }
    expect(rec('test/c.png').consensus).toBeNull()
    const mc = manifest.options.consensus as { method: string; runId: number; images: number; annotators: unknown[] }
    expect(mc).toMatchObject({ method: 'crowdlab', runId, images: 3 })
    // ann's decisions (ambiguous, not a face) name no class: not votes.
    expect((mc.annotators as { annotator: string }[]).map((x) => x.annotator).sort()).toEqual([
      'curator:@curator',
      'given',
      'x',
      'y',
      'z'
    ])

    await exportProject(f.p.db, { format: 'csv', out: join(dir, 'c.csv') })
    const csvOut = await readCsvExport(join(dir, 'c.csv'))
    const row = (path: string) => csvOut.rows.find((r) => r.path === path)!
    expect(row('train/a.png').consensusLabel).toBe('neutral')
    expect(row('train/a.png').consensusQuality).toBeCloseTo(rec('train/a.png').consensus!.quality, 6)
    expect(row('train/b.png').consensusLabel).toBe('surprise')
    expect([row('test/c.png').consensusLabel, row('test/c.png').consensusQuality]).toEqual([null, null])

    await exportProject(f.p.db, { format: 'ferplus', out: join(dir, 'c-fer') })
    const fer = await readFerplusExport(join(dir, 'c-fer'))
    const by = new Map(fer.rows.map((r) => [r.imageName, r.votes]))
    //                                   neu hap sur sad ang dis fea con unk NF
    // The named votes replace a's anonymous source votes; b keeps the curator's relabel (× 10).
    expect(by.get('train/a.png')).toEqual([2, 1, 0, 0, 0, 0, 0, 0, 0, 0])
    expect(by.get('train/b.png')).toEqual([0, 0, 10, 0, 0, 0, 0, 0, 0, 0])
    expect(by.get('=sum,1.png')).toEqual([1, 2, 0, 0, 0, 0, 0, 0, 0, 0])
    expect(fer.manifest.options.voteSources).toEqual({
      state: 1,
      soft: 1,
      curator: 1,
      annotators: 2,
      votes: 0,
      label: 0
    })

    // A curator's confirmation of an unchanged label counts as one more vote.
    applyChanges(f.p.db, [{ imageId: ff, review: 'kept' }], { actor: 'kim', source: 'curator' })
    await exportProject(f.p.db, { format: 'ferplus', out: join(dir, 'c-fer2') })
    const fer2 = await readFerplusExport(join(dir, 'c-fer2'))
    expect(fer2.rows.find((r) => r.imageName === '=sum,1.png')!.votes).toEqual([1, 3, 0, 0, 0, 0, 0, 0, 0, 0])

    // An export of the format's previous version is refused, naming both versions.
    const mpath = join(dir, 'c.csv.manifest.json')
    writeFileSync(mpath, JSON.stringify({ ...JSON.parse(readFileSync(mpath, 'utf8')), kindVersion: 1 }))
    await expect(readCsvExport(join(dir, 'c.csv'))).rejects.toThrow(/csv version 1; this build reads version 2/)
  })

  it('class folders: hard links per class, only labelled images, verified against the manifest', async () => {
    const { f, dir } = await setup()
    const res = await exportProject(f.p.db, { format: 'folders', out: join(dir, 'tree') })
    const { byClass, manifest } = await readFoldersExport(join(dir, 'tree'))
    expect(Object.fromEntries([...byClass].map(([k, v]) => [k, v.sort()]))).toEqual({
      neutral: ['neutral/a.png'],
      surprise: ['surprise/b.png', 'surprise/c.png'],
      happiness: ['happiness/=sum,1.png']
    })
    expect(manifest.skipped).toEqual({ not_face: 1, unlabeled: 1 })
    expect(res.manifest.options.linked).toBe(4)
    expect(statSync(join(dir, 'tree', 'neutral', 'a.png')).ino).toBe(statSync(join(f.root, 'train', 'a.png')).ino)
    const meta = await sharp(join(dir, 'tree', 'surprise', 'c.png')).metadata()
    expect([meta.width, meta.height]).toEqual([8, 8])
    // By split, and copies when linking fails across devices.
    const r2 = await exportProject(f.p.db, {
      format: 'folders',
      out: join(dir, 'tree2'),
      bySplit: true,
      fs: faultyFs('link', 'EXDEV', { nth: 1 })
    })
    expect(r2.manifest.options).toMatchObject({ linked: 3, copied: 1 })
    expect(readdirSync(join(dir, 'tree2')).sort()).toEqual(['manifest.json', 'test', 'train', 'val'])
    expect(readdirSync(join(dir, 'tree2', 'test', 'surprise'))).toEqual(['c.png'])
    // A source image deleted since import is left out and reported, not fatal.
    rmSync(join(f.root, 'train', 'b.png'))
    const r3 = await exportProject(f.p.db, { format: 'folders', out: join(dir, 'tree3') })
    expect(r3.rows).toBe(3)
    expect(r3.skipped.missingFile).toBe(1)
    expect(r3.manifest.options.missingExamples).toEqual([join(f.root, 'train', 'b.png')])
    expect((await readFoldersExport(join(dir, 'tree3'))).byClass.get('surprise')).toEqual(['surprise/c.png'])
  })

  it('Label Studio: tasks with the label as annotation and the model as prediction, plus the config', async () => {
    const { f, dir, runId } = await setup()
    await exportProject(f.p.db, {
      format: 'labelstudio',
      out: join(dir, 'ls'),
      imagePrefix: '/data/local-files/?d=faces/'
    })
    const { tasks } = await readLabelStudioExport(join(dir, 'ls'))
    expect(tasks).toHaveLength(6)
    const t = tasks.find((x) => x.data.poi_path === '=sum,1.png')!
    expect(t.data.image).toBe('/data/local-files/?d=faces/%3Dsum%2C1.png')
    expect(t.annotations[0].result[0].value.choices).toEqual(['happiness'])
    expect(t.predictions[0]).toMatchObject({
      model_version: `run-${runId}`,
      result: [{ value: { choices: ['neutral'] } }]
    })
    expect(t.predictions[0].score).toBeCloseTo(0.95, 6)
    expect(t.data.poi_flags).toContain('likely_mislabeled')
    expect(tasks.find((x) => x.data.poi_path === 'train/e.png')!.annotations).toEqual([])
    const xml = readFileSync(join(dir, 'ls', 'label_config.xml'), 'utf8')
    expect(xml).toContain('<Choice value="sadness"/>')
    expect(xml).toContain('toName="image"')
  })

  it('cleanlab pair: labels and pred_probs as CSV and .npy in the same order', async () => {
    const { f, dir } = await setup()
    await exportProject(f.p.db, { format: 'cleanlab', out: join(dir, 'cl') })
    const r = await readCleanlabExport(join(dir, 'cl'))
    // Labelled (labeled/ambiguous) images with predictions: a, b, c, f (d is not a face, e unlabeled).
    expect(r.imageIds).toEqual([f.ids[0], f.ids[1], f.ids[2], f.ids[5]])
    expect(r.labels).toEqual([0, 2, 2, 1])
    expect(r.predProbs[1][2]).toBe(Math.fround(0.8))
    expect(r.manifest.options).toMatchObject({ outOfSample: 4, inSample: 0 })
    const raw = readFileSync(join(dir, 'cl', 'pred_probs.npy'))
    expect((10 + raw.readUInt16LE(8)) % 64).toBe(0)
    expect(raw.subarray(10, 10 + raw.readUInt16LE(8)).toString('latin1')).toMatch(
      /^\{'descr': '<f4', 'fortran_order': False, 'shape': \(4, 4\), \} *\n$/
    )
    expect(decodeNpy(readFileSync(join(dir, 'cl', 'labels.npy'))).shape).toEqual([4])
    expect(readFileSync(join(dir, 'cl', 'classes.txt'), 'utf8')).toBe('neutral\nhappiness\nsurprise\nsadness\n')
  })

  it('scopes: changed, reviewed, flagged, ids', async () => {
    const { f, dir } = await setup()
    const paths = async (out: string) => (await readCsvExport(join(dir, out))).rows.map((r) => r.path).sort()
    await exportProject(f.p.db, { format: 'csv', out: join(dir, 'changed.csv'), scope: { kind: 'changed' } })
    expect(await paths('changed.csv')).toEqual(['test/c.png', 'train/b.png', 'train/d.png'])
    await exportProject(f.p.db, { format: 'csv', out: join(dir, 'reviewed.csv'), scope: { kind: 'reviewed' } })
    expect(await paths('reviewed.csv')).toEqual(['train/b.png'])
    await exportProject(f.p.db, {
      format: 'csv',
      out: join(dir, 'flagged.csv'),
      scope: { kind: 'flagged', flags: ['likely_mislabeled'] }
    })
    expect(await paths('flagged.csv')).toEqual(['=sum,1.png'])
    await exportProject(f.p.db, {
      format: 'csv',
      out: join(dir, 'ids.csv'),
      scope: { kind: 'ids', ids: [f.ids[0], f.ids[3]] }
    })
    expect(await paths('ids.csv')).toEqual(['train/a.png', 'train/d.png'])
    await expect(
      exportProject(f.p.db, { format: 'csv', out: join(dir, 'bad.csv'), scope: { kind: 'ids', ids: [f.ids[0], 9999] } })
    ).rejects.toThrow(/not in this project: 9999/)
    await expect(
      exportProject(f.p.db, { format: 'csv', out: join(dir, 'x.csv'), auditId: null, scope: { kind: 'flagged' } })
    ).rejects.toThrow(/needs an audit/)
  })

  it('refuses to overwrite unless asked; readers refuse tampered, incomplete or future exports', async () => {
    const { f, dir } = await setup()
    const out = join(dir, 'e')
    await exportProject(f.p.db, { format: 'csv', out })
    await expect(exportProject(f.p.db, { format: 'csv', out })).rejects.toThrow(/already exists/)
    await exportProject(f.p.db, { format: 'jsonl', out, overwrite: true })
    expect((await verifyExport(out)).manifest.kind).toBe('jsonl')
    await expect(readCsvExport(out)).rejects.toThrow(/is a jsonl export, not csv/)
    // A changed byte breaks the hash; a manifest from the future is refused; no manifest = not trusted.
    const file = join(out, 'images.jsonl')
    const orig = readFileSync(file)
    writeFileSync(file, Buffer.concat([orig.subarray(0, orig.length - 2), Buffer.from('X\n')]))
    await expect(readJsonlExport(out)).rejects.toThrow(/does not match its sha256/)
    writeFileSync(file, orig)
    const mpath = join(out, 'manifest.json')
    const m = JSON.parse(readFileSync(mpath, 'utf8'))
    writeFileSync(mpath, JSON.stringify({ ...m, version: 2 }))
    await expect(readJsonlExport(out)).rejects.toThrow(/manifest version 2; this build reads version 1/)
    writeFileSync(mpath, JSON.stringify({ ...m, kindVersion: 9 }))
    await expect(readJsonlExport(out)).rejects.toThrow(/jsonl version 9/)
    writeFileSync(mpath, 'not json')
    await expect(readJsonlExport(out)).rejects.toThrow(/not valid JSON/)
    await expect(verifyExport(join(dir, 'nothing-here'))).rejects.toThrow(/no export at/)
  })

  it('a large folder export hands the event loop back: progress arrives and a cancel mid-way leaves nothing', async () => {
    const t = tempDir('poi-export-big-')
    cleanup = t.cleanup
    const n = 4000
    const f = makeProject(
      t.dir,
      [...CLASSES],
      Array.from({ length: n }, (_, i) => ({ relPath: `img/${i}.png`, label: i % 4 }))
    )
    fx = f
    mkdirSync(join(f.root, 'img'), { recursive: true })
    const png = await sharp({ create: { width: 4, height: 4, channels: 3, background: { r: 9, g: 9, b: 9 } } })
      .png()
      .toBuffer()
    for (let i = 0; i < n; i++) writeFileSync(join(f.root, 'img', `${i}.png`), png)
    // A timer only fires if the export yields between files; it cancels once some files are in.
    const ac = new AbortController()
    let ticks = 0
    let written = 0
    const timer = setInterval(() => {
      ticks++
      if (written >= 500) ac.abort()
    }, 0)
    try {
      const run = exportProject(f.p.db, {
        format: 'folders',
        out: join(t.dir, 'tree'),
        signal: ac.signal,
        progress: (e) => void (written = e.done)
      })
      await expect(run).rejects.toThrow(/abort/i)
    } finally {
      clearInterval(timer)
    }
    expect(ticks).toBeGreaterThan(0)
    expect(written).toBeGreaterThanOrEqual(500)
    expect(written).toBeLessThan(n)
    expect(readdirSync(t.dir).filter((x) => !x.startsWith('p.poi'))).toEqual(['data'])
    // Uncancelled, every file is linked and verifies.
    const res = await exportProject(f.p.db, { format: 'folders', out: join(t.dir, 'tree') })
    expect(res.rows).toBe(n)
    expect((await readFoldersExport(join(t.dir, 'tree'))).byClass.get('neutral')).toHaveLength(n / 4)
  })

  it('a failed or cancelled export leaves no partial output', async () => {
    const { f, dir } = await setup()
    const before = readdirSync(dir).sort()
    await expect(
      exportProject(f.p.db, { format: 'jsonl', out: join(dir, 'x'), fs: faultyFs('write', 'ENOSPC') })
    ).rejects.toThrow(/disk is full/)
    await expect(
      exportProject(f.p.db, { format: 'csv', out: join(dir, 'x.csv'), fs: faultyFs('rename', 'EIO') })
    ).rejects.toThrow(/EIO/)
    const ac = new AbortController()
    ac.abort()
    await expect(exportProject(f.p.db, { format: 'folders', out: join(dir, 'y'), signal: ac.signal })).rejects.toThrow(
      /abort/i
    )
    expect(readdirSync(dir).sort()).toEqual(before)
  })
})
