/**
 * Consensus for the app and the exports: `projectConsensus` fitted in a worker thread (worker.ts) and
 * kept in memory per connection, plus each image's votes read fresh.
 *
 * Why a cache with a "stale" state: Dawid–Skene or the model + annotators ensemble over 35k images
 * takes seconds (EM over every vote, up to 200 iterations), while a curator records a decision every
 * few seconds and every decision is one more (curator) vote. So a fit is keyed on what changes rarely
 * (the imported votes, the run and its predictions, the method) and remembers the newest history entry
 * it saw; a caller that accepts it (the Review detail, the Overview) gets the fit with the number of
 * decisions recorded since, and asks for a refit when it wants one. Exports always get a current fit.
 *
 * Why a worker: the API answers every call on one thread, so a fit there would stall Review for
 * seconds. `consensusState` never fits: on a miss it starts one fit per key (at most one in flight)
 * and answers "fitting" at once; when the fit lands, the listeners of `onConsensusFitted` hear of it
 * (the API turns that into a `project.changed` 'consensus' event). A failed fit is kept and answered
 * until the votes, the run or the method change, or a refresh asks again. `awaitConsensus` waits.
 */
import { existsSync } from 'node:fs'
import type { DB } from '../store/db'
import { nowIso } from '../store/db'
import { curatorVotes, hasAnnotatorVotes, readVotes, type StoredVote } from '../store/votes'
import { computeFit, fitKey, historyHead, type ComputedFit, type ConsensusRequest } from './fit'
import type { ImageConsensus } from './project'
import { fitInWorker } from './worker'

export { usableRun, type ConsensusRequest } from './fit'

export interface FittedConsensus extends Omit<ComputedFit, 'key'> {
  byImage: ReadonlyMap<number, ImageConsensus>
  /** History entries (decisions, undos) recorded since the fit; 0 = the fit is current. */
  changesSince: number
}

export type ConsensusState =
  | { status: 'fitted'; fit: FittedConsensus }
  /** A fit is running; `done` resolves (never rejects) when it landed or failed. */
  | { status: 'fitting'; startedAt: string; done: Promise<void> }
  /** The newest fit of this request failed (kept until the inputs change or a refresh). */
  | { status: 'failed'; message: string }

interface Entry {
  key: string
  fit?: Omit<FittedConsensus, 'changesSince'>
  error?: string
  pending?: { startedAt: string; done: Promise<void> }
}

/** A few fits per connection (one per method/run the UI asks for); the oldest goes first. */
const MAX_ENTRIES = 4
const cache = new WeakMap<DB, Entry[]>()
const listeners = new Set<(db: DB) => void>()

/** Calls `listener` with the connection whenever a fit lands (or fails) for it. Returns the unsubscribe. */
export function onConsensusFitted(listener: (db: DB) => void): () => void {
  listeners.add(listener)
  return () => {
    listeners.delete(listener)
  }
}

/** The entry of `key`, created (newest first) when missing. */
function entry(db: DB, key: string): Entry {
  const list = cache.get(db) ?? []
  const e = list.find((x) => x.key === key) ?? { key }
  cache.set(db, [e, ...list.filter((x) => x !== e)].slice(0, MAX_ENTRIES))
  return e
}

/** Fits in a worker on the project's file, or inline (after a tick) where the connection has no file. */
function runFit(db: DB, req: ConsensusRequest): Promise<ComputedFit> {
  if (db.memory || !db.name || !existsSync(db.name))
    return new Promise((resolve) => setImmediate(resolve)).then(() => computeFit(db, req))
  return fitInWorker({ projectPath: db.name, req })
}

function start(db: DB, e: Entry, req: ConsensusRequest): Entry['pending'] & object {
  const startedAt = nowIso()
  const done = runFit(db, req).then(
    (f) => {
      const { key, ...fit } = f
      const into = entry(db, key)
      into.fit = { ...fit, byImage: new Map(fit.result.images.map((im) => [im.imageId, im])) }
      into.error = undefined
    },
    (err: unknown) => {
      entry(db, e.key).error = (err as Error).message
    }
  )
  const pending = {
    startedAt,
    done: done.then(() => {
      e.pending = undefined
      for (const l of [...listeners]) {
        try {
          l(db)
        } catch {
          // a listener's failure is its own
        }
      }
    })
  }
  e.pending = pending
  e.error = undefined
  return pending
}

/**
 * The consensus of `req` without waiting: the fit in memory when it saw at least history entry
 * `minHistoryId` (0 = any fit of the same votes, run and method; the history head = current only),
 * else a fit is started (unless one is running) and the answer is "fitting". `refresh` starts a new
 * fit even when one would serve (not when one is running).
 */
export function consensusState(
  db: DB,
  req: ConsensusRequest,
  opts: { minHistoryId: number; refresh?: boolean }
): ConsensusState {
  const e = entry(db, fitKey(db, req))
  if (e.pending) {
    if (!opts.refresh && e.fit && e.fit.historyId >= opts.minHistoryId) return fitted(db, e.fit)
    return { status: 'fitting', ...e.pending }
  }
  if (!opts.refresh) {
    if (e.error != null) return { status: 'failed', message: e.error }
    if (e.fit && e.fit.historyId >= opts.minHistoryId) return fitted(db, e.fit)
  }
  return { status: 'fitting', ...start(db, e, req) }
}

function fitted(db: DB, fit: Omit<FittedConsensus, 'changesSince'>): ConsensusState {
  const changesSince =
    fit.historyId === historyHead(db)
      ? 0
      : (db.prepare('SELECT count(*) AS n FROM label_history WHERE id > ?').get(fit.historyId) as { n: number }).n
  return { status: 'fitted', fit: { ...fit, changesSince } }
}

/**
 * The consensus fit for `req`, waiting for it when needed: with `allowStale` any fit of the same votes,
 * run and method, else one that saw every decision recorded before this call. Rejects with the fit's
 * error (a run without predictions for some voted image, crowdlab without a run).
 */
export async function awaitConsensus(
  db: DB,
  req: ConsensusRequest,
  opts: { allowStale?: boolean; refresh?: boolean } = {}
): Promise<FittedConsensus> {
  const minHistoryId = opts.allowStale ? 0 : historyHead(db)
  let refresh = !!opts.refresh
  for (;;) {
    const s = consensusState(db, req, { minHistoryId, refresh })
    refresh = false
    if (s.status === 'fitted') return s.fit
    if (s.status === 'failed') throw new Error(s.message)
    await s.done
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
