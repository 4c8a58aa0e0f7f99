/**
 * What a decision does to a queue row, applied locally before the server confirms it (the optimistic
 * step of the review), and how a confirmed annotation is merged back. Pure.
 */
import type { AnnotationView, AuditRowFields, Decision, QueueItem } from './api'

/** The fields of an AnnotationView a queue row mirrors. */
export type AnnotationViewLike = Pick<AnnotationView, 'currentLabel' | 'originalLabel' | 'state' | 'review'>

/** The row as it will be once `decision` is saved. */
export function applyDecision(item: QueueItem, decision: Decision): QueueItem {
  switch (decision.kind) {
    case 'accept': {
      const label = decision.label ?? item.suggested
      return label == null
        ? { ...item, review: 'accepted' }
        : { ...item, given: label, state: 'labeled', review: 'accepted' }
    }
    case 'keep':
      return { ...item, review: 'kept' }
    case 'relabel':
      return { ...item, given: decision.label, state: 'labeled', review: 'relabeled' }
    case 'exclude':
      return { ...item, state: 'excluded', review: 'excluded' }
    case 'ambiguous':
      return { ...item, state: 'ambiguous', review: 'ambiguous' }
    case 'skip':
      return { ...item, review: 'skipped' }
  }
}

/** The row updated with the annotation the server recorded. */
export function mergeAnnotation(item: QueueItem, a: AnnotationViewLike): QueueItem {
  return { ...item, given: a.currentLabel, original: a.originalLabel, state: a.state, review: a.review }
}

/** The row updated from a decision's answer: the annotation, and the audit's re-judged fields when sent. */
export function mergeDecided(item: QueueItem, a: AnnotationViewLike, audit: AuditRowFields | null): QueueItem {
  return audit ? { ...mergeAnnotation(item, a), ...audit } : mergeAnnotation(item, a)
}

/**
 * The decision a class key means for this row: the given label again is "keep" (so the history says
 * the curator confirmed it), any other class is a relabel.
 */
export function classDecision(item: Pick<QueueItem, 'given'>, index: number): Decision {
  return item.given === index ? { kind: 'keep' } : { kind: 'relabel', label: index }
}

/** A short past-tense description for the status line ("relabeled to anger"). */
export function describeDecision(d: Decision, classes: readonly string[], suggested: number | null): string {
  const name = (i: number | null | undefined): string => (i == null ? '?' : (classes[i] ?? `#${i}`))
  switch (d.kind) {
    case 'accept':
      return `accepted ${name(d.label ?? suggested)}`
    case 'keep':
      return 'kept the given label'
    case 'relabel':
      return `relabeled to ${name(d.label)}`
    case 'exclude':
      return 'excluded'
    case 'ambiguous':
      return 'marked ambiguous'
    case 'skip':
      return 'skipped'
  }
}
