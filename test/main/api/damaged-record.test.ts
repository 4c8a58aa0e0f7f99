/**
 * Stored JSON that no longer parses (a run's metrics, an import report, an image's face box) is not
 * turned into null silently: the API logs the record and column, and the view lists it in `damaged`
 * so the UI can say "damaged record". Real project file, corrupted with plain SQL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApi, type Api } from '../../../src-main/core/api/handlers'
import { openProject } from '../../../src-main/core/project'
import { tempDir } from '../../helpers/tmp'
import { addRun, makeProjectFile } from './fixture'

let cleanup: () => void
let api: Api
const logged: string[] = []
let runId: number

beforeAll(async () => {
  const t = tempDir('poi-damaged-')
  cleanup = t.cleanup
  const f = await makeProjectFile(t.dir, 4)
  const p = openProject(f.file)
  try {
    runId = addRun(p.db, [1, 2, 3, 4])
    p.db.prepare('UPDATE runs SET metrics = ? WHERE id = ?').run('{"epochs": 3, "final": [', runId)
    p.db.prepare('UPDATE imports SET report = ? WHERE id = 1').run('{not json')
    p.db
      .prepare(
        "INSERT INTO faces (image_id, status, mode, det_score, box, landmarks, faces_found, updated_at) VALUES (2, 'aligned', 'auto', 0.9, ?, NULL, 1, ?)"
      )
      .run('[1, 2, 3', new Date().toISOString())
  } finally {
    p.close()
  }
  api = createApi({ mode: 'test', log: (m) => logged.push(m) })
  api.session.open(f.file)
})
afterAll(async () => {
  await api.close()
  cleanup()
})

describe('damaged stored records', () => {
  it('runs.list: metrics that are not JSON are logged and marked damaged', async () => {
    const r = await api.dispatch('runs.list', {})
    expect(r.ok).toBe(true)
    const run = (r as { value: { id: number; metrics: unknown; damaged?: string[] }[] }).value.find(
      (x) => x.id === runId
    )!
    expect(run.metrics).toBeNull()
    expect(run.damaged).toEqual(['metrics'])
    expect(logged.join('\n')).toMatch(new RegExp(`damaged record: run ${runId} metrics is not valid JSON`))
  })

  it('import.report and images.detail say which column is damaged; intact records carry no mark', async () => {
    const imp = await api.dispatch('import.report', { importId: 1 })
    expect(imp).toMatchObject({ ok: true, value: [{ id: 1, report: null, damaged: ['report'] }] })
    const d2 = await api.dispatch('images.detail', { imageId: 2 })
    expect(d2).toMatchObject({ ok: true, value: { damaged: ['face.box'], face: { box: null } } })
    expect(logged.join('\n')).toMatch(/damaged record: image 2 face\.box is not valid JSON/)
    const d1 = await api.dispatch('images.detail', { imageId: 1 })
    expect(d1.ok && 'damaged' in (d1.value as object)).toBe(false)
  })
  it('logs a damaged record once, with its image id, however often the review reads it (issue 16, item 11)', async () => {
    const lines = () => logged.filter((l) => l.includes('damaged record: image 2 face.box')).length
    for (let i = 0; i < 5; i++)
      expect(await api.dispatch('images.detail', { imageId: 2 })).toMatchObject({
        ok: true,
        value: { damaged: ['face.box'] }
      })
    expect(lines()).toBe(1)
    for (let i = 0; i < 3; i++) await api.dispatch('runs.list', {})
    expect(logged.filter((l) => l.includes(`damaged record: run ${runId} metrics`)).length).toBe(1)
  })
})
