import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { request } from 'node:http'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import sharp from 'sharp'
import { createServer, type PoiServer } from '../../../src-main/server/server'
import { isAllowedHostHeader, isLoopbackHost } from '../../../src-main/server/policy'
import { tempDir } from '../../helpers/tmp'
import { rawHttp, type Res } from './raw-http'
import { makeProjectFile, type ProjectFixture } from '../api/fixture'
import { Fuzzer, isMalformed } from '../api/fuzz'
import { decodeThumbBatch, THUMB_BATCH_MAX } from '../../../src-main/core/api/thumb-batch'

let dir: string
let cleanup: () => void
let f: ProjectFixture
let server: PoiServer
let cookie = ''

/** Raw HTTP (fetch cannot set Host), to 127.0.0.1:port. */
const http = (method: string, path: string, headers: Record<string, string> = {}, body?: string | Buffer) =>
  rawHttp(server.port, method, path, headers, body)

const authed = (h: Record<string, string> = {}) => ({ cookie, ...h })
const api = (method: string, args: unknown, h: Record<string, string> = {}) =>
  http('POST', `/api/${method}`, authed({ 'content-type': 'application/json', ...h }), JSON.stringify(args))
const json = (r: Res) => JSON.parse(r.body.toString('utf8'))

beforeAll(async () => {
  ;({ dir, cleanup } = tempDir('poi-serve-'))
  f = await makeProjectFile(dir, 12, { files: true })
  const ui = join(dir, 'ui')
  mkdirSync(join(ui, 'assets'), { recursive: true })
  writeFileSync(
    join(ui, 'index.html'),
    '<!doctype html><title>POI</title><script type="module" src="/assets/app.js"></script>'
  )
  writeFileSync(join(ui, 'assets', 'app.js'), 'console.log(1)')
  writeFileSync(join(dir, 'outside.js'), 'secret')
  server = await createServer({ project: f.file, staticDir: ui, token: 'x'.repeat(40) })
})
afterAll(async () => {
  await server.close()
  cleanup()
})

describe('binding', () => {
  it('refuses non-loopback binds with a clear error', async () => {
    for (const host of ['0.0.0.0', '::', '192.168.1.5', 'example.com', '10.0.0.1']) {
      await expect(createServer({ project: f.file, staticDir: dir, host })).rejects.toThrow(/only binds to loopback/)
    }
    expect(
      isLoopbackHost('127.0.0.1') && isLoopbackHost('::1') && isLoopbackHost('localhost') && isLoopbackHost('127.1.2.3')
    ).toBe(true)
  })

  it('prints a token URL on 127.0.0.1', () => {
    expect(server.url).toBe(`http://127.0.0.1:${server.port}`)
    expect(server.loginUrl).toBe(`${server.url}/?token=${'x'.repeat(40)}`)
  })
})

describe('authentication', () => {
  it('rejects requests without a token or cookie, and wrong ones', async () => {
    expect((await http('GET', '/')).status).toBe(401)
    expect((await http('POST', '/api/project.info', { 'content-type': 'application/json' }, '{}')).status).toBe(401)
    expect((await http('GET', '/img/1?v=thumb')).status).toBe(401)
    expect((await http('GET', '/api/events')).status).toBe(401)
    expect((await http('GET', '/?token=wrong')).status).toBe(401)
    expect((await http('GET', '/', { authorization: 'Bearer wrong' })).status).toBe(401)
    expect((await http('GET', '/', { cookie: `poi_session_${server.port}=forged` })).status).toBe(401)
  })

  it('exchanges the token for an HttpOnly SameSite=Strict cookie and cleans the URL', async () => {
    const r = await http('GET', `/?token=${'x'.repeat(40)}&view=queue`)
    expect(r.status).toBe(303)
    expect(r.headers.location).toBe('/?view=queue')
    const set = String(r.headers['set-cookie'])
    expect(set).toMatch(/HttpOnly/)
    expect(set).toMatch(/SameSite=Strict/)
    expect(set).not.toContain('x'.repeat(40))
    // Named per server (port), so two servers on 127.0.0.1 do not overwrite each other's cookie.
    expect(set.startsWith(`poi_session_${server.port}=`)).toBe(true)
    cookie = set.split(';')[0]
    const page = await http('GET', '/', authed())
    expect(page.status).toBe(200)
    expect(page.body.toString()).toContain('<title>POI</title>')
  })

  it('takes the sign-in token once: a second use, as a link or as Bearer, is refused and says what to do', async () => {
    for (const again of [
      await http('GET', `/?token=${'x'.repeat(40)}`),
      await http('GET', '/', { authorization: `Bearer ${'x'.repeat(40)}` })
    ]) {
      expect(again.status).toBe(401)
      expect(again.headers['set-cookie']).toBeUndefined()
      expect(again.body.toString()).toMatch(/already used.*signed in.*restart `poi-audit serve`/)
    }
    expect((await http('GET', '/', authed())).status).toBe(200)
  })

  it('answers a first Bearer use with the session cookie, then refuses the token', async () => {
    const other = await createServer({ staticDir: join(dir, 'ui'), token: 'y'.repeat(40), api: server.api })
    try {
      const ask = (h: Record<string, string>) =>
        fetch(`${other.url}/api/project.info`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...h },
          body: '{}'
        })
      const first = await ask({ authorization: `Bearer ${'y'.repeat(40)}` })
      expect(first.status).toBe(200)
      const session = String(first.headers.get('set-cookie')).split(';')[0]
      expect(session.startsWith(`poi_session_${other.port}=`)).toBe(true)
      expect((await ask({ authorization: `Bearer ${'y'.repeat(40)}` })).status).toBe(401)
      expect((await ask({ cookie: session })).status).toBe(200)
    } finally {
      await other.close()
    }
  })

  it('rejects wrong Host headers (DNS rebinding)', async () => {
    for (const host of [
      'evil.example',
      `evil.example:${server.port}`,
      `127.0.0.1:${server.port + 1}`,
      `192.168.0.2:${server.port}`,
      `127.0.0.1.evil.example:${server.port}`
    ]) {
      expect((await http('GET', '/', authed({ host }))).status, host).toBe(403)
    }
    expect((await http('GET', '/', authed({ host: `localhost:${server.port}` }))).status).toBe(200)
    expect(isAllowedHostHeader(`[::1]:${server.port}`, server.port)).toBe(true)
    expect(isAllowedHostHeader(undefined, server.port)).toBe(false)
  })

  it('sends the CSP and never a CORS header', async () => {
    const answers = [
      await http('GET', '/', authed({ origin: 'https://evil.example' })),
      await http('GET', '/'),
      await api('project.info', {}, { origin: `http://127.0.0.1:${server.port}` }),
      await http('GET', '/img/1?v=thumb', authed())
    ]
    for (const r of answers) {
      expect(Object.keys(r.headers).filter((h) => h.startsWith('access-control-'))).toEqual([])
      expect(String(r.headers['content-security-policy'])).toContain("script-src 'self'")
      expect(String(r.headers['content-security-policy'])).not.toMatch(/script-src[^;]*unsafe/)
      expect(r.headers['x-content-type-options']).toBe('nosniff')
    }
  })
})

describe('API over HTTP', () => {
  it('answers calls, refusing cross-origin, non-JSON, oversized and malformed bodies', async () => {
    const info = await api('project.info', {})
    expect(info.status).toBe(200)
    expect(json(info)).toMatchObject({ ok: true, value: { path: f.file, counts: { images: 12 } } })
    expect((await api('project.info', {}, { origin: 'https://evil.example' })).status).toBe(403)
    expect((await api('project.info', {}, { 'sec-fetch-site': 'cross-site' })).status).toBe(403)
    expect((await http('POST', '/api/project.info', authed({ 'content-type': 'text/plain' }), '{}')).status).toBe(415)
    expect(
      (await http('POST', '/api/project.info', authed({ 'content-type': 'application/json' }), '{nope')).status
    ).toBe(400)
    const big = await http(
      'POST',
      '/api/project.info',
      authed({ 'content-type': 'application/json' }),
      Buffer.alloc(2 << 20, 32)
    )
    expect(big.status).toBe(413)
    expect(json(await api('nope.nothing', {}))).toMatchObject({ ok: false, code: 'UNKNOWN_METHOD' })
    expect((await api('%E0%A4%A', {})).status).toBe(404)
    expect((await http('GET', '/api/project.info', authed())).status).toBe(405)
    expect(json(await api('project.open', { path: f.file }))).toMatchObject({ ok: false, code: 'UNSUPPORTED' })
  })

  it('a decision lands in the SQLite file at once and is pushed as an event', async () => {
    const events: unknown[] = []
    const stream = await new Promise<import('node:http').IncomingMessage>((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port: server.port,
          path: '/api/events',
          headers: { host: `127.0.0.1:${server.port}`, cookie }
        },
        resolve
      )
      req.on('error', reject)
      req.end()
    })
    expect(stream.headers['content-type']).toContain('text/event-stream')
    let buf = ''
    stream.on('data', (c: Buffer) => {
      buf += c.toString()
      for (let i = buf.indexOf('\n\n'); i >= 0; i = buf.indexOf('\n\n')) {
        const frame = buf.slice(0, i)
        buf = buf.slice(i + 2)
        if (frame.startsWith('data: ')) events.push(JSON.parse(frame.slice(6)))
      }
    })
    const r = json(await api('review.decide', { imageId: 4, decision: { kind: 'relabel', label: 1 } }))
    expect(r).toMatchObject({ ok: true, value: { annotation: { currentLabel: 1 } } })
    const db = new Database(f.file, { readonly: true })
    expect(db.prepare('SELECT current_label AS l FROM annotations WHERE image_id = 4').get()).toEqual({ l: 1 })
    expect(
      db.prepare("SELECT count(*) AS n FROM label_history WHERE image_id = 4 AND source = 'curator'").get()
    ).toEqual({ n: 1 })
    db.close()
    for (let i = 0; i < 50 && !events.length; i++) await new Promise((res) => setTimeout(res, 20))
    expect(events).toContainEqual({ type: 'project.changed', what: 'labels', imageIds: [4] })
    stream.destroy()
    expect(json(await api('review.undo', {}))).toMatchObject({ ok: true, value: { imageIds: [4] } })
    expect(json(await api('review.redo', {}))).toMatchObject({ ok: true, value: { imageIds: [4] } })
  })

  it('rejects malformed payloads over HTTP without writing', async () => {
    const db = new Database(f.file, { readonly: true })
    const count = () => (db.prepare('SELECT count(*) AS n FROM label_history').get() as { n: number }).n
    const before = count()
    const fz = new Fuzzer(99)
    let n = 0
    while (n < 300) {
      const { method, args } = fz.next(true)
      const wire = JSON.parse(JSON.stringify(args ?? null))
      if (!isMalformed(method, wire)) continue
      n++
      const r = await api(method, wire)
      expect(r.status).toBe(200)
      expect(json(r)).toMatchObject({ ok: false, code: 'INVALID_ARGS' })
    }
    expect(count()).toBe(before)
    db.close()
  })
})

describe('images and static files', () => {
  it('serves images by id, transcoded, and refuses other ids', async () => {
    const r = await http('GET', '/img/3?v=thumb', authed())
    expect(r.status).toBe(200)
    expect(r.headers['content-type']).toBe('image/webp')
    expect(r.headers['cache-control']).toBe('no-store')
    expect((await sharp(r.body).metadata()).format).toBe('webp')
    expect((await http('GET', '/img/3?v=full', authed())).headers['content-type']).toBe('image/png')
    expect((await http('GET', '/img/99?v=thumb', authed())).status).toBe(404)
    expect((await http('GET', '/img/..%2f..%2fp.poi', authed())).status).toBe(400)
    expect((await http('GET', '/img/3?v=original', authed())).status).toBe(400)
  })

  it('serves many thumbnails in one batch, through the same per-id checks, and refuses malformed id lists', async () => {
    expect((await http('GET', '/img/thumbs?ids=1,2')).status).toBe(401)
    const r = await http('GET', '/img/thumbs?ids=3,1,99', authed())
    expect(r.status).toBe(200)
    expect(r.headers['cache-control']).toBe('no-store')
    expect(r.headers['content-type']).toBe('application/vnd.poi-thumbs')
    const items = decodeThumbBatch(r.body)
    expect(items.map((i) => [i.id, i.status, i.mime])).toEqual([
      [3, 200, 'image/webp'],
      [1, 200, 'image/webp'],
      [99, 404, '']
    ])
    // Byte for byte what the single request serves.
    expect(Buffer.from(items[0].data).equals((await http('GET', '/img/3?v=thumb', authed())).body)).toBe(true)
    for (const bad of [
      '',
      '1,,2',
      '0',
      '1,1',
      '-1',
      '1e3',
      'abc',
      Array.from({ length: THUMB_BATCH_MAX + 1 }, (_, i) => i + 1).join(',')
    ]) {
      expect((await http('GET', `/img/thumbs?ids=${bad}`, authed())).status, bad).toBe(400)
    }
    expect((await http('GET', '/img/thumbs', authed())).status).toBe(400)
    // The 400 says why (it used to have an empty body).
    const many = await http(
      'GET',
      `/img/thumbs?ids=${Array.from({ length: THUMB_BATCH_MAX + 1 }, (_, i) => i + 1).join(',')}`,
      authed()
    )
    expect(many.body.toString()).toMatch(
      new RegExp(`too many ids \\(${THUMB_BATCH_MAX + 1}\\); at most ${THUMB_BATCH_MAX}`)
    )
    expect((await http('GET', '/img/thumbs?ids=1,2,1', authed())).body.toString()).toMatch(/id 1 is repeated/)
  })

  it('answers 400 (not 500) to JSON nested 500k levels deep', async () => {
    const deep = '['.repeat(500_000) + ']'.repeat(500_000)
    const r = await http('POST', '/api/project.info', authed({ 'content-type': 'application/json' }), deep)
    expect(r.status).toBe(400)
    expect(json(r)).toMatchObject({
      ok: false,
      code: 'INVALID_ARGS',
      message: expect.stringMatching(/nests deeper than 64 levels/)
    })
  })

  it('serves the bundle only from its folder', async () => {
    const js = await http('GET', '/assets/app.js', authed())
    expect(js.status).toBe(200)
    expect(js.headers['content-type']).toContain('text/javascript')
    for (const p of [
      '/../outside.js',
      '/%2e%2e/outside.js',
      '/assets/..%2f..%2foutside.js',
      '/%252e%252e/outside.js',
      '/assets%5c..%5c..%5coutside.js',
      '/nothing.js',
      '/../p.poi'
    ]) {
      const r = await http('GET', p, authed())
      expect([400, 404], p).toContain(r.status)
      expect(r.body.toString()).not.toContain('secret')
    }
    expect((await http('DELETE', '/', authed())).status).toBe(405)
  })
})
