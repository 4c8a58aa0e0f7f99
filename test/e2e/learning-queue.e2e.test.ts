/**
 * The learning queue in real Chromium against `poi-audit serve` (issue 17): decisions (one by key,
 * the rest through the HTTP API) up to the project's threshold make the server re-rank the
 * unreviewed queue in the background; the Review page says so, and after a reload the grid shows a
 * different order of the unreviewed images. Turning the queue off brings back the audit's order.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { join } from 'node:path'
import { reviewFixture, SHOTS, type ReviewFixture } from './review-fixture'

const EVERY = 60

describe('learning queue on the Review page', () => {
  let fx: ReviewFixture

  beforeAll(async () => {
    fx = await reviewFixture({ n: 210, seed: 17 })
  }, 240_000)
  afterAll(async () => {
    await fx?.close()
  })

  /** The app API with the page's session cookie. */
  const api = async <T>(method: string, args: unknown): Promise<T> => {
    const r = await fx.page.request.post(`${fx.served.url}/api/${method}`, {
      headers: { 'content-type': 'application/json' },
      data: JSON.stringify(args)
    })
    const j = (await r.json()) as { ok: boolean; value?: T; message?: string }
    if (!j.ok) throw new Error(`${method}: ${j.message}`)
    return j.value as T
  }
  type Row = { imageId: number; given: number | null }
  const staticOrder = async (): Promise<Row[]> =>
    (
      await api<{ items: Row[] }>('images.queue', {
        filter: { review: 'unreviewed' },
        sort: { by: 'score' },
        limit: 500
      })
    ).items
  /** Image ids of the grid's first cells, in order (the virtual grid renders the top rows). */
  const gridIds = (k: number): Promise<number[]> =>
    fx.page.$$eval(
      '.cell[data-image-id]',
      (cells, k) => cells.slice(0, k).map((c) => Number(c.getAttribute('data-image-id'))),
      k
    )

  it('re-ranks after the threshold, says so, shows a new order, and off restores the audit order', async () => {
    const { page } = fx
    await api('queue.setLearning', { every: EVERY })
    await fx.open()
    await page.waitForSelector('[data-testid=learning-queue]')
    expect(await page.textContent('[data-testid=learning-notice]')).toContain(`Re-ranks after ${EVERY} decisions`)
    const first = await gridIds(1)

    // One decision by key (keep the open image), the rest through the API: every label of classes 1
    // and 2 is called wrong, every other right — a pattern the audit's score does not know.
    await page.focus('[role=listbox]')
    await page.keyboard.press('q')
    await page.waitForFunction(
      () => document.querySelector('[data-testid=save-state]')?.textContent?.includes('Saved'),
      null,
      { timeout: 10_000 }
    )
    const todo = (await staticOrder()).filter((r) => r.imageId !== first[0]).slice(0, EVERY - 1)
    for (const r of todo) {
      const decision = r.given === 1 || r.given === 2 ? { kind: 'relabel', label: 0 } : { kind: 'keep' }
      await api('review.decide', { imageId: r.imageId, decision })
    }

    // The server re-ranks by itself; the page says so and offers the new order.
    await page.waitForFunction(
      () =>
        /Re-ranked [\d,]+ images from [\d,]+ decisions, [\d.]+ s/.test(
          document.querySelector('[data-testid=learning-notice]')?.textContent ?? ''
        ),
      null,
      { timeout: 30_000 }
    )
    const notice = (await page.textContent('[data-testid=learning-notice]'))!.trim()
    const st = await api<{ last: { images: number; decisions: number; order: string } }>('queue.learning', {})
    expect(st.last.order).toBe('learned')
    expect(notice).toContain(`Re-ranked ${st.last.images} images from ${st.last.decisions} decisions`)
    await page.screenshot({ path: join(SHOTS, 'learning-queue-notice.png') })

    await page.click('.banner button')
    await page.waitForSelector('main[data-page=review] .cell.current', { state: 'attached' })
    const stat = (await staticOrder()).map((r) => r.imageId)
    const learned = await gridIds(20)
    expect(learned.length).toBe(20)
    expect(learned).not.toEqual(stat.slice(0, 20))
    // Every image shown is an unreviewed one (the re-rank orders the open part only).
    expect(learned.every((id) => stat.includes(id))).toBe(true)

    // What it learns: the model head, chosen on the page, is stored and re-ranks at once with it.
    const before = (await api<{ last: { at: string } }>('queue.learning', {})).last.at
    await page.selectOption('[data-testid=learning-method]', 'head')
    type St = { method: string; running: boolean; last: { at: string; method: string } }
    const deadline = Date.now() + 30_000
    let st2 = await api<St>('queue.learning', {})
    while (!(st2.method === 'head' && !st2.running && st2.last.at !== before && st2.last.method === 'head')) {
      if (Date.now() > deadline) throw new Error(`no re-rank with the head: ${JSON.stringify(st2)}`)
      await new Promise((r) => setTimeout(r, 250))
      st2 = await api<St>('queue.learning', {})
    }
    await page.waitForFunction(
      () =>
        /\(the model's head, from the corrected labels\)|Kept the audit's order/.test(
          document.querySelector('[data-testid=learning-notice]')?.textContent ?? ''
        ),
      null,
      { timeout: 10_000 }
    )
    expect(await page.$eval('[data-testid=learning-method]', (e) => (e as HTMLSelectElement).value)).toBe('head')

    // Off: the audit's fixed order again, at once.
    await page.click('[data-testid=learning-toggle]')
    await page.waitForFunction(
      () => document.querySelector('[data-testid=learning-notice]')?.textContent?.includes('Off'),
      null,
      { timeout: 10_000 }
    )
    await page.waitForFunction(
      (want) =>
        [...document.querySelectorAll('.cell[data-image-id]')]
          .slice(0, want.length)
          .map((c) => Number(c.getAttribute('data-image-id')))
          .join(',') === want.join(','),
      stat.slice(0, 20),
      { timeout: 10_000 }
    )
    expect((await api<{ enabled: boolean }>('queue.learning', {})).enabled).toBe(false)
    expect(fx.errors).toEqual([])
  }, 180_000)
})
