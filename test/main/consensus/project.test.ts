import { afterEach, describe, expect, it } from 'vitest'
import { join } from 'node:path'
import { createProject, openProject } from '../../../src-main/core/project'
import { importDataset, ImportError } from '../../../src-main/core/dataset/index'
import { importVotes } from '../../../src-main/core/dataset/votes'
import { projectConsensus } from '../../../src-main/core/consensus/project'
import { applyChanges } from '../../../src-main/core/store/labels'
import { getClasses } from '../../../src-main/core/store/meta'
import { consensusCommand } from '../../../src-main/cli/commands/consensus'
import { csv, makeClassFolders, write } from '../../fixtures-gen/images'
import { tempDir } from '../../helpers/tmp'

const cleanups: (() => void)[] = []
afterEach(() => {
  for (const c of cleanups.splice(0)) c()
})

/** A project of 9 real JPEGs (anger, happiness, sadness × 3) and its image ids by path. */
async function fixture(): Promise<{ dir: string; path: string; ids: Map<string, number> }> {
  const t = tempDir('poi-votes-')
  cleanups.push(t.cleanup)
  await makeClassFolders(join(t.dir, 'data'), { angry: 3, happy: 3, sad: 3 })
  const path = join(t.dir, 'p.poi')
  const p = createProject(path)
  try {
    await importDataset(p, join(t.dir, 'data'), { format: 'folder' })
    const ids = new Map(
      (p.db.prepare('SELECT rel_path AS r, id FROM images').all() as { r: string; id: number }[]).map((x) => [
        x.r,
        x.id
      ])
    )
    return { dir: t.dir, path, ids }
  } finally {
    p.close()
  }
}

function captureIo(): { out(s: string): void; err(s: string): void; stdout: string; stderr: string } {
  const io = {
    stdout: '',
    stderr: '',
    out: (s: string) => void (io.stdout += s),
    err: (s: string) => void (io.stderr += s)
  }
  return io
}

describe('annotator votes and project consensus', () => {
  it('imports a long image,annotator,label CSV all or nothing, naming every bad line', async () => {
    const fx = await fixture()
    const bad = join(fx.dir, 'bad.csv')
    write(
      bad,
      csv([
        ['image', 'annotator', 'label'],
        ['angry/angry_0.jpg', 'ann', 'angry'],
        ['angry/nope.jpg', 'ann', 'angry'],
        ['happy/happy_0.jpg', 'bob', 'joyful'],
        ['happy/happy_0.jpg', 'bob', 'surprise'],
        ['angry/angry_0.jpg', 'ann', 'sad'],
        ['sad/sad_0.jpg', '', 'sad'],
        ['sad/sad_1.jpg', 'curator:me', 'sad']
      ])
    )
    const p = openProject(fx.path)
    try {
      let err: ImportError | null = null
      try {
        importVotes(p, bad)
      } catch (e) {
        err = e as ImportError
      }
      expect(err).toBeInstanceOf(ImportError)
      const lines = err!.problems.map((x) => `${x.line}: ${x.message}`)
      expect(lines).toEqual([
        '3: image "angry/nope.jpg" is not in this project (give its path as imported, or #id)',
        '4: label "joyful" is not an expression class',
        `5: label "surprise" (surprise) is not one of this project's classes (${getClasses(p.db).join(', ')})`,
        '6: annotator "ann" labels image "angry/angry_0.jpg" twice (also on line 2)',
        '7: empty annotator column',
        '8: annotator "curator:me": names starting with "curator:" are reserved for the project\'s curators'
      ])
      expect(p.db.prepare('SELECT count(*) FROM annotator_votes').pluck().get()).toBe(0)
    } finally {
      p.close()
    }
  })

  it('consensus of imported annotators, a curator and the given label; annotator quality; the CLI prints it', async () => {
    const fx = await fixture()
    const rels = [...fx.ids.keys()].sort()
    const given = (r: string): string => r.split('/')[0]
    // good1 and good2 agree with the truth (= the folder) everywhere; noisy says "sad" on every image.
    const rows: string[][] = [['path', 'rater', 'emotion']]
    for (const r of rels) rows.push([r, 'good1', given(r)], [r, 'good2', given(r)], [r, 'noisy', 'sad'])
    // One image whose given label the good annotators contradict: angry_2 is really happy.
    const flip = 'angry/angry_2.jpg'
    rows.forEach((row) => {
      if (row[0] === flip && row[1] !== 'noisy') row[2] = 'happy'
    })
    write(join(fx.dir, 'votes.csv'), csv(rows))
    const p = openProject(fx.path)
    try {
      const r = importVotes(p, join(fx.dir, 'votes.csv'))
      expect(r).toMatchObject({ rows: 27, images: 9, annotators: ['good1', 'good2', 'noisy'], added: 27, replaced: 0 })
      // Re-importing is idempotent.
      expect(importVotes(p, join(fx.dir, 'votes.csv'))).toMatchObject({ added: 0, replaced: 27 })
      const classes = getClasses(p.db)
      // A curator relabels sad_0 to anger: a vote of "curator:alice".
      applyChanges(
        p.db,
        [{ imageId: fx.ids.get('sad/sad_0.jpg')!, label: classes.indexOf('anger'), review: 'relabeled' }],
        { actor: 'alice', source: 'curator' }
      )
      const c = projectConsensus(p.db, { method: 'majority' })
      const by = new Map(c.images.map((im) => [im.imageId, im]))
      expect(classes[by.get(fx.ids.get(flip)!)!.consensus]).toBe('happiness')
      // sad_0: given sad, good1/good2/noisy sad, curator anger → sad.
      expect(classes[by.get(fx.ids.get('sad/sad_0.jpg')!)!.consensus]).toBe('sadness')
      expect(by.get(fx.ids.get('sad/sad_0.jpg')!)!.votes).toBe(5)
      // Disagreeing with the current label: the flipped image, and sad_0 (relabeled by alice).
      expect(c.disagreeing).toBe(2)
      const q = new Map(c.annotators.map((a) => [a.annotator, a]))
      expect(q.get('good1')!.agreement).toBe(1)
      expect(q.get('noisy')!.agreement).toBeCloseTo(3 / 9, 10)
      expect(q.get('curator:alice')!.votes).toBe(1)
      // Dawid–Skene ranks the noisy annotator last among the imported ones.
      const ds = projectConsensus(p.db, { method: 'auto' })
      expect(ds.method).toBe('dawid-skene')
      const dq = new Map(ds.annotators.map((a) => [a.annotator, a.quality]))
      expect(dq.get('noisy')!).toBeLessThan(Math.min(dq.get('good1')!, dq.get('good2')!))
      expect(() => projectConsensus(p.db, { method: 'crowdlab' })).toThrow(/needs a run/)
    } finally {
      p.close()
    }
    const io = captureIo()
    expect(await consensusCommand(fx.path, { method: 'majority' }, io)).toBe(0)
    expect(io.stdout).toMatch(/consensus \(majority\) over 9 image\(s\) with votes/)
    expect(io.stdout).toMatch(/noisy\s+9\s+[\d.]+\s+33\.3 %/)
    expect(io.stdout).toMatch(/2 image\(s\) whose consensus differs from the current label/)
    const bad = captureIo()
    write(
      join(fx.dir, 'v2.csv'),
      csv([
        ['image', 'annotator', 'label'],
        ['x.jpg', 'a', 'sad']
      ])
    )
    expect(await consensusCommand(fx.path, { votes: join(fx.dir, 'v2.csv') }, bad)).toBe(3)
    expect(bad.stderr).toMatch(/v2\.csv:2: image "x\.jpg" is not in this project/)
    expect(await consensusCommand(fx.path, { method: 'best' }, bad)).toBe(2)
    expect(bad.stderr).toMatch(/--method must be one of auto, majority, dawid-skene, crowdlab; got "best"/)
  })
})
