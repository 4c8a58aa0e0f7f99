/**
 * Review split between curators (issue 17) in the real app over the real API: the Review page's queue selector
 * (All / Mine / Adjudicate (N)) and Overview → Team.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { cleanup, fireEvent, screen } from '@testing-library/svelte'
import { closeApps, startApp, settle } from './helpers'
import { removeTempDirs } from './real-main'

afterEach(async () => {
  cleanup()
  await closeApps()
})
afterAll(() => removeTempDirs())

describe('review queue selector', () => {
  it('switches between all images, my assignment and the images curators disagree on', async () => {
    const { main, app } = await startApp('review', { audit: false })
    const shown = (): number[] => app.review.items.map((r) => r.imageId).sort((a, b) => a - b)
    expect(screen.getByTestId('queue-scope-all').getAttribute('aria-pressed')).toBe('true')
    expect(app.review.items).toHaveLength(42)

    // Mine without an assignment: an empty queue that says why.
    await fireEvent.click(screen.getByTestId('queue-scope-mine'))
    await settle()
    expect(main.callsOf('images.queue').at(-1)).toMatchObject({ filter: { review: 'unreviewed', assigned: 'me' } })
    expect(screen.getByTestId('queue-empty-reason').textContent).toContain('tester has no assignment')
    expect(location.hash).toContain('queue=mine')

    // With an assignment (given: class 4), Mine shows exactly those images.
    expect((await main.real('assignments.set', { actor: 'tester', filter: { given: [4] } })).ok).toBe(true)
    await fireEvent.click(screen.getByTestId('queue-scope-all'))
    await settle()
    expect(app.review.items).toHaveLength(42)
    await fireEvent.click(screen.getByTestId('queue-scope-mine'))
    await settle()
    const mine = main.disk<{ id: number }>('SELECT image_id AS id FROM annotations WHERE current_label = 4')
    expect(mine.length).toBeGreaterThan(0)
    expect(shown()).toEqual(mine.map((r) => r.id).sort((a, b) => a - b))

    // Adjudicate: tester relabels image 3 to class 1, another curator (bob) to class 2.
    expect((await main.real('review.decide', { imageId: 3, decision: { kind: 'relabel', label: 1 } })).ok).toBe(true)
    const bob = await main.asCurator('bob', 'review.decide', { imageId: 3, decision: { kind: 'relabel', label: 2 } })
    expect(bob.ok).toBe(true)
    await app.review.loadCounts()
    await settle()
    expect(screen.getByTestId('queue-scope-adjudicate').textContent).toBe('Adjudicate (1)')
    await fireEvent.click(screen.getByTestId('queue-scope-adjudicate'))
    await settle()
    expect(main.callsOf('images.queue').at(-1)).toMatchObject({ filter: { review: 'adjudicate' } })
    expect(shown()).toEqual([3])
    expect(screen.getByTestId('queue-scope-adjudicate').getAttribute('aria-pressed')).toBe('true')

    // Back to all: the default queue again.
    await fireEvent.click(screen.getByTestId('queue-scope-all'))
    await settle()
    expect(main.callsOf('images.queue').at(-1)!.filter).toEqual({ review: 'unreviewed' })
  })
})

describe('overview team card', () => {
  it("assigns the Review page's filter to a named curator, lists it and removes it", async () => {
    const { main } = await startApp('overview', { audit: false })
    expect(screen.getByTestId('team-me').textContent).toBe('tester')
    expect(screen.getByTestId('assignments-none')).toBeTruthy()
    await fireEvent.input(screen.getByTestId('assign-actor'), { target: { value: 'bob' } })
    await fireEvent.click(screen.getByTestId('assign-submit'))
    await settle()
    expect(main.callsOf('assignments.set').at(-1)).toEqual({ actor: 'bob', filter: { review: 'unreviewed' } })
    expect(main.disk('SELECT actor, filter, created_by AS by FROM assignments')).toEqual([
      { actor: 'bob', filter: '{"review":"unreviewed"}', by: 'tester' }
    ])
    const row = screen.getByTestId('assignment-row')
    expect(row.textContent).toContain('bob')
    expect(row.textContent).toContain('unreviewed')
    expect(row.textContent).toContain('42')
    await fireEvent.click(screen.getByTestId('assignment-remove'))
    await settle()
    expect(main.disk('SELECT actor FROM assignments')).toEqual([])
    expect(screen.queryByTestId('assignment-row')).toBeNull()
  })
})
