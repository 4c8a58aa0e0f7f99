import type { Migration } from './types'

/**
 * Version 90: the learning review queue's order (core/rerank/queue.ts). One position per scored image
 * of the audit it was computed for; the queue pages through it by keyset like the score order (the
 * (audit_id, gen, pos) index), so a re-ranked 35k queue costs what the static one costs. A new order
 * is written as a new generation in short chunks and switched to atomically by the record in meta
 * (the writer's connection is never held for long); deleting the audit deletes its orders. The settings (on/off,
 * every N decisions) and the last re-rank's record live in `meta` (key/value, no schema).
 */
export const migration0090: Migration = {
  version: 90,
  name: 'queue-order',
  up(db) {
    db.exec(`
      CREATE TABLE queue_order (
        audit_id INTEGER NOT NULL REFERENCES audits(id) ON DELETE CASCADE,
        gen INTEGER NOT NULL,                 -- generation; meta learningQueue.last.gen names the one in use
        image_id INTEGER NOT NULL REFERENCES images(id),
        pos INTEGER NOT NULL,                 -- 0 = first in the queue
        PRIMARY KEY (audit_id, gen, image_id)
      ) STRICT, WITHOUT ROWID;
      CREATE UNIQUE INDEX queue_order_pos ON queue_order(audit_id, gen, pos);
    `)
  }
}
