import type { Migration } from './types'

/**
 * Version 30: face detection and alignment per image (src-main/core/align). One row per image that went
 * through detection at import (`--align auto|always`); none for `--align never` or undecodable images.
 *
 * Curator flags: status 'no-face' and 'several-faces' (and 'low-score', a weak detection) are the
 * actionable ones and have a partial index; `faces_found` also tells about extra faces on images that
 * were passed through as 'already-aligned' (0 there means "a known crop size, no face detected").
 * Geometry is in source-image pixels, continuous coordinates ((0,0) = top-left corner of the image):
 * box = JSON [x, y, width, height]; landmarks = JSON [[x, y] × 68] (iBUG-300W order);
 * transform = JSON [a, b, tx, c, d, ty] mapping source → aligned crop (x' = a·x + b·y + tx,
 * y' = c·x + d·y + ty), null when the pixels were passed through unchanged.
 */
export const migration0030: Migration = {
  version: 30,
  name: 'faces',
  up(db) {
    db.exec(`
      CREATE TABLE faces (
        image_id INTEGER PRIMARY KEY REFERENCES images(id) ON DELETE CASCADE,
        status TEXT NOT NULL CHECK (status IN ('aligned', 'already-aligned', 'no-face', 'several-faces', 'low-score')),
        mode TEXT NOT NULL CHECK (mode IN ('auto', 'always')),
        det_score REAL CHECK (det_score IS NULL OR (det_score >= 0 AND det_score <= 1)),
        box TEXT,                            -- JSON [x, y, width, height], source pixels
        landmarks TEXT,                      -- JSON [[x, y] x 68], source pixels
        transform TEXT,                      -- JSON [a, b, tx, c, d, ty], source -> crop; null = passed through
        out_size INTEGER,                    -- side of the aligned crop in pixels; null = passed through
        faces_found INTEGER NOT NULL CHECK (faces_found >= 0),
        chosen_index INTEGER,                -- index of the chosen face in detector score order
        detector TEXT,                       -- e.g. 'tiny_face_detector@224'
        updated_at TEXT NOT NULL
      ) STRICT;
      CREATE INDEX faces_flagged ON faces(status) WHERE status IN ('no-face', 'several-faces', 'low-score');
    `)
  }
}
