/**
 * The review queue as a flat list of rows, loaded page by page from `images.queue` (keyset paging).
 * The first page is small so the page is usable at once; the rest streams in behind it, so that the
 * grid's scrollbar covers every matching image (the total comes with the first page) and any row can
 * be reached. Rows live in one raw array (no deep proxies: 35k rows stay cheap) that is replaced, not
 * mutated, on every change.
 */
import type { ApiClient, ApiErrorCode, QueueFilter, QueueItem, QueueSort } from './api'

export interface QueueQuery {
  filter: QueueFilter
  sort: QueueSort | undefined
}

/** Rows in the first page: enough to fill a large grid. */
export const FIRST_PAGE = 120
/** Rows per background page (the contract's maximum). */
export const PAGE = 500

export class QueueList {
  items = $state.raw<QueueItem[]>([])
  /** Matching images (from the first page); null until known. */
  total = $state<number | null>(null)
  loading = $state(false)
  /** True while later pages are still streaming in. */
  streaming = $state(false)
  error = $state<{ code: ApiErrorCode; message: string } | null>(null)
  auditId = $state<number | null>(null)
  runId = $state<number | null>(null)
  /** Why the queue is empty by design (the curator has no assignment), from the server. */
  emptyReason = $state<string | null>(null)

  // eslint-disable-next-line svelte/prefer-svelte-reactivity -- rebuilt with `items`, the state
  private index = new Map<number, number>()
  private gen = 0
  private cursor: string | null = null
  private query: QueueQuery | null = null

  constructor(private readonly api: ApiClient) {}

  /** Position of an image in the list, or -1 when not loaded. */
  indexOf(imageId: number): number {
    return this.index.get(imageId) ?? -1
  }

  get complete(): boolean {
    return this.cursor === null && !this.loading
  }

  /**
   * Loads the first page of `query` (replacing the list) and starts streaming the rest.
   * Resolves after the first page; a newer load makes an older one stop quietly.
   */
  async load(query: QueueQuery): Promise<boolean> {
    const gen = ++this.gen
    this.query = query
    this.loading = true
    this.error = null
    const r = await this.api.images.queue({ ...this.args(query), limit: FIRST_PAGE, withTotal: true })
    if (gen !== this.gen) return false
    this.loading = false
    if (!r.ok) {
      this.items = []
      // eslint-disable-next-line svelte/prefer-svelte-reactivity -- rebuilt with `items`, the state
      this.index = new Map()
      this.total = null
      this.cursor = null
      this.emptyReason = null
      this.error = { code: r.code, message: r.message }
      return false
    }
    this.items = r.value.items
    // eslint-disable-next-line svelte/prefer-svelte-reactivity -- rebuilt with `items`, the state
    this.index = new Map(r.value.items.map((it, i) => [it.imageId, i]))
    this.total = r.value.total ?? r.value.items.length
    this.emptyReason = r.value.emptyReason ?? null
    this.auditId = r.value.auditId
    this.runId = r.value.runId
    this.cursor = r.value.nextCursor
    if (this.cursor) void this.stream(gen)
    return true
  }

  /** Stops a running stream (a new query, or leaving the project). */
  cancel(): void {
    this.gen++
    this.streaming = false
    this.loading = false
  }

  clear(): void {
    this.cancel()
    this.items = []
    // eslint-disable-next-line svelte/prefer-svelte-reactivity -- rebuilt with `items`, the state
    this.index = new Map()
    this.total = null
    this.cursor = null
    this.error = null
    this.emptyReason = null
  }

  /** Replaces rows by image id (rows not loaded are ignored). */
  patch(rows: QueueItem[]): void {
    let next: QueueItem[] | null = null
    for (const row of rows) {
      const i = this.index.get(row.imageId)
      if (i === undefined) continue
      next ??= this.items.slice()
      next[i] = row
    }
    if (next) this.items = next
  }

  /**
   * Reorders the loaded rows (the table's columns the server does not sort by). Only once every row
   * is in: a page streaming in later would land out of order.
   */
  reorder(compare: (a: QueueItem, b: QueueItem) => number): boolean {
    if (!this.complete) return false
    this.items = this.items.slice().sort(compare)
    // eslint-disable-next-line svelte/prefer-svelte-reactivity -- rebuilt with `items`, the state
    this.index = new Map(this.items.map((it, i) => [it.imageId, i]))
    return true
  }

  get(imageId: number): QueueItem | undefined {
    const i = this.index.get(imageId)
    return i === undefined ? undefined : this.items[i]
  }

  private args(q: QueueQuery): { filter?: QueueFilter; sort?: QueueSort } {
    return { ...(Object.keys(q.filter).length ? { filter: q.filter } : {}), ...(q.sort ? { sort: q.sort } : {}) }
  }

  private async stream(gen: number): Promise<void> {
    this.streaming = true
    try {
      while (this.cursor && gen === this.gen && this.query) {
        // Yield between pages so input and painting are never starved by the stream.
        await new Promise((r) => setTimeout(r, 0))
        if (gen !== this.gen) return
        const r = await this.api.images.queue({
          ...this.args(this.query),
          cursor: this.cursor,
          limit: PAGE,
          withTotal: false
        })
        if (gen !== this.gen) return
        if (!r.ok) {
          this.error = { code: r.code, message: `loading more rows failed: ${r.message}` }
          return
        }
        const start = this.items.length
        const add = r.value.items.filter((it) => !this.index.has(it.imageId))
        add.forEach((it, k) => this.index.set(it.imageId, start + k))
        this.items = this.items.concat(add)
        this.cursor = r.value.nextCursor
      }
    } finally {
      if (gen === this.gen) this.streaming = false
    }
  }
}
