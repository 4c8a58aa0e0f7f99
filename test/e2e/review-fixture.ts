/**
 * The Review page's end-to-end fixture: a synthetic project with known flipped labels, a finished
 * oracle run (oracle-run.ts) and an audit made by `poi-audit audit`, served by `poi-audit serve` and
 * opened in real Chromium. Also the SQLite reads the tests assert on (read-only, never the app's API).
 */
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import type { Browser, Page } from 'playwright-core'
import { generateDataset } from '../../src-main/core/synth/index'
import { tempDir } from '../helpers/tmp'
import { launchChromium } from './chromium'
import { addOracleRun } from './oracle-run'
import { REPO, runCli, startServe, type Served } from './serve'

export const SHOTS = join(REPO, 'test-results', 'e2e')

export interface ReviewFixture {
  project: string
  served: Served
  browser: Browser
  page: Page
  /** Page errors and console errors seen so far. */
  errors: string[]
  truth: Awaited<ReturnType<typeof addOracleRun>>
  /** Opens the Review page fresh (a full load of the app at `hash`, default #/review) and waits for the open image. */
  open(hash?: string): Promise<void>
  close(): Promise<void>
}

export async function reviewFixture(
  opts: {
    n?: number
    seed?: number
    viewport?: { width: number; height: number }
    /** Runs on the audited project file before it is served (the server then holds the file's lock). */
    prepare?: (project: string) => void
  } = {}
): Promise<ReviewFixture> {
  const tmp = tempDir('poi-e2e-review-')
  const project = join(tmp.dir, 'review.poi')
  const faces = join(tmp.dir, 'faces')
  mkdirSync(SHOTS, { recursive: true })
  await generateDataset({
    outDir: faces,
    n: opts.n ?? 70,
    size: 48,
    seed: opts.seed ?? 11,
    noiseRate: 0.3,
    classes: ['neutral', 'happiness', 'surprise', 'sadness', 'anger', 'disgust', 'fear']
  })
  await runCli(['import', project, join(faces, 'labels.csv'), '--create'])
  const truth = await addOracleRun(project, faces)
  await runCli(['audit', project])
  opts.prepare?.(project)
  const served = await startServe(project)
  const browser = await launchChromium()
  const page = await browser.newPage({ viewport: opts.viewport ?? { width: 1280, height: 800 } })
  const errors: string[] = []
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`))
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`)
  })
  await page.goto(served.loginUrl)
  await page.waitForFunction(() => (window as unknown as { __poiReady?: () => boolean }).__poiReady?.() === true)
  return {
    project,
    served,
    browser,
    page,
    errors,
    truth,
    async open(hash = '#/review') {
      // A full load each time (about:blank first: a hash-only change would keep the old state).
      await page.goto('about:blank')
      await page.goto(`${served.url}/${hash}`)
      await page.waitForFunction(() => (window as unknown as { __poiReady?: () => boolean }).__poiReady?.() === true)
      await page.waitForSelector('main[data-page=review] .cell.current', { state: 'attached' })
      await page.waitForSelector('[data-testid=detail]', { state: 'attached' })
    },
    async close() {
      await browser.close()
      await served.stop()
      tmp.cleanup()
    }
  }
}

/** Curator decisions in the file: history rows not written by an import, and review rows. */
export function decisionCounts(project: string): { history: number; reviews: number } {
  const db = new Database(project, { readonly: true, fileMustExist: true })
  try {
    const history = (
      db.prepare("SELECT count(*) AS n FROM label_history WHERE source != 'import'").get() as { n: number }
    ).n
    const reviews = (db.prepare('SELECT count(*) AS n FROM reviews').get() as { n: number }).n
    return { history, reviews }
  } finally {
    db.close()
  }
}

/** The review state of one image in the file (null = unreviewed) and its current label's name. */
export function imageState(project: string, imageId: number): { review: string | null; label: string | null } {
  const db = new Database(project, { readonly: true, fileMustExist: true })
  try {
    const r = db.prepare('SELECT state FROM reviews WHERE image_id = ?').get(imageId) as { state: string } | undefined
    const l = db
      .prepare(
        'SELECT c.name AS name FROM annotations a LEFT JOIN classes c ON c.idx = a.current_label WHERE a.image_id = ?'
      )
      .get(imageId) as { name: string | null } | undefined
    return { review: r?.state ?? null, label: l?.name ?? null }
  } finally {
    db.close()
  }
}
