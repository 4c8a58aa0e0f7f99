/**
 * What the Review and Overview pages say must be true of the stored data, in real Chromium against
 * `poi-audit serve` (issue 14 defects 4, 10 and 14; issue 16 item 11):
 * - after a decision the image's flags, grid badge and "why" follow the new label, without a reload;
 * - a stored JSON column that no longer parses shows "damaged record" (Review detail, past imports)
 *   and is logged once with its image/import id, instead of an empty field;
 * - the Overview confidence histogram spreads saturated confidences on a logit scale and says so,
 *   and keeps the plain scale when the values spread; the review filter's range follows the data;
 * - on an empty project the Review page links to the Projects page.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { tempDir } from '../helpers/tmp'
import { launchChromium } from './chromium'
import { signIn, nav } from './harness'
import { reviewFixture, type ReviewFixture } from './review-fixture'
import { runCli, startServe } from './serve'

/** Writes to the project file before it is served (the server holds its lock afterwards). */
function withDb<T>(project: string, fn: (db: Database.Database) => T): T {
  const db = new Database(project, { fileMustExist: true })
  try {
    return fn(db)
  } finally {
    db.close()
  }
}

const cellState = (fx: ReviewFixture, id: string) =>
  fx.page.$eval(`#cell-${id}`, (c) => ({
    flagged: c.classList.contains('flagged'),
    sugg: c.querySelector('.sugg')?.textContent ?? null
  }))

describe('Review and Overview tell the truth about the stored data (spread confidences)', () => {
  let fx: ReviewFixture
  /** An image whose stored explanation is damaged, and the import whose report is. */
  let damagedImage = 0

  beforeAll(async () => {
    fx = await reviewFixture({
      prepare: (project) =>
        withDb(project, (db) => {
          // The last-ranked scored image: no other test here decides it.
          damagedImage = (
            db
              .prepare('SELECT image_id AS i FROM audit_items WHERE rank IS NOT NULL ORDER BY rank DESC LIMIT 1')
              .get() as { i: number }
          ).i
          db.prepare('UPDATE audit_items SET explanation = \'{"text": "eyes: fe\' WHERE image_id = ?').run(damagedImage)
          db.prepare('UPDATE imports SET report = \'{"imported": 70, \' WHERE id = 1').run()
        })
    })
  })
  afterAll(async () => {
    await fx?.close()
  })

  it('after accepting a suggestion the grid badge, flags and "why" follow the new label without a reload (defect 4)', async () => {
    const { page } = fx
    await fx.open()
    await page.waitForSelector('[data-testid=detail-suggested]')
    const id = (await page.getAttribute('.cell.current', 'data-image-id'))!
    const given = (await page.textContent('[data-testid=detail-given]'))!.trim().toLowerCase()
    const suggested = (await page.textContent('[data-testid=detail-suggested]'))!.trim().toLowerCase()
    expect(await page.textContent('[data-testid=explanation]')).toContain(`labelled: ${given}`)
    expect(await cellState(fx, id)).toMatchObject({ flagged: true })
    expect((await cellState(fx, id)).sugg).not.toBeNull()

    await page.keyboard.press('Enter')
    await page.waitForFunction(() => document.querySelector('[data-testid=save-state]')?.textContent?.includes('Saved'))
    // The grid badge: no flag stripe, no "→ suggestion" once the server has re-judged the image.
    await page.waitForFunction(
      (i) => {
        const c = document.querySelector(`#cell-${i}`)
        return c != null && !c.classList.contains('flagged') && !c.querySelector('.sugg')
      },
      id,
      { timeout: 15_000 }
    )
    // Back to it: the detail judges the accepted label.
    await page.keyboard.press('k')
    await page.waitForFunction((i) => document.querySelector('.cell.current')?.getAttribute('data-image-id') === i, id)
    await page.waitForFunction(
      (s) => document.querySelector('[data-testid=explanation]')?.textContent?.includes(`labelled: ${s}`),
      suggested,
      { timeout: 15_000 }
    )
    expect(await page.textContent('[data-testid=explanation]')).not.toContain(`labelled: ${given}`)
    expect(await page.$('[data-testid=stale-audit]')).toBeNull()
    expect(await page.$('[data-testid=detail-suggested]')).toBeNull()
    const chips = await page.$$eval('.audit-facts .chip.flag', (c) => c.map((x) => x.textContent?.trim()))
    expect(chips).not.toContain('likely mislabeled')
    // The file agrees: the stored item now judges the accepted label.
    const row = withDb(fx.project, (db) =>
      db
        .prepare(
          'SELECT a.given_label AS g, an.current_label AS c, a.flags & 1 AS mis FROM audit_items a JOIN annotations an ON an.image_id = a.image_id WHERE a.image_id = ?'
        )
        .get(Number(id))
    )
    expect(row).toMatchObject({ mis: 0 })
    expect((row as { g: number; c: number }).g).toBe((row as { g: number; c: number }).c)
    expect(fx.errors, fx.errors.join('\n')).toEqual([])
  })

  it('an ambiguous image with regions that agree says why it is ambiguous, and what the agreement number is (defect 4)', async () => {
    const { page } = fx
    const amb = withDb(fx.project, (db) =>
      db
        .prepare(
          'SELECT a.image_id AS i, p.uem_confidence AS c FROM audit_items a JOIN predictions p ON p.image_id = a.image_id WHERE a.flags & 2 != 0 ORDER BY p.uem_confidence DESC LIMIT 1'
        )
        .get()
    ) as { i: number; c: number } | undefined
    expect(amb, 'the fixture has ambiguous images').toBeDefined()
    await fx.open(`#/review?status=any&image=${amb!.i}`)
    await page.waitForFunction(
      (i) => document.querySelector('.cell.current')?.getAttribute('data-image-id') === String(i),
      amb!.i
    )
    const why = (await page.textContent('[data-testid=ambiguous-why]'))!
    // Either reason is spelled out with its number and cut-off, never a bare "ambiguous" beside a high confidence.
    expect(why).toMatch(
      /Ambiguous because (the four face regions disagree: UEM confidence \d+ %|the soft label is flat)/
    )
    const agree = await page.$eval('.audit-facts', (e) => e.textContent ?? '')
    expect(agree).toMatch(/regions agree \d+ ?%/)
    expect(await page.getAttribute('.audit-facts span[title^="UEM confidence"]', 'title')).toContain(
      'it is not the probability of the suggestion'
    )
  })

  it('a damaged stored explanation shows "damaged record" in the detail and is logged once with the image id (issue 16, item 11)', async () => {
    const { page } = fx
    await fx.open(`#/review?status=any&image=${damagedImage}`)
    await page.waitForFunction(
      (i) => document.querySelector('.cell.current')?.getAttribute('data-image-id') === String(i),
      damagedImage
    )
    const text = await (await page.waitForSelector('[data-testid=detail-damaged]')).textContent()
    expect(text).toContain('Damaged record')
    expect(text).toContain('audit.explanation')
    expect(text).toContain(`image ${damagedImage}`)
    // Visit it again: the server logs the damage once, naming the image.
    await page.keyboard.press('k')
    await page.waitForFunction(
      (i) => document.querySelector('.cell.current')?.getAttribute('data-image-id') !== String(i),
      damagedImage
    )
    await page.keyboard.press('j')
    await page.waitForFunction(
      (i) => document.querySelector('.cell.current')?.getAttribute('data-image-id') === String(i),
      damagedImage
    )
    await page.waitForSelector('[data-testid=detail-damaged]')
    const lines = fx.served
      .log()
      .split('\n')
      .filter((l) => l.includes(`damaged record: image ${damagedImage} audit.explanation`))
    expect(lines).toHaveLength(1)
  })

  it('a damaged stored import report says so on the Projects page (issue 16, item 11)', async () => {
    const { page } = fx
    await nav(page, 'projects')
    const el = await page.waitForSelector('[data-testid=import-damaged-1]', { state: 'attached' })
    expect(await el.textContent()).toMatch(/Damaged record: the stored report of import 1 is not valid JSON/)
    expect(fx.served.log()).toMatch(/damaged record: import 1 report is not valid JSON/)
    expect(fx.errors, fx.errors.join('\n')).toEqual([])
  })

  it('the Overview histogram keeps the plain 0–1 scale when the confidences spread (defect 10)', async () => {
    const { page } = fx
    await nav(page, 'overview')
    await page.waitForSelector('[data-testid=confidence-histogram][data-scale=linear]')
    expect(await page.$('[data-testid=confidence-scale-note]')).toBeNull()
    const axis = (await page.textContent('[data-testid=confidence-histogram] [data-testid=histogram-axis]'))!
    expect(axis).toContain('0.00')
    expect(axis).toContain('1.00')
  })
})

describe('saturated confidences (0.98–0.9999) spread on a logit scale (defect 10)', () => {
  let fx: ReviewFixture
  beforeAll(async () => {
    fx = await reviewFixture({
      seed: 12,
      prepare: (project) =>
        withDb(project, (db) => {
          // A well-fitted run: every UEM confidence between 0.98 and 0.9999.
          db.prepare('UPDATE predictions SET uem_confidence = 0.98 + 0.0199 * ((image_id * 37) % 101) / 100.0').run()
        })
    })
  })
  afterAll(async () => {
    await fx?.close()
  })

  it('the Overview histogram uses a logit scale, says so, and its bars spread; the review filter works on rank', async () => {
    const { page } = fx
    await fx.open('#/review?status=any')
    await page.waitForSelector('[data-testid=filter-conf][data-scale=rank]', { state: 'attached' })
    await nav(page, 'overview')
    const hist = await page.waitForSelector('[data-testid=confidence-histogram]')
    expect(await hist.getAttribute('data-scale')).toBe('logit')
    expect(await page.textContent('[data-testid=confidence-scale-note]')).toMatch(/saturated.*logit scale/s)
    const heights = await page.$$eval('[data-testid=confidence-histogram] .fill', (f) =>
      f.map((x) => parseFloat((x as HTMLElement).style.height))
    )
    expect(heights).toHaveLength(20)
    // On a 0–1 scale they all fall into the last bar; on the logit scale most bars hold some.
    expect(heights.filter((h) => h > 0).length).toBeGreaterThanOrEqual(10)
    const axis = (await page.textContent('[data-testid=confidence-histogram] [data-testid=histogram-axis]'))!
    expect(axis).toContain('0.980')
    expect(axis).toMatch(/0\.999\d/)

    expect(fx.errors, fx.errors.join('\n')).toEqual([])
  })
})

describe('an empty project', () => {
  const tmp = tempDir('poi-e2e-empty-')
  afterAll(() => tmp.cleanup())

  it('the Review page links to the Projects page to import a dataset (defect 14)', async () => {
    const project = join(tmp.dir, 'empty.poi')
    await runCli(['init', project, '--name', 'Empty'])
    const served = await startServe(project)
    const browser = await launchChromium()
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 800 } })
      await signIn(page, served, '#/review')
      await page.waitForSelector('main[data-page=review]')
      const link = await page.waitForSelector('[data-testid=queue-empty] a')
      expect((await link.textContent())!.trim()).toBe('Import a dataset on the Projects page')
      await link.click()
      await page.waitForSelector('main[data-page=projects]')
      await page.waitForSelector('[data-testid=import-wizard]')
    } finally {
      await browser.close()
      await served.stop()
    }
  })
})
