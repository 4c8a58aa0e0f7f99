/**
 * The review filter as the UI edits it, and its translation into the API's QueueFilter (pure).
 * Empty choices are left out of the query, so "no filter" asks for everything.
 */
import type { QueueFilter, QueueSort } from './api'

export type ReviewScope = 'any' | 'unreviewed' | 'reviewed' | 'skipped'

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
  if (f.review !== 'any') parts.push(f.review)
  const q = toQueueFilter(f)
  if (q.confidence) parts.push(`confidence ${q.confidence.min.toFixed(2)}–${q.confidence.max.toFixed(2)}`)
  return parts.length ? parts.join(' · ') : 'all images'
}
