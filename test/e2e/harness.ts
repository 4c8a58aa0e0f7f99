/**
 * The set-up most end-to-end tests share: a synthetic project imported by the real CLI (optionally
 * with the oracle run and a real audit), `poi-audit serve` on it, and a signed-in Chromium page that
 * records page errors.
 */
import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { generateDataset } from '../../src-main/core/synth/index'
import type { ClassName } from '../../src-main/core/classes'
import { launchChromium } from './chromium'
import { addOracleRun } from './oracle-run'
import { runCli, startServe, type Served } from './serve'

export interface ProjectOptions {
  n: number
  seed: number
  /** Default: all eight classes. */
  classes?: ClassName[]
  noiseRate?: number
  /** Add the oracle run (oracle-run.ts) and run `poi-audit audit`. */
  audited?: boolean
  /** Writes more into the project (runs, decisions) before the server opens it. */
  prepare?: (project: string, faces: string) => Promise<void>
}

export interface Session {
  project: string
  faces: string
  served: Served
  browser: Browser
  page: Page
  /** Uncaught page errors, for a final expect(errors).toEqual([]). */
  errors: string[]
  close(): Promise<void>
}

/** Generates, imports (and audits), serves, and opens a 1280×800 page (not signed in yet: see signIn). */
export async function openSession(dir: string, o: ProjectOptions): Promise<Session> {
  const project = join(dir, 'project.poi')
  const faces = join(dir, 'faces')
  await generateDataset({
    outDir: faces,
    n: o.n,
    size: 48,
    seed: o.seed,
    ...(o.classes ? { classes: o.classes } : {}),
    ...(o.noiseRate != null ? { noiseRate: o.noiseRate } : {})
  })
  await runCli(['import', project, join(faces, 'labels.csv'), '--create', '--align', 'never'])
  if (o.audited) {
    await addOracleRun(project, faces)
    await runCli(['audit', project])
  }
  await o.prepare?.(project, faces)
  const served = await startServe(project)
  const browser = await launchChromium()
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } })
  const errors: string[] = []
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`))
  return {
    project,
    faces,
    served,
    browser,
    page,
    errors,
    async close() {
      await browser.close()
      await served.stop()
    }
  }
}

/** Servers whose one-time sign-in token this test run has spent (the token works once). */
const spent = new WeakSet<Served>()

/**
 * Opens the sign-in URL (optionally on a page: '#/history') and waits until the app has loaded. The
 * token works once; later calls open the plain URL, which the browser context's cookie signs in.
 */
export async function signIn(page: Page, served: Served, hash = ''): Promise<void> {
  await page.goto((spent.has(served) ? served.url + '/' : served.loginUrl) + hash)
  spent.add(served)
  await page.waitForFunction(() => (window as unknown as { __poiReady?: () => boolean }).__poiReady?.() === true)
}

/** Clicks a page tab and waits for that page. */
export async function nav(page: Page, p: string): Promise<void> {
  await page.click(`[data-testid=nav-${p}]`)
  await page.waitForSelector(`main[data-page=${p}]`)
}
