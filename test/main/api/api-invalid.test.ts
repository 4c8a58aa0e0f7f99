/**
 * Hand-written invalid arguments (invalid-args.ts) through the real API dispatch: every method refuses
 * each with INVALID_ARGS naming the field at fault, writes nothing, and a planted too-permissive schema
 * (the same schema, loosened to accept unknown keys or to drop a range) is caught by the same check.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApi, type Api } from '../../../src-main/core/api/handlers'
import { z } from 'zod'
import { CONTRACT } from '../../../src-main/core/api/contract'
import { METHOD_NAMES } from '../../../src-main/core/api/methods'
import { tempDir } from '../../helpers/tmp'
import { makeProjectFile } from './fixture'
import { acceptedInvalid, INVALID_ARGS_BY_METHOD } from './invalid-args'

let cleanup: () => void
let api: Api

beforeAll(async () => {
  const t = tempDir('poi-invalid-')
  cleanup = t.cleanup
  const f = await makeProjectFile(t.dir, 5)
  api = createApi({ mode: 'test' })
  api.session.open(f.file)
})
afterAll(async () => {
  await api.close()
  cleanup()
})

describe('hand-written invalid arguments', () => {
  it('cover every method, with an unknown-key case each', () => {
    for (const m of METHOD_NAMES) {
      expect(INVALID_ARGS_BY_METHOD[m].length, m).toBeGreaterThanOrEqual(2)
      expect(
        INVALID_ARGS_BY_METHOD[m].some((c) => c.why === 'an unknown key'),
        m
      ).toBe(true)
    }
  })

  it('are each refused with INVALID_ARGS naming the field, and nothing is written', async () => {
    const db = api.session.require().db
    const changes = (): number => (db.prepare('SELECT total_changes() AS n').get() as { n: number }).n
    const before = changes()
    let n = 0
    for (const m of METHOD_NAMES) {
      for (const c of INVALID_ARGS_BY_METHOD[m]) {
        const r = await api.dispatch(m, c.args)
        expect(r.ok, `${m}: ${c.why} was accepted`).toBe(false)
        if (!r.ok) {
          expect(r.code, `${m}: ${c.why}`).toBe('INVALID_ARGS')
          expect(r.message, `${m}: ${c.why}`).toMatch(c.expect)
        }
        n++
      }
    }
    expect(n).toBeGreaterThanOrEqual(90)
    expect(changes()).toBe(before)
  })

  it('catch a schema that is too permissive (planted: accepts an extra field; drops a range)', () => {
    for (const m of METHOD_NAMES) expect(acceptedInvalid(CONTRACT[m].args, INVALID_ARGS_BY_METHOD[m]), m).toEqual([])
    // The real schema of images.detail, loosened the two ways a schema typically goes wrong.
    const loose = CONTRACT['images.detail'].args.loose()
    expect(acceptedInvalid(loose, INVALID_ARGS_BY_METHOD['images.detail'])).toEqual(['an unknown key'])
    const anyNumber = CONTRACT['images.detail'].args.extend({ imageId: z.number() })
    expect(acceptedInvalid(anyNumber, INVALID_ARGS_BY_METHOD['images.detail'])).toEqual(
      expect.arrayContaining(['negative image id', 'unsafe integer'])
    )
  })
})
