import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { execFileSync } from 'node:child_process'
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs'
import path, { join } from 'node:path'
import sharp from 'sharp'
import { createImageHandler, parseImageProtocolUrl, type ImageRecord } from '../../../src-main/core/api/image-serve'
import { isInside, safeRelativeSegments } from '../../../src-main/core/api/paths'
import { tempDir } from '../../helpers/tmp'

let dir: string
let root: string
let cleanup: () => void
const records = new Map<number, ImageRecord>()
const logs: string[] = []
const serve = createImageHandler({
  lookup: (id) => records.get(id) ?? null,
  log: (m) => logs.push(m),
  maxBytes: 200_000
})
const get = (id: number | string, v: string | null = 'thumb') => serve({ id: String(id), variant: v })

beforeAll(async () => {
  ;({ dir, cleanup } = tempDir('poi-img-'))
  root = join(dir, 'data')
  mkdirSync(join(root, 'sub'), { recursive: true })
  writeFileSync(
    join(dir, 'secret.png'),
    await sharp({ create: { width: 8, height: 8, channels: 3, background: '#f00' } })
      .png()
      .toBuffer()
  )
  writeFileSync(
    join(root, 'sub', 'ok.png'),
    await sharp({ create: { width: 600, height: 300, channels: 3, background: '#0a0' } })
      .png()
      .toBuffer()
  )
  writeFileSync(
    join(root, 'pic.svg'),
    '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>alert(1)</script></svg>'
  )
  writeFileSync(join(root, 'text.png'), 'this is not an image')
  writeFileSync(join(root, 'empty.png'), '')
  writeFileSync(join(root, 'big.png'), Buffer.alloc(300_000, 1))
  symlinkSync(join(dir, 'secret.png'), join(root, 'link-out.png'))
  symlinkSync(join(root, 'sub', 'ok.png'), join(root, 'link-in.png'))
  mkdirSync(join(root, 'adir.png'))
  execFileSync('mkfifo', [join(root, 'fifo.png')])
  const rec = (relPath: string): ImageRecord => ({ root, relPath })
  records.set(1, rec('sub/ok.png'))
  records.set(2, rec('../secret.png'))
  records.set(3, rec(join(dir, 'secret.png')))
  records.set(4, rec('link-out.png'))
  records.set(5, rec('adir.png'))
  records.set(6, rec('fifo.png'))
  records.set(7, rec('pic.svg'))
  records.set(8, rec('text.png'))
  records.set(9, rec('empty.png'))
  records.set(10, rec('big.png'))
  records.set(11, rec('link-in.png'))
  records.set(12, rec('sub/../../secret.png'))
  records.set(13, rec('missing.png'))
  records.set(14, { root, relPath: 'whatever.png', thumbnail: { mime: 'image/webp', data: new Uint8Array([1, 2, 3]) } })
  records.set(15, rec('sub\\..\\..\\secret.png'))
  records.set(16, rec('C:\\secret.png'))
})
afterAll(() => cleanup())

describe('image handler', () => {
  it('serves a real image transcoded: WebP thumbnail within 256 px, PNG full size', async () => {
    const t = await get(1)
    expect(t.status).toBe(200)
    expect(t.headers.get('content-type')).toBe('image/webp')
    expect(t.headers.get('x-content-type-options')).toBe('nosniff')
    expect(t.headers.get('cache-control')).toBe('no-store')
    const meta = await sharp(Buffer.from(await t.arrayBuffer())).metadata()
    expect(meta).toMatchObject({ format: 'webp', width: 256, height: 128 })
    const f = await get(1, 'full')
    expect(f.headers.get('content-type')).toBe('image/png')
    expect(await sharp(Buffer.from(await f.arrayBuffer())).metadata()).toMatchObject({
      format: 'png',
      width: 600,
      height: 300
    })
    expect((await get(11)).status).toBe(200) // a symlink that stays inside the root is fine
  })

  it('serves a cached thumbnail from the project without touching the file system', async () => {
    const r = await get(14)
    expect(r.status).toBe(200)
    expect(new Uint8Array(await r.arrayBuffer())).toEqual(new Uint8Array([1, 2, 3]))
  })

  it('refuses ids not in the project and malformed ids/variants', async () => {
    expect((await get(999)).status).toBe(404)
    for (const id of ['abc', '-1', '0', '01', '1.5', '1e3', '../1', '%2e%2e', '99999999999999999', ''])
      expect((await get(id)).status, id).toBe(400)
    expect((await get(1, 'raw')).status).toBe(400)
    expect((await get(1, null)).status).toBe(200)
  })

  it('refuses paths escaping the root: .., absolute, backslashes, drive letters, symlinks out', async () => {
    for (const id of [2, 3, 4, 12, 15, 16]) {
      const r = await get(id)
      expect(r.status, `image ${id}`).toBe(404)
      expect(r.headers.get('content-type')).toBeNull()
    }
    expect(logs.some((l) => l.includes('escapes the dataset root'))).toBe(true)
  })

  it('refuses directories and FIFOs (without blocking), missing files, non-images, SVG, empty and oversized files', async () => {
    expect((await get(5)).status).toBe(404)
    const t0 = Date.now()
    expect((await get(6)).status).toBe(404)
    expect(Date.now() - t0).toBeLessThan(2000)
    expect((await get(13)).status).toBe(404)
    expect((await get(7)).status).toBe(415)
    expect((await get(8)).status).toBe(415)
    expect((await get(9)).status).toBe(415)
    expect((await get(10)).status).toBe(413)
  })

  it('parses poi-img URLs by id only', async () => {
    expect(parseImageProtocolUrl('poi-img://img/12?v=thumb')).toEqual({ id: '12', variant: 'thumb' })
    // Dot segments are resolved by URL parsing; what is left is not an id, and the handler says 400.
    expect(parseImageProtocolUrl('poi-img://img/12/../../x')).toEqual({ id: 'x', variant: null })
    expect(parseImageProtocolUrl('poi-img://img/1/2')).toBeNull()
    expect(parseImageProtocolUrl('poi-img://other/12')).toBeNull()
    expect(parseImageProtocolUrl('not a url')).toBeNull()
    expect((await serve(parseImageProtocolUrl('poi-img://img/12/../../x')!)).status).toBe(400)
  })
})

describe('containment rules (POSIX and Windows)', () => {
  it('isInside compares relative paths, not string prefixes', () => {
    expect(isInside('/data/a', '/data/a/x.png', path.posix, false)).toBe(true)
    expect(isInside('/data/a', '/data/a', path.posix, false)).toBe(false)
    expect(isInside('/data/a', '/data/a-evil/x.png', path.posix, false)).toBe(false)
    expect(isInside('/data/a', '/data/x.png', path.posix, false)).toBe(false)
    expect(isInside('/data/a', '/data/a/..foo.png', path.posix, false)).toBe(true)
    expect(isInside('C:\\Data\\A', 'c:\\data\\a\\x.png', path.win32, true)).toBe(true)
    expect(isInside('C:\\Data\\A', 'C:\\Data\\A-evil\\x.png', path.win32, true)).toBe(false)
    expect(isInside('C:\\Data\\A', 'D:\\Data\\A\\x.png', path.win32, true)).toBe(false)
    expect(isInside('C:\\Data\\A', '\\\\server\\share\\x.png', path.win32, true)).toBe(false)
    expect(isInside('relative', '/x', path.posix, false)).toBe(false)
  })

  it('safeRelativeSegments refuses every absolute or escaping form', () => {
    expect(safeRelativeSegments('a/b/c.png')).toEqual(['a', 'b', 'c.png'])
    expect(safeRelativeSegments('a\\b.png')).toEqual(['a', 'b.png'])
    expect(safeRelativeSegments('./a/./b.png')).toEqual(['a', 'b.png'])
    for (const bad of [
      '',
      '/etc/passwd',
      '\\x',
      'C:x',
      'c:\\x',
      '\\\\srv\\share',
      'a/../b',
      '..',
      'a\\..\\..\\b',
      'a\0b',
      '.',
      '///'
    ]) {
      expect(safeRelativeSegments(bad), JSON.stringify(bad)).toBeNull()
    }
  })
})
