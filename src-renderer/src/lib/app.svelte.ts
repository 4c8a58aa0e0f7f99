/**
 * The application state root: the API client, app info and the open project, the current page, the
 * notices (toasts), and one store per page. Components receive these stores as props and never call
 * the API themselves.
 */
import type { ApiClient, ApiEvent, AppInfo, ProjectInfo } from './api'
import { JobsState } from './jobs.svelte'
import { ProjectsState } from './projects.svelte'
import { OverviewState } from './overview.svelte'
import { TrainState } from './train.svelte'
import { ReviewStore } from './review.svelte'
import { HistoryState } from './history.svelte'
import { ExportState } from './export.svelte'
import { emptyFilter, type UiFilter } from './filters'
import { jobActivity, trainActivity, type Activity } from './activity'
import { errorText } from './format'
import { LearningQueueStore } from './learning.svelte'
import { TeamState } from './team.svelte'

/** Wait (ms) after the last label change before the project's counts are read again. */
const LABELS_REFRESH_MS = 400

export const PAGES = ['projects', 'overview', 'train', 'review', 'history', 'export'] as const
export type Page = (typeof PAGES)[number]

export const PAGE_TITLES: Record<Page, string> = {
  projects: 'Projects',
  overview: 'Overview',
  train: 'Train',
  review: 'Review',
  history: 'History',
  export: 'Export'
}

export interface Notice {
  id: number
  kind: 'error' | 'info'
  text: string
}

/** Pages that need an open project. */
const NEEDS_PROJECT: ReadonlySet<Page> = new Set(['overview', 'train', 'review', 'history', 'export'])

export class AppState {
  info = $state.raw<AppInfo | null>(null)
  project = $state.raw<ProjectInfo | null>(null)
  page = $state<Page>('projects')
  notices = $state<Notice[]>([])
  /** The keyboard help overlay. */
  helpOpen = $state(false)
  /** Set when app.info itself failed (server down, not signed in). */
  fatal = $state<string | null>(null)

  readonly jobs: JobsState
  readonly projects: ProjectsState
  readonly overview: OverviewState
  readonly train: TrainState
  readonly review: ReviewStore
  readonly history: HistoryState
  readonly exporter: ExportState
  readonly learning: LearningQueueStore
  readonly team: TeamState

  private nextNotice = 1
  private off: (() => void) | null = null

  constructor(readonly api: ApiClient) {
    this.jobs = new JobsState(api)
    this.projects = new ProjectsState(this)
    this.overview = new OverviewState(this)
    this.train = new TrainState(this)
    this.review = new ReviewStore(this)
    this.history = new HistoryState(this)
    this.exporter = new ExportState(this)
    this.learning = new LearningQueueStore(this)
    this.team = new TeamState(this)
  }

  get classes(): string[] {
    return this.project?.classes ?? []
  }

  /** Loads app info, subscribes to events and opens the first page (from the URL hash when given). */
  async start(initialPage?: string): Promise<void> {
    this.off = this.api.on((e) => this.onEvent(e))
    const r = await this.api.app.info({})
    if (!r.ok) {
      this.fatal = errorText(r)
      return
    }
    this.info = r.value
    this.project = r.value.project
    // The header's job indicator must know what already runs (started before this page was opened).
    void this.jobs.refresh()
    if (this.project && r.value.capabilities.train) void this.train.refreshStatus()
    // "review?given=1&image=42": the page, then the review's view (filters, sort, open image).
    const [pageName, query] = (initialPage ?? '').split('?')
    const wanted = PAGES.find((p) => p === pageName)
    // eslint-disable-next-line svelte/prefer-svelte-reactivity -- parsed once here, never kept
    if (wanted === 'review' && query) this.review.applyUrl(new URLSearchParams(query))
    // An empty project starts where images are imported.
    this.go(wanted ?? (this.project && this.project.counts.images > 0 ? 'review' : 'projects'))
  }

  dispose(): void {
    this.off?.()
    this.off = null
    clearTimeout(this.projectTimer)
    this.jobs.dispose()
    this.review.dispose()
  }

  /** Opens a page; pages that need a project fall back to Projects without one. */
  go(page: Page): void {
    const target = NEEDS_PROJECT.has(page) && !this.project ? 'projects' : page
    this.page = target
    this.helpOpen = false
    switch (target) {
      case 'projects':
        void this.projects.load()
        break
      case 'overview':
        void this.overview.load()
        break
      case 'train':
        void this.train.load()
        break
      case 'review':
        void this.review.open()
        break
      case 'history':
        void this.history.load()
        break
      case 'export':
        this.exporter.open()
        break
    }
  }

  /** Running jobs and the training run, for the header's indicator (every page). */
  get activities(): Activity[] {
    const me = this.info?.actor
    const out = this.jobs.running.map((j) => jobActivity(j, this.jobs.eta(j), me))
    const t = this.train.status ? trainActivity(this.train.status, me) : null
    return t ? [t, ...out] : out
  }

  async cancelActivity(id: string): Promise<void> {
    if (id === 'train') await this.train.cancel()
    else await this.jobs.cancel(id)
  }

  /** The page that shows an activity in full. */
  openActivity(id: string): void {
    const kind = id === 'train' ? 'train' : this.jobs.byId[id]?.kind
    this.go(kind === 'import' ? 'projects' : kind === 'export' ? 'export' : 'train')
  }

  /**
   * Opens Review on one image (History's image links): the unfiltered queue (any review state, since
   * a decided image has left the default queue), then that image once its row has arrived.
   */
  async openInReview(imageId: number): Promise<void> {
    this.review.setFilter({ ...emptyFilter(), review: 'any' }, false)
    this.page = 'review'
    this.helpOpen = false
    await this.review.open()
    const q = this.review.queue
    const until = Date.now() + 15_000
    while (q.indexOf(imageId) < 0 && !q.complete && Date.now() < until) await new Promise((r) => setTimeout(r, 50))
    const i = q.indexOf(imageId)
    if (i >= 0) this.review.setCurrent(i)
    else this.notify('error', `Image ${imageId} is not in the review queue (it may have no decodable pixels).`)
  }

  /** Opens the review with a filter (e.g. from a confusion-matrix cell). */
  reviewWith(filter: UiFilter): void {
    this.review.setFilter(filter, false)
    this.go('review')
  }

  /** Called by the projects store when a project was opened, created or imported into. */
  setProject(p: ProjectInfo | null): void {
    const switched = p?.path !== this.project?.path
    this.project = p
    if (switched) {
      this.review.reset()
      this.overview.reset()
      this.history.reset()
      this.team.list = null
    }
  }

  private projectTimer: ReturnType<typeof setTimeout> | undefined
  /**
   * Label changes come once per decision (30 a second while Q is held): one project.info for the
   * burst, LABELS_REFRESH_MS after the last, instead of a request and a re-render per decision
   * queued between the frames of the next faces.
   */
  private refreshProjectSoon(): void {
    clearTimeout(this.projectTimer)
    this.projectTimer = setTimeout(() => void this.refreshProject(), LABELS_REFRESH_MS)
  }

  async refreshProject(): Promise<void> {
    const r = await this.api.project.info({})
    if (r.ok) this.project = r.value
  }

  notify(kind: Notice['kind'], text: string): void {
    const id = this.nextNotice++
    this.notices = [...this.notices.slice(-4), { id, kind, text }]
    if (kind === 'info') setTimeout(() => this.dismiss(id), 5000)
  }

  dismiss(id: number): void {
    this.notices = this.notices.filter((n) => n.id !== id)
  }

  private onEvent(e: ApiEvent): void {
    this.jobs.onEvent(e)
    if (e.type === 'train.progress' || e.type === 'train.state') this.train.onEvent(e)
    if (e.type === 'project.changed') {
      if (e.what === 'closed') {
        this.setProject(null)
        if (NEEDS_PROJECT.has(this.page)) this.go('projects')
        return
      }
      if (e.what === 'assignments') {
        // Another window (or curator) changed who reviews what: the Team list, and this curator's "Mine" queue.
        this.team.onAssignmentsChanged()
        return
      }
      if (e.what === 'consensus') {
        // A consensus fit landed in its worker: only what shows a consensus asks again.
        this.overview.onConsensusFitted()
        this.review.onConsensusFitted()
        return
      }
      if (e.what === 'labels') this.refreshProjectSoon()
      else void this.refreshProject()
      this.overview.markStale()
      if (e.what === 'labels') this.review.onLabelsChanged(e.imageIds)
      else if (e.what === 'images' || e.what === 'audit' || e.what === 'runs') this.review.markStale()
      else if (e.what === 'queue' && !this.learning.isOwnEcho()) this.review.markStale()
      if (e.what === 'queue' || e.what === 'audit') void this.learning.refresh()
      if (e.what === 'labels') this.history.markStale()
    }
  }
}
