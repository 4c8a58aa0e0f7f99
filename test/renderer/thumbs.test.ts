/**
 * ThumbLoader (src-renderer/src/lib/thumbs.svelte.ts): the thumbnails a frame asks for go out as one
 * batch (at most THUMB_BATCH_MAX ids each), arrive as data: URLs, fall back to one-by-one URLs when
 * an id or the whole batch fails, stay within capacity, and are dropped on clear(). The batches are
 * answered by the real batch and image handlers over a real project with cached thumbnails.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { THUMB_BATCH_MAX } from '../../src-main/core/api/thumb-batch'
import { ThumbLoader, dataUrl } from '../../src-renderer/src/lib/thumbs.svelte'
import { thumbServer, type ThumbServer } from './thumb-server'

let server: ThumbServer | null = null
afterEach(() => {
  server?.close()
  server = null
})

const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 20))

async function setup(n: number): Promise<ThumbServer> {
  server = await thumbServer(n)
  return server
}

const source = {
  imageUrl: (id: number) => `/img/${id}?v=thumb`,
  thumbBatchUrl: (ids: readonly number[]) => `/img/thumbs?ids=${ids.join(',')}`
}

describe('ThumbLoader', () => {
  it('one batch per frame, data: URLs when it arrives, one-by-one URLs for ids it could not serve', async () => {
    const { ids, jpeg, calls, fetch } = await setup(30)
    const l = new ThumbLoader(source, { fetch })
    const asked = [...ids.slice(0, 25), 4242]
    expect(asked.map((id) => l.url(id))).toEqual(asked.map(() => undefined))
    // Asking again before it arrives sends nothing more.
    l.url(ids[0])
    await settle()
    expect(calls).toEqual([asked])
    expect(l.url(ids[3])).toBe(dataUrl('image/jpeg', jpeg))
    expect(l.url(4242)).toBe('/img/4242?v=thumb')
    expect(calls).toHaveLength(1)
  })

  it('splits a large request into batches of at most the maximum', async () => {
    const { ids, calls, fetch } = await setup(THUMB_BATCH_MAX + 50)
    const l = new ThumbLoader(source, { fetch })
    for (const id of ids) l.url(id)
    await settle()
    expect(calls.map((c) => c.length)).toEqual([THUMB_BATCH_MAX, 50])
    expect(ids.every((id) => l.url(id)?.startsWith('data:image/jpeg;base64,'))).toBe(true)
  })

  it('a failed batch falls back to one-by-one URLs; capacity drops the oldest; clear() forgets all and ignores late answers', async () => {
    const { ids, calls, fetch, fail } = await setup(20)
    fail.on = true
    const l = new ThumbLoader(source, { fetch, capacity: 5 })
    l.url(ids[0])
    await settle()
    expect(l.url(ids[0])).toBe(`/img/${ids[0]}?v=thumb`)
    fail.on = false
    for (const id of ids.slice(1, 11)) l.url(id)
    await settle()
    // Ten arrived, five fit: the first ones are gone and are asked for again.
    expect(l.url(ids[10])).toMatch(/^data:/)
    expect(l.url(ids[1])).toBeUndefined()
    await settle()
    expect(calls.at(-1)).toEqual([ids[1]])
    l.url(ids[15])
    l.clear()
    await settle()
    expect(l.url(ids[10])).toBeUndefined()
  })

  it('without a batch URL (Electron) every thumbnail is its own URL, at once', () => {
    const l = new ThumbLoader({ imageUrl: source.imageUrl, thumbBatchUrl: null })
    expect(l.batching).toBe(false)
    expect(l.url(5)).toBe('/img/5?v=thumb')
  })
})
