/**
 * The thumbnail batch wire format (core/api/thumb-batch.ts): id lists, a round trip, refusals of
 * damaged or foreign bodies, and the batch handler over the real image handler on a real project
 * (cached thumbnails, a transcoded file, an unknown id, a path escaping the dataset root).
 */
import { afterEach, describe, expect, it } from 'vitest'
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import sharp from 'sharp'
import { tempDir } from '../../helpers/tmp'
import { makeProject, type Fixture } from '../audit/helpers'
import { createImageHandler, lookupImage } from '../../../src-main/core/api/image-serve'
import { thumbnailWriter } from '../../../src-main/core/store/cache'
import {
  createThumbBatchHandler,
  decodeThumbBatch,
  encodeThumbBatch,
  parseThumbIds,
  THUMB_BATCH_MAX
} from '../../../src-main/core/api/thumb-batch'

let fx: Fixture | null = null
let cleanup: (() => void) | null = null
afterEach(() => {
  fx?.p.close()
  fx = null
  cleanup?.()
  cleanup = null
})

describe('thumbnail batch format', () => {
  it('parses id lists: positive decimal, no repeats, at most the maximum', () => {
    expect(parseThumbIds('3,1,2')).toEqual([3, 1, 2])
    expect(parseThumbIds(Array.from({ length: THUMB_BATCH_MAX }, (_, i) => i + 1).join(','))).toHaveLength(
      THUMB_BATCH_MAX
    )
    for (const bad of [
      null,
      '',
      ',',
      '1,',
      '0',
      '01',
      '1,1',
      '-2',
      '2.5',
      '1e3',
      ' 1',
      '99999999999999999',
      String(Array.from({ length: THUMB_BATCH_MAX + 1 }, (_, i) => i + 1))
    ]) {
      expect(parseThumbIds(bad), String(bad)).toBeNull()
    }
  })

  it('round-trips items and refuses bad magic, another version, overruns and trailing bytes', () => {
    const items = [
      { id: 7, status: 200, mime: 'image/jpeg', data: Uint8Array.from([1, 2, 3]) },
      { id: 8, status: 404, mime: '', data: new Uint8Array(0) },
      { id: 9, status: 200, mime: 'image/webp', data: Uint8Array.from([9, 9]) }
    ]
    const body = encodeThumbBatch(items)
    expect(decodeThumbBatch(body.buffer).map((i) => ({ ...i, data: [...i.data] }))).toEqual(
      items.map((i) => ({ ...i, data: [...i.data] }))
    )
    const bad = body.slice()
    bad[0] = 0x58
    expect(() => decodeThumbBatch(bad)).toThrow(/bad magic/)
    expect(() => decodeThumbBatch(body.subarray(0, body.length - 1))).toThrow(/item 9 overruns/)
    expect(() => decodeThumbBatch(Uint8Array.from([...body, 0]))).toThrow(/1 bytes after the last item/)
    const h = new DataView(body.buffer).getUint32(4, true)
    const head = JSON.parse(new TextDecoder().decode(body.subarray(8, 8 + h))) as Record<string, unknown>
    const other = encodeThumbBatch([])
    const v2 = new TextEncoder().encode(JSON.stringify({ ...head, version: 2, items: [] }))
    const withV2 = new Uint8Array(8 + v2.length)
    withV2.set(other.subarray(0, 4))
    new DataView(withV2.buffer).setUint32(4, v2.length, true)
    withV2.set(v2, 8)
    expect(() => decodeThumbBatch(withV2)).toThrow(/version 2 is not supported/)
  })

  it('serves a batch through the real image handler: cached, transcoded, unknown and escaping ids', async () => {
    const t = tempDir('poi-thumb-batch-')
    cleanup = t.cleanup
    const f = makeProject(
      t.dir,
      ['neutral', 'happiness'],
      [
        { relPath: 'a.png', label: 0 },
        { relPath: 'b.png', label: 1 },
        { relPath: 'link.png', label: 1 }
      ]
    )
    fx = f
    await sharp({ create: { width: 20, height: 10, channels: 3, background: { r: 200, g: 0, b: 0 } } })
      .png()
      .toFile(join(f.root, 'b.png'))
    mkdirSync(join(t.dir, 'outside'))
    writeFileSync(
      join(t.dir, 'outside', 'secret.png'),
      await sharp({ create: { width: 4, height: 4, channels: 3, background: '#000' } })
        .png()
        .toBuffer()
    )
    symlinkSync(join(t.dir, 'outside', 'secret.png'), join(f.root, 'link.png'))
    const jpeg = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#888' } })
      .jpeg()
      .toBuffer()
    thumbnailWriter(f.p.db)(f.ids[0], { mime: 'image/jpeg', width: 8, height: 8, data: jpeg })
    const batch = createThumbBatchHandler(createImageHandler({ lookup: (id) => lookupImage(f.p.db, id) }))
    const res = await batch([f.ids[0], f.ids[1], 999, f.ids[2]].join(','))
    expect(res.status).toBe(200)
    const items = decodeThumbBatch(await res.arrayBuffer())
    expect(items.map((i) => [i.id, i.status, i.mime])).toEqual([
      [f.ids[0], 200, 'image/jpeg'],
      [f.ids[1], 200, 'image/webp'],
      [999, 404, ''],
      [f.ids[2], 404, '']
    ])
    expect(Buffer.from(items[0].data).equals(jpeg)).toBe(true)
    expect((await sharp(items[1].data).metadata()).width).toBe(20)
    expect((await batch('1,x')).status).toBe(400)
  })
})
