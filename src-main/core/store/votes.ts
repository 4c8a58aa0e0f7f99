/**
 * Annotators' own labels (table annotator_votes, migration 0070) and curators' decisions read as votes.
 */
import type { DB } from './db'
import { nowIso } from './db'

/** One annotator's label for one image; `label` indexes the project's classes. */
export interface StoredVote {
  imageId: number
  annotator: string
  label: number
}

/**
 * Writes votes in one transaction; a second vote of the same annotator on the same image replaces the
 * first (re-importing a corrected file is idempotent). Returns how many rows were new vs replaced.
 */
export function putVotes(db: DB, votes: readonly StoredVote[], source: string): { added: number; replaced: number } {
  const has = db.prepare('SELECT 1 FROM annotator_votes WHERE image_id = ? AND annotator = ?').pluck()
  const put = db.prepare(
    `INSERT INTO annotator_votes (image_id, annotator, label, source, at) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT(image_id, annotator) DO UPDATE SET label = excluded.label, source = excluded.source, at = excluded.at`
  )
  const at = nowIso()
  return db.transaction(() => {
    let replaced = 0
    for (const v of votes) {
      if (has.get(v.imageId, v.annotator)) replaced++
      put.run(v.imageId, v.annotator, v.label, source, at)
    }
    return { added: votes.length - replaced, replaced }
  })()
}

/**
 * Soft training targets: per image, the share of votes per class (sums to 1), [classCount] each.
 * Two sources, one per image: named annotators' votes (annotator_votes) where the image has any,
 * else the source's own anonymous per-class votes kept on import (`annotations.votes`: FERPlus's ten
 * votes as counts, JAFFE's rater scores as a distribution; csv.ts says how), normalised. Named votes
 * win because they are what consensus is fitted on; mixing both would count FERPlus-style tallies and
 * a team's votes on different scales. Images a curator has given a verdict on (kept, accepted,
 * relabeled: their label is decided) and images without votes are left out, so they train on their
 * one-hot label. A vote for a class index outside 0..classCount−1 is an error naming the image.
 */
export function voteTargets(db: DB, classCount: number): Map<number, Float32Array> {
  const rows = db
    .prepare(
      `SELECT v.image_id AS imageId, v.label AS label, count(*) AS n FROM annotator_votes v
        WHERE v.image_id NOT IN (SELECT image_id FROM reviews WHERE state IN ('kept', 'accepted', 'relabeled'))
        GROUP BY v.image_id, v.label ORDER BY v.image_id`
    )
    .all() as { imageId: number; label: number; n: number }[]
  const out = new Map<number, Float32Array>()
  for (const r of rows) {
    if (!(r.label >= 0 && r.label < classCount))
      throw new Error(
        `annotator_votes: image ${r.imageId} has a vote for class ${r.label}, outside the project's ${classCount} classes`
      )
    let t = out.get(r.imageId)
    if (!t) out.set(r.imageId, (t = new Float32Array(classCount)))
    t[r.label] += r.n
  }
  for (const t of out.values()) {
    const s = t.reduce((a, b) => a + b, 0)
    for (let k = 0; k < t.length; k++) t[k] /= s
  }
  for (const [imageId, t] of sourceVoteTargets(db, classCount)) if (!out.has(imageId)) out.set(imageId, t)
  return out
}

/** `annotations.votes` as targets (see voteTargets), undecided images only; all-zero rows are skipped. */
function sourceVoteTargets(db: DB, classCount: number): Map<number, Float32Array> {
  const rows = db
    .prepare(
      `SELECT a.image_id AS imageId, a.votes AS votes FROM annotations a
        WHERE a.votes IS NOT NULL
          AND a.image_id NOT IN (SELECT image_id FROM reviews WHERE state IN ('kept', 'accepted', 'relabeled'))
        ORDER BY a.image_id`
    )
    .all() as { imageId: number; votes: string }[]
  const out = new Map<number, Float32Array>()
  for (const r of rows) {
    const v = JSON.parse(r.votes) as unknown
    if (!Array.isArray(v) || !v.every((x) => typeof x === 'number' && Number.isFinite(x) && x >= 0))
      throw new Error(`annotations.votes: image ${r.imageId} holds ${r.votes.slice(0, 80)}, not non-negative numbers`)
    const t = new Float32Array(classCount)
    let sum = 0
    v.forEach((n: number, k) => {
      if (n === 0) return
      if (k >= classCount)
        throw new Error(
          `annotations.votes: image ${r.imageId} has votes for class ${k}, outside the project's ${classCount} classes`
        )
      t[k] = n
      sum += n
    })
    if (sum <= 0) continue
    for (let k = 0; k < classCount; k++) t[k] /= sum
    out.set(r.imageId, t)
  }
  return out
}

/** SQL restricting `image_id` to a JSON array of ids (bound as one parameter), or nothing. */
function onlyImages(imageIds: readonly number[] | undefined, col: string): { sql: string; args: string[] } {
  return imageIds
    ? { sql: `${col} IN (SELECT value FROM json_each(?))`, args: [JSON.stringify(imageIds)] }
    : { sql: '1', args: [] }
}

/** Every imported vote, or those on `imageIds`. */
export function readVotes(db: DB, imageIds?: readonly number[]): StoredVote[] {
  const w = onlyImages(imageIds, 'image_id')
  return db
    .prepare(
      `SELECT image_id AS imageId, annotator, label FROM annotator_votes WHERE ${w.sql} ORDER BY image_id, annotator`
    )
    .all(...w.args) as StoredVote[]
}

/** True when the project holds at least one imported annotator vote (false before migration 0070). */
export function hasAnnotatorVotes(db: DB): boolean {
  if (!db.prepare("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'annotator_votes'").get()) return false
  return !!db.prepare('SELECT 1 FROM annotator_votes LIMIT 1').get()
}

/**
 * Curators as annotators: each actor's latest decision per image that names a class (kept, accepted
 * or relabeled; not undone), as a vote (every image, or those of `imageIds`). Actors are prefixed
 * "curator:" so they never collide with an imported annotator's name.
 */
export function curatorVotes(db: DB, imageIds?: readonly number[]): StoredVote[] {
  const w = onlyImages(imageIds, 'image_id')
  const rows = db
    .prepare(
      `SELECT h.image_id AS imageId, h.actor AS actor, h.new_label AS label, h.new_review AS review
         FROM label_history h
         JOIN (SELECT image_id, actor, max(id) AS id FROM label_history
                WHERE source IN ('curator', 'bulk', 'revert') AND ${w.sql} GROUP BY image_id, actor) last
           ON last.id = h.id
        ORDER BY h.image_id, h.actor`
    )
    .all(...w.args) as { imageId: number; actor: string; label: number | null; review: string | null }[]
  return rows
    .filter((r) => r.label != null && (r.review === 'kept' || r.review === 'accepted' || r.review === 'relabeled'))
    .map((r) => ({ imageId: r.imageId, annotator: `curator:${r.actor}`, label: r.label! }))
}
