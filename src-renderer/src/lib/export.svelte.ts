/**
 * Export page: format, scope (all / changed / reviewed / flagged / the review's current filter / the
 * grid selection),
 * options, and the job's progress and destination.
 */
import type { AppState } from './app.svelte'
import type { ExportFormat, ExportScope, JobInfo, JsonValue } from './api'
import { describeFilter, toQueueFilter } from './filters'
import { errorText } from './format'

export type ScopeKind = 'all' | 'changed' | 'reviewed' | 'flagged' | 'filter' | 'selection'

export class ExportState {
  format = $state<ExportFormat>('csv')
  scope = $state<ScopeKind>('all')
  dest = $state('')
  spreadsheetSafe = $state(true)
  bom = $state(false)
  jobId = $state<string | null>(null)
  /** Where the export is being / was written. */
  path = $state<string | null>(null)
  result = $state.raw<JsonValue | null>(null)
  error = $state<string | null>(null)
  done = $state(false)
  /** Where Export would write now (the server resolves a relative dest against the project's folder). */
  planned = $state.raw<{ path: string; exists: boolean; folderMissing: boolean; isDefault: boolean } | null>(null)
  planError = $state<string | null>(null)
  private planSeq = 0

  constructor(private readonly app: AppState) {}

  get job(): JobInfo | null {
    return this.jobId ? (this.app.jobs.byId[this.jobId] ?? null) : null
  }

  get available(): boolean {
    return this.app.info?.capabilities.export ?? false
  }

  get running(): boolean {
    return !!this.jobId && !this.done
  }

  /** Human description of each scope for the form. */
  scopeText(kind: ScopeKind): string {
    switch (kind) {
      case 'all':
        return 'All images'
      case 'changed':
        return 'Changed images only (label or state differs from the import)'
      case 'reviewed':
        return 'Reviewed images only (any curator decision)'
      case 'flagged':
        return this.app.project?.latestAuditId != null
          ? 'Images the audit flagged'
          : 'Images the audit flagged (needs an audit)'
      case 'filter':
        return `The review's current filter: ${describeFilter(this.app.review.filter, this.app.classes)}`
      case 'selection':
        return `The grid selection (${this.app.review.selection.size} images)`
    }
  }

  open(): void {
    if (this.scope === 'selection' && this.app.review.selection.size === 0) this.scope = 'all'
  }

  toScope(): ExportScope | string {
    switch (this.scope) {
      case 'all':
        return { kind: 'all' }
      case 'reviewed':
        return { kind: 'reviewed' }
      case 'changed':
        return { kind: 'changed' }
      case 'flagged':
        return { kind: 'flagged' }
      case 'filter':
        return { kind: 'filter', filter: toQueueFilter(this.app.review.filter) }
      case 'selection': {
        const ids = [...this.app.review.selection]
        return ids.length ? { kind: 'ids', ids } : 'Select images in the review grid first (Ctrl/Shift-click).'
      }
    }
  }

  /** Asks the server where the current format and destination would write, before anything is written. */
  async plan(): Promise<void> {
    const seq = ++this.planSeq
    const dest = this.dest.trim()
    const r = await this.app.api.export.plan({ format: this.format, ...(dest ? { dest } : {}) })
    if (seq !== this.planSeq) return
    this.planned = r.ok ? r.value : null
    this.planError = r.ok ? null : errorText(r)
  }

  async start(): Promise<void> {
    const scope = this.toScope()
    if (typeof scope === 'string') {
      this.error = scope
      return
    }
    this.error = null
    this.done = false
    this.result = null
    const r = await this.app.api.export.start({
      format: this.format,
      scope,
      ...(this.dest.trim() ? { dest: this.dest.trim() } : {}),
      // Excluded images: each format decides (the exporter refuses an explicit includeExcluded).
      options: { spreadsheetSafe: this.spreadsheetSafe, bom: this.bom }
    })
    if (!r.ok) {
      this.error = errorText(r)
      return
    }
    this.jobId = r.value.jobId
    this.path = r.value.path
    const fin = await this.app.jobs.track(r.value.jobId)
    this.done = true
    if (fin.job.state !== 'done') {
      this.error = fin.job.error ? errorText(fin.job.error) : `export ${fin.job.state}`
      return
    }
    this.result = fin.result
  }

  async cancel(): Promise<void> {
    if (this.jobId) await this.app.jobs.cancel(this.jobId)
  }

  async browse(): Promise<void> {
    const r = await this.app.api.dialog.open({ purpose: 'export-dest' })
    if (!r.ok) return this.app.notify('error', r.message)
    if (r.value.path) this.dest = r.value.path
  }
}
