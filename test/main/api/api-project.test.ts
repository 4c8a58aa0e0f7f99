import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createApi, type Api } from '../../../src-main/core/api/handlers'
import { METHOD_NAMES } from '../../../src-main/core/api/methods'
import { CONTRACT } from '../../../src-main/core/api/contract'
import { tempDir } from '../../helpers/tmp'
import { makeProjectFile } from './fixture'

let dir: string
let cleanup: () => void
let api: Api

beforeEach(() => {
  ;({ dir, cleanup } = tempDir('poi-api-'))
  api = createApi({ mode: 'test', version: '9.9.9', userDataDir: join(dir, 'user') })
})
afterEach(async () => {
  await api.close()
  cleanup()
})

describe('dispatch', () => {
  it('has a schema for every method name and no extra', () => {
    expect(Object.keys(CONTRACT).sort()).toEqual([...METHOD_NAMES].sort())
  })

  it('refuses unknown methods, including prototype keys', async () => {
    for (const m of ['nope', 'images', '__proto__', 'constructor', 'toString', 'images.queue.x', '']) {
      const r = await api.dispatch(m, {})
      expect(r).toMatchObject({ ok: false, code: 'UNKNOWN_METHOD' })
    }
  })

  it('names the bad field and value in INVALID_ARGS', async () => {
    const r = await api.dispatch('images.detail', { imageId: -3 })
    expect(r.ok).toBe(false)
    if (!r.ok) {
      expect(r.code).toBe('INVALID_ARGS')
      expect(r.message).toContain('images.detail')
      expect(r.message).toContain('imageId')
      expect(r.message).toContain('-3')
    }
    const extra = await api.dispatch('project.info', { sneaky: 1 })
    expect(extra).toMatchObject({ ok: false, code: 'INVALID_ARGS' })
    const nul = await api.dispatch('project.open', { path: 'a\0b' })
    expect(nul.ok || nul.message).toContain('NUL')
  })

  it('answers NO_PROJECT before a project is open, and app.info works', async () => {
    expect(await api.dispatch('images.queue', {})).toMatchObject({ ok: false, code: 'NO_PROJECT' })
    const info = await api.dispatch('app.info', {})
    expect(info).toMatchObject({ ok: true, value: { version: '9.9.9', mode: 'test', project: null } })
    if (info.ok) expect((info.value as { capabilities: { train: boolean } }).capabilities.train).toBe(false)
  })

  it('answers NOT_AVAILABLE for engines that are not wired, never fake data', async () => {
    const f = await makeProjectFile(dir, 3)
    expect((await api.dispatch('project.open', { path: f.file })).ok).toBe(true)
    expect(await api.dispatch('train.start', { config: { epochs: 1 } })).toMatchObject({
      ok: false,
      code: 'NOT_AVAILABLE'
    })
    expect(await api.dispatch('import.start', { source: dir, format: 'folder' })).toMatchObject({
      ok: false,
      code: 'NOT_AVAILABLE'
    })
    expect(await api.dispatch('export.start', { format: 'csv', scope: { kind: 'all' } })).toMatchObject({
      ok: false,
      code: 'NOT_AVAILABLE'
    })
    expect(await api.dispatch('dialog.open', { purpose: 'project-open' })).toMatchObject({
      ok: false,
      code: 'UNSUPPORTED'
    })
    expect(await api.dispatch('train.status', {})).toMatchObject({
      ok: true,
      value: { available: false, state: 'idle' }
    })
    expect(await api.dispatch('images.queue', { sort: { by: 'score' } })).toMatchObject({
      ok: false,
      code: 'NOT_AVAILABLE'
    })
  })
})

describe('project lifecycle', () => {
  it('creates, reopens, lists recent, closes', async () => {
    const file = join(dir, 'new.poi')
    const c = await api.dispatch('project.create', { path: file, name: 'My set' })
    expect(c).toMatchObject({ ok: true, value: { path: file, name: 'My set', counts: { images: 0 } } })
    expect(await api.dispatch('project.create', { path: file })).toMatchObject({ ok: false, code: 'CONFLICT' })
    expect(await api.dispatch('project.close', {})).toMatchObject({ ok: true, value: { closed: true } })
    const f = await makeProjectFile(dir, 5, { name: 'other.poi' })
    const o = await api.dispatch('project.open', { path: f.file })
    expect(o).toMatchObject({
      ok: true,
      value: { counts: { images: 5, labeled: 5 }, classes: expect.arrayContaining(['neutral']) }
    })
    const recent = await api.dispatch('project.recent', {})
    expect(recent.ok && (recent.value as { path: string }[]).map((r) => r.path)).toEqual([f.file, file])
  })

  it('maps project-file errors to codes that name the file', async () => {
    const junk = join(dir, 'junk.poi')
    writeFileSync(junk, 'not sqlite at all, just text')
    const r = await api.dispatch('project.open', { path: junk })
    expect(r).toMatchObject({ ok: false, code: 'NOT_A_PROJECT' })
    if (!r.ok) expect(r.message).toContain(junk)
    expect(await api.dispatch('project.open', { path: join(dir, 'missing.poi') })).toMatchObject({
      ok: false,
      code: 'NOT_FOUND'
    })
    expect(existsSync(join(dir, 'missing.poi'))).toBe(false)
  })

  it('browser mode serves one project: no switching', async () => {
    const f = await makeProjectFile(dir, 2)
    const b = createApi({ mode: 'browser', project: f.file })
    try {
      expect(await b.dispatch('project.info', {})).toMatchObject({ ok: true, value: { path: f.file } })
      expect(await b.dispatch('project.open', { path: f.file })).toMatchObject({ ok: false, code: 'UNSUPPORTED' })
      expect(await b.dispatch('project.close', {})).toMatchObject({ ok: false, code: 'UNSUPPORTED' })
    } finally {
      await b.close()
    }
  })
})
