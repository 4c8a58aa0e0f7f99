import type { Migration } from './types'

/**
 * Version 100: review split between curators (issue 17). One assignment per curator: the queue filter
 * (the `images.queue` filter object, as JSON) whose images that curator reviews; `images.queue` with
 * `filter.assigned = 'me'` ANDs it with the rest of the filter. Setting a curator's assignment again
 * replaces it (actor is unique); store/assignments.ts owns the table.
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
    `)
  }
}
