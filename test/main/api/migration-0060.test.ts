/** Migration 0060: the queue's joins and sorts are answered from its covering indexes. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { join } from 'node:path'
import { openProjectDb, type ProjectDb } from '../../../src-main/core/store/db'
import { tempDir } from '../../helpers/tmp'

let cleanup: () => void
let p: ProjectDb
const plan = (sql: string): string =>
  (p.db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all() as { detail: string }[]).map((r) => r.detail).join(' | ')

beforeAll(() => {
  const t = tempDir('poi-m60-')
  cleanup = t.cleanup
  p = openProjectDb(join(t.dir, 'p.poi'), { create: true })
})
afterAll(() => {
  p.close()
  cleanup()
})

describe('migration 0060', () => {
  it('creates the indexes', () => {
    const names = (p.db.prepare("SELECT name FROM sqlite_schema WHERE type = 'index'").all() as { name: string }[]).map(
      (r) => r.name
    )
    expect(names).toEqual(expect.arrayContaining(['audit_items_cover', 'predictions_confidence', 'predictions_cover']))
  })

  it('serves the confidence sort from its index (the joins are checked at scale in api-scale)', () => {
    expect(
      plan(
        'SELECT image_id FROM predictions WHERE run_id = 1 AND uem_confidence IS NOT NULL ORDER BY uem_confidence, image_id LIMIT 100'
      )
    ).toContain('COVERING INDEX predictions_confidence')
  })
})
