/**
 * Consensus for the app and the exports: `projectConsensus` fitted once and kept in memory per
 * connection, plus each image's votes read fresh.
 *
 * Why a cache with a "stale" state: Dawid–Skene or the model + annotators ensemble over 35k images
 * takes seconds (EM over every vote, up to 200 iterations), while a curator records a decision every
 * few seconds and every decision is one more (curator) vote. So a fit is keyed on what changes rarely
 * (the imported votes, the run and its predictions, the method) and remembers the newest history entry
 * it saw; a caller that accepts it (the Review detail, the Overview) gets the fit with the number of
 * decisions recorded since, and asks for a refit when it wants one. Exports always get a current fit.
 */
import type { DB } from '../store/db'
import { nowIso } from '../store/db'
import { curatorVotes, hasAnnotatorVotes, readVotes, type StoredVote } from '../store/votes'
import { projectConsensus, type ConsensusMethod, type ImageConsensus, type ProjectConsensus } from './project'

export interface ConsensusRequest {
  /** Run whose probabilities join as the model; null = annotators only. */
  runId: number | null
  /**
   * When the run lacks a prediction for an image the consensus covers: false = fail (the caller named
   * the run), true = fit without the model and say so in `note` (the run was a default).
   */
  runOptional?: boolean
  method: ConsensusMethod
  includeGiven: boolean
}

export interface FittedConsensus {
  result: ProjectConsensus
  byImage: ReadonlyMap<number, ImageConsensus>
  /** Newest label_history id the fit saw: curator decisions after it are not in the fit. */
  historyId: number
  /** History entries (decisions, undos) recorded since the fit; 0 = the fit is current. */
  changesSince: number
  fittedAt: string
  /** How long the fit took, ms. */
  ms: number
  /** Why the requested run is not in the fit (runOptional), else null. */
  note: string | null
  /** Images with imported annotator votes, and of those, how many have a consensus ≠ their label (at the fit). */
  voted: { images: number; disagreeing: number }
}

interface Entry {
  key: string
  fit: Omit<FittedConsensus, 'changesSince'>
}

/** A few fits per connection (one per method/run the UI asks for); the oldest goes first. */
const MAX_ENTRIES = 4
const cache = new WeakMap<DB, Entry[]>()

/** What a fit depends on besides curator decisions, in O(votes) at most (one index scan). */
function fitKey(db: DB, req: ConsensusRequest): string {
  const v = db.prepare('SELECT count(*) AS n, max(rowid) AS r, max(at) AS at FROM annotator_votes').get() as {
    n: number
    r: number | null
    at: string | null
  }
  const preds =
    req.runId == null
      ? null
      : (db.prepare('SELECT count(*) AS n FROM predictions WHERE run_id = ?').get(req.runId) as { n: number }).n
  return JSON.stringify([req.runId, !!req.runOptional, preds, req.method, req.includeGiven, v.n, v.r, v.at])
}

function historyHead(db: DB): number {
  return (db.prepare('SELECT max(id) AS h FROM label_history').get() as { h: number | null }).h ?? 0
}

/**
 * The consensus fit for `req`: from memory when one with the same votes, run and method exists and is
 * current (or `allowStale` and only curator decisions came since), else fitted now. Throws what
 * projectConsensus throws (a run without predictions for some voted image, crowdlab without a run).
 */
export function fittedConsensus(
  db: DB,
  req: ConsensusRequest,
  opts: { allowStale?: boolean; refresh?: boolean } = {}
): FittedConsensus {
  const key = fitKey(db, req)
  const head = historyHead(db)
  const list = cache.get(db) ?? []
  const hit = list.find((e) => e.key === key)
  if (hit && !opts.refresh && (hit.fit.historyId === head || opts.allowStale)) {
    const changesSince =
      hit.fit.historyId === head
        ? 0
        : (db.prepare('SELECT count(*) AS n FROM label_history WHERE id > ?').get(hit.fit.historyId) as { n: number }).n
    return { ...hit.fit, changesSince }
  }
  const t0 = performance.now()
  const run = req.runOptional ? usableRun(db, req.runId, req.includeGiven) : { runId: req.runId, note: null }
  const method = run.runId == null && req.method === 'crowdlab' && req.runOptional ? 'auto' : req.method
  const result = projectConsensus(db, { ...req, runId: run.runId, method })
  const byImage = new Map(result.images.map((im) => [im.imageId, im]))
  const voted = { images: 0, disagreeing: 0 }
  for (const id of db.prepare('SELECT DISTINCT image_id FROM annotator_votes').pluck().all() as number[]) {
    const im = byImage.get(id)
    voted.images++
    if (im && im.currentLabel != null && im.currentLabel !== im.consensus) voted.disagreeing++
  }
  const fit = {
    result,
    note: run.note,
    voted,
    byImage,
    historyId: head,
    fittedAt: nowIso(),
    ms: performance.now() - t0
  }
  cache.set(db, [{ key, fit }, ...list.filter((e) => e !== hit)].slice(0, MAX_ENTRIES))
  return { ...fit, changesSince: 0 }
}

/** The history sources curatorVotes reads (store/votes.ts). */
const CURATOR_SOURCES = "('curator', 'bulk', 'revert')"

/**
 * The run a consensus uses by default: `runId` when it has a prediction for every image the consensus
 * covers (the voted images, plus every labelled image with `includeGiven`), else none. Returns the run
 * and, when one was dropped, why.
 */
export function usableRun(
  db: DB,
  runId: number | null,
  includeGiven: boolean
): { runId: number | null; note: string | null } {
  if (runId == null) return { runId: null, note: null }
  const covered = includeGiven
    ? `SELECT image_id AS id FROM annotations WHERE original_label IS NOT NULL
       UNION SELECT image_id FROM annotator_votes UNION SELECT image_id FROM label_history WHERE source IN ${CURATOR_SOURCES}`
    : `SELECT image_id AS id FROM annotator_votes UNION SELECT image_id FROM label_history WHERE source IN ${CURATOR_SOURCES}`
  const missing = (
    db
      .prepare(
        `SELECT count(*) AS n FROM (${covered}) c WHERE NOT EXISTS (SELECT 1 FROM predictions p WHERE p.run_id = ? AND p.image_id = c.id)`
      )
      .get(runId) as { n: number }
  ).n
  if (!missing) return { runId, note: null }
  return {
    runId: null,
    note: `run ${runId} has no prediction for ${missing} image(s) with votes, so the consensus is from the annotators only`
  }
}

/** Each image's votes now: imported annotators' and curators' ("curator:<actor>"), by image id. */
export function votesByImage(db: DB, imageIds?: readonly number[]): Map<number, StoredVote[]> {
  const out = new Map<number, StoredVote[]>()
  for (const v of [...readVotes(db, imageIds), ...curatorVotes(db, imageIds)]) {
    const list = out.get(v.imageId)
    if (list) list.push(v)
    else out.set(v.imageId, [v])
  }
  return out
}

/** Per-class counts of `votes` over `classes` classes (labels outside the range are ignored). */
export function voteCounts(votes: readonly StoredVote[], classes: number): number[] {
  const out = new Array<number>(classes).fill(0)
  for (const v of votes) if (v.label >= 0 && v.label < classes) out[v.label]++
  return out
}

export { hasAnnotatorVotes }
