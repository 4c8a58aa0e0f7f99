/**
 * The whole app in real Chromium against `poi-audit serve`: a project made by `poi-audit init`, a
 * synthetic dataset imported through the UI's import wizard (the real importer), training (or its
 * honest "not available"), keyboard review with undo, history and a CSV export — then the SQLite file
 * (read-only) and the exported CSV must hold the relabel made in the UI. Screenshots of every page at
 * 1280×800 and 1024×700 go to test-results/e2e/.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { parse } from 'csv-parse/sync'
import type { Browser, Page } from 'playwright-core'
import { generateDataset } from '../../src-main/core/synth/index'
import { tempDir } from '../helpers/tmp'
import { launchChromium } from './chromium'
import { REPO, runCli, startServe, type Served } from './serve'
import { expectReadableLayout } from './layout'

const SHOTS = join(REPO, 'test-results', 'e2e')
const PAGES = ['projects', 'overview', 'train', 'review', 'history', 'export'] as const

describe('POI Audit in Chromium against poi-audit serve', () => {
  const tmp = tempDir('poi-e2e-')
  const project = join(tmp.dir, 'e2e.poi')
  const faces = join(tmp.dir, 'faces')
  let served: Served | undefined
  let browser: Browser | undefined
  let page: Page
  const errors: string[] = []

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true })
    await generateDataset({
      outDir: faces,
      n: 48,
      size: 48,
      seed: 7,
      classes: ['neutral', 'happiness', 'surprise', 'sadness', 'anger', 'disgust', 'fear']
    })
    await runCli(['init', project, '--name', 'E2E faces'])
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
  const nav = async (p: (typeof PAGES)[number]): Promise<void> => {
    await page.click(`[data-testid=nav-${p}]`)
    await page.waitForSelector(`main[data-page=${p}]`)
  }

  it('imports, trains or says why not, reviews with the keyboard, undoes, exports; the relabel reaches SQLite and the CSV', async () => {
    // Sign in: the token URL becomes a cookie and leaves the address bar.
    await page.goto(served!.loginUrl)
    await page.waitForFunction(() => (window as unknown as { __poiReady?: () => boolean }).__poiReady?.() === true)
    expect(page.url()).not.toContain('token=')

    // 1. Import through the wizard (an empty project opens on Projects).
    await page.waitForSelector('[data-testid=import-wizard]')
    await shot('projects-empty')
    await page.selectOption('[data-testid=import-format]', 'csv')
    await page.fill('[data-testid=import-source]', join(faces, 'labels.csv'))
    await page.click('[data-testid=import-start]')
    const report = await page.waitForSelector('[data-testid=import-report]', { timeout: 120_000 })
    expect(await report.textContent()).toMatch(/Imported\s*48/)
    await shot('import-report')

    // 2. Train: a tiny run when the engine is in this build, else the UI must say it is not available.
    await nav('train')
    await page.waitForSelector('[data-testid=train-unavailable], [data-testid=train-state]')
    if (!(await page.$('[data-testid=train-unavailable]'))) {
      await page.fill('[data-testid=cfg-epochs]', '1')
      await page.click('[data-testid=train-start]')
      await page.waitForFunction(
        () =>
          ['completed', 'failed', 'crashed', 'cancelled'].includes(
            document.querySelector('[data-testid=train-state]')?.textContent ?? ''
          ),
        null,
        { timeout: 300_000 }
      )
      expect(await page.textContent('[data-testid=train-state]')).toBe('completed')
      await page.click('[data-testid=audit-run]')
      await page.waitForSelector('[data-testid=audit-message]', { timeout: 120_000 })
    } else {
      expect(await page.textContent('[data-testid=train-unavailable]')).toContain('not available')
      expect(await page.isDisabled('[data-testid=train-start]')).toBe(true)
    }
    await shot('train')

    // 3. Overview.
    await nav('overview')
    await page.waitForSelector('[data-testid=class-counts]')
    expect(await page.textContent('[data-testid=class-counts]')).toContain('Happiness')
    await shot('overview')

    // 4. Review with the keyboard.
    await nav('review')
    await page.waitForSelector('.cell.current')
    const current = async (): Promise<number> => Number(await page.getAttribute('.cell.current', 'data-image-id'))
    const first = await current()
    const relPath = (await page.textContent('[data-testid=detail] .path'))!.trim()
    const givenName = (await page.textContent('[data-testid=detail-given]'))!.trim().toLowerCase()
    const classes = ['neutral', 'happiness', 'surprise', 'sadness', 'anger', 'disgust', 'fear']
    const target = (classes.indexOf(givenName) + 1) % classes.length
    await page.keyboard.press(String(target + 1)) // relabel the first image
    await page.waitForFunction(
      (id) => document.querySelector('.cell.current')?.getAttribute('data-image-id') !== String(id),
      first
    )
    const second = await current()
    await page.keyboard.press('q') // keep the second
    const third = await page.waitForFunction((id) => {
      const v = document.querySelector('.cell.current')?.getAttribute('data-image-id')
      return v !== String(id) && v
    }, second)
    const thirdId = Number(await third.jsonValue())
    await page.keyboard.press('e') // exclude the third ...
    await page.waitForFunction(() => document.querySelector('[data-testid=save-state]')?.textContent?.includes('Saved'))
    await page.keyboard.press('z') // ... and undo it: back on the third, no longer excluded
    await page.waitForFunction(
      (id) => document.querySelector('.cell.current')?.getAttribute('data-image-id') === String(id),
      thirdId
    )
    await page.waitForFunction(
      () => document.querySelector('[data-testid=detail-review]')?.textContent === 'unreviewed'
    )
    expect(await page.textContent('[data-testid=save-state]')).toContain('Undone')
    await shot('review')
    await page.keyboard.press('?')
    await page.waitForSelector('[data-testid=key-help]')
    expect(await page.textContent('[data-testid=key-help]')).toContain('Accept the model')
    await shot('review-keyhelp')
    await page.keyboard.press('Escape')
    await page.waitForSelector('[data-testid=key-help]', { state: 'detached' })

    // The decisions are in the project file (read-only connection beside the server's).
    const db = new Database(project, { readonly: true, fileMustExist: true })
    try {
      const ann = (id: number) =>
        db.prepare('SELECT current_label AS label, state FROM annotations WHERE image_id = ?').get(id) as {
          label: number
          state: string
        }
      const classIdx = (name: string) =>
        (db.prepare('SELECT idx FROM classes WHERE name = ?').get(name) as { idx: number }).idx
      expect(ann(first)).toEqual({ label: classIdx(classes[target]), state: 'labeled' })
      expect(ann(thirdId).state).toBe('labeled')
      const hist = db
        .prepare(
          "SELECT image_id AS imageId, actor, new_label AS newLabel FROM label_history WHERE source = 'curator' ORDER BY id"
        )
        .all() as { imageId: number; actor: string }[]
      expect(hist.map((h) => h.imageId)).toContain(first)
      expect(hist.every((h) => h.actor === 'e2e-curator')).toBe(true)
    } finally {
      db.close()
    }

    // 5. History shows the curator's changes.
    await nav('history')
    await page.waitForSelector('[data-testid=history-table] tbody tr')
    expect(await page.textContent('[data-testid=history-table]')).toContain('e2e-curator')
    await shot('history')

    // 6. Export CSV; the relabel is in the file.
    await nav('export')
    await page.check('[data-testid=fmt-csv]')
    await page.check('[data-testid=scope-all]')
    await page.click('[data-testid=export-start]')
    await page.waitForSelector('[data-testid=export-done]', { timeout: 120_000 })
    const out = (await page.textContent('[data-testid=export-path]'))!.trim()
    await shot('export')
    const rows = parse(readFileSync(out, 'utf8'), { columns: true, bom: true }) as Record<string, string>[]
    const row = rows.find((r) => r.path === relPath)
    expect(row, `${relPath} in ${out}`).toBeDefined()
    expect(row!.label).toBe(classes[target])
    expect(rows).toHaveLength(48)

    // 7. Every page at the smaller size.
    await page.setViewportSize({ width: 1024, height: 700 })
    for (const p of PAGES) {
      await nav(p)
      await page.waitForTimeout(300)
      await shot(p)
    }
    await page.setViewportSize({ width: 1280, height: 800 })
    for (const p of PAGES) {
      await nav(p)
      await page.waitForTimeout(300)
      await shot(p)
    }

    // Nothing may scroll sideways or cut a control's text, on any page, at either size.
    for (const size of [
      { width: 1024, height: 700 },
      { width: 1280, height: 800 }
    ]) {
      await page.setViewportSize(size)
      for (const p of PAGES) {
        await nav(p)
        await page.waitForTimeout(200)
        await expectReadableLayout(page, `${p} at ${size.width}×${size.height}`)
      }
    }

    expect(errors, errors.join('\n')).toEqual([])
  })
})
