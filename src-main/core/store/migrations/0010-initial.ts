import type { Migration } from './types'

/**
 * Version 10: the first schema. Versions step by 10 so a hotfix migration can slot in between.
 *
 * Conventions: timestamps are ISO-8601 UTC strings with milliseconds; class labels are indices into
 * `classes` (the project's ordered class list); float vectors are little-endian Float32 BLOBs.
 */
export const migration0010: Migration = {
  version: 10,
  name: 'initial',
  up(db) {
    db.exec(`
      CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;

      CREATE TABLE classes (idx INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE) STRICT;

      CREATE TABLE datasets (
        id INTEGER PRIMARY KEY,
        root TEXT NOT NULL UNIQUE,           -- absolute, realpath'ed at import
        added_at TEXT NOT NULL
      ) STRICT;

      CREATE TABLE imports (
        id INTEGER PRIMARY KEY,
        dataset_id INTEGER NOT NULL REFERENCES datasets(id),
        format TEXT NOT NULL,                -- folder | csv | ferplus | rafdb | affectnet | demo
        source TEXT NOT NULL,                -- the file or folder given by the user
        started_at TEXT NOT NULL,
        finished_at TEXT NOT NULL,
        report TEXT NOT NULL                 -- JSON ImportReport
      ) STRICT;

      CREATE TABLE images (
        id INTEGER PRIMARY KEY,
        dataset_id INTEGER NOT NULL REFERENCES datasets(id),
        rel_path TEXT NOT NULL,              -- '/'-separated, relative to datasets.root
        sha256 TEXT NOT NULL,                -- of the file bytes
        byte_size INTEGER NOT NULL,
        format TEXT,                         -- jpeg | png | tiff | webp | gif (null when undecodable)
        width INTEGER,
        height INTEGER,
        channels INTEGER,
        split TEXT CHECK (split IN ('train', 'val', 'test')),
        source_split TEXT,                   -- the split as the source wrote it (Training, PublicTest, ...)
        decode_status TEXT NOT NULL CHECK (decode_status IN ('ok', 'error')),
        decode_error TEXT,
        dup_group INTEGER,                   -- id of the first image with the same sha256; null if unique
        import_id INTEGER NOT NULL REFERENCES imports(id),
        UNIQUE (dataset_id, rel_path)
      ) STRICT;
      CREATE INDEX images_sha256 ON images(sha256);
      CREATE INDEX images_split ON images(split);
      CREATE INDEX images_dup_group ON images(dup_group) WHERE dup_group IS NOT NULL;

      CREATE TABLE annotations (
        image_id INTEGER PRIMARY KEY REFERENCES images(id),
        original_label INTEGER REFERENCES classes(idx),
        current_label INTEGER REFERENCES classes(idx),
        state TEXT NOT NULL CHECK (state IN ('labeled', 'unlabeled', 'unknown', 'not_face', 'excluded', 'ambiguous')),
        original_state TEXT NOT NULL,
        votes TEXT,                          -- JSON number[C] (e.g. FERPlus vote counts), null if none
        soft_label TEXT,                     -- JSON number[C] kept by the curator (state 'ambiguous')
        updated_at TEXT NOT NULL
      ) STRICT;
      CREATE INDEX annotations_current ON annotations(current_label);

      CREATE TABLE label_history (
        id INTEGER PRIMARY KEY,
        image_id INTEGER NOT NULL REFERENCES images(id),
        at TEXT NOT NULL,
        actor TEXT NOT NULL,
        source TEXT NOT NULL CHECK (source IN ('import', 'curator', 'bulk', 'revert')),
        old_label INTEGER,
        new_label INTEGER,
        old_state TEXT,
        new_state TEXT NOT NULL,
        old_soft TEXT,                       -- JSON soft label before/after (state 'ambiguous')
        new_soft TEXT,
        old_review TEXT,                     -- reviews.state before/after; null = unreviewed
        new_review TEXT,
        reason TEXT,
        batch_id TEXT NOT NULL,              -- one user action (a keypress, a bulk relabel, an import)
        reverts_batch TEXT                   -- for source 'revert': the batch it undid
      ) STRICT;
      CREATE INDEX label_history_image ON label_history(image_id, id);
      CREATE INDEX label_history_batch ON label_history(batch_id);
      CREATE TRIGGER label_history_no_update BEFORE UPDATE ON label_history
        BEGIN SELECT RAISE(ABORT, 'label_history is append-only'); END;
      CREATE TRIGGER label_history_no_delete BEFORE DELETE ON label_history
        BEGIN SELECT RAISE(ABORT, 'label_history is append-only'); END;

      CREATE TABLE reviews (
        image_id INTEGER PRIMARY KEY REFERENCES images(id),
        state TEXT NOT NULL CHECK (state IN ('accepted', 'kept', 'relabeled', 'excluded', 'ambiguous', 'skipped')),
        decided_at TEXT NOT NULL,
        actor TEXT NOT NULL,
        batch_id TEXT NOT NULL
      ) STRICT;

      CREATE TABLE pixel_cache (
        image_id INTEGER NOT NULL REFERENCES images(id),
        size INTEGER NOT NULL,               -- square side in pixels
        channels INTEGER NOT NULL CHECK (channels IN (1, 3)),
        pixels BLOB NOT NULL,                -- uint8 HWC, size*size*channels bytes
        PRIMARY KEY (image_id, size, channels)
      ) STRICT;

      CREATE TABLE thumbnails (
        image_id INTEGER PRIMARY KEY REFERENCES images(id),
        mime TEXT NOT NULL,
        width INTEGER NOT NULL,
        height INTEGER NOT NULL,
        data BLOB NOT NULL
      ) STRICT;

      CREATE TABLE runs (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL,                  -- poi | ce | poi-kfold | ce-kfold
        name TEXT,
        config TEXT NOT NULL,                -- JSON
        classes TEXT NOT NULL,               -- JSON string[]: the class list the outputs index
        backend TEXT,
        status TEXT NOT NULL CHECK (status IN ('running', 'done', 'failed', 'cancelled')),
        started_at TEXT NOT NULL,
        finished_at TEXT,
        metrics TEXT,                        -- JSON
        checkpoint TEXT,                     -- path of the latest checkpoint directory
        error TEXT
      ) STRICT;

      CREATE TABLE run_epochs (
        run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        fold INTEGER NOT NULL DEFAULT -1,    -- -1: the single (non k-fold) model
        epoch INTEGER NOT NULL,
        metrics TEXT NOT NULL,               -- JSON: losses per term, train/val accuracy, img/s
        PRIMARY KEY (run_id, fold, epoch)
      ) STRICT;

      CREATE TABLE predictions (
        run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        image_id INTEGER NOT NULL REFERENCES images(id),
        fold INTEGER,                        -- k-fold: the held-out fold that scored it; null in-training
        trn_probs BLOB NOT NULL,             -- Float32[C], softmax(s_i)
        oim_soft BLOB,                       -- Float32[C], q_i at temperature T
        oim_soft_t1 BLOB,                    -- Float32[C], q_i at T = 1
        region_probs BLOB,                   -- Float32[4*C], p_ij, regions UL, UR, LL, LR
        gate BLOB,                           -- Float32[4], g_i
        uem_uncertainty REAL,
        uem_confidence REAL,
        au_prob BLOB,                        -- Float32[26]: UL 6, UR 6 (eye AUs), LL 7, LR 7 (mouth AUs)
        au_importance BLOB,                  -- Float32[26], same layout
        PRIMARY KEY (run_id, image_id)
      ) STRICT;
    `)
  }
}
