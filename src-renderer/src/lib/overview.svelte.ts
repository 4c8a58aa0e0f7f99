/** Overview page: the project's statistics (class counts, confusion, confidence, AU heatmap, flags). */
import type { AppState } from './app.svelte'
import type { OverviewStats } from './api'
import { emptyFilter } from './filters'
import { errorText } from './format'

export class OverviewState {
  stats = $state.raw<OverviewStats | null>(null)
  error = $state<string | null>(null)
  loading = $state(false)
  private stale = true

  constructor(private readonly app: AppState) {}

  async load(force = false): Promise<void> {
    if (!force && !this.stale && this.stats) return
    this.loading = true
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

  markStale(): void {
    this.stale = true
    if (this.app.page === 'overview') void this.load()
  }

  reset(): void {
    this.stats = null
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
