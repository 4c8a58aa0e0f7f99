import type { Migration } from './types'

/**
 * Version 90: the learning review queue's order (core/rerank/queue.ts). One position per scored image
 * of the audit it was computed for; the queue pages through it by keyset like the score order (the
 * (audit_id, pos) index), so a re-ranked 35k queue costs what the static one costs. A new order
 * replaces the old in one transaction; deleting the audit deletes its order. The settings (on/off,
 * every N decisions) and the last re-rank's record live in `meta` (key/value, no schema).
 */
export const migration0090: Migration = {
  version: 90,
  name: 'queue-order',
  up(db) {
    db.exec(`
      CREATE TABLE queue_order (
        audit_id INTEGER NOT NULL REFERENCES audits(id) ON DELETE CASCADE,
        image_id INTEGER NOT NULL REFERENCES images(id),
        pos INTEGER NOT NULL,                 -- 0 = first in the queue
        PRIMARY KEY (audit_id, image_id)
      ) STRICT, WITHOUT ROWID;
      CREATE UNIQUE INDEX queue_order_pos ON queue_order(audit_id, pos);
    `)
  }
}
