import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import sharp from 'sharp'
import {
  createAppProtocolHandler,
  createImageProtocolHandler,
  refuseFileProtocol
} from '../../../src-main/electron/protocols'
import { createImageHandler, lookupImage } from '../../../src-main/core/api/image-serve'
import { APP_CSP } from '../../../src-main/electron/policy'
import { openProject, type Project } from '../../../src-main/core/project'
import { tempDir } from '../../helpers/tmp'
import { makeProjectFile } from '../api/fixture'

let cleanup: () => void
let dir: string
let p: Project

beforeAll(async () => {
  ;({ dir, cleanup } = tempDir('poi-proto-'))
  const f = await makeProjectFile(dir, 3, { files: true })
  p = openProject(f.file)
  mkdirSync(join(dir, 'ui', 'assets'), { recursive: true })
  writeFileSync(join(dir, 'ui', 'index.html'), '<!doctype html><title>x</title>')
  writeFileSync(join(dir, 'ui', 'assets', 'a.js'), 'export {}')
  writeFileSync(join(dir, 'secret.txt'), 'secret')
})
afterAll(() => {
  p.close()
  cleanup()
})

describe('app:// handler', () => {
  const app = () => createAppProtocolHandler({ root: join(dir, 'ui') })
  it('serves the bundle with the CSP header', async () => {
    const r = await app()({ url: 'app://bundle/index.html', method: 'GET' })
    expect(r.status).toBe(200)
    expect(r.headers.get('content-security-policy')).toBe(APP_CSP)
    expect(r.headers.get('content-type')).toContain('text/html')
    expect((await app()({ url: 'app://bundle/' })).status).toBe(200)
    expect((await app()({ url: 'app://bundle/assets/a.js' })).headers.get('content-type')).toContain('javascript')
  })
  it('refuses other hosts, methods and escapes', async () => {
    expect((await app()({ url: 'app://other/index.html' })).status).toBe(404)
    expect((await app()({ url: 'app://bundle/index.html', method: 'POST' })).status).toBe(405)
    for (const url of [
      'app://bundle/../secret.txt',
      'app://bundle/%2e%2e/secret.txt',
      'app://bundle/assets/..%2f..%2fsecret.txt',
      'app://bundle/%252e%252e/secret.txt',
      'app://bundle/x%00.js'
    ]) {
      const r = await app()({ url })
      expect([400, 404], url).toContain(r.status)
      expect(await r.text()).not.toContain('secret')
    }
  })
})

describe('poi-img:// handler (shared image code)', () => {
  it('serves project images by id and refuses anything else', async () => {
    const h = createImageProtocolHandler(createImageHandler({ lookup: (id) => lookupImage(p.db, id) }))
    const r = await h({ url: 'poi-img://img/2?v=thumb' })
    expect(r.status).toBe(200)
    expect((await sharp(Buffer.from(await r.arrayBuffer())).metadata()).format).toBe('webp')
    expect((await h({ url: 'poi-img://img/77?v=thumb' })).status).toBe(404)
    expect((await h({ url: 'poi-img://img/abc' })).status).toBe(400)
    expect((await h({ url: 'poi-img://img/1/2' })).status).toBe(400)
    expect((await h({ url: 'poi-img://evil/1' })).status).toBe(400)
    expect((await h({ url: 'poi-img://img/1', method: 'PUT' })).status).toBe(405)
  })
})

describe('file:// handler', () => {
  it('refuses everything', async () => {
    expect((await refuseFileProtocol({ url: 'file:///etc/passwd' })).status).toBe(403)
  })
})
