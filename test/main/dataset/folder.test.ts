import { afterEach, describe, expect, it } from 'vitest'
import { copyFileSync, mkdirSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { createProject, type Project } from '../../../src-main/core/project'
import { detectFormat, importDataset, ImportError } from '../../../src-main/core/dataset/index'
import { integrityCheck } from '../../../src-main/core/store/db'
import {
  blobImage,
  encode,
  hugePngHeader,
  makeClassFolders,
  paletteTiff,
  truncated,
  write,
  writeImage
} from '../../fixtures-gen/images'
import { tempDir } from '../../helpers/tmp'

const cleanups: (() => void)[] = []
afterEach(() => {
  for (const c of cleanups.splice(0)) c()
})
function tmp(): string {
  const t = tempDir('poi-folder-')
  cleanups.push(t.cleanup)
  return t.dir
}
function project(dir: string): Project {
  const p = createProject(join(dir, 'p.poi'))
  cleanups.unshift(() => p.close())
  return p
}
async function refusal(p: Project, source: string): Promise<ImportError> {
  try {
    await importDataset(p, source)
  } catch (e) {
    if (e instanceof ImportError) return e
    throw e
  }
  throw new Error('not refused')
}

describe('class-folder import', () => {
  it('says a file name is not UTF-8 instead of "file not found"', async () => {
    const dir = tmp()
    const root = join(dir, 'ds')
    await makeClassFolders(root, { happy: 2 })
    // Latin-1 "café.png": byte 0xE9 alone is not UTF-8.
    const raw = Buffer.concat([Buffer.from(join(root, 'happy', 'caf')), Buffer.from([0xe9]), Buffer.from('.png')])
    copyFileSync(join(root, 'happy', readdirSync(join(root, 'happy'))[0]), raw)
    const r = await importDataset(project(dir), root)
    expect(r.imported).toBe(2)
    expect(r.skipped).toEqual([
      expect.objectContaining({
        path: 'happy/caf\uFFFD.png',
        reason: expect.stringMatching(/not valid UTF-8 \(bytes 636166e92e706e67\)/)
      })
    ])
  })

  it('imports root/<class>/ trees with class names normalised', async () => {
    const dir = tmp()
    const root = join(dir, 'ds')
    await makeClassFolders(root, { Angry: 2, happy: 3, neutral: 1 })
    write(join(root, 'README.txt'), 'hello')
    write(join(root, 'happy', 'notes.md'), 'x')
    write(join(root, 'happy', '.DS_Store'), 'x')
    expect(detectFormat(root)).toBe('folder')
    const p = project(dir)
    const r = await importDataset(p, root)
    expect(r.format).toBe('folder')
    expect(r.countsByClass).toEqual({ anger: 2, happiness: 3, neutral: 1 })
    expect(r.countsBySplit).toEqual({ none: 6 })
    expect(r.classMapping).toEqual({ Angry: 'anger', happy: 'happiness' })
    expect(r.skipped.map((s) => [s.path, s.reason]).sort()).toEqual([
      ['README.txt', 'not inside a class folder'],
      ['happy/.DS_Store', 'hidden file or folder'],
      ['happy/notes.md', 'not an image file name']
    ])
    expect(p.classes()).toEqual(['neutral', 'happiness', 'anger'])
  })

  it('takes the split from a train/test level in any case (Training, PublicTest, VAL)', async () => {
    const dir = tmp()
    const root = join(dir, 'ds')
    await makeClassFolders(root, { angry: 2, sad: 1 }, { split: 'Training', seedBase: 1 })
    await makeClassFolders(root, { angry: 1 }, { split: 'PublicTest', seedBase: 100 })
    await makeClassFolders(root, { sad: 1 }, { split: 'test', seedBase: 200 })
    const p = project(dir)
    const r = await importDataset(p, root)
    expect(r.countsBySplitClass).toEqual({ train: { anger: 2, sadness: 1 }, val: { anger: 1 }, test: { sadness: 1 } })
    expect(p.db.prepare('SELECT DISTINCT source_split FROM images ORDER BY 1').pluck().all()).toEqual([
      'PublicTest',
      'Training',
      'test'
    ])
  })

  it('refuses unknown class folders and empty folders with a clear message', async () => {
    const dir = tmp()
    const p = project(dir)
    const root = join(dir, 'ds')
    await makeClassFolders(root, { happy: 1, confused: 1 })
    const e = await refusal(p, root)
    expect(e.message).toMatch(/folder "confused" is not a class name/)
    const empty = join(dir, 'empty')
    mkdirSync(empty)
    const e2 = await refusal(p, empty)
    expect(e2.message).toMatch(/no images found/)
    expect(p.db.prepare('SELECT count(*) FROM images').pluck().get()).toBe(0)
  })

  it('imports undecodable files with their reason and never a pixel row; JAFFE-like palette TIFFs as gray', async () => {
    const dir = tmp()
    const root = join(dir, 'ds')
    await writeImage(join(root, 'happy', 'ok.jpg'), 1)
    const good = await encode(blobImage(2), 'jpeg')
    write(join(root, 'happy', 'cut.jpg'), truncated(good, 0.5))
    write(join(root, 'happy', 'text.png'), 'I am not a PNG\n')
    write(join(root, 'happy', 'bomb.png'), hugePngHeader(30000, 30000))
    write(join(root, 'happy', 'vector.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>')
    const gray = blobImage(3, 64, 64)
    write(join(root, 'sad', 'KA.SA1.tiff'), paletteTiff(gray.data, 64, 64))
    const p = project(dir)
    const r = await importDataset(p, root)
    expect(r.imported).toBe(6)
    expect(r.decoded).toBe(2)
    const reasons = Object.fromEntries(r.decodeErrors.map((e) => [e.path, e.reason]))
    expect(reasons['happy/cut.jpg']).toMatch(/truncated or corrupt jpeg/)
    expect(reasons['happy/text.png']).toMatch(/not an image/)
    expect(reasons['happy/bomb.png']).toMatch(/exceeds the 100 MP limit/)
    expect(reasons['happy/vector.svg']).toMatch(/unsupported format svg/)
    const rows = p.db
      .prepare(
        'SELECT rel_path, decode_status, channels, (SELECT count(*) FROM pixel_cache c WHERE c.image_id = i.id) AS px FROM images i ORDER BY rel_path'
      )
      .all() as { rel_path: string; decode_status: string; channels: number | null; px: number }[]
    for (const row of rows) expect(row.px, row.rel_path).toBe(row.decode_status === 'ok' ? 1 : 0)
    expect(rows.find((x) => x.rel_path === 'sad/KA.SA1.tiff')).toMatchObject({ decode_status: 'ok', channels: 1 })
    // Labels of undecodable files are kept, so curators see them.
    expect(
      p.db
        .prepare(
          "SELECT count(*) FROM annotations a JOIN images i ON i.id = a.image_id WHERE i.decode_status = 'error' AND a.state = 'labeled'"
        )
        .pluck()
        .get()
    ).toBe(4)
    expect(integrityCheck(p.db)).toBe('ok')
  })

  it('skips files already imported from the same root and refuses an import that adds nothing', async () => {
    const dir = tmp()
    const root = join(dir, 'ds')
    await makeClassFolders(root, { happy: 2 })
    const p = project(dir)
    await importDataset(p, root)
    await makeClassFolders(root, { sad: 1 }, { seedBase: 50 })
    const r = await importDataset(p, root)
    expect(r.imported).toBe(1)
    expect(r.skipped.filter((s) => /already in the project \(import #1\)/.test(s.reason))).toHaveLength(2)
    const e = await refusal(p, root)
    expect(e.message).toMatch(/nothing to import/)
    expect(p.db.prepare('SELECT count(*) FROM imports').pluck().get()).toBe(2)
  })
})
