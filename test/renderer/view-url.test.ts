import { describe, expect, it } from 'vitest'
import {
  defaultFilter,
  defaultSort,
  toQueueFilter,
  viewFromParams,
  viewToParams
} from '../../src-renderer/src/lib/filters'

describe('the review view in the URL (issue 14, defect 7)', () => {
  it('writes only what differs from the default queue and reads it back', () => {
    expect(viewToParams(defaultFilter(), defaultSort(), null).toString()).toBe('')
    const f = {
      ...defaultFilter(),
      given: [1, 3],
      flags: ['likely_mislabeled'],
      pair: { given: 2, suggested: 5 },
      review: 'any' as const,
      confMin: 0.2,
      confMax: 0.9
    }
    const s = { by: 'score' as const, dir: 'desc' as const }
    const p = viewToParams(f, s, 42)
    expect(viewFromParams(new URLSearchParams(p.toString()))).toEqual({ filter: f, sort: s, imageId: 42 })
  })

  it('falls back to the default view on malformed values', () => {
    const v = viewFromParams(
      new URLSearchParams('given=x,-1,2&status=bogus&sort=evil-up&conf=a-b&image=-3&flags=DROP TABLE')
    )
    expect(v).toEqual({ filter: { ...defaultFilter(), given: [2] }, sort: defaultSort(), imageId: null })
  })

  it('keeps whose queue it is (issue 17) and asks the server for it', () => {
    for (const queue of ['mine', 'adjudicate'] as const) {
      const f = { ...defaultFilter(), queue }
      const p = viewToParams(f, defaultSort(), null)
      expect(p.toString()).toBe(`queue=${queue}`)
      expect(viewFromParams(p).filter).toEqual(f)
    }
    expect(toQueueFilter({ ...defaultFilter(), queue: 'mine' })).toEqual({ review: 'unreviewed', assigned: 'me' })
    // Adjudicate replaces the review scope (an image waiting for adjudication has decisions).
    expect(toQueueFilter({ ...defaultFilter(), queue: 'adjudicate' })).toEqual({ review: 'adjudicate' })
    expect(viewFromParams(new URLSearchParams('queue=everyone')).filter).toEqual(defaultFilter())
  })
})
