import { afterEach, describe, expect, it } from 'vitest'
import { mkdirSync, symlinkSync } from 'node:fs'
import { join } from 'node:path'
import { createProject, openProject, type Project } from '../../../src-main/core/project'
import { importDataset, ImportError } from '../../../src-main/core/dataset/index'
import { integrityCheck } from '../../../src-main/core/store/db'
import { csv, makeClassFolders, write, writeImage } from '../../fixtures-gen/images'
import { tempDir } from '../../helpers/tmp'

const cleanups: (() => void)[] = []
afterEach(() => {
  for (const c of cleanups.splice(0)) c()
})
function tmp(): string {
  const t = tempDir('poi-csv-')
  cleanups.push(t.cleanup)
  return t.dir
}
function project(dir: string): Project {
  const p = createProject(join(dir, 'p.poi'))
  cleanups.unshift(() => p.close())
  return p
}
async function refused(p: Project, source: string, opts = {}): Promise<ImportError> {
  try {
    await importDataset(p, source, opts)
  } catch (e) {
    if (e instanceof ImportError) return e
    throw e
  }
  throw new Error('import was not refused')
}
function rowCounts(p: Project): Record<string, number> {
  const n = (t: string) => p.db.prepare(`SELECT count(*) FROM ${t}`).pluck().get() as number
  return {
    images: n('images'),
    annotations: n('annotations'),
    history: n('label_history'),
    imports: n('imports'),
    pixels: n('pixel_cache'),
    thumbs: n('thumbnails')
  }
}
const EMPTY = { images: 0, annotations: 0, history: 0, imports: 0, pixels: 0, thumbs: 0 }

/** Six images under data/images/<class>/ and nothing else. */
async function dataset(dir: string): Promise<string> {
  const root = join(dir, 'data')
  await makeClassFolders(join(root, 'images'), { angry: 2, happy: 2, sad: 2 })
  return root
}

describe('CSV import', () => {
  it('imports path,label,split with extra columns kept, class names normalised, splits mapped', async () => {
    const dir = tmp()
    const root = await dataset(dir)
    write(
      join(root, 'labels.csv'),
      csv([
        ['path', 'label', 'split', 'subject', 'dup_group'],
        ['images/angry/angry_0.jpg', 'angry', 'Training', 'S1', ''],
        ['images/angry/angry_1.jpg', 'angry', 'PublicTest', 'S2', '7'],
        ['images/happy/happy_0.jpg', 'Happy', 'PrivateTest', 'S1', '7'],
        ['images/happy/happy_1.jpg', 'happy', 'all', 'S3', ''],
        ['images/sad/sad_0.jpg', 'sad', 'Training', 'S3', ''],
        ['images\\sad\\sad_1.jpg', 'sadness', 'Training', 'S4', '']
      ])
    )
    const p = project(dir)
    const r = await importDataset(p, join(root, 'labels.csv'))
    expect(r.format).toBe('csv')
    expect(r.imported).toBe(6)
    expect(r.countsByClass).toEqual({ anger: 2, happiness: 2, sadness: 2 })
    expect(r.countsBySplit).toEqual({ train: 3, val: 1, test: 1, none: 1 })
    expect(r.classMapping).toEqual({ angry: 'anger', Happy: 'happiness', happy: 'happiness', sad: 'sadness' })
    expect(p.classes()).toEqual(['happiness', 'sadness', 'anger'])
    const row = p.db
      .prepare(
        "SELECT split, source_split, extra, source_dup_group FROM images WHERE rel_path = 'images/angry/angry_1.jpg'"
      )
      .get()
    expect(row).toEqual({
      split: 'val',
      source_split: 'PublicTest',
      extra: JSON.stringify({ subject: 'S2' }),
      source_dup_group: '7'
    })
    // Windows separators name the same file.
    expect(p.db.prepare("SELECT count(*) FROM images WHERE rel_path = 'images/sad/sad_1.jpg'").pluck().get()).toBe(1)
    expect(r.duplicates.source).toMatchObject({ groups: 1, images: 2, conflicting: 1, crossSplit: 1 })
    // The report is stored with the import.
    const stored = JSON.parse(p.db.prepare('SELECT report FROM imports').pluck().get() as string)
    expect(stored.imported).toBe(6)
  })

  it("keeps JAFFE-style rater scores (rating_<class>, 1–5) as each rated image's votes, a distribution above the floor", async () => {
    const dir = tmp()
    const root = join(dir, 'data')
    await makeClassFolders(join(root, 'images'), { angry: 1, happy: 1, neutral: 1, sad: 1, disgust: 1 })
    const head = [
      'path',
      'label',
      'split',
      'rating_HAP',
      'rating_SAD',
      'rating_SUR',
      'rating_ANG',
      'rating_DIS',
      'rating_FEA'
    ]
    write(
      join(root, 'labels.csv'),
      csv([
        head,
        ['images/angry/angry_0.jpg', 'angry', 'all', '1.00', '2.00', '1.00', '4.00', '3.00', '1.00'],
        ['images/happy/happy_0.jpg', 'happy', 'all', '5', '1', '1', '1', '1', '1'],
        // Neutral was not rated: its scores stay in extra, it gets no votes.
        ['images/neutral/neutral_0.jpg', 'neutral', 'all', '3.03', '2.16', '2.06', '1.94', '1.84', '1.87'],
        // Nothing seen above the floor: no votes.
        ['images/sad/sad_0.jpg', 'sad', 'all', '1', '1', '1', '1', '1', '1'],
        ['images/disgust/disgust_0.jpg', 'disgust', 'all', '1', '1', '1', '2', '4', '1']
      ])
    )
    const p = project(dir)
    const r = await importDataset(p, join(root, 'labels.csv'))
    expect(r.imported).toBe(5)
    const votes = (rel: string): unknown => {
      const v = p.db
        .prepare('SELECT a.votes FROM annotations a JOIN images i ON i.id = a.image_id WHERE i.rel_path = ?')
        .pluck()
        .get(rel) as string | null
      return v == null ? null : (JSON.parse(v) as number[])
    }
    const at = (cls: string): number => p.classes().indexOf(cls as never)
    const angry = votes('images/angry/angry_0.jpg') as number[]
    // Above the floor of 1: sadness 1, anger 3, disgust 2 → 1/6, 3/6, 2/6; classes nobody saw get 0.
    expect(angry[at('anger')]).toBeCloseTo(0.5, 12)
    expect(angry[at('disgust')]).toBeCloseTo(2 / 6, 12)
    expect(angry[at('sadness')]).toBeCloseTo(1 / 6, 12)
    expect(angry[at('happiness')]).toBe(0)
    expect(angry.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12)
    expect(votes('images/happy/happy_0.jpg')).toEqual(p.classes().map((c) => (c === 'happiness' ? 1 : 0)))
    expect(votes('images/neutral/neutral_0.jpg')).toBeNull()
    expect(votes('images/sad/sad_0.jpg')).toBeNull()
    expect((votes('images/disgust/disgust_0.jpg') as number[])[at('disgust')]).toBeCloseTo(0.75, 12)
    const extra = p.db.prepare("SELECT extra FROM images WHERE rel_path = 'images/neutral/neutral_0.jpg'").pluck().get()
    expect(JSON.parse(extra as string)).toMatchObject({ rating_HAP: '3.03', rating_FEA: '1.87' })

    // A score off the scale is refused naming line, column and value; nothing is imported.
    write(
      join(root, 'bad.csv'),
      csv([head, ['images/angry/angry_0.jpg', 'angry', 'all', '1', '2', '1', '7.5', '3', '1']])
    )
    const q = createProject(join(dir, 'q.poi'))
    cleanups.unshift(() => q.close())
    const e = await refused(q, join(root, 'bad.csv'))
    expect(e.message).toMatch(/bad\.csv:2: rating_ANG is "7\.5", not a score from 1 to 5/s)
    expect(rowCounts(q)).toEqual(EMPTY)
  })

  it('reads UTF-8 with a BOM, ";" and tab delimiters, an Excel sep= line and CRLF', async () => {
    const dir = tmp()
    const root = await dataset(dir)
    const rows = [
      ['path', 'label'],
      ['images/angry/angry_0.jpg', 'anger'],
      ['images/happy/happy_0.jpg', 'happiness']
    ]
    const variants: [string, string | Buffer][] = [
      ['bom.csv', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(csv(rows))])],
      ['semi.csv', csv(rows, ';')],
      ['tab.tsv', csv(rows, '\t')],
      ['excel.csv', 'sep=;\r\n' + csv(rows, ';', '\r\n')],
      ['noheader.csv', csv(rows.slice(1))]
    ]
    for (const [name, body] of variants) {
      const sub = join(dir, name.replace('.', '_'))
      mkdirSync(sub)
      const p = createProject(join(sub, 'p.poi'))
      try {
        write(join(root, name), body)
        const r = await importDataset(p, join(root, name))
        expect(r.imported, name).toBe(2)
        expect(r.countsByClass, name).toEqual({ anger: 1, happiness: 1 })
      } finally {
        p.close()
      }
    }
  })

  it('refuses a CSV with ragged rows, unknown classes and escaping paths, naming every line, and imports nothing', async () => {
    const dir = tmp()
    const root = await dataset(dir)
    write(join(dir, 'outside.jpg'), 'x')
    write(
      join(root, 'bad.csv'),
      csv([
        ['path', 'label', 'split'],
        ['images/angry/angry_0.jpg', 'anger', 'train'], // line 2: fine
        ['images/angry/angry_1.jpg', 'anger'], // line 3: ragged
        ['images/happy/happy_0.jpg', 'confused', 'train'], // line 4: unknown class
        ['../outside.jpg', 'anger', 'train'], // line 5: leaves the root
        ['/etc/passwd', 'anger', 'train'], // line 6: absolute
        ['images/angry/angry_0.jpg', 'anger', 'train'] // line 7: listed again
      ])
    )
    const p = project(dir)
    const e = await refused(p, join(root, 'bad.csv'))
    const lines = e.problems.map((x) => x.line)
    expect(lines).toEqual([3, 4, 5, 6, 7])
    expect(e.message).toContain(`${join(root, 'bad.csv')}:3: row has 2 field(s), the header has 3`)
    expect(e.message).toMatch(/:4: unknown class "confused"/)
    expect(e.message).toMatch(/:5: path "\.\.\/outside\.jpg" leaves the dataset root/)
    expect(e.message).toMatch(/:6: absolute path "\/etc\/passwd" is not allowed/)
    expect(e.message).toMatch(/:7: "images\/angry\/angry_0\.jpg" is listed again \(first on line 2\)/)
    expect(rowCounts(p)).toEqual(EMPTY)
    expect(integrityCheck(p.db)).toBe('ok')
  })

  it('refuses a path that escapes through a symlink, naming its line', async () => {
    const dir = tmp()
    const root = await dataset(dir)
    await writeImage(join(dir, 'secret', 'x.jpg'), 99)
    symlinkSync(join(dir, 'secret'), join(root, 'images', 'link'))
    write(
      join(root, 'l.csv'),
      csv([
        ['path', 'label'],
        ['images/angry/angry_0.jpg', 'anger'],
        ['images/link/x.jpg', 'anger']
      ])
    )
    const p = project(dir)
    const e = await refused(p, join(root, 'l.csv'))
    expect(e.problems).toHaveLength(1)
    expect(e.problems[0].line).toBe(3)
    expect(e.problems[0].message).toMatch(/resolves outside the dataset root/)
    expect(rowCounts(p)).toEqual(EMPTY)
  })

  it('names the line of a quote error and of bytes that are not UTF-8', async () => {
    const dir = tmp()
    const root = await dataset(dir)
    write(join(root, 'q.csv'), 'path,label\nimages/angry/angry_0.jpg,anger\n"images/happy/happy_0.jpg,happiness\n')
    const p = project(dir)
    const q = await refused(p, join(root, 'q.csv'))
    expect(q.problems[0].message).toMatch(/CSV syntax error/)
    write(
      join(root, 'latin1.csv'),
      Buffer.concat([
        Buffer.from('path,label\nimages/angry/angry_0.jpg,anger\nimages/happy/caf'),
        Buffer.from([0xe9]),
        Buffer.from('.jpg,happy\n')
      ])
    )
    const l = await refused(p, join(root, 'latin1.csv'))
    expect(l.problems[0]).toMatchObject({ line: 3 })
    expect(l.problems[0].message).toMatch(/not valid UTF-8/)
    expect(rowCounts(p)).toEqual(EMPTY)
  })

  it('skips and reports missing files, and refuses a CSV none of whose files exist', async () => {
    const dir = tmp()
    const root = await dataset(dir)
    write(
      join(root, 'm.csv'),
      csv([
        ['path', 'label'],
        ['images/angry/angry_0.jpg', 'anger'],
        ['images/angry/nope.jpg', 'anger']
      ])
    )
    const p = project(dir)
    const r = await importDataset(p, join(root, 'm.csv'))
    expect(r.imported).toBe(1)
    expect(r.skipped).toEqual([{ path: 'images/angry/nope.jpg', reason: 'file not found', line: 3 }])
    write(
      join(root, 'none.csv'),
      csv([
        ['path', 'label'],
        ['x/a.jpg', 'anger'],
        ['x/b.jpg', 'anger']
      ])
    )
    const e = await refused(p, join(root, 'none.csv'))
    expect(e.message).toMatch(/nothing to import: all 2 listed file\(s\) were skipped/)
    expect(rowCounts(p).images).toBe(1)
    expect(integrityCheck(p.db)).toBe('ok')
  })

  it('re-imports its own export shape (extra columns, state column, paths relative to the root)', async () => {
    const dir = tmp()
    const root = await dataset(dir)
    write(
      join(root, 'export.csv'),
      csv([
        ['path', 'label', 'split', 'original_label', 'state', 'reviewed'],
        ['images/angry/angry_0.jpg', 'anger', 'train', 'anger', 'labeled', 'no'],
        ['images/happy/happy_0.jpg', 'sadness', 'test', 'happiness', 'labeled', 'yes'],
        ['images/sad/sad_0.jpg', '', 'val', 'sadness', 'not_face', 'yes']
      ])
    )
    const p = project(dir)
    const r = await importDataset(p, join(root, 'export.csv'))
    expect(r.states).toEqual({ labeled: 2, not_face: 1 })
    const rows = p.db
      .prepare(
        'SELECT i.rel_path, c.name AS label, a.state, i.extra FROM images i JOIN annotations a ON a.image_id = i.id LEFT JOIN classes c ON c.idx = a.current_label ORDER BY i.id'
      )
      .all()
    expect(rows).toEqual([
      {
        rel_path: 'images/angry/angry_0.jpg',
        label: 'anger',
        state: 'labeled',
        extra: '{"original_label":"anger","reviewed":"no"}'
      },
      {
        rel_path: 'images/happy/happy_0.jpg',
        label: 'sadness',
        state: 'labeled',
        extra: '{"original_label":"happiness","reviewed":"yes"}'
      },
      {
        rel_path: 'images/sad/sad_0.jpg',
        label: null,
        state: 'not_face',
        extra: '{"original_label":"sadness","reviewed":"yes"}'
      }
    ])
  })

  it('keeps the import after reopening (it was committed), with one history row per image in one batch', async () => {
    const dir = tmp()
    const root = await dataset(dir)
    write(
      join(root, 'a.csv'),
      csv([
        ['path', 'label'],
        ['images/angry/angry_0.jpg', 'anger'],
        ['images/happy/happy_1.jpg', 'happy']
      ])
    )
    const file = join(dir, 'p.poi')
    const p = createProject(file)
    await importDataset(p, join(root, 'a.csv'))
    p.close()
    const again = openProject(file)
    try {
      const h = again.db
        .prepare('SELECT count(*) AS n, count(DISTINCT batch_id) AS batches, min(source) AS source FROM label_history')
        .get()
      expect(h).toEqual({ n: 2, batches: 1, source: 'import' })
      const ann = again.db
        .prepare('SELECT original_label, current_label, state, original_state FROM annotations ORDER BY image_id')
        .all()
      expect(ann).toEqual([
        { original_label: 1, current_label: 1, state: 'labeled', original_state: 'labeled' },
        { original_label: 0, current_label: 0, state: 'labeled', original_state: 'labeled' }
      ])
    } finally {
      again.close()
    }
  })
})
