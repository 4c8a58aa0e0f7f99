/**
 * What the exports write about the consensus of several annotators (core/consensus): per image with
 * imported annotator votes, the consensus label, its quality, the method and how many votes it
 * counted (JSONL `consensus`, CSV consensus_label / consensus_quality), and the votes per class now
 * (FERPlus). One current fit per export: the export's run joins as the model when it has a prediction
 * for every image the consensus covers, else the annotators alone decide (the manifest says which).
 */
import { awaitConsensus, hasAnnotatorVotes, voteCounts, votesByImage } from '../consensus/cached'
import type { AnnotatorQuality } from '../consensus/project'
import type { FormatContext } from './context'

export interface ImageConsensusRow {
  label: number
  /** Posterior probability of `label`, [0, 1]. */
  quality: number
  /** Votes the consensus counted (annotators, curators, the given label). */
  votes: number
  /** Imported annotators' and curators' votes now, per project class. */
  counts: number[]
}

export interface ExportConsensus {
  method: 'majority' | 'dawid-skene' | 'crowdlab'
  runId: number | null
  note: string | null
  annotators: AnnotatorQuality[]
  /** Images with imported annotator votes only. */
  byImage: Map<number, ImageConsensusRow>
}

/**
 * Votes per project class now (imported annotators' and curators'), per image with imported annotator
 * votes; null when the project has none. No fit: what FERPlus needs.
 */
export function annotatorCounts(ctx: FormatContext): Map<number, number[]> | null {
  if (!hasAnnotatorVotes(ctx.db)) return null
  const out = new Map<number, number[]>()
  for (const [id, votes] of votesByImage(ctx.db))
    if (votes.some((v) => !v.annotator.startsWith('curator:'))) out.set(id, voteCounts(votes, ctx.classes.length))
  return out
}

/**
 * The consensus of the export's images, a current fit (awaited: it runs in a worker); null when the
 * project has no annotator votes.
 */
export async function exportConsensus(ctx: FormatContext): Promise<ExportConsensus | null> {
  const counts = annotatorCounts(ctx)
  if (!counts) return null
  const fit = await awaitConsensus(ctx.db, { runId: ctx.runId, runOptional: true, method: 'auto', includeGiven: true })
  const byImage = new Map<number, ImageConsensusRow>()
  for (const [id, c] of counts) {
    const im = fit.byImage.get(id)
    if (im) byImage.set(id, { label: im.consensus, quality: im.quality, votes: im.votes, counts: c })
  }
  return {
    method: fit.result.method,
    runId: fit.result.runId,
    note: fit.note,
    annotators: fit.result.annotators,
    byImage
  }
}

/** The manifest's record of the consensus (how it was reached, every annotator's quality), or null. */
export function consensusManifest(c: ExportConsensus | null): Record<string, unknown> | null {
  if (!c) return null
  return {
    method: c.method,
    runId: c.runId,
    note: c.note,
    images: c.byImage.size,
    annotators: c.annotators.map((a) => ({
      annotator: a.annotator,
      votes: a.votes,
      quality: Number.isFinite(a.quality) ? Math.round(a.quality * 1e6) / 1e6 : null,
      agreement: Math.round(a.agreement * 1e6) / 1e6
    }))
  }
}
