import { afterEach, describe, expect, it } from 'vitest'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import sharp from 'sharp'
import { createProject, openProject, type Project } from '../../../src-main/core/project'
import { ensurePixelCache, importDataset, ImportAbortedError } from '../../../src-main/core/dataset/index'
import { projectSummary } from '../../../src-main/core/dataset/summary'
import { getThumbnail, readPixels } from '../../../src-main/core/store/cache'
import { integrityCheck } from '../../../src-main/core/store/db'
import { ProjectError } from '../../../src-main/core/store/errors'
import { blobImage, csv, encode, makeClassFolders, write } from '../../fixtures-gen/images'
import { tempDir } from '../../helpers/tmp'

const cleanups: (() => void)[] = []
afterEach(() => {
  for (const c of cleanups.splice(0)) c()
})
function tmp(): string {
  const t = tempDir('poi-import-')
  cleanups.push(t.cleanup)
  return t.dir
}
function project(dir: string, opts = {}): Project {
  const p = createProject(join(dir, 'p.poi'), opts)
  cleanups.unshift(() => p.close())
  return p
}
const ids = (p: Project, where: string): number[] =>
  p.db.prepare(`SELECT id FROM images WHERE ${where} ORDER BY id`).pluck().all() as number[]

describe('duplicates', () => {
  it('groups same bytes, same pixels (PNG vs TIFF) and JPEG re-encodes, and flags conflicting labels', async () => {
    const dir = tmp()
    const root = join(dir, 'ds')
    const a = blobImage(1)
    const b = blobImage(2)
    const aPng = await encode(a, 'png')
    write(join(root, 'a.png'), aPng)
    write(join(root, 'a_copy.png'), aPng) // same bytes
    write(join(root, 'a.tif'), await encode(a, 'tiff')) // same pixels
    write(join(root, 'a.jpg'), await encode(a, 'jpeg', { quality: 92 })) // near
    write(join(root, 'b.png'), await encode(b, 'png'))
    write(join(root, 'b_copy.png'), await encode(b, 'png'))
    write(join(root, 'c.png'), await encode(blobImage(3), 'png'))
    write(
      join(root, 'labels.csv'),
      csv([
        ['path', 'label', 'split'],
        ['a.png', 'happy', 'train'],
        ['a_copy.png', 'happy', 'test'],
        ['a.tif', 'sad', 'train'],
        ['a.jpg', 'happy', 'train'],
        ['b.png', 'anger', 'train'],
        ['b_copy.png', 'anger', 'train'],
        ['c.png', 'fear', 'train']
      ])
    )
    const p = project(dir)
    const r = await importDataset(p, join(root, 'labels.csv'))
    expect(r.duplicates.exact).toEqual({ groups: 2, images: 4, conflicting: 0, crossSplit: 1 })
    expect(r.duplicates.pixel).toEqual({ groups: 2, images: 5, conflicting: 1, crossSplit: 1 })
    expect(r.duplicates.near).toEqual({ groups: 2, images: 6, conflicting: 1, crossSplit: 1 })
    const conflicting = r.conflictingGroups.map((g) => [g.kind, g.paths])
    expect(conflicting).toEqual([
      ['pixel', ['a.png', 'a_copy.png', 'a.tif']],
      ['near', ['a.png', 'a_copy.png', 'a.tif', 'a.jpg']]
    ])
    expect(r.warnings.join('\n')).toMatch(/1 group\(s\) of identical files span more than one split/)
    // dup_group: strict duplicates (bytes or pixels); near_group also holds the JPEG re-encode.
    const [aId] = ids(p, "rel_path = 'a.png'")
    expect(ids(p, `dup_group = ${aId}`)).toEqual(ids(p, "rel_path IN ('a.png', 'a_copy.png', 'a.tif')"))
    expect(ids(p, `near_group = ${aId}`)).toEqual(ids(p, "rel_path LIKE 'a%'"))
    expect(ids(p, "rel_path = 'c.png' AND dup_group IS NULL AND near_group IS NULL")).toHaveLength(1)
    // info sees the same groups.
    const s = projectSummary(p)
    expect(s.duplicates.pixel.conflicting).toBe(1)
    expect(s.conflictingGroups).toHaveLength(2)
  })

  it('finds copies across imports (a second dataset that repeats the first)', async () => {
    const dir = tmp()
    const one = join(dir, 'one')
    const two = join(dir, 'two')
    await makeClassFolders(one, { happy: 3 }, { seedBase: 1 })
    await makeClassFolders(two, { sad: 2 }, { seedBase: 2 }) // seeds 2, 3 repeat happy_1, happy_2
    const p = project(dir)
    await importDataset(p, one)
    const r = await importDataset(p, two)
    expect(r.duplicates.exact).toMatchObject({ groups: 2, images: 4, conflicting: 2 })
  })
})

describe('pixel cache and thumbnails', () => {
  it('caches every decoded image at the project size, readable in bulk in id order', async () => {
    const dir = tmp()
    const root = join(dir, 'ds')
    const small = blobImage(1, 48, 48)
    write(join(root, 'happy', 'small.png'), await encode(small, 'png'))
    write(join(root, 'happy', 'wide.png'), await encode(blobImage(2, 96, 48, 3), 'png'))
    write(join(root, 'sad', 'big.jpg'), await encode(blobImage(3, 200, 200), 'jpeg'))
    const p = project(dir)
    await importDataset(p, root)
    const all = ids(p, '1')
    const px = readPixels(p.db, all, 48, 1)
    expect(px.length).toBe(3 * 48 * 48)
    const first = ids(p, "rel_path = 'happy/small.png'")[0]
    const i = all.indexOf(first)
    expect(Buffer.from(px.subarray(i * 2304, (i + 1) * 2304)).equals(Buffer.from(small.data))).toBe(true)
    expect(() => readPixels(p.db, all, 64, 1)).toThrow(ProjectError)
    expect(() => readPixels(p.db, all, 64, 1)).toThrow(/no 64×64×1 pixel cache for image\(s\) 1, 2, 3/)
    // Thumbnails: tiny PNGs are stored as they are; bigger images become WebP ≤ 128 px.
    const t1 = getThumbnail(p.db, first)!
    expect(t1.mime).toBe('image/png')
    const big = getThumbnail(p.db, ids(p, "rel_path = 'sad/big.jpg'")[0])!
    expect([big.mime, big.width, big.height]).toEqual(['image/webp', 128, 128])
    expect((await sharp(big.data).metadata()).format).toBe('webp')
  })

  it('centre-crops non-square images (cover) and honours an RGB project', async () => {
    const dir = tmp()
    const root = join(dir, 'ds')
    // Left half black, right half white, 96×48: a centre crop keeps the middle 48 columns.
    const w = 96
    const h = 48
    const data = new Uint8Array(w * h * 3)
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) data.fill(x < w / 2 ? 0 : 255, (y * w + x) * 3, (y * w + x) * 3 + 3)
    write(join(root, 'happy', 'halves.png'), await encode({ data, width: w, height: h, channels: 3 }, 'png'))
    const p = project(dir, { inputSize: 24, channels: 3 })
    await importDataset(p, root)
    const px = readPixels(p.db, ids(p, '1'), 24, 3)
    expect(px.length).toBe(24 * 24 * 3)
    // Row 0: first column black, last column white (crop, not a squash of 96 into 24).
    expect(px[0]).toBe(0)
    expect(px[23 * 3]).toBe(255)
  })

  it('ensurePixelCache builds another size from the sources, skipping changed files, and resumes', async () => {
    const dir = tmp()
    const root = join(dir, 'ds')
    await makeClassFolders(root, { happy: 3, sad: 2 }, { size: 64 })
    const p = project(dir)
    await importDataset(p, root)
    writeFileSync(join(root, 'sad', 'sad_1.jpg'), await encode(blobImage(999, 64, 64), 'jpeg'))
    const events: number[] = []
    const r = await ensurePixelCache(p, 32, 3, { progress: (e) => events.push(e.done) })
    expect(r).toMatchObject({ size: 32, channels: 3, built: 4, alreadyCached: 0 })
    expect(r.failed).toHaveLength(1)
    expect(r.failed[0].reason).toMatch(/changed since import/)
    expect(events.at(-1)).toBe(5)
    const again = await ensurePixelCache(p, 32, 3)
    expect(again).toMatchObject({ built: 0, alreadyCached: 4 })
    const ok = ids(p, "rel_path != 'sad/sad_1.jpg'")
    expect(readPixels(p.db, ok, 32, 3).length).toBe(4 * 32 * 32 * 3)
  })
})

describe('all or nothing', () => {
  it('an aborted import writes nothing', async () => {
    const dir = tmp()
    const root = join(dir, 'ds')
    await makeClassFolders(root, { happy: 6 }, { size: 16 })
    const p = project(dir)
    const ac = new AbortController()
    const run = importDataset(p, root, { signal: ac.signal, onChunk: () => ac.abort() })
    await expect(run).rejects.toBeInstanceOf(ImportAbortedError)
    for (const t of [
      'images',
      'annotations',
      'label_history',
      'imports',
      'datasets',
      'pixel_cache',
      'thumbnails',
      'classes'
    ]) {
      expect(p.db.prepare(`SELECT count(*) FROM ${t}`).pluck().get(), t).toBe(0)
    }
    expect(p.db.inTransaction).toBe(false)
    expect(integrityCheck(p.db)).toBe('ok')
    // The project is usable afterwards.
    const r = await importDataset(p, root)
    expect(r.imported).toBe(6)
  })

  it('an error thrown by the face step rolls back the whole import', async () => {
    const dir = tmp()
    const root = join(dir, 'ds')
    await makeClassFolders(root, { happy: 4 })
    const p = project(dir)
    let n = 0
    await expect(
      importDataset(p, root, {
        prepareFace: (img) => {
          if (++n === 3) throw new Error('aligner crashed')
          return img
        }
      })
    ).rejects.toThrow(/aligner crashed/)
    expect(p.db.prepare('SELECT count(*) FROM images').pluck().get()).toBe(0)
  })

  it('stores what the face step asks to store, inside the import transaction', async () => {
    const dir = tmp()
    const root = join(dir, 'ds')
    await makeClassFolders(root, { happy: 2 })
    const p = project(dir)
    const stored: number[] = []
    await importDataset(p, root, {
      prepareFace: (img) => ({ pixels: img, store: (db, id) => void stored.push(db.inTransaction ? id : -1) })
    })
    expect(stored).toEqual(ids(p, '1'))
  })
})

describe('project', () => {
  it('creates, reopens and describes a project; refuses to overwrite or bad settings', () => {
    const dir = tmp()
    const file = join(dir, 'x.poi')
    const p = createProject(file, { name: 'My set', inputSize: 64, channels: 3 })
    const s = p.settings()
    expect(s).toMatchObject({ name: 'My set', inputSize: 64, channels: 3 })
    expect(s.createdWith).toMatch(/^\d+\.\d+\.\d+/)
    p.close()
    expect(() => createProject(file)).toThrow(/already exists/)
    expect(() => createProject(join(dir, 'y.poi'), { inputSize: 7 })).toThrow(/input size 7/)
    const ro = openProject(file, { readonly: true })
    expect(ro.readonly).toBe(true)
    expect(ro.settings().name).toBe('My set')
    expect(ro.classes()).toEqual([])
    ro.close()
  })
})
