import type { Migration } from './types'

/**
 * Version 20: what the importers learn about each image beyond its bytes.
 *
 * - `pixel_hash`: sha256 of the decoded pixels area-resampled to 32×32 (gray, or RGB for colour images),
 *   rounded to uint8. Equal for lossless re-encodes (PNG ↔ TIFF ↔ lossless WebP) and for integer
 *   nearest-neighbour upscales; see src-main/core/dataset/hash.ts.
 * - `phash`: 64-bit DCT perceptual hash of the 32×32 gray image, 16 hex digits (bit i = coefficient i
 *   of the top-left 8×8 block above the median).
 * - `sig`: the 16×16 gray area-resampled image (256 bytes); confirms a pHash match as a near-duplicate
 *   by mean absolute difference, so faces that merely share a layout are not grouped.
 * - `near_group`: smallest image id of the near-duplicate component (exact ∪ pixel ∪ pHash+sig matches);
 *   null for images without near-duplicates. `dup_group` (0010) keeps the strict exact ∪ pixel groups.
 * - `source_dup_group`: a duplicate-group id the source itself wrote (FER2013 labels.csv `dup_group`).
 * - `extra`: JSON object of source columns we keep but do not interpret (subject, face box, ratings, …).
 */
export const migration0020: Migration = {
  version: 20,
  name: 'dataset-hashes',
  up(db) {
    db.exec(`
      ALTER TABLE images ADD COLUMN pixel_hash TEXT;
      ALTER TABLE images ADD COLUMN phash TEXT;
      ALTER TABLE images ADD COLUMN sig BLOB;
      ALTER TABLE images ADD COLUMN near_group INTEGER;
      ALTER TABLE images ADD COLUMN source_dup_group TEXT;
      ALTER TABLE images ADD COLUMN extra TEXT;
      CREATE INDEX images_pixel_hash ON images(pixel_hash);
      CREATE INDEX images_near_group ON images(near_group) WHERE near_group IS NOT NULL;
    `)
  }
}
