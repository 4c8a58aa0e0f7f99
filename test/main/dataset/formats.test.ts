import { afterEach, describe, expect, it } from 'vitest'
import { join } from 'node:path'
import { createProject, type Project } from '../../../src-main/core/project'
import { detectFormat, importDataset, ImportError } from '../../../src-main/core/dataset/index'
import { ferplusMajority } from '../../../src-main/core/dataset/formats/ferplus'
import { csv, write, writeImage } from '../../fixtures-gen/images'
import { tempDir } from '../../helpers/tmp'

const cleanups: (() => void)[] = []
afterEach(() => {
  for (const c of cleanups.splice(0)) c()
})
function tmp(): string {
  const t = tempDir('poi-formats-')
  cleanups.push(t.cleanup)
  return t.dir
}
function project(dir: string): Project {
  const p = createProject(join(dir, 'p.poi'))
  cleanups.unshift(() => p.close())
  return p
}
function annotations(
  p: Project
): { path: string; label: string | null; state: string; votes: string | null; split: string | null }[] {
  return p.db
    .prepare(
      `SELECT i.rel_path AS path, c.name AS label, a.state, a.votes, i.split FROM images i JOIN annotations a ON a.image_id = i.id
       LEFT JOIN classes c ON c.idx = a.current_label ORDER BY i.id`
    )
    .all() as never
}

describe('FERPlus majority rule', () => {
  // votes: neutral, happiness, surprise, sadness, anger, disgust, fear, contempt, unknown, NF
  it.each([
    [[0, 10, 0, 0, 0, 0, 0, 0, 0, 0], 'labeled', 'happiness'],
    [[4, 6, 0, 0, 0, 0, 0, 0, 0, 0], 'labeled', 'happiness'], // 6 > 5
    [[5, 5, 0, 0, 0, 0, 0, 0, 0, 0], 'unknown', null], // a tie holds only half
    [[6, 1, 1, 1, 1, 0, 0, 0, 0, 0], 'labeled', 'neutral'], // single votes dropped: 6 of 6
    [[4, 3, 3, 0, 0, 0, 0, 0, 0, 0], 'unknown', null], // 4 of 10 is no majority
    [[1, 1, 1, 1, 1, 1, 1, 1, 1, 1], 'unknown', null], // nothing left after dropping single votes
    [[0, 2, 0, 0, 0, 0, 0, 0, 8, 0], 'unknown', null], // "unknown" wins
    [[0, 0, 0, 0, 0, 0, 0, 2, 0, 8], 'not_face', null], // "NF" wins
    [[0, 0, 0, 0, 0, 0, 0, 7, 0, 3], 'labeled', 'contempt']
  ])('%j → %s %s', (votes, state, label) => {
    expect(ferplusMajority(votes)).toEqual({ state, label })
  })
})

describe('FERPlus import', () => {
  it('labels by majority, keeps votes, finds images in FERPlus usage folders, skips nameless rows', async () => {
    const dir = tmp()
    const data = join(dir, 'data')
    await writeImage(join(data, 'FER2013Train', 'fer0000000.png'), 1, 'png')
    await writeImage(join(data, 'FER2013Train', 'fer0000001.png'), 2, 'png')
    await writeImage(join(data, 'FER2013Valid', 'fer0000002.png'), 3, 'png')
    await writeImage(join(data, 'FER2013Test', 'fer0000003.png'), 4, 'png')
    const file = join(dir, 'fer2013new.csv')
    write(
      file,
      csv([
        [
          'Usage',
          'Image name',
          'neutral',
          'happiness',
          'surprise',
          'sadness',
          'anger',
          'disgust',
          'fear',
          'contempt',
          'unknown',
          'NF'
        ],
        ['Training', 'fer0000000.png', 4, 6, 0, 0, 0, 0, 0, 0, 0, 0],
        ['Training', 'fer0000001.png', 0, 0, 0, 0, 0, 0, 0, 0, 2, 8],
        ['Training', '', 10, 0, 0, 0, 0, 0, 0, 0, 0, 0],
        ['PublicTest', 'fer0000002.png', 3, 3, 4, 0, 0, 0, 0, 0, 0, 0],
        ['PrivateTest', 'fer0000003.png', 0, 0, 0, 0, 0, 0, 0, 9, 1, 0]
      ])
    )
    expect(detectFormat(file)).toBe('ferplus')
    const p = project(dir)
    const r = await importDataset(p, file, { root: data })
    expect(r.format).toBe('ferplus')
    expect(r.imported).toBe(4)
    expect(r.skipped).toEqual([{ path: '', line: 4, reason: 'no image name (a FER2013 row FERPlus dropped)' }])
    expect(r.states).toEqual({ labeled: 2, not_face: 1, unknown: 1 })
    expect(p.classes()).toEqual(['neutral', 'happiness', 'surprise', 'sadness', 'anger', 'disgust', 'fear', 'contempt'])
    expect(annotations(p)).toEqual([
      {
        path: 'FER2013Train/fer0000000.png',
        label: 'happiness',
        state: 'labeled',
        votes: '[4,6,0,0,0,0,0,0]',
        split: 'train'
      },
      {
        path: 'FER2013Train/fer0000001.png',
        label: null,
        state: 'not_face',
        votes: '[0,0,0,0,0,0,0,0]',
        split: 'train'
      },
      { path: 'FER2013Valid/fer0000002.png', label: null, state: 'unknown', votes: '[3,3,4,0,0,0,0,0]', split: 'val' },
      {
        path: 'FER2013Test/fer0000003.png',
        label: 'contempt',
        state: 'labeled',
        votes: '[0,0,0,0,0,0,0,9]',
        split: 'test'
      }
    ])
    expect(p.db.prepare("SELECT extra FROM images WHERE rel_path LIKE '%0001.png'").pluck().get()).toBe(
      '{"unknown":2,"NF":8}'
    )
  })

  it('refuses bad vote cells naming the line', async () => {
    const dir = tmp()
    const file = join(dir, 'v.csv')
    write(
      file,
      csv([
        [
          'Usage',
          'Image name',
          'neutral',
          'happiness',
          'surprise',
          'sadness',
          'anger',
          'disgust',
          'fear',
          'contempt',
          'unknown',
          'NF'
        ],
        ['Training', 'a.png', 1, 'x', 0, 0, 0, 0, 0, 0, 0, 0]
      ])
    )
    const p = project(dir)
    await expect(importDataset(p, file)).rejects.toThrow(
      /v\.csv:2: vote "x" in column happiness is not a non-negative integer/
    )
  })
})

describe('RAF-DB import', () => {
  it('maps codes 1-7, takes the split from the name, and accepts the _aligned file naming', async () => {
    const dir = tmp()
    const basic = join(dir, 'basic')
    await writeImage(join(basic, 'Image', 'aligned', 'train_00001_aligned.jpg'), 1)
    await writeImage(join(basic, 'Image', 'aligned', 'train_00002_aligned.jpg'), 2)
    await writeImage(join(basic, 'Image', 'aligned', 'test_0001_aligned.jpg'), 3)
    const file = join(basic, 'EmoLabel', 'list_patition_label.txt')
    write(file, 'train_00001.jpg 5\ntrain_00002.jpg 1\n\ntest_0001.jpg 7\r\n')
    expect(detectFormat(file)).toBe('rafdb')
    const p = project(dir)
    const r = await importDataset(p, file)
    expect(r.format).toBe('rafdb')
    expect(annotations(p).map((a) => [a.path, a.label, a.split])).toEqual([
      ['train_00001_aligned.jpg', 'sadness', 'train'],
      ['train_00002_aligned.jpg', 'surprise', 'train'],
      ['test_0001_aligned.jpg', 'neutral', 'test']
    ])
    expect(p.classes()).toHaveLength(7)
  })

  it('refuses labels outside 1-7 and malformed lines, naming them', async () => {
    const dir = tmp()
    await writeImage(join(dir, 'train_00001.jpg'), 1)
    const file = join(dir, 'list_patition_label.txt')
    write(file, 'train_00001.jpg 5\ntrain_00002.jpg 9\njust-a-name\n')
    const p = project(dir)
    const e = (await importDataset(p, file, { format: 'rafdb' }).catch((x) => x)) as ImportError
    expect(e).toBeInstanceOf(ImportError)
    expect(e.problems.map((x) => x.line)).toEqual([2, 3])
    expect(e.message).toMatch(/label "9" is not a RAF-DB code 1-7/)
  })
})

describe('AffectNet import', () => {
  it('maps expression codes 0-10 to classes and states, keeps the face box, splits by file name', async () => {
    const dir = tmp()
    const imgs = join(dir, 'Manually_Annotated_Images')
    for (let i = 0; i < 5; i++) await writeImage(join(imgs, '12', `f${i}.jpg`), 10 + i, 'jpeg', 64, 3)
    const file = join(dir, 'validation.csv')
    const header = [
      'subDirectory_filePath',
      'face_x',
      'face_y',
      'face_width',
      'face_height',
      'facial_landmarks',
      'expression',
      'valence',
      'arousal'
    ]
    write(
      file,
      csv([
        header,
        ['12/f0.jpg', 4, 4, 50, 52, '"1.0;2.0"', 1, 0.5, 0.2],
        ['12/f1.jpg', 0, 0, 64, 64, '""', 7, -0.1, 0.3],
        ['12/f2.jpg', 0, 0, 64, 64, '""', 8, 0, 0],
        ['12/f3.jpg', 0, 0, 64, 64, '""', 9, 0, 0],
        ['12/f4.jpg', 0, 0, 64, 64, '""', 10, -2, -2]
      ])
    )
    expect(detectFormat(file)).toBe('affectnet')
    const p = project(dir)
    const r = await importDataset(p, file)
    expect(r.format).toBe('affectnet')
    expect(annotations(p).map((a) => [a.label, a.state, a.split])).toEqual([
      ['happiness', 'labeled', 'val'],
      ['contempt', 'labeled', 'val'],
      [null, 'unlabeled', 'val'],
      [null, 'unknown', 'val'],
      [null, 'not_face', 'val']
    ])
    expect(
      JSON.parse(p.db.prepare("SELECT extra FROM images WHERE rel_path = '12/f0.jpg'").pluck().get() as string)
    ).toEqual({
      expression: 1,
      face: [4, 4, 50, 52],
      valence: 0.5,
      arousal: 0.2
    })
    // The face box reaches the face step.
    const seen: unknown[] = []
    const p2 = createProject(join(dir, 'q.poi'))
    try {
      await importDataset(p2, file, { prepareFace: (img, ctx) => (seen.push(ctx.faceBox), img) })
    } finally {
      p2.close()
    }
    expect(seen).toContainEqual([4, 4, 50, 52])
  })

  it('refuses unknown expression codes naming the line', async () => {
    const dir = tmp()
    const file = join(dir, 'training.csv')
    write(
      file,
      csv([
        ['subDirectory_filePath', 'expression'],
        ['a/b.jpg', 11]
      ])
    )
    const p = project(dir)
    await expect(importDataset(p, file)).rejects.toThrow(
      /training\.csv:2: expression "11" is not an AffectNet code 0-10/
    )
  })
})
