import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { cleanup, fireEvent, screen, waitFor } from '@testing-library/svelte'
import { closeApps, startApp, settle } from './helpers'
import { CLASSES, removeTempDirs } from './real-main'
import type { ApiResult, ConsensusView } from '../../src-main/core/api/contract'

afterEach(async () => {
  cleanup()
  await closeApps()
})
afterAll(() => removeTempDirs())

type Available = Extract<ConsensusView, { status: 'fitted' }>
const slow = { timeout: 10_000, interval: 10 }
const cap = (s: string): string => s[0].toUpperCase() + s.slice(1)

describe('consensus in the review detail', () => {
  it('shows the votes per class, the consensus label, its quality and the method next to the given label', async () => {
    // The first detail of a voted image is a miss: the fit runs in a worker, the detail says so meanwhile
    // and shows the consensus when the fit's event arrives. The "fitting" line can come and go between two
    // polls (a fast fit, a busy machine), so every insertion is recorded as it happens.
    const fitting: { text: string; consensusShown: boolean }[] = []
    const seen = new MutationObserver((records) => {
      for (const r of records)
        for (const n of r.addedNodes) {
          if (!(n instanceof Element)) continue
          const el = n.matches('[data-testid=consensus-fitting]')
            ? n
            : n.querySelector('[data-testid=consensus-fitting]')
          if (el)
            fitting.push({
              text: el.textContent ?? '',
              consensusShown: !!document.querySelector('[data-testid=consensus]')
            })
        }
    })
    seen.observe(document.body, { childList: true, subtree: true })
    const { main, app } = await startApp('review', { votes: true })
    const item = app.review.currentItem!
    // A loaded machine (CI beside a training run) can take well over 10 s to start the app and fit.
    await waitFor(() => expect(screen.getByTestId('consensus')).toBeTruthy(), { timeout: 45_000, interval: 20 })
    seen.disconnect()
    expect(fitting.length).toBeGreaterThan(0)
    expect(fitting[0].text).toContain('Fitting consensus')
    expect(fitting[0].consensusShown).toBe(false)
    expect(screen.queryByTestId('consensus-fitting')).toBeNull()
    const r = (await main.real('consensus.get', { imageIds: [item.imageId], wait: true })) as ApiResult<Available>
    if (!r.ok) throw new Error(r.message)
    const c = r.value.images[0]
    // The oracle run predicts every image, so the model joins the annotators.
    expect(r.value.method).toBe('crowdlab')
    expect(screen.getByTestId('consensus-label').textContent).toBe(cap(CLASSES[c.label]))
    expect(screen.getByTestId('consensus-quality').textContent).toContain(`quality ${Math.round(c.quality * 100)}%`)
    expect(screen.getByTestId('consensus-quality').textContent).toContain(`model + annotators, run ${r.value.runId}`)
    // ann says the label, bob the label or the next class, cal neutral (class 0).
    const chips = [...screen.getByTestId('consensus-votes').querySelectorAll('.chip')].map((e) => e.textContent)
    const expected = c.counts.flatMap((n, k) => (n > 0 ? [`${cap(CLASSES[k])} ${n}`] : []))
    expect(chips).toEqual(expected)
    expect(c.counts.reduce((a, b) => a + b, 0)).toBe(3)
    expect(screen.getByTestId('detail-given').textContent).toBe(cap(CLASSES[item.given!]))
  }, 90_000)

  it('shows nothing about consensus in a project without annotator votes', async () => {
    await startApp('review')
    await waitFor(() => expect(screen.getByTestId('verdict')).toBeTruthy(), { timeout: 10_000, interval: 50 })
    await settle()
    expect(screen.queryByTestId('consensus')).toBeNull()
  })
})

describe('annotators in the overview', () => {
  it('lists the annotators by estimated quality and refits after decisions on request', async () => {
    const { main, app } = await startApp('overview', { votes: true })
    // The fit runs in a worker; its event brings the table.
    await waitFor(() => expect(screen.getByTestId('annotators-table')).toBeTruthy(), slow)
    const view = app.overview.consensus as Available
    const rows = [...screen.getByTestId('annotators-table').querySelectorAll('tbody tr')]
    expect(rows.map((tr) => tr.getAttribute('data-annotator'))).toEqual(view.annotators.map((a) => a.annotator))
    const qualities = view.annotators.map((a) => a.quality!)
    expect([...qualities].sort((a, b) => b - a)).toEqual(qualities)
    // The one who always says neutral is the worst; ann and the given label agree with each other.
    expect(view.annotators.at(-1)!.annotator).toBe('cal')
    expect(rows.map((tr) => tr.getAttribute('data-annotator'))).toEqual(
      expect.arrayContaining(['ann', 'bob', 'cal', 'given'])
    )
    const cal = rows.find((tr) => tr.getAttribute('data-annotator') === 'cal')!
    const calView = view.annotators.find((a) => a.annotator === 'cal')!
    expect(cal.textContent).toContain(`${(calView.quality! * 100).toFixed(1)}%`)
    expect(cal.textContent).toContain(String(calView.votes))
    expect(screen.getByTestId('consensus-method').textContent).toContain('model + annotators')
    expect(screen.queryByTestId('consensus-stale')).toBeNull()

    // A decision elsewhere; the overview reloads and offers to fit again.
    expect((await main.real('review.decide', { imageId: 1, decision: { kind: 'keep' } })).ok).toBe(true)
    await app.overview.load(true)
    await settle()
    expect(screen.getByTestId('consensus-stale').textContent).toContain('1 decision since this fit')
    await fireEvent.click(screen.getByRole('button', { name: 'Fit again' }))
    // The refit runs in a worker; the last fit stays shown meanwhile, then the new one replaces it.
    await waitFor(() => expect(screen.getByTestId('consensus-fitting')).toBeTruthy(), slow)
    expect(screen.getByTestId('annotators-table')).toBeTruthy()
    await waitFor(() => expect(screen.queryByTestId('consensus-fitting')).toBeNull(), slow)
    expect(screen.queryByTestId('consensus-stale')).toBeNull()
    expect(main.callsOf('consensus.get')).toContainEqual({ refresh: true })
    expect((app.overview.consensus as Available).annotators.map((a) => a.annotator)).toContain('curator:tester')
  })

  it('shows no annotator table in a project without votes', async () => {
    const { main } = await startApp('overview')
    await settle()
    expect(main.callsOf('consensus.get').length).toBeGreaterThan(0)
    expect(screen.queryByTestId('annotators')).toBeNull()
    expect(screen.getByTestId('class-counts')).toBeTruthy()
  })
})
