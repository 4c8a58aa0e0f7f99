/**
 * Keeps the next few review images downloaded and decoded, so moving to them paints from memory.
 *
 * The server sends images with `Cache-Control: no-store` (face data stays off the disk cache), so a
 * plain `new Image()` preload is not reused by the <img> that shows the image later: it would download
 * again. Instead each image is fetched once into a Blob, given an object URL and decoded; the view
 * shows the object URL when it is ready (`resolve`), else the server URL. Object URLs live in memory
 * only and are revoked when they fall out of the window of `max` images. Where fetch cannot read the
 * URL (a custom scheme without fetch support, tests), it falls back to a plain Image preload.
 */

interface Entry {
  /** blob: URL once downloaded, else null. */
  objectUrl: string | null
  /** Decoded and ready to paint. */
  ready: boolean
  /** Settles when the load ends (ready or not). */
  done?: Promise<void>
  /** Holds the decoded bitmap alive. */
  img: HTMLImageElement | null
}

export class ImagePreloader {
  private readonly entries = new Map<string, Entry>()

  constructor(private readonly max = 48) {}

  /** The URL to display for `src`: its decoded in-memory copy when ready, else `src` itself. */
  resolve(src: string): string {
    const e = this.entries.get(src)
    return e?.ready && e.objectUrl ? e.objectUrl : src
  }

  preload(src: string): void {
    const have = this.entries.get(src)
    if (have) {
      this.entries.delete(src)
      this.entries.set(src, have)
      return
    }
    if (typeof Image === 'undefined') return
    const entry: Entry = { objectUrl: null, ready: false, img: null }
    this.entries.set(src, entry)
    this.evict()
    entry.done = this.load(src, entry)
  }

  /** Resolves when `src` is decoded in memory (true) or its load ended without that (false). */
  async whenReady(src: string): Promise<boolean> {
    const e = this.entries.get(src)
    if (!e) return false
    await e.done
    return e.ready
  }

  has(src: string): boolean {
    return this.entries.has(src)
  }

  clear(): void {
    for (const e of this.entries.values()) this.release(e)
    this.entries.clear()
  }

  private async load(src: string, entry: Entry): Promise<void> {
    let url = src
    try {
      if (typeof fetch === 'function' && typeof URL.createObjectURL === 'function') {
        const res = await fetch(src, { credentials: 'same-origin' })
        if (!res.ok) return
        const blob = await res.blob()
        if (this.entries.get(src) !== entry) return // evicted meanwhile
        url = entry.objectUrl = URL.createObjectURL(blob)
      }
    } catch {
      url = src
    }
    const img = new Image()
    img.decoding = 'async'
    img.src = url
    entry.img = img
    try {
      if (typeof img.decode === 'function') await img.decode()
      // Without an object URL, `ready` would point the view at the server URL again: nothing gained.
      entry.ready = entry.objectUrl !== null && this.entries.get(src) === entry
    } catch {
      entry.ready = false
    }
  }

  private evict(): void {
    while (this.entries.size > this.max) {
      const [oldest, e] = this.entries.entries().next().value as [string, Entry]
      this.entries.delete(oldest)
      this.release(e)
    }
  }

  private release(e: Entry): void {
    // The <img> showing it keeps its decoded pixels; revoking only frees the blob.
    if (e.objectUrl) URL.revokeObjectURL(e.objectUrl)
    e.objectUrl = null
    e.ready = false
    e.img = null
  }
}
