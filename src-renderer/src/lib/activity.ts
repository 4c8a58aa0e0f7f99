/**
 * What the header's job indicator shows: every running job (import, audit, export) and the training
 * run, each as a title, a line saying what it does now, a fraction when known, an ETA and a cancel.
 * Pure: built from the jobs store's JobInfo and the training status, so it is the same on every page.
 */
import type { JobInfo, TrainProgress, TrainStatus } from './api'
import { count } from './format'

export interface Activity {
  /** The job id, or 'train' for the training run. */
  id: string
  title: string
  /** What it is doing now, in words. */
  detail: string
  /** 0..1, or null when unknown (an indeterminate bar). */
  frac: number | null
  /** Seconds left, or null when not known yet. */
  eta: number | null
  cancelling: boolean
}

const JOB_TITLES: Record<JobInfo['kind'], string> = {
  import: 'Import',
  audit: 'Audit',
  export: 'Export',
  train: 'Training'
}

/** " (alice)" after a title when another curator started the work (serve --curators); `me` = this window's. */
function byOther(startedBy: string | null | undefined, me: string | null | undefined): string {
  return startedBy && me && startedBy !== me ? ` (${startedBy})` : ''
}

export function jobActivity(job: JobInfo, eta: number | null, me?: string | null): Activity {
  const frac = job.total ? Math.min(1, job.done / job.total) : null
  const amount = job.total != null ? ` ${count(job.done)} / ${count(job.total)}` : job.done ? ` ${count(job.done)}` : ''
  return {
    id: job.id,
    title: `${JOB_TITLES[job.kind]}${byOther(job.startedBy, me)}`,
    detail: `${job.phase}${amount}`,
    frac,
    eta,
    cancelling: false
  }
}

/** The training engine's current phase in words (the contract's TrainProgress.phase). */
export function trainPhaseText(p: TrainProgress): string {
  const fold = p.fold >= 0 ? `fold ${p.fold + 1}, ` : ''
  const of = p.done != null && p.total ? ` ${count(p.done)} / ${count(p.total)}` : ''
  switch (p.phase) {
    case 'prepare':
      return 'preparing the data'
    case 'features':
      return `caching frozen features${of}`
    case 'validate':
      return `${fold}validating epoch ${p.epoch}/${p.epochs}`
    case 'checkpoint':
      return `${fold}saving a checkpoint`
    case 'score':
      return `scoring every image${of}`
    case 'done':
      return 'finishing'
    default:
      return p.steps > 0 && p.step > 0
        ? `${fold}epoch ${p.epoch}/${p.epochs}, step ${count(p.step)} / ${count(p.steps)}`
        : `${fold}epoch ${p.epoch}/${p.epochs}`
  }
}

/** Fraction of the whole run done (epochs of all folds), when the progress says. */
function trainFrac(p: TrainProgress): number | null {
  if (p.phase && p.phase !== 'train') return p.done != null && p.total ? Math.min(1, p.done / p.total) : null
  if (!(p.epochs > 0) || !(p.steps > 0) || p.epoch < 1) return null
  return Math.min(1, (p.epoch - 1 + Math.min(1, p.step / p.steps)) / p.epochs)
}

export function trainActivity(s: TrainStatus, me?: string | null): Activity | null {
  if (s.state !== 'starting' && s.state !== 'running' && s.state !== 'cancelling') return null
  const p = s.progress
  const detail = s.state === 'cancelling' ? 'cancelling…' : !p ? 'starting the engine…' : trainPhaseText(p)
  return {
    id: 'train',
    title: `Training${byOther(s.startedBy, me)}`,
    detail,
    frac: p ? trainFrac(p) : null,
    eta: p?.etaSec ?? null,
    cancelling: s.state === 'cancelling'
  }
}
