import type { Migration } from './types'

/**
 * Version 40: audit results. One `audits` row per audit run (its full config and a summary, both
 * JSON), one `audit_items` row per audited image.
 *
 * `flags` is a bitmask (bit values in src-main/core/audit/flags.ts, fixed forever: 1 likely_mislabeled,
 * 2 ambiguous, 4 region_conflict, 8 duplicate_conflict, 16 no_face, 32 several_faces,
 * 64 trn_disagrees, 128 oim_disagrees). SQLite cannot index single bits, so each actionable flag
 * has a partial index; a query uses it when its WHERE repeats the index's condition verbatim
 * (`flags & N != 0`), which `auditItems()` does.
 */
export const migration0040: Migration = {
  version: 40,
  name: 'audits',
  up(db) {
    db.exec(`
      CREATE TABLE audits (
        id INTEGER PRIMARY KEY,
        run_id INTEGER REFERENCES runs(id) ON DELETE CASCADE,
        method TEXT NOT NULL CHECK (method IN ('poi', 'cl')),
        created_at TEXT NOT NULL,
        config TEXT NOT NULL,                -- JSON AuditConfig (every threshold used)
        summary TEXT NOT NULL                -- JSON AuditSummary
      ) STRICT;

      CREATE TABLE audit_items (
        audit_id INTEGER NOT NULL REFERENCES audits(id) ON DELETE CASCADE,
        image_id INTEGER NOT NULL REFERENCES images(id),
        given_label INTEGER,                 -- the label the audit judged (current_label at audit time)
        score REAL,                          -- label-quality score in [0, 1]; lower = more likely wrong; null = not scored
        rank INTEGER,                        -- 1 = lowest score; null = not scored
        suggested_label INTEGER,
        strength REAL,                       -- evidence for the suggestion, [0, 1]
        flags INTEGER NOT NULL DEFAULT 0,    -- bitmask, see above
        signals TEXT,                        -- JSON per-image signals (self-confidence, margins, divergences ...)
        explanation TEXT,                    -- JSON explanation (regions, AUs, sentence)
        PRIMARY KEY (audit_id, image_id)
      ) STRICT;
      CREATE INDEX audit_items_score ON audit_items(audit_id, score, image_id);
      CREATE INDEX audit_items_rank ON audit_items(audit_id, rank);
      CREATE INDEX audit_items_image ON audit_items(image_id);
      CREATE INDEX audit_items_flagged ON audit_items(audit_id, score) WHERE flags != 0;
      CREATE INDEX audit_items_f_mislabeled ON audit_items(audit_id, score) WHERE flags & 1 != 0;
      CREATE INDEX audit_items_f_ambiguous ON audit_items(audit_id, score) WHERE flags & 2 != 0;
      CREATE INDEX audit_items_f_region ON audit_items(audit_id, score) WHERE flags & 4 != 0;
      CREATE INDEX audit_items_f_duplicate ON audit_items(audit_id, score) WHERE flags & 8 != 0;
      CREATE INDEX audit_items_f_noface ON audit_items(audit_id, score) WHERE flags & 16 != 0;
      CREATE INDEX audit_items_f_severalfaces ON audit_items(audit_id, score) WHERE flags & 32 != 0;
    `)
  }
}
