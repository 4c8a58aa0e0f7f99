/**
 * The review queue in real Chromium (issue 14, defects 5 and 7): the default queue is the ranking
 * over images not reviewed yet, with a progress counter that follows decisions; likely_mislabeled is
 * the top of that ranking (a cut the grid shows); the view (filters, sort, open image) lives in the
 * URL and survives a reload; "Resume" goes to the first image without a decision.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import Database from 'better-sqlite3'
import { decisionCounts, reviewFixture, type ReviewFixture } from './review-fixture'

describe('Review queue, progress and URL state in Chromium', () => {
  let fx: ReviewFixture

  beforeAll(async () => {
    fx = await reviewFixture()
  })
  afterAll(async () => {
    await fx?.close()
  })

  const progressText = (): Promise<string> => fx.page.textContent('[data-testid=review-progress]').then((t) => (t ?? '').replace(/\s+/g, ' ').trim())

  it('opens on the unreviewed ranking with a progress counter; the flag is the top of the ranking', async () => {
    const { page } = fx
    await fx.open()
    expect(await page.inputValue('[data-testid=filter-review]')).toBe('unreviewed')
    const db = new Database(fx.project, { readonly: true, fileMustExist: true })
    let flagged: number
    let cutRank: number
    try {
      const a = db.prepare('SELECT id, summary FROM audits ORDER BY id DESC LIMIT 1').get() as { id: number; summary: string }
      const cut = JSON.parse(a.summary).mislabeledCut as { count: number; rank: number }
      flagged = (db.prepare('SELECT count(*) AS n FROM audit_items WHERE audit_id = ? AND flags & 1').get(a.id) as { n: number }).n
      expect(cut.count).toBe(flagged)
      cutRank = cut.rank
    } finally {
      db.close()
    }
    expect(flagged).toBeGreaterThan(0)
    await page.waitForSelector('[data-testid=review-progress]')
    expect(await progressText()).toContain(`0 of ${flagged} likely mislabeled reviewed`)
    expect(await progressText()).toContain('0 decisions today')
    // Grid in ranking order: exactly the first cells down to the cut carry the flag's red bar.
    const marks = await page.$$eval('.cell[data-image-id]', (cells) => cells.map((c) => c.classList.contains('flagged')))
    const firstUnflagged = marks.indexOf(false)
    expect(firstUnflagged, 'flagged cells are the top of the ranking').toBeGreaterThan(0)
    expect(marks.slice(firstUnflagged).filter(Boolean).length, 'a flagged cell below an unflagged one: the flag is not a cut of the ranking').toBe(0)
    expect(await page.textContent('[data-testid=cut-note]')).toContain(`rank ${cutRank}`)

    // A decision moves the counter (after its debounce).
    await page.focus('[role=listbox]')
    await page.keyboard.press('Enter')
    await page.waitForFunction(() => document.querySelector('[data-testid=review-progress]')?.textContent?.includes('1 decisions today'), null, { timeout: 10_000 })
    expect(await progressText()).toContain(`1 of ${flagged} likely mislabeled reviewed`)
  })

  it('keeps filters, sort and the open image in the URL across a reload; Resume goes to the first undecided image', async () => {
    const { page } = fx
    await fx.open()
    await page.selectOption('[data-testid=filter-review]', 'any')
    await page.waitForFunction(() => location.hash.includes('status=any'))
    await page.selectOption('[data-testid=sort-by]', 'confidence')
    await page.waitForFunction(() => location.hash.includes('sort=confidence'))
    await page.focus('[role=listbox]')
    for (let i = 0; i < 5; i++) await page.keyboard.press('j')
    const open = await page.getAttribute('.cell.current', 'data-image-id')
    await page.waitForFunction((id) => location.hash.includes(`image=${id}`), open)
    const url = page.url()
    expect(url).toMatch(/#\/review\?.*status=any.*sort=confidence-asc.*image=\d+/)

    // A fresh load of that URL (a bookmark, or a colleague's browser on the same server).
    await page.goto('about:blank')
    await page.goto(url)
    await page.waitForSelector('.cell.current', { state: 'attached' })
    await page.waitForFunction((id) => document.querySelector('.cell.current')?.getAttribute('data-image-id') === id, open)
    expect(await page.inputValue('[data-testid=filter-review]')).toBe('any')
    expect(await page.inputValue('[data-testid=sort-by]')).toBe('confidence')

    // Resume: the first image of this queue without a decision (the first test decided one).
    const before = decisionCounts(fx.project).reviews
    expect(before).toBeGreaterThan(0)
    await page.click('[data-testid=resume]')
    const cur = await page.$eval('.cell.current', (c) => ({ reviewed: c.classList.contains('reviewed'), index: Number(c.getAttribute('data-index')) }))
    expect(cur.reviewed).toBe(false)
    const earlier = await page.$$eval('.cell[data-index]', (cells, i) => cells.filter((c) => Number(c.getAttribute('data-index')) < i).every((c) => c.classList.contains('reviewed')), cur.index)
    expect(earlier).toBe(true)
    expect(fx.errors, fx.errors.join('\n')).toEqual([])
  })
})
