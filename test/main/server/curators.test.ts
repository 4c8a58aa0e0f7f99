/**
 * `serve --curators` (issue 17): two curators sign in to one real server over one real project file with
 * their own single-use URLs; the session cookie says who calls, and every call runs as that curator.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { createServer, type PoiServer } from '../../../src-main/server/server'
import { parseCuratorList } from '../../../src-main/core/api/curators'
import type { ApiResult, QueuePage, UndoResult } from '../../../src-main/core/api/contract'
import { tempDir } from '../../helpers/tmp'
import { makeProjectFile, type ProjectFixture } from '../api/fixture'
import { cookieOf, rawHttp, type Res } from './raw-http'

let dir: string
let ui: string
let cleanup: () => void
let f: ProjectFixture
let server: PoiServer
const cookies: Record<string, string> = {}

const http = (method: string, path: string, headers: Record<string, string> = {}, body?: string) =>
  rawHttp(server.port, method, path, headers, body)
const json = (r: Res) => JSON.parse(r.body.toString('utf8')) as ApiResult<unknown>

/** Calls `method` as curator `who` (their session cookie); the value, or throws the failure. */
async function as<T>(who: string, method: string, args: unknown = {}): Promise<T> {
  const r = json(
    await http(
      'POST',
      `/api/${method}`,
      { cookie: cookies[who], 'content-type': 'application/json' },
      JSON.stringify(args)
    )
  )
  if (!r.ok) throw new Error(`${who} ${method}: ${r.code}: ${r.message}`)
  return r.value as T
}

const queueIds = async (who: string, filter: Record<string, unknown>): Promise<number[]> =>
  (await as<QueuePage>(who, 'images.queue', { filter, sort: { by: 'id' } })).items.map((i) => i.imageId)
const relabel = (who: string, imageId: number, label: number) =>
  as(who, 'review.decide', { imageId, decision: { kind: 'relabel', label } })

function history(): { image: number; actor: string; label: number | null }[] {
  const db = new Database(f.file, { readonly: true })
  try {
    return db
      .prepare(
        "SELECT image_id AS image, actor, new_label AS label FROM label_history WHERE source != 'import' ORDER BY id"
      )
      .all() as { image: number; actor: string; label: number | null }[]
  } finally {
    db.close()
  }
}

beforeAll(async () => {
  ;({ dir, cleanup } = tempDir('poi-curators-'))
  f = await makeProjectFile(dir, 30) // labels i % 7
  ui = join(dir, 'ui')
  mkdirSync(ui, { recursive: true })
  writeFileSync(join(ui, 'index.html'), '<!doctype html><title>POI</title>')
  server = await createServer({ project: f.file, staticDir: ui, curators: ['alice', 'bob'], actor: 'proc' })
})
afterAll(async () => {
  await server.close()
  cleanup()
})

describe('serve with curators', () => {
  it('makes one single-use sign-in URL per curator, each with its own random token', () => {
    expect(server.logins.map((l) => l.actor)).toEqual(['alice', 'bob'])
    const [a, b] = server.logins
    expect(a.token).not.toBe(b.token)
    expect(a.token).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(a.loginUrl).toBe(`${server.url}/?token=${a.token}`)
    expect(server.loginUrl).toBe(a.loginUrl)
  })

  it('signs each curator in with their own URL; a cookie names its curator, and no other', async () => {
    for (const l of server.logins) {
      const r = await http('GET', `/?token=${l.token}`)
      expect(r.status).toBe(303)
      cookies[l.actor] = cookieOf(r)
      expect(cookies[l.actor].startsWith(`poi_session_${server.port}=`)).toBe(true)
    }
    expect(cookies.alice).not.toBe(cookies.bob)
    expect(await as('alice', 'app.info')).toMatchObject({ actor: 'alice' })
    expect(await as('bob', 'app.info')).toMatchObject({ actor: 'bob' })
    expect((await http('GET', '/', { cookie: cookies.alice })).status).toBe(200)
  })

  it('refuses a spent token (as a link or Bearer), a wrong one, and a forged cookie', async () => {
    for (const l of server.logins) {
      for (const again of [
        await http('GET', `/?token=${l.token}`),
        await http('GET', '/', { authorization: `Bearer ${l.token}` })
      ]) {
        expect(again.status).toBe(401)
        expect(again.headers['set-cookie']).toBeUndefined()
        expect(again.body.toString()).toMatch(/already used.*signed in.*restart `poi-audit serve`/)
      }
    }
    const wrong = server.logins[0].token.slice(0, -1) + (server.logins[0].token.endsWith('A') ? 'B' : 'A')
    expect((await http('GET', `/?token=${wrong}`)).status).toBe(401)
    expect((await http('GET', '/', { authorization: `Bearer ${wrong}` })).status).toBe(401)
    expect((await http('GET', '/', { cookie: `poi_session_${server.port}=${wrong}` })).status).toBe(401)
    const none = await http('POST', '/api/app.info', { 'content-type': 'application/json' }, '{}')
    expect(none.status).toBe(401)
  })

  it("gives each curator their own assignment under filter.assigned 'me'", async () => {
    await as('alice', 'assignments.set', { actor: 'bob', filter: { given: [2] } })
    await as('bob', 'assignments.set', { actor: 'alice', filter: { given: [3] } })
    expect(await queueIds('bob', { assigned: 'me' })).toEqual([2, 9, 16, 23, 30])
    expect(await queueIds('alice', { assigned: 'me' })).toEqual(await queueIds('alice', { given: [3] }))
    expect(await queueIds('alice', { assigned: 'me' })).toContain(3)
    const db = new Database(f.file, { readonly: true })
    expect(db.prepare('SELECT actor, created_by AS by FROM assignments ORDER BY actor').all()).toEqual([
      { actor: 'alice', by: 'bob' },
      { actor: 'bob', by: 'alice' }
    ])
    db.close()
  })

  it('records each decision as its curator, and a disagreement waits in the adjudicate queue', async () => {
    await relabel('alice', 5, 3)
    await relabel('bob', 5, 4)
    await relabel('alice', 6, 1)
    expect(history()).toEqual([
      { image: 5, actor: 'alice', label: 3 },
      { image: 5, actor: 'bob', label: 4 },
      { image: 6, actor: 'alice', label: 1 }
    ])
    expect(await queueIds('alice', { review: 'adjudicate' })).toEqual([5])
    expect(await queueIds('bob', { review: 'adjudicate' })).toEqual([5])
  })

  it("undoes each curator's own decisions only", async () => {
    expect(await as('alice', 'review.undoState')).toEqual({ undo: 2, redo: 0 })
    expect(await as('bob', 'review.undoState')).toEqual({ undo: 1, redo: 0 })
    // Alice's last decision was image 6; bob's later one on image 5 is not hers to undo.
    expect((await as<UndoResult>('alice', 'review.undo')).imageIds).toEqual([6])
    expect(await as('alice', 'review.undoState')).toEqual({ undo: 1, redo: 1 })
    expect(await as('bob', 'review.undoState')).toEqual({ undo: 1, redo: 0 })
    expect((await as<UndoResult>('bob', 'review.undo')).imageIds).toEqual([5])
    expect(await as('bob', 'review.undoState')).toEqual({ undo: 0, redo: 1 })
    expect(await as('alice', 'review.undoState')).toEqual({ undo: 1, redo: 1 })
    const undos = history().slice(3)
    expect(undos.map((h) => [h.image, h.actor])).toEqual([
      [6, 'alice'],
      [5, 'bob']
    ])
    // Bob's undo put image 5 back to alice's label.
    const db = new Database(f.file, { readonly: true })
    expect(db.prepare('SELECT current_label AS l FROM annotations WHERE image_id = 5').get()).toEqual({ l: 3 })
    db.close()
  })

  it('keeps the process actor for calls without one (the Electron IPC path) and refuses a bad per-call actor', async () => {
    expect(await server.api.dispatch('app.info', {})).toMatchObject({ ok: true, value: { actor: 'proc' } })
    expect(await server.api.dispatch('app.info', {}, { actor: 'bob' })).toMatchObject({ value: { actor: 'bob' } })
    expect(await server.api.dispatch('app.info', {}, { actor: 'not a name' })).toMatchObject({
      ok: false,
      code: 'INVALID_ARGS'
    })
  })
})

describe('curator names', () => {
  it('are 1–40 characters of [A-Za-z0-9._-], each named once', async () => {
    expect(parseCuratorList('alice, bob.k,c_3-x')).toEqual(['alice', 'bob.k', 'c_3-x'])
    expect(parseCuratorList('a'.repeat(40))).toEqual(['a'.repeat(40)])
    for (const bad of ['', 'alice,', 'a b', 'a'.repeat(41), 'al/ice', 'zoë', 'a,,b'])
      expect(() => parseCuratorList(bad), bad).toThrow(/not valid/)
    expect(() => parseCuratorList('alice,bob,alice')).toThrow(/named twice/)
    for (const curators of [[], ['a b'], ['x', 'x']])
      await expect(createServer({ project: f.file, staticDir: ui, curators })).rejects.toThrow(/curator/)
    await expect(
      createServer({ project: f.file, staticDir: ui, curators: ['a'], token: 'x'.repeat(40) })
    ).rejects.toThrow(/token/)
  })
})
