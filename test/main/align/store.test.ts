import { join } from 'node:path'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import type { AlignResult } from '../../../src-main/core/align/align'
import { faceStatusCounts, faceSummaryLine, flaggedFaces, getFace, saveFace } from '../../../src-main/core/align/store'
import { openProjectDb, type ProjectDb } from '../../../src-main/core/store/db'
import { migration0010 } from '../../../src-main/core/store/migrations/0010-initial'
import { migration0030 } from '../../../src-main/core/store/migrations/0030-faces'
import { checkRegistry, MIGRATIONS } from '../../../src-main/core/store/migrations/index'
import { tempDir } from '../../helpers/tmp'

const tmp = tempDir('poi-faces-')
let project: ProjectDb | null = null
afterEach(() => {
  project?.close()
  project = null
})
afterAll(() => tmp.cleanup())

function open(): ProjectDb {
  project = openProjectDb(join(tmp.dir, `p${Math.random().toString(36).slice(2)}.poi`), {
    create: true,
    migrations: [migration0010, migration0030]
  })
  const db = project.db
  db.exec("INSERT INTO datasets (id, root, added_at) VALUES (1, '/data', 'now')")
  db.exec(
    "INSERT INTO imports (id, dataset_id, format, source, started_at, finished_at, report) VALUES (1, 1, 'folder', '/data', 'n', 'n', '{}')"
  )
  const ins = db.prepare(
    "INSERT INTO images (id, dataset_id, rel_path, sha256, byte_size, decode_status, import_id) VALUES (?, 1, ?, 'h', 1, 'ok', 1)"
  )
  for (let i = 1; i <= 6; i++) ins.run(i, `img${i}.png`)
  return project
}

const landmarks = Array.from({ length: 68 }, (_, i) => ({ x: 10 + i * 0.123456, y: 20 + i }))
function result(status: AlignResult['status'], extra: Partial<AlignResult> = {}): AlignResult {
  const face = status !== 'no-face' && status !== 'skipped'
  return {
    status,
    image: { data: new Uint8Array(3), width: 1, height: 1, channels: 3 },
    detScore: face ? 0.876 : null,
    box: face ? { x: 1.234, y: 2, width: 50, height: 60 } : null,
    landmarks: face ? landmarks : null,
    transform: status === 'aligned' || status === 'several-faces' ? [0.5, -0.1, 3, 0.1, 0.5, -4] : null,
    facesFound: status === 'several-faces' ? 3 : face ? 1 : 0,
    chosenIndex: face ? (status === 'several-faces' ? 1 : 0) : null,
    detector: status === 'skipped' ? null : 'tiny_face_detector@224',
    ...extra
  }
}

describe('faces table (migration 0030)', () => {
  it('is registered, in order, in the real migration list', () => {
    expect(MIGRATIONS.find((m) => m.version === 30)).toBe(migration0030)
    expect(() => checkRegistry(MIGRATIONS)).not.toThrow()
  })

  it('round-trips a record with geometry, counts statuses and lists the curator flags through its index', () => {
    const { db } = open()
    expect(saveFace(db, 1, result('aligned'), 'auto', 112, '2024-01-01T00:00:00.000Z')).toBe(true)
    saveFace(db, 2, result('no-face'), 'auto', 112, 't')
    saveFace(db, 3, result('several-faces'), 'always', 112, 't')
    saveFace(db, 4, result('already-aligned'), 'auto', 112, 't')
    saveFace(db, 5, result('low-score', { detScore: 0.41 }), 'auto', 112, 't')
    expect(saveFace(db, 6, result('skipped'), 'never', 112, 't')).toBe(false)

    const f = getFace(db, 1)!
    expect(f.status).toBe('aligned')
    expect(f.mode).toBe('auto')
    expect(f.detScore).toBeCloseTo(0.876, 9)
    expect(f.box).toEqual({ x: 1.23, y: 2, width: 50, height: 60 })
    expect(f.landmarks).toHaveLength(68)
    expect(f.landmarks![5].x).toBeCloseTo(landmarks[5].x, 2)
    expect(f.transform).toEqual([0.5, -0.1, 3, 0.1, 0.5, -4])
    expect(f.outSize).toBe(112)
    expect(f.updatedAt).toBe('2024-01-01T00:00:00.000Z')
    expect(getFace(db, 4)!.outSize).toBeNull()
    expect(getFace(db, 2)!.landmarks).toBeNull()
    expect(getFace(db, 6)).toBeNull()
    expect(getFace(db, 3)!.facesFound).toBe(3)

    const counts = faceStatusCounts(db)
    expect(counts).toEqual({ aligned: 1, 'already-aligned': 1, 'no-face': 1, 'several-faces': 1, 'low-score': 1 })
    expect(faceSummaryLine(counts)).toBe('faces: 1 aligned, 1 already aligned, 1 no face, 1 several faces, 1 low score')
    expect(flaggedFaces(db)).toEqual([
      { imageId: 2, status: 'no-face' },
      { imageId: 3, status: 'several-faces' },
      { imageId: 5, status: 'low-score' }
    ])
    const plan = (
      db
        .prepare(
          "EXPLAIN QUERY PLAN SELECT image_id AS imageId, status FROM faces WHERE status IN ('no-face', 'several-faces', 'low-score') ORDER BY image_id"
        )
        .all() as { detail: string }[]
    )
      .map((r) => r.detail)
      .join(' | ')
    expect(plan).toMatch(/faces_flagged/)

    // Re-aligning replaces the row.
    saveFace(db, 2, result('aligned'), 'always', 64, 't2')
    expect(getFace(db, 2)!.outSize).toBe(64)
    expect(faceStatusCounts(db)['no-face']).toBe(0)
  })

  it('enforces its value sets and foreign key, and names the row and column of corrupt JSON', () => {
    const { db } = open()
    const ins = (status: string, score: number | null, image = 1) =>
      db
        .prepare(
          "INSERT INTO faces (image_id, status, mode, det_score, faces_found, updated_at) VALUES (?, ?, 'auto', ?, 0, 't')"
        )
        .run(image, status, score)
    expect(() => ins('maybe', null)).toThrow(/CHECK/)
    expect(() => ins('aligned', 1.5)).toThrow(/CHECK/)
    expect(() => ins('aligned', 0.9, 999)).toThrow(/FOREIGN KEY/)
    ins('aligned', 0.9)
    db.prepare("UPDATE faces SET landmarks = '[[1,2],[3' WHERE image_id = 1").run()
    expect(() => getFace(db, 1)).toThrow(/image 1: column landmarks is not JSON/)
    db.prepare("UPDATE faces SET landmarks = NULL, transform = '[1,2,3]' WHERE image_id = 1").run()
    expect(() => getFace(db, 1)).toThrow(/image 1: column transform has an unexpected shape/)
  })
})
