/** The renderer's client module in browser mode, against the real server (Node's fetch). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createServer, type PoiServer } from '../../../src-main/server/server'
import {
  createClient,
  httpTransport,
  unwrap,
  ApiCallError,
  detectTransport,
  type EventSourceLike
} from '../../../src-main/core/api/client'
import { tempDir } from '../../helpers/tmp'
import { makeProjectFile } from '../api/fixture'

let cleanup: () => void
let server: PoiServer

beforeAll(async () => {
  const t = tempDir('poi-client-')
  cleanup = t.cleanup
  const f = await makeProjectFile(t.dir, 8)
  mkdirSync(join(t.dir, 'ui'))
  writeFileSync(join(t.dir, 'ui', 'index.html'), '<!doctype html>')
  server = await createServer({ project: f.file, staticDir: join(t.dir, 'ui') })
})
afterAll(async () => {
  await server.close()
  cleanup()
})

describe('client over HTTP', () => {
  it('calls verbs, unwraps results and maps errors to codes', async () => {
    const api = createClient(httpTransport({ base: server.url, token: server.token }))
    expect(api.mode).toBe('browser')
    const info = unwrap(await api.project.info())
    expect(info.counts.images).toBe(8)
    const page = unwrap(await api.images.queue({ sort: { by: 'id' }, limit: 3 }))
    expect(page.items.map((i) => i.imageId)).toEqual([1, 2, 3])
    const bad = await api.images.detail({ imageId: -1 })
    expect(bad).toMatchObject({ ok: false, code: 'INVALID_ARGS' })
    expect(() => unwrap(bad)).toThrow(ApiCallError)
    expect(api.imageUrl(5)).toBe(`${server.url}/img/5?v=thumb`)
  })

  it('reports FORBIDDEN without a token and INTERNAL when the server is unreachable', async () => {
    const anon = createClient(httpTransport({ base: server.url }))
    expect(await anon.project.info()).toMatchObject({ ok: false, code: 'FORBIDDEN' })
    const gone = createClient(httpTransport({ base: 'http://127.0.0.1:1' }))
    expect(await gone.project.info()).toMatchObject({ ok: false, code: 'INTERNAL' })
  })

  it('shares one event source between listeners and closes it with the last', () => {
    const sources: (EventSourceLike & { url: string; closed: boolean })[] = []
    const api = createClient(
      httpTransport({
        base: server.url,
        eventSource: (url) => {
          const s = {
            url,
            closed: false,
            onmessage: null,
            close() {
              this.closed = true
            }
          }
          sources.push(s)
          return s
        }
      })
    )
    const a: unknown[] = []
    const b: unknown[] = []
    const offA = api.on((e) => a.push(e))
    const offB = api.on((e) => b.push(e))
    expect(sources).toHaveLength(1)
    expect(sources[0].url).toBe(`${server.url}/api/events`)
    sources[0].onmessage!({ data: JSON.stringify({ type: 'project.changed', what: 'labels' }) })
    sources[0].onmessage!({ data: 'not json' })
    expect(a).toEqual([{ type: 'project.changed', what: 'labels' }])
    expect(b).toEqual(a)
    offA()
    expect(sources[0].closed).toBe(false)
    offB()
    expect(sources[0].closed).toBe(true)
  })

  it('detects the transport: the preload bridge if present, else HTTP', () => {
    expect(detectTransport({}).mode).toBe('browser')
    expect(detectTransport({ poi: { events: { subscribe: () => () => {} } } }).mode).toBe('electron')
  })
})
