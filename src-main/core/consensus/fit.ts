/**
 * One consensus fit over a project, read in one snapshot: what it depends on (its key), the newest
 * history entry it saw, the fit itself and the voted images' tally. Pure and synchronous; it runs in
 * the consensus worker thread (worker-entry.ts) on its own read-only connection, or inline where
 * there is no project file to open.
 */
import type { DB } from '../store/db'
import { nowIso } from '../store/db'
import { projectConsensus, type ConsensusMethod, type ProjectConsensus } from './project'

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

/** A fit as computed, before the host indexes it (structured-cloneable: it crosses the worker boundary). */
export interface ComputedFit {
  /** fitKey at the snapshot the fit read. */
  key: string
  result: ProjectConsensus
  /** Newest label_history id the fit saw: curator decisions after it are not in the fit. */
  historyId: number
  fittedAt: string
  /** How long the fit took, ms. */
  ms: number
  /** Why the requested run is not in the fit (runOptional), else null. */
  note: string | null
  /** Images with imported annotator votes, and of those, how many have a consensus ≠ their label (at the fit). */
  voted: { images: number; disagreeing: number }
}

/** What a fit depends on besides curator decisions, in O(votes) at most (one index scan). */
export function fitKey(db: DB, req: ConsensusRequest): string {
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

export function historyHead(db: DB): number {
  return (db.prepare('SELECT max(id) AS h FROM label_history').get() as { h: number | null }).h ?? 0
}

/**
 * Fits `req` over what `db` holds now, key and history head read in the same transaction as the fit.
 * Throws what projectConsensus throws (a run without predictions for some voted image, crowdlab without a run).
 */
export function computeFit(db: DB, req: ConsensusRequest): ComputedFit {
  return db.transaction(() => {
    const t0 = performance.now()
    const key = fitKey(db, req)
    const historyId = historyHead(db)
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
    return { key, result, note: run.note, voted, historyId, fittedAt: nowIso(), ms: performance.now() - t0 }
  })()
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
