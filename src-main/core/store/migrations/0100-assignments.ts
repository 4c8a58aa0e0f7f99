import type { Migration } from './types'

/**
 * Version 100: review split between curators (issue 17). One assignment per curator: the queue filter
 * (the `images.queue` filter object, as JSON) whose images that curator reviews; `images.queue` with
 * `filter.assigned = 'me'` ANDs it with the rest of the filter. Setting a curator's assignment again
 * replaces it (actor is unique); store/assignments.ts owns the table. A partial index over the curators' decisions in
 * label_history serves the adjudicate queue.
 */
export const migration0100: Migration = {
  version: 100,
  name: 'assignments',
  up(db) {
    db.exec(`
      CREATE TABLE assignments (
        id INTEGER PRIMARY KEY,
        actor TEXT NOT NULL UNIQUE,           -- label_history.actor of the curator it is for
        filter TEXT NOT NULL CHECK (json_valid(filter) AND json_type(filter) = 'object'),
        created_at TEXT NOT NULL,
        created_by TEXT NOT NULL              -- the actor who made the assignment
      ) STRICT;
      -- The adjudicate queue reads curators' decisions per image and actor (api/queries/adjudicate.ts); the import
      -- rows (one per image) stay out of the index, so its scan costs the decisions made, not the project's size.
      CREATE INDEX label_history_decisions ON label_history(image_id, actor, id) WHERE source != 'import';
    `)
  }
}
