/**
 * Overview → Team (issue 17): the curators' assignments (assignments.* methods) and the two actions, assign the
 * Review page's current filter to a named curator and remove an assignment. Who this window decides as comes
 * from app.info (`actor`).
 */
import type { ApiResult, AssignmentFilter, AssignmentView, QueueFilter } from './api'
import type { AppState } from './app.svelte'
import { describeFilter, emptyFilter, toQueueFilter, type ReviewScope, type UiFilter } from './filters'
import { errorText } from './format'

export class TeamState {
  list = $state.raw<AssignmentView[] | null>(null)
  error = $state<string | null>(null)
  busy = $state(false)

  constructor(private readonly app: AppState) {}

  /** Who this window's decisions are recorded as. */
  get me(): string | null {
    return this.app.info?.actor ?? null
  }

  async load(): Promise<void> {
    const r = await this.app.api.assignments.list({})
    this.error = r.ok ? null : errorText(r)
    this.list = r.ok ? r.value : null
  }

  /**
   * project.changed 'assignments' (this window's own change echoes too): reload the list if it was shown, and
   * this curator's "Mine" queue, which follows their assignment.
   */
  onAssignmentsChanged(): void {
    if (this.list) void this.load()
    if (this.app.review.filter.queue === 'mine') this.app.review.markStale()
  }

  /** The Review page's current filter as an assignment (whose-queue is not part of it). */
  reviewFilter(): AssignmentFilter {
    const { assigned: _mine, ...rest } = toQueueFilter({ ...this.app.review.filter, queue: 'all' })
    return rest
  }

  /** Gives `actor` the images of the Review page's current filter (replacing their assignment). */
  async assign(actor: string): Promise<boolean> {
    return this.write(() => this.app.api.assignments.set({ actor, filter: this.reviewFilter() }), actor)
  }

  async remove(actor: string): Promise<boolean> {
    return this.write(() => this.app.api.assignments.remove({ actor }), actor)
  }

  private async write(call: () => Promise<ApiResult<unknown>>, actor: string): Promise<boolean> {
    this.busy = true
    try {
      const r = await call()
      if (!r.ok) {
        this.app.notify('error', `Could not change the assignment of ${actor}: ${errorText(r)}`)
        return false
      }
      await this.load()
      return true
    } finally {
      this.busy = false
    }
  }
}

const SCOPES: readonly string[] = ['any', 'unreviewed', 'reviewed', 'skipped']

/** One line for an assignment's filter ("given: anger · unreviewed · split: train"). */
export function describeAssignment(q: QueueFilter, classes: readonly string[]): string {
  const f: UiFilter = { ...emptyFilter() }
  f.given = q.given ?? []
  f.suggested = q.suggested ?? []
  f.flags = q.flags ?? []
  f.pair = q.pair ?? null
  if (q.review && SCOPES.includes(q.review)) f.review = q.review as ReviewScope
  if (q.review === 'adjudicate') f.queue = 'adjudicate'
  if (q.confidence) [f.confMin, f.confMax] = [q.confidence.min, q.confidence.max]
  const parts = [describeFilter(f, classes)]
  if (q.splits?.length) parts.push(`split: ${q.splits.join(', ')}`)
  if (q.states?.length) parts.push(`state: ${q.states.join(', ')}`)
  if (q.decisions?.length) parts.push(`decision: ${q.decisions.join(', ')}`)
  if (q.duplicatesOnly) parts.push('duplicates')
  if (q.pathContains) parts.push(`path contains “${q.pathContains}”`)
  const text = parts.filter((p, i) => i > 0 || p !== 'all images' || parts.length === 1)
  return text.join(' · ')
}
