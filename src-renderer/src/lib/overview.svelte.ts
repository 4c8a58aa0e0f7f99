/**
 * Overview page: the project's statistics (class counts, confusion, confidence, AU heatmap, flags) and, when
 * the project has annotator votes, the annotators' estimated quality (consensus.get).
 */
import type { AppState } from './app.svelte'
import type { ConsensusView, OverviewStats } from './api'
import { emptyFilter } from './filters'
import { errorText } from './format'

export class OverviewState {
  stats = $state.raw<OverviewStats | null>(null)
  error = $state<string | null>(null)
  loading = $state(false)
  /** The consensus of annotator votes, or null before it loaded; `available: false` when the project has none. */
  consensus = $state.raw<ConsensusView | null>(null)
  consensusError = $state<string | null>(null)
  refitting = $state(false)
  private stale = true

  constructor(private readonly app: AppState) {}

  async load(force = false): Promise<void> {
    if (!force && !this.stale && this.stats) return
    this.loading = true
    void this.loadConsensus()
    const r = await this.app.api.overview.stats({})
    this.loading = false
    if (!r.ok) {
      this.error = errorText(r)
      return
    }
    this.error = null
    this.stats = r.value
    this.stale = false
  }

  /**
   * The annotators' quality; `refresh` fits again with the decisions recorded since the last fit. The fit
   * runs in a worker: while it does, the last fit stays shown (`refitting`), or the card says "fitting"
   * when there is none; a `project.changed` 'consensus' event (onConsensusFitted) brings the result.
   */
  async loadConsensus(refresh = false): Promise<void> {
    if (refresh) this.refitting = true
    const r = await this.app.api.consensus.get(refresh ? { refresh } : {})
    this.consensusError = r.ok ? null : errorText(r)
    if (!r.ok) {
      this.refitting = false
      return
    }
    const v = r.value
    const pending = v.available && v.status === 'fitting'
    this.refitting = pending && !!this.consensus?.available && this.consensus.status === 'fitted'
    if (!this.refitting) this.consensus = v
  }

  /** project.changed 'consensus': a fit landed (or failed); read it when this page shows a consensus. */
  onConsensusFitted(): void {
    if (this.consensus || this.consensusError) void this.loadConsensus()
  }

  markStale(): void {
    this.stale = true
    if (this.app.page === 'overview') void this.load()
  }

  reset(): void {
    this.stats = null
    this.consensus = null
    this.stale = true
  }

  /** A confusion-matrix cell → the review filtered to its images. */
  openCell(given: number, suggested: number): void {
    const f = emptyFilter()
    if (this.stats?.confusion?.source === 'audit') f.pair = { given, suggested }
    else f.given = [given]
    this.app.reviewWith(f)
  }

  /** A flag count → the review filtered to that flag (and class). */
  openFlag(flag: string, given?: number): void {
    const f = emptyFilter()
    f.flags = [flag]
    if (given != null) f.given = [given]
    this.app.reviewWith(f)
  }

  /** A confidence bin → the review filtered to that range. */
  openConfidence(min: number, max: number): void {
    const f = emptyFilter()
    f.confMin = min
    f.confMax = max
    this.app.reviewWith(f)
  }
}
