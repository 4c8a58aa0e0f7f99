/**
 * The real batch and image handlers over a real project with cached thumbnails, for the ThumbLoader
 * tests. `.mts` plus `thumb-server.d.ts` for the same reason as real-main.mts: this pulls in the Node core.
 */
import sharp from 'sharp'
import { tempDir } from '../helpers/tmp'
import { makeProject } from '../main/audit/helpers'
import { createImageHandler, lookupImage } from '../../src-main/core/api/image-serve'
import { thumbnailWriter } from '../../src-main/core/store/cache'
import { createThumbBatchHandler } from '../../src-main/core/api/thumb-batch'

export interface ThumbServer {
  ids: number[]
  /** The cached thumbnail every image has. */
  jpeg: Uint8Array
  /** The ids of every batch asked for, in order. */
  calls: number[][]
  /** Answers a batch URL as the server would (or 500 while `fail.on`). */
  fetch(url: string): Promise<Response>
  fail: { on: boolean }
  close(): void
}

export async function thumbServer(n: number): Promise<ThumbServer> {
  const t = tempDir('poi-thumbs-')
  const f = makeProject(
    t.dir,
    ['neutral', 'happiness'],
    Array.from({ length: n }, (_, i) => ({ relPath: `${i}.png`, label: i % 2 }))
  )
  const jpeg = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#777' } })
    .jpeg()
    .toBuffer()
  const put = thumbnailWriter(f.p.db)
  for (const id of f.ids) put(id, { mime: 'image/jpeg', width: 8, height: 8, data: jpeg })
  const batch = createThumbBatchHandler(createImageHandler({ lookup: (id) => lookupImage(f.p.db, id) }))
  const calls: number[][] = []
  const fail = { on: false }
  return {
    ids: f.ids,
    jpeg: new Uint8Array(jpeg),
    calls,
    fail,
    async fetch(url) {
      const ids = new URL(url, 'http://127.0.0.1').searchParams.get('ids')
      calls.push((ids ?? '').split(',').map(Number))
      return fail.on ? new Response(null, { status: 500 }) : batch(ids)
    },
    close() {
      f.p.close()
      t.cleanup()
    }
  }
}
