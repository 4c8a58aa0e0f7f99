/**
 * consensus.get and the Review detail's consensus: core/consensus's fit (run in a worker and kept in
 * memory, see consensus/cached.ts) read out for the app, with each image's votes read fresh. Neither
 * waits for a fit unless asked (`wait`): a miss answers "fitting".
 */
import type { DB } from '../../store/db'
import {
  awaitConsensus,
  consensusState,
  hasAnnotatorVotes,
  voteCounts,
  votesByImage,
  type ConsensusRequest,
  type ConsensusState,
  type FittedConsensus
} from '../../consensus/cached'
import type {
  ConsensusFitView,
  ConsensusView,
  ImageConsensusDetail,
  ImageConsensusView,
  ParsedArgsOf
} from '../contract'
import { ApiFailure } from '../errors'
import type { ReadContext } from './context'

export const NO_VOTES_REASON =
  'this project has no annotator votes; import them with `poi-audit consensus <project> --votes FILE` ' +
  '(a CSV with columns image,annotator,label)'

/** The request a caller's arguments mean: an omitted run is the context's run, dropped when it cannot serve. */
export function consensusRequest(ctx: ReadContext, args: ParsedArgsOf<'consensus.get'>): ConsensusRequest {
  return {
    runId: args.runId === undefined ? ctx.runId : args.runId,
    runOptional: args.runId === undefined,
    method: args.method ?? 'auto',
    includeGiven: args.includeGiven ?? true
  }
}

function fitView(fit: FittedConsensus): ConsensusFitView {
  return {
    method: fit.result.method,
    runId: fit.result.runId,
    note: fit.note,
    changesSince: fit.changesSince,
    fittedAt: fit.fittedAt
  }
}

/** Consensus views of `imageIds` that have annotator votes (others are left out), in their order. */
function imageViews(db: DB, fit: FittedConsensus, imageIds: readonly number[]): ImageConsensusView[] {
  const C = fit.result.classes.length
  const votes = votesByImage(db, imageIds)
  const out: ImageConsensusView[] = []
  for (const id of imageIds) {
    const im = fit.byImage.get(id)
    const vs = votes.get(id) ?? []
    const annotators = vs.filter((v) => !v.annotator.startsWith('curator:'))
    if (!im || !annotators.length) continue
    out.push({
      imageId: id,
      label: im.consensus,
      quality: im.quality,
      fitVotes: im.votes,
      counts: voteCounts(annotators, C),
      curators: vs
        .filter((v) => v.annotator.startsWith('curator:'))
        .map((v) => ({ actor: v.annotator.slice('curator:'.length), label: v.label }))
    })
  }
  return out
}

/** A fit's failure as the API answers it: a named run that cannot serve, crowdlab without a run are the caller's. */
function failure(message: string): Error {
  if (/has no prediction|needs a run/.test(message))
    return new ApiFailure('INVALID_ARGS', message.replace('--run N', 'runId'))
  return new Error(`consensus fit failed: ${message}`)
}

function checkRun(db: DB, req: ConsensusRequest): void {
  if (req.runId != null && !req.runOptional && !db.prepare('SELECT 1 FROM runs WHERE id = ?').get(req.runId))
    throw new ApiFailure('NOT_FOUND', `runId: no run ${req.runId}`)
}

/** The fit without waiting (a miss starts one in the worker), or awaited with `wait`. */
async function fitOrPending(
  db: DB,
  req: ConsensusRequest,
  opts: { refresh?: boolean; wait?: boolean }
): Promise<Exclude<ConsensusState, { status: 'failed' }>> {
  checkRun(db, req)
  if (opts.wait) {
    try {
      return { status: 'fitted', fit: await awaitConsensus(db, req, { allowStale: true, refresh: opts.refresh }) }
    } catch (e) {
      throw failure((e as Error).message)
    }
  }
  const s = consensusState(db, req, { minHistoryId: 0, refresh: opts.refresh })
  if (s.status === 'failed') throw failure(s.message)
  return s
}

export async function consensusView(
  db: DB,
  ctx: ReadContext,
  args: ParsedArgsOf<'consensus.get'>
): Promise<ConsensusView> {
  if (!hasAnnotatorVotes(db)) return { available: false, reason: NO_VOTES_REASON }
  const req = consensusRequest(ctx, args)
  const s = await fitOrPending(db, req, args)
  if (s.status === 'fitting') return { available: true, status: 'fitting', startedAt: s.startedAt }
  const f = s.fit
  const r = f.result
  return {
    available: true,
    status: 'fitted',
    ...fitView(f),
    outOfSample: r.outOfSample,
    modelWeight: r.modelWeight,
    includeGiven: req.includeGiven,
    imagesWithVotes: f.voted.images,
    disagreeing: f.voted.disagreeing,
    annotators: r.annotators.map((a) => ({
      annotator: a.annotator,
      votes: a.votes,
      quality: Number.isFinite(a.quality) ? a.quality : null,
      agreement: a.agreement
    })),
    images: args.imageIds?.length ? imageViews(db, f, args.imageIds) : [],
    fitMs: Math.round(f.ms)
  }
}

/**
 * The Review detail's consensus of one image: the default request (the context's run when it can
 * serve, the default method), from memory when fitted before (also a fit older than the latest
 * decisions: `changesSince` says so), else `fitting` while a worker fits; null when the image has no
 * annotator votes. A failing fit is logged and reads as null, so the detail still shows. Never waits.
 */
export function imageConsensus(
  db: DB,
  ctx: ReadContext,
  imageId: number,
  log: (msg: string) => void
): ImageConsensusDetail | null {
  try {
    if (!hasAnnotatorVotes(db) || !db.prepare('SELECT 1 FROM annotator_votes WHERE image_id = ?').get(imageId))
      return null
    const s = consensusState(db, consensusRequest(ctx, {}), { minHistoryId: 0 })
    if (s.status === 'failed') throw failure(s.message)
    if (s.status === 'fitting') return { status: 'fitting', startedAt: s.startedAt }
    const [view] = imageViews(db, s.fit, [imageId])
    return view ? { status: 'fitted', ...view, ...fitView(s.fit) } : null
  } catch (e) {
    log(`consensus of image ${imageId} left out: ${(e as Error).message}`)
    return null
  }
}
