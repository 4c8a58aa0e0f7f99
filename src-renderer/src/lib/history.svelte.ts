/**
 * History page: every label change (who, when, old → new, why), filtered by image, actor or source,
 * paged back from the newest; revert one or many entries as one new undoable action.
 */
import type { AppState } from './app.svelte'
import type { HistoryEntryView, HistorySource } from './api'
import { errorText } from './format'
import { SvelteSet } from 'svelte/reactivity'

const PAGE = 200

export interface HistoryFilter {
  /** Image id as typed ('' = any). */
  imageId: string
  actor: string
  /** 'decisions' = every source but import (the page opens there); '' = everything. */
  source: HistorySource | '' | 'decisions'
}

/** User-facing names of the history sources (the filter's options and the Source column). */
export const SOURCE_NAMES: Record<HistorySource, string> = {
  import: 'Import',
  curator: 'Curator decision',
  bulk: 'Bulk action',
  revert: 'Undo / revert'
}

export class HistoryState {
  entries = $state.raw<HistoryEntryView[]>([])
  nextBeforeId = $state<number | null>(null)
  filter = $state<HistoryFilter>({ imageId: '', actor: '', source: 'decisions' })
  /** Entries waiting for "yes, revert" (reverting an import row changes the dataset's own label). */
  pendingRevert = $state.raw<number[] | null>(null)
  /** Entries ticked for a bulk revert. A SvelteSet: each checkbox re-renders alone. */
  readonly selected = new SvelteSet<number>()
  loading = $state(false)
  error = $state<string | null>(null)
  private stale = true

  constructor(private readonly app: AppState) {}

  /** The filter as query args, or an error message naming the bad field. */
  query(): { imageId?: number; actor?: string; source?: HistorySource; excludeSource?: HistorySource } | string {
    const q: { imageId?: number; actor?: string; source?: HistorySource; excludeSource?: HistorySource } = {}
    const id = this.filter.imageId.trim()
    if (id) {
      if (!/^\d+$/.test(id) || Number(id) < 1) return `Image id must be a positive whole number (got "${id}").`
      q.imageId = Number(id)
    }
    if (this.filter.actor.trim()) q.actor = this.filter.actor.trim()
    if (this.filter.source === 'decisions') q.excludeSource = 'import'
    else if (this.filter.source) q.source = this.filter.source
    return q
  }

  async load(force = false): Promise<void> {
    if (!force && !this.stale && this.entries.length) return
    const q = this.query()
    if (typeof q === 'string') {
      this.error = q
      return
    }
    this.loading = true
    // The Undo / Redo buttons (and Z) need the undo stack even when Review was never opened.
    const [r] = await Promise.all([
      this.app.api.history.list({ ...q, limit: PAGE }),
      this.app.review.refreshUndoState()
    ])
    this.loading = false
    if (!r.ok) {
      this.error = errorText(r)
      return
    }
    this.error = null
    this.stale = false
    this.entries = r.value.entries
    this.nextBeforeId = r.value.nextBeforeId
    this.selected.clear()
  }

  async more(): Promise<void> {
    const q = this.query()
    if (typeof q === 'string' || this.nextBeforeId == null) return
    this.loading = true
    const r = await this.app.api.history.list({ ...q, limit: PAGE, beforeId: this.nextBeforeId })
    this.loading = false
    if (!r.ok) {
      this.error = errorText(r)
      return
    }
    this.entries = [...this.entries, ...r.value.entries]
    this.nextBeforeId = r.value.nextBeforeId
  }

  toggle(id: number): void {
    if (!this.selected.delete(id)) this.selected.add(id)
  }

  selectAll(on: boolean): void {
    this.selected.clear()
    if (on) for (const e of this.entries) this.selected.add(e.id)
  }

  /** Reverts the given entries (default: the selection) as one action. */
  async revert(ids: number[] = [...this.selected], confirmed = false): Promise<void> {
    if (!ids.length) return
    if (!confirmed && this.entries.some((e) => ids.includes(e.id) && e.source === 'import')) {
      this.pendingRevert = ids
      return
    }
    this.pendingRevert = null
    // eslint-disable-next-line svelte/prefer-svelte-reactivity -- a local de-duplication, not state
    const imageIds = [...new Set(this.entries.filter((e) => ids.includes(e.id)).map((e) => e.imageId))]
    const r = await this.app.api.history.revert({ entryIds: ids })
    if (!r.ok) {
      this.app.notify('error', `Revert failed: ${r.message}`)
      return
    }
    this.app.notify(
      'info',
      `Reverted ${ids.length} ${ids.length === 1 ? 'entry' : 'entries'} (${r.value.changed} images changed).`
    )
    await Promise.all([this.load(true), this.app.review.refreshRows(imageIds), this.app.review.refreshUndoState()])
  }

  /** Entries of a pending revert that are import rows (for the question). */
  get pendingImports(): number {
    const ids = this.pendingRevert ?? []
    return this.entries.filter((e) => ids.includes(e.id) && e.source === 'import').length
  }

  /** Undo / redo from this page (the same undo stack as the review). */
  async undo(): Promise<void> {
    await this.app.review.undo()
    await this.load(true)
  }

  async redo(): Promise<void> {
    await this.app.review.redo()
    await this.load(true)
  }

  markStale(): void {
    this.stale = true
    if (this.app.page === 'history') void this.load()
  }

  reset(): void {
    this.entries = []
    this.stale = true
    this.selected.clear()
  }
}
