import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readdirSync } from 'node:fs'
import { createApi, type Api } from '../../../src-main/core/api/handlers'
import { API_ERROR_CODES, CONTRACT } from '../../../src-main/core/api/contract'
import { METHOD_NAMES } from '../../../src-main/core/api/methods'
import { tempDir } from '../../helpers/tmp'
import { makeProjectFile, type ProjectFixture } from './fixture'
import { Fuzzer, VALID_ARGS, isMalformed } from './fuzz'

let dir: string
let cleanup: () => void
let api: Api
let f: ProjectFixture

beforeAll(async () => {
  ;({ dir, cleanup } = tempDir('poi-fuzz-'))
  f = await makeProjectFile(dir, 20)
  api = createApi({ mode: 'test' })
  api.session.open(f.file)
})
afterAll(async () => {
  await api.close()
  cleanup()
})

function fingerprint(): { changes: number; history: number; labels: string; files: string[] } {
  const db = api.session.require().db
  return {
    // total_changes() counts every row this connection (the API's only one) has written.
    changes: (db.prepare('SELECT total_changes() AS n').get() as { n: number }).n,
    history: (db.prepare('SELECT count(*) AS n FROM label_history').get() as { n: number }).n,
    labels: (
      db
        .prepare("SELECT group_concat(image_id || ':' || current_label || ':' || state, ',') AS s FROM annotations")
        .get() as { s: string }
    ).s,
    files: readdirSync(dir).sort()
  }
}

describe('API argument fuzzing', () => {
  it('the seeds are valid (so mutations test the schema, not a broken seed)', () => {
    for (const m of METHOD_NAMES) expect(CONTRACT[m].args.safeParse(VALID_ARGS[m]).success, m).toBe(true)
  })

  it('rejects ≥1,000 malformed payloads with INVALID_ARGS, never crashing or writing', async () => {
    const before = fingerprint()
    const fz = new Fuzzer(20261128)
    let malformed = 0
    const perMethod = new Map<string, number>()
    for (let i = 0; malformed < 1500 && i < 20_000; i++) {
      const { method, args } = fz.next()
      if (!isMalformed(method, args)) continue
      malformed++
      perMethod.set(method, (perMethod.get(method) ?? 0) + 1)
      const r = await api.dispatch(method, args)
      expect(r.ok, `${method} ${String(JSON.stringify(args))?.slice(0, 200)}`).toBe(false)
      if (!r.ok) {
        expect(r.code).toBe('INVALID_ARGS')
        expect(API_ERROR_CODES).toContain(r.code)
        expect(r.message.length).toBeLessThan(2000)
      }
    }
    expect(malformed).toBeGreaterThanOrEqual(1000)
    expect(perMethod.size).toBe(METHOD_NAMES.length)
    expect(fingerprint()).toEqual(before)
  })

  it('survives junk method names and non-object arguments', async () => {
    const fz = new Fuzzer(7)
    for (let i = 0; i < 200; i++) {
      const r = await api.dispatch(fz.string(), fz.value())
      expect(r.ok).toBe(false)
    }
  })
})
