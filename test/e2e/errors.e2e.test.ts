/**
 * Sign-in and error messages in real Chromium (issue 14, items 11 and 12):
 * - two `poi-audit serve` instances in one browser must not sign each other out (cookies are per
 *   host, not per port, so the cookie name must differ per server instance);
 * - every error the UI shows names the file or value and what to do, in the same words as the CLI
 *   (a path under a file, a missing import file), and no stack trace lands in the server log;
 * - a relative export path resolves against the project's folder, and the UI shows the absolute path
 *   before anything is written.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { generateDataset } from '../../src-main/core/synth/index'
import { tempDir } from '../helpers/tmp'
import { launchChromium } from './chromium'
import { runCli, startServe, type Served } from './serve'

const ready = (page: Page): Promise<unknown> =>
  page.waitForFunction(() => (window as unknown as { __poiReady?: () => boolean }).__poiReady?.() === true)

/** What the CLI prints on stderr for a failing command (the words the UI must use). */
async function cliError(args: string[]): Promise<string> {
  try {
    await runCli(args)
  } catch (e) {
    const m = /poi-audit: ([\s\S]*)$/m.exec((e as Error).message)
    return (m ? m[1] : (e as Error).message).trim()
  }
  throw new Error(`poi-audit ${args.join(' ')} succeeded`)
}

describe('sign-in per server and error messages in Chromium', () => {
  const tmp = tempDir('poi-e2e-err-')
  const projA = join(tmp.dir, 'a', 'a.poi')
  const projB = join(tmp.dir, 'b.poi')
  // The CLI cannot open a project a server holds: its words are taken on a third, unlocked one.
  const projC = join(tmp.dir, 'c.poi')
  const faces = join(tmp.dir, 'faces')
  const aFile = join(tmp.dir, 'a-file.txt')
  let a: Served | undefined
  let b: Served | undefined
  let browser: Browser | undefined
  let ctx: BrowserContext
  const errors: string[] = []

  beforeAll(async () => {
    mkdirSync(join(tmp.dir, 'a'))
    writeFileSync(aFile, 'not a folder\n')
    await generateDataset({ outDir: faces, n: 12, size: 48, seed: 3, classes: ['neutral', 'happiness', 'surprise'] })
    await runCli(['import', projA, join(faces, 'labels.csv'), '--create', '--align', 'never'])
    await runCli(['init', projB, '--name', 'B'])
    await runCli(['import', projC, join(faces, 'labels.csv'), '--create', '--align', 'never'])
    ;[a, b] = await Promise.all([startServe(projA), startServe(projB)])
    browser = await launchChromium()
    ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } })
  })

  afterAll(async () => {
    await browser?.close()
    await Promise.all([a?.stop(), b?.stop()])
    tmp.cleanup()
  })

  const watch = (page: Page): Page => {
    page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`))
    return page
  }

  it('two serve instances in one browser keep their own sign-in', async () => {
    const pa = watch(await ctx.newPage())
    await pa.goto(a!.loginUrl)
    await ready(pa)
    const pb = watch(await ctx.newPage())
    await pb.goto(b!.loginUrl)
    await ready(pb)
    // Back to the first server: still signed in (a reload asks the server again with the cookie).
    await pa.reload()
    await ready(pa)
    expect(await pa.$('[data-testid=fatal]')).toBeNull()
    const names = (await ctx.cookies()).map((c) => c.name)
    expect(new Set(names).size, `cookie names ${names.join(', ')}`).toBe(2)
    await pa.close()
    await pb.close()
  })

  it('import errors name the file and what to do, as the CLI says them, with no stack in the log', async () => {
    const page = watch(await ctx.newPage())
    // Signed in to both servers in this context by the first test: the token works once, the cookie stays.
    await page.goto(b!.url + '/')
    await ready(page)
    await page.waitForSelector('[data-testid=import-wizard]')
    const cases = [join(aFile, 'labels.csv'), join(tmp.dir, 'missing.csv')]
    for (const source of cases) {
      const cli = await cliError(['import', projC, source, '--format', 'csv', '--align', 'never'])
      await page.selectOption('[data-testid=import-format]', 'csv')
      await page.fill('[data-testid=import-source]', source)
      await page.click('[data-testid=import-start]')
      const shown = (await (await page.waitForSelector('[data-testid=import-error]')).textContent())!.trim()
      expect(shown, 'the UI shows the CLI words').toContain(cli.split('\n')[0])
      expect(shown).toContain(source)
      expect(shown).not.toMatch(/\b(ENOTDIR|ENOENT|lstat|stat|INTERNAL|IO_ERROR)\b/)
      expect(shown, 'says what to do').toMatch(/check the path|choose|create/i)
      await page.fill('[data-testid=import-source]', '')
    }
    expect(b!.log()).not.toMatch(/\n\s+at /)
    await page.close()
  })

  it('an empty project: Start training is disabled with the reason and a link to the import', async () => {
    const page = watch(await ctx.newPage())
    await page.goto(b!.url + '/#/train')
    await ready(page)
    await page.waitForSelector('main[data-page=train]')
    await page.waitForSelector('[data-testid=train-start-why]')
    expect(await page.isDisabled('[data-testid=train-start]')).toBe(true)
    expect(await page.textContent('[data-testid=train-start-why]')).toContain('no images')
    await page.click('[data-testid=train-start-why] a')
    await page.waitForSelector('main[data-page=projects] [data-testid=import-wizard]')
    await page.close()
  })

  it('a relative export path resolves against the project folder and is shown before writing', async () => {
    const page = watch(await ctx.newPage())
    await page.goto(a!.url + '/')
    await ready(page)
    await page.click('[data-testid=nav-export]')
    await page.waitForSelector('main[data-page=export]')
    await page.check('[data-testid=fmt-csv]')
    await page.fill('[data-testid=export-dest]', 'exported/labels.csv')
    const want = join(tmp.dir, 'a', 'exported', 'labels.csv')
    await page.waitForFunction(
      (w) => document.querySelector('[data-testid=export-resolved]')?.textContent?.includes(w),
      want
    )
    expect(existsSync(want), 'nothing written before Export').toBe(false)
    expect(await page.textContent('[data-testid=export-resolved]')).toContain('folder does not exist')
    // A destination under a file: the CLI's words, naming the file.
    const bad = join(aFile, 'out.csv')
    const cli = await cliError(['export', projC, '--format', 'csv', '--out', bad])
    await page.fill('[data-testid=export-dest]', bad)
    await page.click('[data-testid=export-start]')
    const shown = (await (await page.waitForSelector('[data-testid=export-error]')).textContent())!.trim()
    expect(shown).toContain(cli.split('\n')[0])
    expect(shown).toContain(aFile)
    expect(shown).not.toMatch(/\b(ENOTDIR|lstat|IO_ERROR)\b/)
    // The relative path writes where it said (once its folder exists).
    mkdirSync(join(tmp.dir, 'a', 'exported'))
    await page.fill('[data-testid=export-dest]', 'exported/labels.csv')
    await page.click('[data-testid=export-start]')
    await page.waitForSelector('[data-testid=export-done]', { timeout: 120_000 })
    expect((await page.textContent('[data-testid=export-path]'))!.trim()).toBe(want)
    expect(existsSync(want)).toBe(true)
    expect(a!.log()).not.toMatch(/\n\s+at /)
    expect(errors).toEqual([])
    await page.close()
  })
})
