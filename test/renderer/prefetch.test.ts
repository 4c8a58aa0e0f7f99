import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { ImagePreloader } from '../../src-renderer/src/lib/prefetch'

// jsdom has neither object URLs nor a server: give it both, as a browser would have.
let fetched: string[]
let revoked: string[]
beforeEach(() => {
  fetched = []
  revoked = []
  let n = 0
  vi.stubGlobal('fetch', async (url: string) => {
    fetched.push(url)
    return new Response(new Uint8Array([1, 2, 3]), {
      status: url.includes('missing') ? 404 : 200,
      headers: { 'content-type': 'image/webp' }
    })
  })
  URL.createObjectURL = () => `blob:test/${++n}`
  URL.revokeObjectURL = (u: string) => void revoked.push(u)
})
afterEach(() => {
  vi.unstubAllGlobals()
  vi.restoreAllMocks()
})

const flush = () => new Promise((r) => setTimeout(r, 10))

describe('image prefetch', () => {
  it('downloads once, then serves the in-memory copy; the server URL until then', async () => {
    const p = new ImagePreloader(3)
    p.preload('/img/1?v=full')
    expect(p.resolve('/img/1?v=full')).toBe('/img/1?v=full')
    p.preload('/img/1?v=full')
    await flush()
    expect(fetched).toEqual(['/img/1?v=full'])
    expect(p.resolve('/img/1?v=full')).toBe('blob:test/1')
    expect(p.resolve('/img/2?v=full')).toBe('/img/2?v=full')
  })

  it('keeps a window of the newest images and revokes the ones that fall out', async () => {
    const p = new ImagePreloader(2)
    for (const id of [1, 2, 3]) {
      p.preload(`/img/${id}?v=full`)
      await flush()
    }
    expect(p.has('/img/1?v=full')).toBe(false)
    expect(revoked).toEqual(['blob:test/1'])
    expect(p.resolve('/img/3?v=full')).toBe('blob:test/3')
    p.clear()
    expect(revoked).toEqual(['blob:test/1', 'blob:test/2', 'blob:test/3'])
  })

  it('falls back to the server URL when the download fails', async () => {
    const p = new ImagePreloader()
    p.preload('/img/missing?v=full')
    await flush()
    expect(p.resolve('/img/missing?v=full')).toBe('/img/missing?v=full')
  })
})
