/**
 * Grid thumbnails, fetched in batches where the transport offers them (browser mode: one request for
 * every thumbnail a frame asks for, instead of ~70 requests queueing on six HTTP/1.1 connections; see
 * src-main/core/api/thumb-batch.ts). Each thumbnail becomes a data: URL held in memory (the server
 * sends `no-store`, so nothing reaches the disk cache); the oldest are dropped beyond `capacity`.
 * data: rather than blob: URLs because registering a Blob and its URL is a synchronous round trip to
 * the browser process: 91 of them took ~100 ms on a busy 2-core machine, data: URLs well under 5 ms.
 * Where batching is not offered (Electron's poi-img:// has no connection limit), `url` returns the
 * one-by-one image URL, as before. A failed batch falls back to those URLs too, so an
 * image that cannot be served shows the browser's own broken-image state, as a single request would.
 */
import { SvelteMap } from 'svelte/reactivity'
import { decodeThumbBatch, THUMB_BATCH_MAX } from '../../../src-main/core/api/thumb-batch'

/** What the loader needs from the API client. */
export interface ThumbSource {
  imageUrl(imageId: number, variant: 'thumb'): string
  readonly thumbBatchUrl: ((imageIds: readonly number[]) => string) | null
}

export interface ThumbLoaderOptions {
  /** Thumbnails kept in memory (default 3,000: about 6 MB of FER-sized JPEGs as base64). */
  capacity?: number
  fetch?: (url: string, init: RequestInit) => Promise<Response>
}

const SAFE_MIME = new Set(['image/jpeg', 'image/png', 'image/webp'])

/** `data:<mime>;base64,…` of some bytes. */
export function dataUrl(mime: string, bytes: Uint8Array): string {
  let bin = ''
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000))
  return `data:${mime};base64,${btoa(bin)}`
}

export class ThumbLoader {
  /**
   * id → URL to show (data: URL, or the one-by-one URL after a failure). Reactive: cells re-render when theirs arrives.
   */
  private readonly urls = new SvelteMap<number, string>()
  /** Recency, oldest first (plain: touched while rendering). */
  // eslint-disable-next-line svelte/prefer-svelte-reactivity -- touched while rendering: reactive it would loop
  private readonly order = new Map<number, true>()
  // eslint-disable-next-line svelte/prefer-svelte-reactivity -- a request queue, not shown
  private readonly wanted = new Set<number>()
  // eslint-disable-next-line svelte/prefer-svelte-reactivity -- a request queue, not shown
  private readonly inflight = new Set<number>()
  private scheduled = false
  private generation = 0
  private readonly capacity: number
  private readonly doFetch: (url: string, init: RequestInit) => Promise<Response>

  constructor(
    private readonly source: ThumbSource,
    opts: ThumbLoaderOptions = {}
  ) {
    this.capacity = opts.capacity ?? 3000
    this.doFetch = opts.fetch ?? ((u, i) => fetch(u, i))
  }

  /** True when thumbnails come in batches (else `url` is the plain one-by-one URL). */
  get batching(): boolean {
    return this.source.thumbBatchUrl !== null
  }

  /**
   * The URL for a cell's <img src>; undefined while its batch is on the way (the call asks for it,
   * and the cell re-renders when it arrives). Safe to call while rendering: it changes no state then.
   */
  url(imageId: number): string | undefined {
    if (!this.batching) return this.source.imageUrl(imageId, 'thumb')
    const u = this.urls.get(imageId)
    if (u !== undefined) {
      this.order.delete(imageId)
      this.order.set(imageId, true)
      return u
    }
    if (!this.inflight.has(imageId) && !this.wanted.has(imageId)) {
      this.wanted.add(imageId)
      if (!this.scheduled) {
        this.scheduled = true
        // After the current render: every cell of this frame joins the same batch.
        queueMicrotask(() => this.flush())
      }
    }
    return undefined
  }

  /** Forgets every thumbnail (another project); batches in flight are ignored. */
  clear(): void {
    this.generation++
    this.urls.clear()
    this.order.clear()
    this.wanted.clear()
    this.inflight.clear()
  }

  private flush(): void {
    this.scheduled = false
    const ids = [...this.wanted]
    this.wanted.clear()
    for (let i = 0; i < ids.length; i += THUMB_BATCH_MAX) void this.load(ids.slice(i, i + THUMB_BATCH_MAX))
  }

  private async load(ids: number[]): Promise<void> {
    const gen = this.generation
    for (const id of ids) this.inflight.add(id)
    let got: Map<number, string> | null = null
    try {
      const res = await this.doFetch(this.source.thumbBatchUrl!(ids), { credentials: 'same-origin' })
      if (!res.ok) throw new Error(`HTTP ${res.status}`)
      const items = decodeThumbBatch(await res.arrayBuffer())
      // eslint-disable-next-line svelte/prefer-svelte-reactivity -- local batch result, copied into `urls`
      got = new Map()
      for (const it of items) {
        // Only the raster types the image handler produces become data: URLs; anything else loads alone.
        if (it.status === 200 && it.data.byteLength > 0 && SAFE_MIME.has(it.mime))
          got.set(it.id, dataUrl(it.mime, it.data))
      }
    } catch {
      got = null
    }
    if (gen !== this.generation) return
    for (const id of ids) {
      this.inflight.delete(id)
      this.put(id, got?.get(id) ?? this.source.imageUrl(id, 'thumb'))
    }
  }

  private put(id: number, url: string): void {
    this.urls.set(id, url)
    this.order.delete(id)
    this.order.set(id, true)
    while (this.order.size > this.capacity) {
      const oldest = this.order.keys().next().value as number
      this.order.delete(oldest)
      this.urls.delete(oldest)
    }
  }
}
