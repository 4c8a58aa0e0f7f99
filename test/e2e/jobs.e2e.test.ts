/**
 * Long jobs in real Chromium (issue 14 item 13, issue 13's engine facts): a tiny real training run on
 * a synthetic project, watched every 100 ms.
 * - The Train page shows the engine facts `poi-audit doctor --json` prints (engine and why, TensorFlow
 *   version, threads, advice).
 * - "State: starting" never appears beside "No training running".
 * - The loss curve has a point as soon as the first training step is reported.
 * - One job indicator in the header, on every page, with cancel (and an ETA once one is known).
 * - The finished run shows its validation accuracy, per-class precision / recall and its curves.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import type { Page } from 'playwright-core'
import { tempDir } from '../helpers/tmp'
import { REPO, runCli } from './serve'
import { nav as navTo, openSession, signIn, type Session } from './harness'

const SCREENS = process.env.SCREENS_DIR ?? join(REPO, 'test-results', 'e2e', 'screens')

interface Snap {
  state: string | null
  idle: boolean
  step: string | null
  lossPoints: number
  indicator: string | null
}

describe('training progress, the job indicator and run details in Chromium', () => {
  const tmp = tempDir('poi-e2e-jobs-')
  let s: Session | undefined
  let page: Page

  beforeAll(async () => {
    mkdirSync(SCREENS, { recursive: true })
    s = await openSession(tmp.dir, { n: 40, seed: 5, classes: ['neutral', 'happiness', 'surprise', 'sadness'] })
    page = s.page
  })

  afterAll(async () => {
    await s?.close()
    tmp.cleanup()
  })

  const nav = (p: string): Promise<void> => navTo(page, p)

  it('shows the engine facts, progress from the first step, one header indicator, and what a finished run is worth', async () => {
    await signIn(page, s!.served, '#/train')
    await page.waitForSelector('main[data-page=train]')

    // Engine facts, as `poi-audit doctor --json` reports them.
    const out = await runCli(['doctor', '--json']) // stdout and stderr (TensorFlow's warnings) together
    const doctor = JSON.parse(out.slice(out.indexOf('{'), out.lastIndexOf('}') + 1)) as {
      engine: string
      tensorflowVersion: string | null
      threads: number | null
      threadsWhy: string | null
    }
    const facts = await page.waitForSelector('[data-testid=engine-facts] [data-testid=engine-name]', {
      timeout: 120_000
    })
    expect(await facts.textContent()).toContain(doctor.engine)
    const factsText = (await page.textContent('[data-testid=engine-facts]'))!
    if (doctor.tensorflowVersion) expect(factsText).toContain(doctor.tensorflowVersion)
    if (doctor.threads != null) {
      if (doctor.threadsWhy?.startsWith('auto')) {
        // 'auto' counts the cores free at the moment each process starts its engine: the server's and this
        // doctor run's can differ on a loaded machine (CI saw 1 vs 2), so the page must say it chose by
        // load, and a count within the machine's range.
        const m = /Threads\s*(\d+)\s*\(auto:/.exec(factsText)
        expect(m, factsText).not.toBeNull()
        expect(Number(m![1])).toBeGreaterThanOrEqual(1)
        expect(Number(m![1])).toBeLessThanOrEqual(Math.max(doctor.threads, 2))
      } else expect(factsText).toMatch(new RegExp(`Threads\\s*${doctor.threads}\\b`))
    }

    await page.fill('[data-testid=cfg-epochs]', '2')
    await page.fill('[data-testid=cfg-batch]', '4')
    await page.click('[data-testid=train-start]')
    const snaps: Snap[] = []
    const t0 = Date.now()
    let sawIndicatorElsewhere = false
    for (;;) {
      const s = await page.evaluate((): Snap => {
        const q = (sel: string): string | null => document.querySelector(sel)?.textContent?.trim() ?? null
        return {
          state: q('[data-testid=train-state]'),
          idle: document.body.textContent?.includes('No training running') ?? false,
          step: q('[data-testid=train-progress]'),
          lossPoints: Number(document.querySelector('[data-testid=loss-chart]')?.getAttribute('data-points') ?? 0),
          indicator: q('[data-testid=job-indicator]')
        }
      })
      snaps.push(s)
      if (s.state && ['completed', 'failed', 'crashed', 'cancelled'].includes(s.state)) break
      if (Date.now() - t0 > 480_000) throw new Error(`training did not finish: ${JSON.stringify(snaps.slice(-3))}`)
      // Once per run: the indicator is in the header of another page too, with a cancel button.
      if (!sawIndicatorElsewhere && s.state === 'running' && s.lossPoints > 0) {
        await nav('overview')
        const ind = await page.waitForSelector('[data-testid=job-indicator]')
        expect(await ind.textContent()).toMatch(/Training/)
        expect(await page.$('[data-testid=job-indicator] button[data-testid^=job-cancel]')).not.toBeNull()
        await page.screenshot({ path: join(SCREENS, 'job-indicator-overview-1280.png') })
        sawIndicatorElsewhere = true
        await nav('train')
      }
      await page.waitForTimeout(100)
    }
    const last = snaps[snaps.length - 1]
    expect(last.state, JSON.stringify(snaps.slice(-3))).toBe('completed')
    expect(sawIndicatorElsewhere, 'saw the header indicator on another page').toBe(true)
    const contradictions = snaps.filter((s) => s.state && ['starting', 'running'].includes(s.state) && s.idle)
    expect(contradictions, `"${contradictions[0]?.state}" beside "No training running"`).toEqual([])
    // From the first reported step on, the loss curve is drawn.
    const firstStep = snaps.find(
      (s) => s.step && /Epoch 1\/2/.test(s.step) && !/^\D*0 \//.test(s.step.replace(/^.*?Epoch 1\/2/, ''))
    )
    expect(firstStep, 'a step of epoch 1 was seen').toBeDefined()
    expect(
      snaps.filter((s) => s.step && /Epoch/.test(s.step) && s.lossPoints === 0),
      'steps shown without a loss point'
    ).toEqual([])
    // While running, the header indicator was there on the Train page too.
    expect(snaps.some((s) => s.state === 'running' && s.indicator?.includes('Training'))).toBe(true)

    // The finished run: validation accuracy in the table, details with per-class precision/recall and curves.
    await page.waitForSelector('[data-testid=runs-table] [data-testid^=run-valacc-]')
    const btn = await page.waitForSelector('[data-testid^=run-details-]')
    await btn.click()
    const detail = await page.waitForSelector('[data-testid=run-detail]')
    await detail.scrollIntoViewIfNeeded()
    await page.screenshot({ path: join(SCREENS, 'train-run-detail-1280.png') })
    const text = (await detail.textContent())!
    for (const c of ['Neutral', 'Happiness', 'Surprise', 'Sadness']) expect(text).toContain(c)
    expect(text).toMatch(/Precision/)
    expect(text).toMatch(/Recall/)
    expect(
      Number(await page.getAttribute('[data-testid=run-detail] [data-testid=run-loss-chart]', 'data-points'))
    ).toBeGreaterThanOrEqual(2)
    expect(s!.errors).toEqual([])
  })
})
