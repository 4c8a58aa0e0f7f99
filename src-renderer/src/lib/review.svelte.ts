/**
 * The review: the queue under the current filter and sort, the current image and its detail, the
 * grid selection, and every curator decision.
 *
 * Decisions are optimistic: the row changes and the next image is shown in the same frame, while the
 * API call (which answers only after the history entry is committed) runs behind. Writes go through
 * one serial chain, so an undo never overtakes the decision it should undo and "saved" means every
 * earlier decision is on disk. A failed write puts the row back as it was, returns to that image and
 * says why.
 */
import type { AppState } from './app.svelte'
import type { Decision, ImageCounts, ImageDetail, QueueItem } from './api'
import { QueueList } from './queue.svelte'
import {
  defaultFilter,
  defaultSort,
  viewFromParams,
  viewToParams,
  toQueueFilter,
  toQueueSort,
  type QueueScope,
  type UiFilter,
  type UiSort
} from './filters'
import { applyDecision, classDecision, describeDecision, mergeDecided } from './decisions'
import { keyToAction, reviewKeyAllowed, type KeyLike, type ReviewAction } from './keys'
import { ImagePreloader } from './prefetch'
import { ThumbLoader } from './thumbs.svelte'
import { KeyHold, prefetchOffsets } from './hold.svelte'
import { SvelteSet } from 'svelte/reactivity'

/** Rows re-read per images.queue request (the API's page limit). */
const ROWS_PER_REQUEST = 500

/** How many images after the current one get their detail and full image fetched ahead. */
export const PREFETCH_AHEAD = 4
const DETAIL_CACHE = 300
/** How long an image must stay current before its (not prefetched) detail is requested. */
const DETAIL_WAIT_MS = 40
/** Label events about images this client wrote within this window are its own echo. */
const OWN_ECHO_MS = 10_000

/** Resolves after the next frame has been produced (next macrotask where there are no frames). */
function afterPaint(): Promise<void> {
  return new Promise((resolve) => {
    if (
      typeof requestAnimationFrame === 'function' &&
      typeof document !== 'undefined' &&
      document.visibilityState !== 'hidden'
    ) {
      requestAnimationFrame(() => setTimeout(resolve, 0))
    } else setTimeout(resolve, 0)
  })
}

export type SaveState = 'idle' | 'saving' | 'saved' | 'error'

/** Table columns ordered in the page (the server sorts by score, confidence and import order only). */
export type LocalColumn = 'given' | 'suggested' | 'strength' | 'flags' | 'decision'
const LOCAL_KEYS: Record<LocalColumn, (r: QueueItem) => number | string | null> = {
  given: (r) => r.given,
  suggested: (r) => (r.suggested != null && r.suggested !== r.given ? r.suggested : null),
  strength: (r) => r.strength,
  flags: (r) => (r.flags.length ? r.flags.join(',') : null),
  decision: (r) => r.review
}

/** A bulk decision before its confirmation. */
export type BulkKind = { kind: 'accept' | 'keep' | 'exclude' | 'ambiguous' } | { kind: 'relabel'; label: number }
export type PendingBulk = BulkKind & {
  ids: number[]
  /** Images it will change (accept: those with a suggestion at least minStrength strong). */
  affected: number
  minStrength?: number
}

/** The bulk decision a key stands for while images are selected; null = the key acts as usual. */
function bulkFor(a: ReviewAction): BulkKind | null {
  switch (a.type) {
    case 'accept':
    case 'keep':
    case 'exclude':
    case 'ambiguous':
      return { kind: a.type }
    case 'class':
      return { kind: 'relabel', label: a.index }
  }
  return null
}

export function describeBulk(b: BulkKind, classes: readonly string[]): string {
  switch (b.kind) {
    case 'accept':
      return 'accept the suggestions'
    case 'relabel':
      return `relabel to ${classes[b.label] ?? `#${b.label}`}`
    default:
      return { keep: 'keep the labels', exclude: 'exclude', ambiguous: 'mark ambiguous' }[b.kind]
  }
}

export interface ClickMods {
  shift?: boolean
  toggle?: boolean
}

export class ReviewStore {
  filter = $state<UiFilter>(defaultFilter())
  sort = $state<UiSort>(defaultSort())
  readonly queue: QueueList
  /** Index of the current image in the queue; -1 = none. */
  current = $state(-1)
  /** Selected image ids (bulk actions). A SvelteSet: cells re-render when their own id joins or leaves. */
  readonly selection = new SvelteSet<number>()
  detail = $state.raw<ImageDetail | null>(null)
  detailError = $state<string | null>(null)
  counts = $state.raw<ImageCounts | null>(null)
  /** Writes in flight. */
  pending = $state(0)
  saveState = $state<SaveState>('idle')
  /** What the last confirmed write did ("relabeled to anger"). */
  lastSaved = $state<string | null>(null)
  saveError = $state<string | null>(null)
  undoDepth = $state(0)
  redoDepth = $state(0)
  /** The queue no longer matches the project (an audit finished, images were imported ...). */
  stale = $state(false)
  /** Cells per grid row, reported by the grid (row moves). */
  columns = 1
  /** Region outlines on the face (R); off by default so the face is seen unobstructed. */
  overlay = $state(false)
  /** The face enlarged to the pane's width (F). */
  zoom = $state(false)
  /** Open state of the detail's collapsible sections, kept from image to image. */
  sections = $state({ bars: false, regions: true })
  /** The queue as thumbnails or as a table of numbers (T). */
  view = $state<'grid' | 'table'>('grid')
  /** A table column the loaded rows are ordered by locally (null = the server's order). */
  localSort = $state<{ column: LocalColumn; dir: 1 | -1 } | null>(null)
  /** Scrolls the detail pane; set by the page that shows it. */
  scrollPane: ((to: 'down' | 'up' | 'top' | 'bottom') => void) | null = null

  private anchor = -1
  private loadedKey: string | null = null
  // Caches read only by methods, never by the template: plain maps, no reactivity to pay for.
  // eslint-disable-next-line svelte/prefer-svelte-reactivity -- a cache behind `detail`, which is the state
  private readonly details = new Map<number, ImageDetail>()
  // eslint-disable-next-line svelte/prefer-svelte-reactivity -- in-flight loads, not state
  private readonly detailLoads = new Map<number, Promise<ImageDetail | null>>()
  private readonly preloader = new ImagePreloader()
  private writes: Promise<unknown> = Promise.resolve()
  // eslint-disable-next-line svelte/prefer-svelte-reactivity -- bookkeeping of our own writes, not state
  private readonly ownWrites = new Map<number, number>()

  readonly thumbs: ThumbLoader

  constructor(private readonly app: AppState) {
    this.queue = new QueueList(app.api)
    this.thumbs = new ThumbLoader(app.api)
  }

  get items(): QueueItem[] {
    return this.queue.items
  }

  get currentItem(): QueueItem | null {
    return this.queue.items[this.current] ?? null
  }

  get classes(): string[] {
    return this.app.classes
  }

  /** A grid thumbnail's URL; undefined while its batch is loading (see ThumbLoader). */
  thumbUrl(imageId: number): string | undefined {
    return this.thumbs.url(imageId)
  }

  /** Bumped when a full image the detail waits for is decoded (the view re-reads fullUrl). */
  private fullVersion = $state(0)

  /**
   * The detail image's URL: the prefetched, decoded full image when there is one; else, at once, the
   * grid's thumbnail (already decoded) while the full image loads behind it, so holding J or moving
   * past the prefetch paints the next face in the next frame instead of waiting for a download.
   */
  fullUrl(imageId: number): string {
    void this.fullVersion
    const full = this.app.api.imageUrl(imageId, 'full')
    const ready = this.preloader.resolve(full)
    if (ready !== full) return ready
    const thumb = this.thumbs.url(imageId)
    if (!thumb) return full
    // While a key is held the thumbnail is all that is shown: no download per image passed. Else the
    // full image is awaited even when its prefetch had already started (it was `has` but not ready:
    // the face then stayed the thumbnail after a held key was released).
    if (!this.hold.held && this.awaitingFull !== full) {
      this.awaitingFull = full
      this.preloader.preload(full)
      void this.preloader.whenReady(full).then((ok) => {
        if (ok && this.currentItem?.imageId === imageId) this.fullVersion++
      })
    }
    return thumb
  }

  /** The full image the detail shows a thumbnail for while it loads (plain: written while rendering). */
  private awaitingFull: string | null = null

  /** Opens the page: (re)loads the queue when the query changed or it went stale. */
  async open(): Promise<void> {
    const key = this.queryKey()
    const tasks: Promise<unknown>[] = [this.refreshUndoState()]
    if (key !== this.loadedKey || this.stale) tasks.push(this.reload())
    if (!this.counts) tasks.push(this.loadCounts())
    await Promise.all(tasks)
  }

  async reload(): Promise<void> {
    this.loadedKey = this.queryKey()
    this.stale = false
    this.current = -1
    this.detail = null
    this.selection.clear()
    this.anchor = -1
    this.localSort = null
    const want = this.wantImage
    this.wantImage = null
    const ok = await this.queue.load({ filter: toQueueFilter(this.filter), sort: toQueueSort(this.sort) })
    if (!ok || !this.queue.items.length) return
    this.setCurrent(want == null ? 0 : await this.findLoaded(want))
  }

  /** The image to open after the next load (from the URL). */
  private wantImage: number | null = null

  /** Index of `imageId` once its page has streamed in (0 when it is not in the queue). */
  private async findLoaded(imageId: number): Promise<number> {
    for (let i = 0; i < 200; i++) {
      const at = this.queue.indexOf(imageId)
      if (at >= 0 || !this.queue.streaming) return Math.max(0, at)
      await new Promise((r) => setTimeout(r, 25))
    }
    return 0
  }

  /** The view (filters, sort, open image) as URL parameters; see filters.ts viewToParams. */
  get urlParams(): string {
    return viewToParams(this.filter, this.sort, this.currentItem?.imageId ?? null).toString()
  }

  /** Applies a view from the URL before the page opens (a reload or a shared link). */
  applyUrl(params: URLSearchParams): void {
    const v = viewFromParams(params)
    this.filter = v.filter
    this.sort = v.sort
    this.wantImage = v.imageId
  }

  /**
   * A table header click: score, confidence and import order ask the server (the sort also goes in
   * the URL); the other columns order the loaded rows here, once they are all in.
   */
  sortBy(column: LocalColumn | 'score' | 'confidence' | 'id'): void {
    const id = this.currentItem?.imageId
    if (column === 'score' || column === 'confidence' || column === 'id') {
      const dir = this.sort.by === column && this.sort.dir === 'asc' ? 'desc' : 'asc'
      this.localSort = null
      this.setSort({ by: column, dir })
      return
    }
    const dir: 1 | -1 = this.localSort?.column === column && this.localSort.dir === 1 ? -1 : 1
    const key = LOCAL_KEYS[column]
    const ok = this.queue.reorder((a, b) => {
      const ka = key(a)
      const kb = key(b)
      if (ka === kb) return a.imageId - b.imageId
      if (ka == null) return 1
      if (kb == null) return -1
      return (ka < kb ? -1 : 1) * dir
    })
    if (!ok) {
      this.app.notify('info', 'The queue is still loading; sort by this column once every row is in.')
      return
    }
    this.localSort = { column, dir }
    if (id != null) this.setCurrent(this.queue.indexOf(id))
  }

  /** Moves to the first image of the queue that has no decision yet. */
  resume(): void {
    const i = this.queue.items.findIndex((it) => it.review == null)
    if (i >= 0) this.setCurrent(i)
    else this.app.notify('info', 'Every loaded image of this queue has a decision.')
  }

  reset(): void {
    this.queue.clear()
    this.loadedKey = null
    this.counts = null
    this.current = -1
    this.detail = null
    this.details.clear()
    this.preloader.clear()
    this.awaitingFull = null
    this.thumbs.clear()
    this.selection.clear()
  }

  dispose(): void {
    this.queue.cancel()
  }

  setFilter(f: UiFilter, reload = true): void {
    this.filter = f
    if (reload) void this.reload()
  }

  setSort(s: UiSort): void {
    this.sort = s
    void this.reload()
  }

  /** Back to the default filter, in the same queue (all / mine / adjudicate). */
  clearFilter(): void {
    this.setFilter({ ...defaultFilter(), queue: this.filter.queue })
  }

  /** Switches whose queue is shown (the selector above the grid), keeping the other filters. */
  setQueue(queue: QueueScope): void {
    this.setFilter({ ...this.filter, queue })
  }

  async loadCounts(): Promise<void> {
    const r = await this.app.api.images.counts({})
    if (r.ok) this.counts = r.value
  }

  // #region navigation and selection

  /**
   * Makes `index` the current image: shows its detail (from cache when prefetched) and prefetches
   * ahead. While a key is held only what is already in memory is shown; the requests wait for the
   * release (see hold.svelte.ts and settle).
   */
  setCurrent(index: number): void {
    const items = this.queue.items
    if (!items.length) {
      this.current = -1
      return
    }
    const i = Math.max(0, Math.min(items.length - 1, index))
    if (i !== this.current && this.current >= 0) this.direction = i < this.current ? -1 : 1
    this.current = i
    const id = items[i].imageId
    if (this.hold.held) {
      this.detail = this.details.get(id) ?? null
      this.detailError = null
      return
    }
    this.showDetail(id)
    this.schedulePrefetch(i)
  }

  /** The direction of the last move (+1 down the queue, -1 up): the prefetch looks that way. */
  private direction: 1 | -1 = 1

  /**
   * Fetches the details and full images around index `i`, after the next frame: starting requests
   * inside the keydown handler would delay the paint of the image the curator is waiting for.
   */
  private schedulePrefetch(i: number): void {
    const run = (): void => {
      if (this.current !== i || this.hold.held) return
      const items = this.queue.items
      for (const k of prefetchOffsets(PREFETCH_AHEAD, this.direction)) {
        const next = items[i + k]
        if (!next) continue
        this.preloader.preload(this.app.api.imageUrl(next.imageId, 'full'))
        void this.loadDetail(next.imageId)
      }
    }
    void afterPaint().then(run)
  }

  /** The hold ended: the current image's detail, full image (via fullUrl) and prefetch window. */
  private settle(): void {
    const it = this.currentItem
    if (!it) return
    if (this.detail?.image.id !== it.imageId) this.showDetail(it.imageId, 0)
    this.schedulePrefetch(this.current)
  }

  move(delta: number): void {
    if (this.current < 0) return
    this.setCurrent(this.current + delta)
  }

  /** A click on a grid cell: plain = open it; toggle (Ctrl/Cmd) = add/remove; shift = range from the anchor. */
  click(index: number, mods: ClickMods = {}): void {
    const items = this.queue.items
    const item = items[index]
    if (!item) return
    if (mods.shift && this.anchor >= 0) {
      const [a, b] = this.anchor < index ? [this.anchor, index] : [index, this.anchor]
      if (!mods.toggle) this.selection.clear()
      for (let i = a; i <= b; i++) if (items[i]) this.selection.add(items[i].imageId)
    } else if (mods.toggle) {
      // Only the images clicked: the open image never joins the selection implicitly.
      if (!this.selection.delete(item.imageId)) this.selection.add(item.imageId)
      this.anchor = index
    } else {
      this.selection.clear()
      this.anchor = index
    }
    this.setCurrent(index)
  }

  clearSelection(): void {
    this.selection.clear()
    this.pendingBulk = null
  }

  /** X: the open image into or out of the selection. */
  toggleCurrent(): void {
    const it = this.currentItem
    if (!it) return
    if (!this.selection.delete(it.imageId)) this.selection.add(it.imageId)
    this.anchor = this.current
  }

  /** Shift + move: selects from the anchor (the image where the range started) to the new image. */
  extend(delta: number): void {
    if (this.current < 0) return
    if (this.anchor < 0 || !this.selection.size) this.anchor = this.current
    this.setCurrent(this.current + delta)
    const [a, b] = this.anchor < this.current ? [this.anchor, this.current] : [this.current, this.anchor]
    for (let i = a; i <= b; i++) if (this.queue.items[i]) this.selection.add(this.queue.items[i].imageId)
  }

  /** Ctrl+A: every image of the queue (all of its filter, once the stream has loaded them). */
  selectAll(): void {
    this.selection.clear()
    for (const it of this.queue.items) this.selection.add(it.imageId)
  }

  // #endregion
  // #region keyboard

  /**
   * Handles a keydown on the review page. Returns true when the key was a review key (the caller then
   * prevents the browser default, e.g. Space scrolling the grid). Keys on a focused control stay the
   * control's (see reviewKeyAllowed).
   */
  handleKey(e: KeyLike & { target?: EventTarget | null; repeat?: boolean }): boolean {
    const action = keyToAction(e, this.classes.length)
    if (!action || !reviewKeyAllowed(action, e.target ?? null)) return false
    if (e.repeat) this.hold.repeat()
    this.act(action)
    return true
  }

  private readonly hold = new KeyHold(() => this.settle())
  /**
   * True while a key is held (auto-repeat): each repeat only moves and paints the face from memory
   * (the thumbnail when the full image is not prefetched), and the detail skips its heavy,
   * below-the-fold parts (every class's bars, the AU panels, the history). Requests and those parts
   * return when the key is released.
   */
  get held(): boolean {
    return this.hold.held
  }

  /** A keyup on the page: a held key was released. */
  release(): void {
    this.hold.release()
  }

  act(action: ReviewAction): void {
    if (this.pendingBulk) {
      // A bulk confirmation is open: Enter confirms, Escape cancels, every other key waits.
      if (action.type === 'accept') void this.confirmBulk()
      else if (action.type === 'escape') this.pendingBulk = null
      return
    }
    if (this.selection.size > 0) {
      const bulk = bulkFor(action)
      if (bulk) {
        this.askBulk(bulk)
        return
      }
    }
    switch (action.type) {
      case 'view':
        this.view = this.view === 'grid' ? 'table' : 'grid'
        return
      case 'toggleSelect':
        this.toggleCurrent()
        return
      case 'extend':
        this.extend(action.unit === 'row' ? action.delta * Math.max(1, this.columns) : action.delta)
        return
      case 'selectAll':
        this.selectAll()
        return
      case 'help':
        this.app.helpOpen = !this.app.helpOpen
        return
      case 'escape':
        if (this.app.helpOpen) this.app.helpOpen = false
        else this.clearSelection()
        return
      case 'move':
        this.move(action.unit === 'row' ? action.delta * Math.max(1, this.columns) : action.delta)
        return
      case 'scroll':
        this.scrollPane?.(action.to)
        return
      case 'overlay':
        this.overlay = !this.overlay
        return
      case 'zoom':
        this.zoom = !this.zoom
        return
      case 'undo':
        void this.undo()
        return
      case 'redo':
        void this.redo()
        return
      case 'class':
        if (this.currentItem) void this.decide(classDecision(this.currentItem, action.index))
        return
      case 'accept': {
        const item = this.currentItem
        if (!item) return
        if (item.suggested == null) {
          this.app.notify('info', 'No suggested label for this image (run an audit first, or pick a class with 1–8).')
          return
        }
        void this.decide({ kind: 'accept', label: item.suggested })
        return
      }
      case 'keep':
        if (this.currentItem) void this.decide({ kind: 'keep' })
        return
      case 'exclude':
        if (this.currentItem) void this.decide({ kind: 'exclude' })
        return
      case 'ambiguous':
        if (this.currentItem) void this.decide({ kind: 'ambiguous' })
        return
      case 'skip':
        if (this.currentItem) void this.decide({ kind: 'skip' })
    }
  }

  // #endregion
  // #region writes

  /**
   * Records a decision for the current image and moves on at once. Resolves when the server has
   * committed it (or it failed and was rolled back).
   */
  decide(decision: Decision): Promise<void> {
    const index = this.current
    const before = this.queue.items[index]
    if (!before) return Promise.resolve()
    const id = before.imageId
    const what = describeDecision(decision, this.classes, before.suggested)
    this.queue.patch([applyDecision(before, decision)])
    if (index < this.queue.items.length - 1) this.setCurrent(index + 1)
    return this.write(async () => {
      this.ownWrites.set(id, Date.now())
      const r = await this.app.api.review.decide({ imageId: id, decision })
      if (!r.ok) {
        this.rollback([before], `Could not save the decision for image ${id} (${what}): ${r.message}`)
        return
      }
      const row = this.queue.get(id)
      // The server re-judged the image against its new label and sent the row's new flags with the
      // answer: no detail request per decision (a held Q passes 50 images in 2 s). The detail (its
      // "why") is fetched again only if the image is opened.
      if (row) this.queue.patch([mergeDecided(row, r.value.annotation, r.value.audit)])
      this.details.delete(id)
      if (r.value.batchId) {
        this.undoDepth++
        this.redoDepth = 0
      }
      this.lastSaved = `Image ${id}: ${what}`
    })
  }

  /** The bulk decision waiting for its count confirmation (the bulk bar shows it). */
  pendingBulk = $state<PendingBulk | null>(null)
  /** Accept only suggestions at least this strong in a bulk accept (0 = all). */
  bulkMinStrength = $state(0)

  /** Asks for confirmation of a bulk decision over the selection (never the open image implicitly). */
  askBulk(b: BulkKind): void {
    const ids = [...this.selection]
    if (!ids.length) return
    const rows = ids.map((id) => this.queue.get(id)).filter((r): r is QueueItem => !!r)
    const affected =
      b.kind === 'accept'
        ? rows.filter(
            (r) => r.suggested != null && r.suggested !== r.given && (r.strength ?? 0) >= this.bulkMinStrength
          ).length
        : ids.length
    this.pendingBulk = { ...b, ids, affected, minStrength: b.kind === 'accept' ? this.bulkMinStrength : undefined }
  }

  /** Runs the confirmed bulk decision as one undoable action. */
  confirmBulk(): Promise<void> {
    // A plain copy: the state proxy cannot cross a structured-clone transport (IPC).
    const p = $state.snapshot(this.pendingBulk)
    this.pendingBulk = null
    if (!p) return Promise.resolve()
    this.selection.clear()
    const what = describeBulk(p, this.classes)
    return this.write(async () => {
      for (const id of p.ids) this.ownWrites.set(id, Date.now())
      const r = await this.app.api.review.bulkDecide({
        imageIds: p.ids,
        kind: p.kind,
        ...(p.kind === 'relabel' ? { label: p.label } : {}),
        ...(p.minStrength ? { minStrength: p.minStrength } : {})
      })
      if (!r.ok) {
        this.fail(`Could not ${what} (${p.ids.length} images): ${r.message}`)
        return
      }
      await this.refreshRows(p.ids)
      if (r.value.batchId) {
        this.undoDepth++
        this.redoDepth = 0
      }
      this.lastSaved = `${what}: ${r.value.decided} images${r.value.skipped ? `, ${r.value.skipped} left alone (no suggestion or weaker than ${Math.round((p.minStrength ?? 0) * 100)} %)` : ''}`
    })
  }

  /** Relabels many images as one undoable action (optimistic like decide). */
  bulkRelabel(imageIds: number[], label: number): Promise<void> {
    const before = imageIds.map((id) => this.queue.get(id)).filter((r): r is QueueItem => !!r)
    this.queue.patch(before.map((r) => applyDecision(r, { kind: 'relabel', label })))
    this.selection.clear()
    const name = this.classes[label] ?? `#${label}`
    return this.write(async () => {
      for (const id of imageIds) this.ownWrites.set(id, Date.now())
      const r = await this.app.api.review.bulkRelabel({ imageIds, label })
      if (!r.ok) {
        this.rollback(before, `Could not relabel ${imageIds.length} images to ${name}: ${r.message}`)
        return
      }
      for (const id of imageIds) this.details.delete(id)
      if (r.value.batchId) {
        this.undoDepth++
        this.redoDepth = 0
        void this.refreshRows(imageIds)
      }
      this.lastSaved = `${r.value.changed} images relabeled to ${name}`
    })
  }

  undo(): Promise<void> {
    return this.undoRedo('undo')
  }

  redo(): Promise<void> {
    return this.undoRedo('redo')
  }

  async refreshUndoState(): Promise<void> {
    const r = await this.app.api.review.undoState({})
    if (r.ok) {
      this.undoDepth = r.value.undo
      this.redoDepth = r.value.redo
    }
  }

  /**
   * Re-reads rows from the server (after undo/redo, a bulk decision, history reverts or another window's change):
   * one images.queue request per 500 rows, not a detail request per image. Only rows this window holds.
   */
  async refreshRows(imageIds: number[]): Promise<void> {
    const held = imageIds.filter((id) => this.queue.get(id))
    for (const id of held) this.details.delete(id)
    for (let i = 0; i < held.length; i += ROWS_PER_REQUEST) {
      const ids = held.slice(i, i + ROWS_PER_REQUEST)
      const r = await this.app.api.images.queue({ filter: { imageIds: ids }, limit: ids.length, withTotal: false })
      // A failed re-read leaves the optimistic rows; the next load corrects them.
      if (r.ok) this.queue.patch(r.value.items.filter((row) => this.queue.get(row.imageId)))
    }
    const cur = this.currentItem
    if (cur && imageIds.includes(cur.imageId)) this.showDetail(cur.imageId)
  }

  /** project.changed 'labels': refresh the rows someone else changed. */
  onLabelsChanged(imageIds: number[] | undefined): void {
    if (!imageIds) {
      if (this.pending === 0) this.markStale()
      return
    }
    const now = Date.now()
    for (const [id, t] of this.ownWrites) if (now - t > OWN_ECHO_MS) this.ownWrites.delete(id)
    const foreign = imageIds.filter((id) => !this.ownWrites.has(id) && this.queue.get(id))
    if (foreign.length) void this.refreshRows(foreign)
  }

  markStale(): void {
    this.stale = true
    this.counts = null
  }

  /**
   * project.changed 'consensus': a consensus fit landed. Cached details that show a consensus (fitting,
   * or an older fit) are read again; the current image's at once.
   */
  onConsensusFitted(): void {
    for (const [id, d] of [...this.details]) if (d.consensus) this.details.delete(id)
    const cur = this.currentItem
    if (cur && this.detail?.image.id === cur.imageId && this.detail.consensus) {
      const id = cur.imageId
      void this.loadDetail(id).then((d) => {
        if (d && this.currentItem?.imageId === id) this.detail = d
      })
    }
  }

  private async undoRedo(which: 'undo' | 'redo'): Promise<void> {
    return this.write(async () => {
      const r = which === 'undo' ? await this.app.api.review.undo({}) : await this.app.api.review.redo({})
      if (!r.ok) {
        this.fail(`${which === 'undo' ? 'Undo' : 'Redo'} failed: ${r.message}`)
        return
      }
      if (!r.value) {
        this.app.notify('info', which === 'undo' ? 'Nothing to undo.' : 'Nothing to redo.')
        await this.refreshUndoState()
        return
      }
      const ids = r.value.imageIds
      for (const id of ids) this.ownWrites.set(id, Date.now())
      await this.refreshRows(ids)
      await this.refreshUndoState()
      const first = ids.map((id) => this.queue.indexOf(id)).find((i) => i >= 0)
      if (first !== undefined && ids.length === 1) this.setCurrent(first)
      this.lastSaved = `${which === 'undo' ? 'Undone' : 'Redone'}: ${ids.length === 1 ? `image ${ids[0]}` : `${ids.length} images`}`
    })
  }

  private countsTimer: ReturnType<typeof setTimeout> | undefined
  /** Refreshes the progress counter a moment after the writes settle (one query per burst of keys). */
  private refreshCountsSoon(): void {
    clearTimeout(this.countsTimer)
    this.countsTimer = setTimeout(() => void this.loadCounts(), 1200)
  }

  /** Runs a write after every earlier one; keeps `pending` and the save state. */
  private write(fn: () => Promise<void>): Promise<void> {
    this.pending++
    this.saveState = 'saving'
    // The request starts after the next frame, so the optimistic change paints first.
    const run = this.writes
      .then(afterPaint)
      .then(fn)
      .catch((e: unknown) => this.fail(`Save failed: ${(e as Error).message}`))
    this.writes = run
    return run.finally(() => {
      this.pending--
      if (this.pending === 0 && this.saveState !== 'error') this.saveState = 'saved'
      if (this.pending === 0) this.refreshCountsSoon()
    })
  }

  private rollback(rows: QueueItem[], message: string): void {
    this.queue.patch(rows)
    const i = rows.length ? this.queue.indexOf(rows[0].imageId) : -1
    if (i >= 0) this.setCurrent(i)
    this.fail(message)
  }

  private fail(message: string): void {
    this.saveState = 'error'
    this.saveError = message
    this.app.notify('error', message)
  }

  /** Clears the error state after the curator has seen it. */
  ackError(): void {
    this.saveError = null
    this.saveState = this.pending ? 'saving' : 'idle'
  }

  // #endregion
  // #region details

  private showDetail(imageId: number, waitMs = DETAIL_WAIT_MS): void {
    const cached = this.details.get(imageId)
    this.detail = cached ?? null
    this.detailError = null
    if (cached) return
    // Not prefetched: ask after a short wait, and only if the image is still the current one, so
    // quick presses do not queue a request for every image they pass.
    setTimeout(() => {
      if (this.currentItem?.imageId !== imageId) return
      void this.loadDetail(imageId).then((d) => {
        if (this.currentItem?.imageId !== imageId) return
        if (d) this.detail = d
      })
    }, waitMs)
  }

  private loadDetail(imageId: number): Promise<ImageDetail | null> {
    const cached = this.details.get(imageId)
    if (cached) return Promise.resolve(cached)
    const inflight = this.detailLoads.get(imageId)
    if (inflight) return inflight
    const p = this.app.api.images.detail({ imageId }).then((r) => {
      this.detailLoads.delete(imageId)
      if (!r.ok) {
        if (this.currentItem?.imageId === imageId) this.detailError = `${r.code}: ${r.message}`
        return null
      }
      this.details.set(imageId, r.value)
      if (this.details.size > DETAIL_CACHE) this.details.delete(this.details.keys().next().value as number)
      return r.value
    })
    this.detailLoads.set(imageId, p)
    return p
  }

  // #endregion

  private queryKey(): string {
    return JSON.stringify([toQueueFilter(this.filter), toQueueSort(this.sort) ?? null])
  }
}
