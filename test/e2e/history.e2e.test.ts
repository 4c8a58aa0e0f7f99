/**
 * The History page in real Chromium (issue 14 item 8): it opens on curator decisions (import rows
 * behind a filter), rows carry thumbnails and link to the image in Review, undo rows say in words what
 * they undid, reverting an import row asks first (nothing written until confirmed: read the SQLite
 * file), and the Z key undoes on the page that shows its keycap.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import Database from 'better-sqlite3'
import type { Page } from 'playwright-core'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { REPO, type Served } from './serve'
import { tempDir } from '../helpers/tmp'
import { openSession, signIn, type Session } from './harness'

const SCREENS = process.env.SCREENS_DIR ?? join(REPO, 'test-results', 'e2e', 'screens')

describe('History in Chromium', () => {
  const tmp = tempDir('poi-e2e-hist-')
  let s: Session | undefined
  let page: Page
  let served: Served
  let project: string

  beforeAll(async () => {
    s = await openSession(tmp.dir, { n: 16, seed: 9, classes: ['neutral', 'happiness', 'surprise'] })
    ;({ page, served, project } = s)
  })

  afterAll(async () => {
    await s?.close()
    tmp.cleanup()
  })

  /**
   * The app API with the signed-in page's session cookie (the one-time token is spent by then), for setting up
   * decisions.
   */
  const api = async (method: string, args: unknown): Promise<unknown> => {
    const r = await page.request.post(`${served.url}/api/${method}`, {
      headers: { 'content-type': 'application/json' },
      data: JSON.stringify(args)
    })
    const j = (await r.json()) as { ok: boolean; value?: unknown; message?: string }
    if (!j.ok) throw new Error(`${method}: ${j.message}`)
    return j.value
  }
  const historyRows = (): number => {
    const db = new Database(project, { readonly: true, fileMustExist: true })
    try {
      return (db.prepare('SELECT count(*) AS n FROM label_history').get() as { n: number }).n
    } finally {
      db.close()
    }
  }

  it('opens on decisions with thumbnails and links, names what an undo undid, asks before reverting an import, and Z undoes', async () => {
    // Sign in first (the one-time token), then set up decisions with the page's cookie, then reload.
    await signIn(page, served, '#/history')
    await api('review.decide', { imageId: 3, decision: { kind: 'relabel', label: 2 } })
    await api('review.decide', { imageId: 5, decision: { kind: 'exclude' } })
    await api('review.undo', {})
    await page.reload()
    await page.waitForFunction(() => (window as unknown as { __poiReady?: () => boolean }).__poiReady?.() === true)
    await page.waitForSelector('main[data-page=history]')
    await page.waitForSelector('[data-testid=history-table] tbody tr').catch(async (e) => {
      throw new Error(`${(e as Error).message}: ${await page.textContent('main')}`)
    })
    // Decisions only by default: 3 rows (relabel, exclude, the undo of the exclude), no import rows.
    const sources = await page.$$eval('[data-testid=history-table] tbody tr td.source', (tds) =>
      tds.map((t) => t.textContent!.trim())
    )
    expect(sources.length, sources.join(', ')).toBe(3)
    expect(sources.some((s) => /import/i.test(s))).toBe(false)
    // Thumbnails that loaded.
    await page.waitForFunction(() =>
      [...document.querySelectorAll<HTMLImageElement>('[data-testid=history-table] tbody img')].every(
        (i) => i.complete && i.naturalWidth > 0
      )
    )
    expect(await page.$$('[data-testid=history-table] tbody img')).toHaveLength(3)
    mkdirSync(SCREENS, { recursive: true })
    await page.screenshot({ path: join(SCREENS, 'history-rows-light-1280.png') })
    await page.emulateMedia({ colorScheme: 'dark' })
    await page.screenshot({ path: join(SCREENS, 'history-rows-dark-1280.png') })
    await page.emulateMedia({ colorScheme: 'light' })
    // The undo row says what it undid.
    const undoRow = (await page.textContent('[data-testid=history-table] tbody tr:first-child'))!
    expect(undoRow).toMatch(/Undo of/)
    expect(undoRow).toMatch(/exclude/i)
    expect(undoRow).toContain('image 5')

    // Z on this page (focus on the page body) undoes the latest decision still standing: the relabel of image 3.
    const before = historyRows()
    await page.focus('h1')
    await page.keyboard.press('z')
    await page.waitForFunction((n) => document.querySelectorAll('[data-testid=history-table] tbody tr').length === n, 4)
    expect(historyRows()).toBe(before + 1)

    // Import rows behind the filter; reverting one asks first and writes nothing until confirmed.
    await page.selectOption('[data-testid=hist-source]', 'import')
    await page.click('[data-testid=hist-filter]')
    await page.waitForFunction(() =>
      [...document.querySelectorAll('[data-testid=history-table] tbody td.source')].every((t) =>
        /import/i.test(t.textContent ?? '')
      )
    )
    const n0 = historyRows()
    await page.click('[data-testid=history-table] tbody tr:first-child button.revert')
    await page.waitForSelector('[data-testid=hist-confirm]')
    expect(historyRows(), 'nothing written before confirming').toBe(n0)
    await page.click('[data-testid=hist-confirm-no]')
    await page.waitForSelector('[data-testid=hist-confirm]', { state: 'detached' })
    expect(historyRows()).toBe(n0)

    // A row's image link opens that image in Review.
    const link = await page.waitForSelector('[data-testid=history-table] tbody tr:first-child a.image-link')
    const id = Number(await link.getAttribute('data-image-id'))
    await link.click()
    await page.waitForSelector('main[data-page=review]')
    await page.waitForFunction(
      (want) => document.querySelector('.cell.current')?.getAttribute('data-image-id') === String(want),
      id
    )
    expect(s!.errors).toEqual([])
  })
})
