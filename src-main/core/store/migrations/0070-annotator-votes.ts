import type { Migration } from './types'

/**
 * Version 70: every annotator's own label, where a source names its annotators (a long
 * `image,annotator,label` CSV from a labelling team). `annotations.votes` keeps the anonymous
 * per-class counts of sources such as FERPlus; this table keeps who said what, so consensus and
 * per-annotator quality can be estimated (core/consensus). Curators' own decisions are not copied
 * here: they live in label_history with their actor.
 */
export const migration0070: Migration = {
  version: 70,
  name: 'annotator-votes',
  up(db) {
    db.exec(`
      CREATE TABLE annotator_votes (
        image_id INTEGER NOT NULL REFERENCES images(id),
        annotator TEXT NOT NULL CHECK (length(annotator) BETWEEN 1 AND 200),
        label INTEGER NOT NULL REFERENCES classes(idx),
        source TEXT NOT NULL,                -- the file the vote came from
        at TEXT NOT NULL,
        PRIMARY KEY (image_id, annotator)
      ) STRICT;
      CREATE INDEX annotator_votes_annotator ON annotator_votes(annotator);
    `)
  }
}
