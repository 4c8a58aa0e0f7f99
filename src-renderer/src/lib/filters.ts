/**
 * The review filter as the UI edits it, and its translation into the API's QueueFilter (pure).
 * Empty choices are left out of the query, so "no filter" asks for everything.
 */
import type { QueueFilter, QueueSort } from './api'

export type ReviewScope = 'any' | 'unreviewed' | 'reviewed' | 'skipped'

/**
 * Whose queue (issue 17): all = every image; mine = this curator's assignment (images.queue filter.assigned);
 * adjudicate = images curators disagree on (filter.review 'adjudicate', in place of the review scope).
 */
export type QueueScope = 'all' | 'mine' | 'adjudicate'
export const QUEUE_SCOPES: readonly QueueScope[] = ['all', 'mine', 'adjudicate']

export interface UiFilter {
  /** Audit flags; an image matches when it has at least one. */
  flags: string[]
  /** Given-label class indices. */
  given: number[]
  /** Suggested-label class indices (needs an audit). */
  suggested: number[]
  /** A confusion-matrix cell (needs an audit). */
  pair: { given: number; suggested: number } | null
  review: ReviewScope
  /** UEM confidence range, both in [0, 1]; [0, 1] = no confidence filter. */
  confMin: number
  confMax: number
  /** Whose queue; absent = all. */
  queue?: QueueScope
}

export type SortKey = 'default' | 'score' | 'confidence' | 'id'

export interface UiSort {
  /** default = the server's (score when an audit exists, else import order). */
  by: SortKey
  dir: 'asc' | 'desc'
}

export function emptyFilter(): UiFilter {
  return { flags: [], given: [], suggested: [], pair: null, review: 'any', confMin: 0, confMax: 1 }
}

/**
 * The queue the Review page opens on (and returns to on "Clear filters"): the ranking over images
 * not reviewed yet, so a curator always resumes at the first image still to decide.
 */
export function defaultFilter(): UiFilter {
  return { ...emptyFilter(), review: 'unreviewed' }
}

export function defaultSort(): UiSort {
  return { by: 'default', dir: 'asc' }
}

const clamp01 = (v: number): number => (Number.isFinite(v) ? Math.min(1, Math.max(0, v)) : 0)

export function toQueueFilter(f: UiFilter): QueueFilter {
  const q: QueueFilter = {}
  if (f.flags.length) q.flags = [...f.flags]
  if (f.given.length) q.given = [...f.given]
  if (f.suggested.length) q.suggested = [...f.suggested]
  if (f.pair) q.pair = { given: f.pair.given, suggested: f.pair.suggested }
  if (f.review !== 'any') q.review = f.review
  if (f.queue === 'mine') q.assigned = 'me'
  if (f.queue === 'adjudicate') q.review = 'adjudicate'
  const lo = clamp01(Math.min(f.confMin, f.confMax))
  const hi = clamp01(Math.max(f.confMin, f.confMax))
  if (lo > 0 || hi < 1) q.confidence = { min: lo, max: hi }
  return q
}

export function toQueueSort(s: UiSort): QueueSort | undefined {
  return s.by === 'default' ? undefined : { by: s.by, dir: s.dir }
}

/** True when the filter asks for audit data (flags, suggestions) or predictions (confidence). */
export function needsAudit(f: UiFilter): boolean {
  return f.flags.length > 0 || f.suggested.length > 0 || f.pair !== null
}

export function isEmptyFilter(f: UiFilter): boolean {
  return Object.keys(toQueueFilter(f)).length === 0
}

/** One line describing the filter, for headers and the export scope ("given: anger · unreviewed"). */
export function describeFilter(f: UiFilter, classes: readonly string[]): string {
  const name = (i: number): string => classes[i] ?? `#${i}`
  const parts: string[] = []
  if (f.pair) parts.push(`given ${name(f.pair.given)} → suggested ${name(f.pair.suggested)}`)
  if (f.given.length) parts.push(`given: ${f.given.map(name).join(', ')}`)
  if (f.suggested.length) parts.push(`suggested: ${f.suggested.map(name).join(', ')}`)
  if (f.flags.length) parts.push(`flags: ${f.flags.join(', ')}`)
  if (f.queue === 'mine') parts.push('my assignment')
  if (f.queue === 'adjudicate') parts.push('curators disagree')
  else if (f.review !== 'any') parts.push(f.review)
  const q = toQueueFilter(f)
  if (q.confidence) parts.push(`confidence ${q.confidence.min.toFixed(2)}–${q.confidence.max.toFixed(2)}`)
  return parts.length ? parts.join(' · ') : 'all images'
}

/**
 * The review's view as URL parameters (after `#/review?`), so a view survives a reload and can be
 * bookmarked or sent to a colleague on the same server. Only what differs from the default queue is
 * written; `image` is the open image's id.
 */
export function viewToParams(f: UiFilter, s: UiSort, imageId: number | null): URLSearchParams {
  const p = new URLSearchParams()
  if (f.given.length) p.set('given', f.given.join(','))
  if (f.suggested.length) p.set('suggested', f.suggested.join(','))
  if (f.flags.length) p.set('flags', f.flags.join(','))
  if (f.pair) p.set('pair', `${f.pair.given}-${f.pair.suggested}`)
  if (f.review !== defaultFilter().review) p.set('status', f.review)
  if (f.confMin > 0 || f.confMax < 1) p.set('conf', `${f.confMin}-${f.confMax}`)
  if (f.queue && f.queue !== 'all') p.set('queue', f.queue)
  if (s.by !== 'default') p.set('sort', `${s.by}-${s.dir}`)
  if (imageId != null) p.set('image', String(imageId))
  return p
}

const SCOPES: readonly ReviewScope[] = ['any', 'unreviewed', 'reviewed', 'skipped']
const SORTS: readonly SortKey[] = ['default', 'score', 'confidence', 'id']

/** Reads viewToParams' output back; unknown or malformed values fall back to the default view. */
export function viewFromParams(p: URLSearchParams): { filter: UiFilter; sort: UiSort; imageId: number | null } {
  const ints = (v: string | null): number[] =>
    v
      ? v
          .split(',')
          .map(Number)
          .filter((n) => Number.isInteger(n) && n >= 0)
      : []
  const filter = defaultFilter()
  filter.given = ints(p.get('given'))
  filter.suggested = ints(p.get('suggested'))
  filter.flags = (p.get('flags') ?? '').split(',').filter((x) => /^[a-z_]+$/.test(x))
  const pair = ints(p.get('pair')?.replace('-', ',') ?? null)
  if (pair.length === 2) filter.pair = { given: pair[0], suggested: pair[1] }
  const status = p.get('status') as ReviewScope | null
  if (status && SCOPES.includes(status)) filter.review = status
  const conf = (p.get('conf') ?? '').split('-').map(Number)
  if (conf.length === 2 && conf.every((v) => Number.isFinite(v)))
    [filter.confMin, filter.confMax] = [clamp01(conf[0]), clamp01(conf[1])]
  const queue = p.get('queue') as QueueScope | null
  if (queue && queue !== 'all' && QUEUE_SCOPES.includes(queue)) filter.queue = queue
  const sort = defaultSort()
  const [by, dir] = (p.get('sort') ?? '').split('-')
  if (SORTS.includes(by as SortKey)) sort.by = by as SortKey
  if (dir === 'asc' || dir === 'desc') sort.dir = dir
  const image = Number(p.get('image'))
  return { filter, sort, imageId: Number.isInteger(image) && image > 0 ? image : null }
}
