import { afterEach, describe, expect, it } from 'vitest'
import { cleanup, fireEvent, screen } from '@testing-library/svelte'
import { startApp, settle } from './helpers'
import { deferred } from './fake-main'
import type { ApiResult } from '../../src-main/core/api/contract'

afterEach(() => cleanup())

const key = (k: string, mods: Record<string, boolean> = {}) => fireEvent.keyDown(window, { key: k, ...mods })

describe('review keyboard', () => {
  it('maps keys to the right API calls on the current image, advancing after each', async () => {
    const { fake, app } = await startApp('review')
    expect(app.review.current).toBe(0)
    await key('2') // image 1 is given neutral (0) → relabel to happiness
    await key('q') // image 2: keep
    await key('e') // image 3: exclude
    await key('a') // image 4: ambiguous
    await key('Enter') // image 5: accept its suggestion
    await key('1') // image 6 is given 5 (disgust) → relabel to neutral
    await settle()
    expect(fake.callsOf('review.decide')).toEqual([
      { imageId: 1, decision: { kind: 'relabel', label: 1 } },
      { imageId: 2, decision: { kind: 'keep' } },
      { imageId: 3, decision: { kind: 'exclude' } },
      { imageId: 4, decision: { kind: 'ambiguous' } },
      { imageId: 5, decision: { kind: 'accept', label: fake.rows[4].suggested } },
      { imageId: 6, decision: { kind: 'relabel', label: 0 } }
    ])
    expect(app.review.current).toBe(6)
    expect(screen.getByTestId('save-state').textContent).toContain('Saved')
    expect(fake.rows[0].given).toBe(1)
  })

  it('a class key equal to the given label records "keep"', async () => {
    const { fake } = await startApp('review')
    await key('1') // image 1 is given neutral
    await settle()
    expect(fake.callsOf('review.decide')[0]).toEqual({ imageId: 1, decision: { kind: 'keep' } })
  })

  it('moves with arrows and J/K without calling decide, and ignores keys typed into fields', async () => {
    const { fake, app } = await startApp('review')
    await key('j')
    await key('ArrowRight')
    await key('k')
    expect(app.review.current).toBe(1)
    await key('ArrowDown') // one grid row
    expect(app.review.current).toBe(1 + app.review.columns)
    const input = screen.getByTestId('filter-conf-min')
    await fireEvent.keyDown(input, { key: '3' })
    await settle()
    expect(fake.callsOf('review.decide')).toHaveLength(0)
  })

  it('shows the next image at once and rolls back when the save fails', async () => {
    const { fake, app } = await startApp('review')
    const answer = deferred<ApiResult<unknown>>()
    fake.overrides['review.decide'] = () => answer.promise
    await key('3') // image 1 → surprise, held back
    // Optimistic: the row already shows the new label and the next image is current.
    expect(app.review.items[0].given).toBe(2)
    expect(app.review.current).toBe(1)
    expect(screen.getByRole('heading', { name: 'Image 2' })).toBeTruthy()
    expect(screen.getByTestId('save-state').textContent).toContain('Saving')
    answer.resolve({ ok: false, code: 'INTERNAL', message: 'disk full' })
    await settle()
    expect(app.review.items[0].given).toBe(0)
    expect(app.review.items[0].review).toBeNull()
    expect(app.review.current).toBe(0)
    expect(screen.getByTestId('save-state').textContent).toContain('Not saved')
    expect(screen.getByTestId('notice-error').textContent).toContain('disk full')
  })

  it('Z undoes and Shift+Z redoes, after the pending decision is saved', async () => {
    const { fake, app } = await startApp('review')
    const answer = deferred<ApiResult<unknown>>()
    const real = fake.call.bind(fake)
    fake.overrides['review.decide'] = async (a) => {
      await answer.promise
      delete fake.overrides['review.decide']
      return real('review.decide', a)
    }
    await key('4') // image 1 → sadness (held)
    await key('z') // queued behind the decision
    expect(fake.callsOf('review.undo')).toHaveLength(0)
    answer.resolve({ ok: true, value: null })
    await settle(10)
    expect(fake.callsOf('review.undo')).toHaveLength(1)
    expect(fake.rows[0].given).toBe(0)
    expect(app.review.items[0].given).toBe(0)
    expect(app.review.current).toBe(0) // back on the undone image
    await key('Z', { shiftKey: true })
    await settle(10)
    expect(fake.callsOf('review.redo')).toHaveLength(1)
    expect(app.review.items[0].given).toBe(3)
    expect(app.review.undoDepth).toBe(1)
  })

  it('? shows the keyboard help with the class keys', async () => {
    const { app } = await startApp('review')
    await key('?')
    const help = screen.getByTestId('key-help')
    expect(help.textContent).toContain('Keyboard shortcuts')
    expect(help.textContent).toContain('Happiness')
    expect(help.textContent).toContain('Undo')
    await key('Escape')
    expect(app.helpOpen).toBe(false)
  })

  it('accept without a suggestion says so and calls nothing', async () => {
    const { fake } = await startApp('review', { audit: false })
    await key('Enter')
    await settle()
    expect(fake.callsOf('review.decide')).toHaveLength(0)
    expect(screen.getByTestId('notice-info').textContent).toContain('No suggested label')
  })
})

describe('review selection and bulk relabel', () => {
  it('shift-click selects a range, ctrl-click toggles, a class key relabels the selection', async () => {
    const { fake, app, container } = await startApp('review')
    const cell = (i: number) => container.querySelector(`[data-index="${i}"]`)!
    await fireEvent.click(cell(2))
    await fireEvent.click(cell(5), { shiftKey: true })
    expect([...app.review.selection].sort()).toEqual([3, 4, 5, 6])
    await fireEvent.click(cell(4), { ctrlKey: true })
    expect([...app.review.selection].sort()).toEqual([3, 4, 6])
    expect(screen.getByTestId('bulk-bar').textContent).toContain('3 selected')
    await key('5')
    await settle()
    expect(fake.callsOf('review.bulkRelabel')).toEqual([{ imageIds: [3, 4, 6], label: 4 }])
    expect(app.review.selection.size).toBe(0)
    expect([3, 4, 6].map((id) => fake.rows[id - 1].given)).toEqual([4, 4, 4])
    expect(app.review.queue.get(3)).toMatchObject({ given: 4, review: 'relabeled' })
    expect(app.review.queue.get(5)?.review).toBeNull() // ctrl-clicked out of the range
  })
})

describe('review filters', () => {
  it('turns filter and sort choices into queue query arguments', async () => {
    const { fake } = await startApp('review')
    fake.calls.length = 0
    // Given: anger
    const given = screen.getByTestId('filter-given')
    await fireEvent.click(given.querySelector('summary')!)
    await fireEvent.click(given.querySelectorAll('input[type=checkbox]')[4])
    await settle()
    expect(fake.callsOf('images.queue').at(-1)).toMatchObject({ filter: { given: [4] }, withTotal: true })
    // Status: unreviewed
    await fireEvent.change(screen.getByTestId('filter-review'), { target: { value: 'unreviewed' } })
    await settle()
    expect(fake.callsOf('images.queue').at(-1)).toMatchObject({ filter: { given: [4], review: 'unreviewed' } })
    // Confidence range
    await fireEvent.change(screen.getByTestId('filter-conf-max'), { target: { value: '0.6' } })
    await settle()
    expect(fake.callsOf('images.queue').at(-1)).toMatchObject({ filter: { confidence: { min: 0, max: 0.6 } } })
    // Flags
    const flags = screen.getByTestId('filter-flags')
    await fireEvent.click(flags.querySelector('summary')!)
    await fireEvent.click(flags.querySelector('input[type=checkbox]')!)
    await settle()
    expect(fake.callsOf('images.queue').at(-1)).toMatchObject({ filter: { flags: ['likely_mislabeled'] } })
    // Sort by confidence, descending
    await fireEvent.change(screen.getByTestId('sort-by'), { target: { value: 'confidence' } })
    await fireEvent.click(screen.getByTestId('sort-dir'))
    await settle()
    expect(fake.callsOf('images.queue').at(-1)).toMatchObject({ sort: { by: 'confidence', dir: 'desc' } })
    // Clear
    await fireEvent.click(screen.getByTestId('filter-clear'))
    await settle()
    const last = fake.callsOf('images.queue').at(-1)!
    expect(last.filter).toBeUndefined()
  })

  it('shows NOT_AVAILABLE from the server honestly', async () => {
    const { fake } = await startApp('review')
    fake.overrides['images.queue'] = () => ({ ok: false, code: 'NOT_AVAILABLE', message: 'filtering by flags needs an audit; run one first' })
    const flags = screen.getByTestId('filter-flags')
    await fireEvent.click(flags.querySelector('summary')!)
    await fireEvent.click(flags.querySelector('input[type=checkbox]')!)
    await settle()
    expect(screen.getByTestId('queue-error').textContent).toContain('needs an audit')
  })

  it('streams later pages so every row becomes reachable', async () => {
    const { fake, app } = await startApp('review', { n: 1300 })
    await settle(20)
    expect(app.review.items).toHaveLength(1300)
    const pages = fake.callsOf('images.queue')
    expect(pages[0]).toMatchObject({ limit: 120, withTotal: true })
    expect(pages.slice(1).every((p) => p.cursor && p.limit === 500)).toBe(true)
  })
})
