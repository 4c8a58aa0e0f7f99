/**
 * The audit side of the UI in real Chromium: a synthetic project (flipped labels known from the
 * generator's ground truth) imported by `poi-audit import`, a finished run of "oracle" predictions
 * (test fixture, see oracle-run.ts), then in the browser: run the audit from the Train page, read the
 * overview (confusion, confidence, AU heatmap, flags), drill into a confusion cell, and accept a
 * suggestion with Enter — checked in the SQLite file. Screenshots go to test-results/e2e/.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import type { Browser, Page } from 'playwright-core'
import { generateDataset } from '../../src-main/core/synth/index'
import { tempDir } from '../helpers/tmp'
import { launchChromium } from './chromium'
import { addOracleRun } from './oracle-run'
import { REPO, runCli, startServe, type Served } from './serve'
import { expectReadableLayout } from './layout'

const SHOTS = join(REPO, 'test-results', 'e2e')

describe('audit, overview and suggestions in Chromium', () => {
  const tmp = tempDir('poi-e2e-audit-')
  const project = join(tmp.dir, 'audited.poi')
  const faces = join(tmp.dir, 'faces')
  let served: Served | undefined
  let browser: Browser | undefined
  let page: Page
  let truth: Awaited<ReturnType<typeof addOracleRun>>
  const errors: string[] = []

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true })
    await generateDataset({
      outDir: faces,
      n: 70,
      size: 48,
      seed: 11,
      noiseRate: 0.3,
      classes: ['neutral', 'happiness', 'surprise', 'sadness', 'anger', 'disgust', 'fear']
    })
    await runCli(['import', project, join(faces, 'labels.csv'), '--create'])
    truth = await addOracleRun(project, faces)
    served = await startServe(project)
    browser = await launchChromium()
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } })
    page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`))
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(`console: ${m.text()}`)
    })
  })

  afterAll(async () => {
    await browser?.close()
    await served?.stop()
    tmp.cleanup()
  })

  const shot = (name: string): Promise<Buffer> =>
    page.screenshot({ path: join(SHOTS, `${name}-${page.viewportSize()!.width}.png`) })
  const nav = async (p: string): Promise<void> => {
    await page.click(`[data-testid=nav-${p}]`)
    await page.waitForSelector(`main[data-page=${p}]`)
  }

  it('runs the audit, shows its overview, ranks flipped labels first and accepts a suggestion with Enter', async () => {
    await page.goto(served!.loginUrl)
    await page.waitForFunction(() => (window as unknown as { __poiReady?: () => boolean }).__poiReady?.() === true)

    // Audit from the Train page (the run is there; the training engine itself may be absent).
    await nav('train')
    await page.waitForSelector('[data-testid=runs-table]')
    expect(await page.textContent('[data-testid=runs-table]')).toContain('oracle (test fixture)')
    await page.click('[data-testid=audit-run]')
    await page.waitForFunction(
      () => document.querySelector('[data-testid=audit-message]')?.textContent?.includes('Audit finished'),
      null,
      { timeout: 120_000 }
    )
    await shot('train-audited')

    // Overview with every chart.
    await nav('overview')
    await page.waitForSelector('[data-testid=confusion]')
    await page.waitForSelector('[data-testid=histogram]')
    await page.waitForSelector('[data-testid=heatmap]')
    await page.waitForSelector('[data-testid=flags-table]')
    await shot('overview-audited')
    await expectReadableLayout(page, 'audited overview at 1280×800')
    await page.setViewportSize({ width: 1024, height: 700 })
    await shot('overview-audited')
    await expectReadableLayout(page, 'audited overview at 1024×700')
    await page.setViewportSize({ width: 1280, height: 800 })

    // An off-diagonal confusion cell opens exactly its images.
    const cell = await page.evaluateHandle(() =>
      [...document.querySelectorAll<HTMLButtonElement>('[data-testid^="cm-"]')].find((b) => {
        const [, g, s] = b.dataset.testid!.split('-')
        return g !== s
      })
    )
    const cellCount = Number(await cell.evaluate((b) => (b as HTMLButtonElement).textContent))
    expect(cellCount).toBeGreaterThan(0)
    await (cell.asElement() as import('playwright-core').ElementHandle<HTMLButtonElement>).click()
    await page.waitForSelector('main[data-page=review] [data-testid=filter-pair]')
    await page.waitForFunction(
      (n) => document.querySelector('[data-testid=queue-total]')?.textContent?.includes(`${n} image`),
      cellCount
    )
    await page.click('[data-testid=filter-clear]')

    // Ranked queue: the most suspicious image first, with the model's evidence.
    await page.waitForSelector('.cell.current')
    await page.waitForSelector('[data-testid=regions]')
    const relPath = (await page.textContent('[data-testid=detail] .path'))!.trim()
    expect(truth.flipped.has(relPath), `${relPath} ranked first but its label was not flipped`).toBe(true)
    expect(await page.textContent('[data-testid=explanation]')).toBeTruthy()
    const suggested = (await page.textContent('[data-testid=detail-suggested]'))!.trim().toLowerCase()
    expect(suggested).toBe(truth.trueClass.get(relPath))
    await shot('review-audited')
    await expectReadableLayout(page, 'audited review at 1280×800')
    await page.setViewportSize({ width: 1024, height: 700 })
    await shot('review-audited')
    await expectReadableLayout(page, 'audited review at 1024×700')
    await page.setViewportSize({ width: 1280, height: 800 })

    // Enter accepts the suggestion; the next image shows at once; the file has the accepted label.
    const first = Number(await page.getAttribute('.cell.current', 'data-image-id'))
    // Focus was left on "Clear filters": Enter there is the button's own (issue 14, defect 1), so
    // the keys go to the grid.
    await page.focus('[role=listbox]')
    await page.keyboard.press('Enter')
    await page.waitForFunction(
      (id) => document.querySelector('.cell.current')?.getAttribute('data-image-id') !== String(id),
      first
    )
    await page.waitForFunction(() => document.querySelector('[data-testid=save-state]')?.textContent?.includes('Saved'))
    const db = new Database(project, { readonly: true, fileMustExist: true })
    try {
      const row = db
        .prepare(
          'SELECT c.name AS label FROM annotations a JOIN classes c ON c.idx = a.current_label WHERE a.image_id = ?'
        )
        .get(first) as { label: string }
      expect(row.label).toBe(suggested)
      const review = db.prepare('SELECT state FROM reviews WHERE image_id = ?').get(first) as
        { state: string } | undefined
      expect(review?.state).toBe('accepted')
    } finally {
      db.close()
    }

    // Overview → Flag thresholds: re-run the audit of the same run with a lower threshold scale; the new
    // audit is in the file with those settings and the card shows its thresholds.
    await nav('overview')
    const card = page.locator('[data-testid=thresholds-card]')
    await card.waitFor()
    await card.screenshot({ path: join(SHOTS, 'overview-thresholds-1280.png') })
    const auditNo = Number(/Audit (\d+)/.exec((await card.textContent()) ?? '')?.[1])
    expect(auditNo).toBeGreaterThan(0)
    await page.fill('[data-testid=setting-thresholdScale]', '0.8')
    await page.click('[data-testid=thresholds-rerun]')
    await page.waitForFunction(
      (n) => document.querySelector('[data-testid=thresholds-card]')?.textContent?.includes(`Audit ${n + 1} `),
      auditNo,
      { timeout: 120_000 }
    )
    expect(await page.inputValue('[data-testid=setting-thresholdScale]')).toBe('0.8')
    const adb = new Database(project, { readonly: true, fileMustExist: true })
    try {
      const a = adb.prepare('SELECT config FROM audits ORDER BY id DESC LIMIT 1').get() as { config: string }
      expect(JSON.parse(a.config).mislabeled.thresholdScale).toBe(0.8)
    } finally {
      adb.close()
    }
    await page.setViewportSize({ width: 1024, height: 700 })
    await card.screenshot({ path: join(SHOTS, 'overview-thresholds-1024.png') })
    await expectReadableLayout(page, 'overview with the thresholds card at 1024×700')
    await page.setViewportSize({ width: 1280, height: 800 })

    expect(errors, errors.join('\n')).toEqual([])
  })
})
