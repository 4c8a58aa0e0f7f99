import type { Migration } from './types'

/**
 * Version 60: covering indexes for the app's review queue (src-main/core/api/queries/queue.ts).
 *
 * audit_items and predictions rows are wide (JSON explanations, Float32 BLOBs), so every lookup that
 * reads one column from the row costs a page read per image. The queue joins both tables for every
 * candidate image and sorts by their scalar columns; these indexes answer those joins and sorts from
 * the index alone (measured at 35,887 images: confidence sort 70 → <5 ms, facet counts ~4× faster).
 */
export const migration0060: Migration = {
  version: 60,
  name: 'api-indexes',
  up(db) {
    db.exec(`
      CREATE INDEX audit_items_cover ON audit_items(audit_id, image_id, score, rank, suggested_label, flags);
      CREATE INDEX predictions_confidence ON predictions(run_id, uem_confidence, image_id);
      CREATE INDEX predictions_cover ON predictions(run_id, image_id, uem_confidence);
    `)
  }
}
