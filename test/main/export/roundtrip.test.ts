/**
 * Our CSV export re-imported through the project's own CSV importer (src-main/core/dataset) gives
 * back the same labels and states, image by image.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import sharp from 'sharp'
import { tempDir } from '../../helpers/tmp'
import { createProject, type Project } from '../../../src-main/core/project'
import { importDataset } from '../../../src-main/core/dataset/index'
import { applyChanges } from '../../../src-main/core/store/labels'
import { exportProject } from '../../../src-main/core/export/index'

let open: Project[] = []
let cleanup: (() => void) | null = null
afterEach(() => {
  for (const p of open) p.close()
  open = []
  cleanup?.()
  cleanup = null
})

interface Row {
  rel_path: string
  current: string | null
  original: string | null
  state: string
  split: string | null
}
function rows(p: Project): Row[] {
  return p.db
    .prepare(
      `SELECT i.rel_path, cc.name AS current, co.name AS original, a.state, i.split FROM images i JOIN annotations a ON a.image_id = i.id
       LEFT JOIN classes cc ON cc.idx = a.current_label LEFT JOIN classes co ON co.idx = a.original_label ORDER BY i.rel_path`
    )
    .all() as Row[]
}

describe('CSV export → CSV importer round trip', () => {
  it('re-imports current labels and states exactly', async () => {
    const t = tempDir('poi-roundtrip-')
    cleanup = t.cleanup
    const data = join(t.dir, 'data')
    mkdirSync(join(data, 'imgs'), { recursive: true })
    const files = ['a', 'b', 'c', 'd', 'e', 'f'].map((n) => `imgs/${n}.png`)
    for (const [i, f] of files.entries()) {
      await sharp({
        create: { width: 16, height: 16, channels: 3, background: { r: 30 * i, g: 255 - 30 * i, b: 7 * i } }
      })
        .png()
        .toFile(join(data, f))
    }
    const labels = ['happy', 'sad', 'angry', 'neutral', 'surprise', 'fear']
    writeFileSync(
      join(data, 'labels.csv'),
      'path,label,split\n' + files.map((f, i) => `${f},${labels[i]},${i < 4 ? 'train' : 'test'}`).join('\n') + '\n'
    )
    const a = createProject(join(t.dir, 'a.poi'))
    open.push(a)
    await importDataset(a, join(data, 'labels.csv'), { format: 'csv' })
    const id = (rel: string): number =>
      (a.db.prepare('SELECT id FROM images WHERE rel_path = ?').get(rel) as { id: number }).id
    const cls = (name: string): number => a.classes().indexOf(name as never)
    applyChanges(
      a.db,
      [
        { imageId: id('imgs/a.png'), label: cls('surprise'), review: 'relabeled' },
        { imageId: id('imgs/b.png'), state: 'not_face' },
        { imageId: id('imgs/c.png'), state: 'excluded' },
        {
          imageId: id('imgs/d.png'),
          state: 'ambiguous',
          softLabel: a.classes().map((c) => (c === 'neutral' ? 0.6 : c === 'sadness' ? 0.4 : 0))
        }
      ],
      { actor: 'curator', source: 'curator' }
    )
    // Paths in the export are relative to the dataset root; put the file there, as a user would.
    const out = join(data, 'corrected.csv')
    await exportProject(a.db, { format: 'csv', out })

    const b = createProject(join(t.dir, 'b.poi'))
    open.push(b)
    await importDataset(b, out, { format: 'csv' })
    const before = rows(a)
    const after = rows(b)
    expect(after.map((r) => r.rel_path)).toEqual(before.map((r) => r.rel_path))
    after.forEach((r, i) => {
      expect({ path: r.rel_path, label: r.current, state: r.state, split: r.split }).toEqual({
        path: before[i].rel_path,
        label: before[i].current,
        state: before[i].state,
        split: before[i].split
      })
      // The re-import starts a new history: its original label is the exported current label.
      expect(r.original).toBe(before[i].current)
    })
    expect(after.find((r) => r.rel_path === 'imgs/a.png')).toMatchObject({ current: 'surprise', state: 'labeled' })
    expect(after.find((r) => r.rel_path === 'imgs/b.png')).toMatchObject({ current: 'sadness', state: 'not_face' })
  })
})
