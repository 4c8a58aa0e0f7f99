/**
 * Keeps the next few review images loaded and decoded, so that moving to them paints from memory.
 * Holding the Image objects keeps the decoded bitmaps alive in Chromium's memory cache; the oldest
 * are dropped past `max`.
 */
export class ImagePreloader {
  private readonly images = new Map<string, HTMLImageElement>()

  constructor(private readonly max = 32) {}

  preload(url: string): void {
    const have = this.images.get(url)
    if (have) {
      this.images.delete(url)
      this.images.set(url, have)
      return
    }
    if (typeof Image === 'undefined') return
    const img = new Image()
    img.decoding = 'async'
    img.src = url
    // decode() resolves once the bitmap is ready; failures (404, aborted) only mean no head start.
    if (typeof img.decode === 'function') img.decode().catch(() => {})
    this.images.set(url, img)
    while (this.images.size > this.max) {
      const oldest = this.images.keys().next().value as string
      this.images.delete(oldest)
    }
  }

  has(url: string): boolean {
    return this.images.has(url)
  }

  clear(): void {
    this.images.clear()
  }
}
