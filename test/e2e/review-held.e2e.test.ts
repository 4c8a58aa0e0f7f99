/**
 * A key held down on the Review page (issue 14, latency acceptance), in real Chromium: J and Q held
 * for ~2 s at the keyboard's auto-repeat rate. What must hold is behaviour, not timing:
 *  - while the key is held, no detail or full-image request is started for the images it passes
 *    (each one queued behind the frames is what made the held key lag by up to a second);
 *  - when it is released, the open image is the one the key presses lead to, its face is that
 *    image's full image (bytes compared with the server's), its detail is loaded and the URL names it;
 *  - a held Q records exactly one "kept" per keydown, on the images passed in order, in the file.
 * Import order (`sort=id-asc`) makes the queue the image ids 1..n, so the expected image is known.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Page, Request } from 'playwright-core'
import { decisionCounts, imageState, reviewFixture, type ReviewFixture } from './review-fixture'

const N = 240
/** The keyboard's auto-repeat: first repeat after 300 ms, then one every 33 ms. */
const REPEAT_DELAY_MS = 300
const REPEAT_EVERY_MS = 33
const HOLD_MS = 2000

/** Presses `key`, holds it for HOLD_MS of auto-repeat keydowns and releases it. */
async function holdKey(page: Page, key: string): Promise<void> {
  await page.keyboard.down(key)
  await page.waitForTimeout(REPEAT_DELAY_MS)
  const t0 = Date.now()
  for (let i = 1; Date.now() - t0 < HOLD_MS; i++) {
    await page.keyboard.down(key) // a down of a key already down is an auto-repeat keydown
    const wait = t0 + i * REPEAT_EVERY_MS - Date.now()
    if (wait > 0) await page.waitForTimeout(wait)
  }
  await page.keyboard.up(key)
}

/** Review keydowns the page received, counted by a listener installed before the app's. */
const keydowns = (page: Page, key: string): Promise<number> =>
  page.evaluate((k) => (window as unknown as { __kd: Record<string, number> }).__kd[k] ?? 0, key)

describe('Review with a key held down (auto-repeat)', () => {
  let fx: ReviewFixture
  /** Detail and full-image requests, with the page's key state when each started. */
  let requests: { url: string; during: boolean }[] = []
  let holding = false

  beforeAll(async () => {
    fx = await reviewFixture({ n: N, seed: 23 })
    await fx.page.addInitScript(() => {
      const w = window as unknown as { __kd: Record<string, number> }
      w.__kd = {}
      addEventListener('keydown', (e) => (w.__kd[e.key] = (w.__kd[e.key] ?? 0) + 1), true)
    })
    fx.page.on('request', (r: Request) => {
      if (/\/api\/images\.detail|\/img\/\d+\?v=full/.test(r.url())) requests.push({ url: r.url(), during: holding })
    })
  }, 300_000)
  afterAll(async () => {
    await fx?.close()
  })

  /** Opens the queue in import order with image 1 open and the keys on the grid, after its prefetch. */
  async function start(): Promise<void> {
    await fx.open('#/review?status=any&sort=id-asc')
    await fx.page.focus('[role=listbox]')
    await fx.page.waitForFunction(() => document.querySelector('.cell.current')?.getAttribute('data-image-id') === '1')
    await fx.page.waitForTimeout(500)
    requests = []
  }

  /** Holds `key` (see holdKey) and returns how many keydowns of it the page received. */
  async function hold(key: string): Promise<number> {
    const before = await keydowns(fx.page, key)
    holding = true
    await holdKey(fx.page, key)
    holding = false
    const pressed = (await keydowns(fx.page, key)) - before
    expect(pressed).toBeGreaterThan(15)
    return pressed
  }

  /** Waits until the open image is `id` with its detail and its full image, and checks what is shown. */
  async function expectOpen(id: number): Promise<void> {
    const { page } = fx
    await page.waitForFunction(
      (want) => document.querySelector('.cell.current')?.getAttribute('data-image-id') === String(want),
      id,
      { timeout: 10_000 }
    )
    expect(await page.textContent('[data-testid=detail] h2')).toBe(`Image ${id}`)
    // The detail came (its light form while the key was held is gone) and names this image.
    await page.waitForSelector('[data-testid=detail-light]', { state: 'detached', timeout: 10_000 })
    await page.waitForSelector('[data-testid=verdict]')
    // The face is this image's full image, decoded from memory (a blob: URL once it is fetched).
    await page.waitForFunction(
      () => document.querySelector('[data-testid=detail-image]')?.getAttribute('src')?.startsWith('blob:'),
      null,
      { timeout: 10_000 }
    )
    // Pixels, not bytes: the page's CSP lets fetch read only its own origin, not blob: URLs.
    const same = await page.evaluate(async (want) => {
      const pixels = (im: HTMLImageElement): number[] => {
        const c = document.createElement('canvas')
        c.width = im.naturalWidth
        c.height = im.naturalHeight
        const g = c.getContext('2d')!
        g.drawImage(im, 0, 0)
        return [...g.getImageData(0, 0, c.width, c.height).data]
      }
      const shown = document.querySelector('[data-testid=detail-image]') as HTMLImageElement
      const served = new Image()
      served.src = `/img/${want}?v=full`
      await served.decode()
      const a = pixels(shown)
      const b = pixels(served)
      return {
        complete: shown.complete && shown.naturalWidth > 0,
        size: `${shown.naturalWidth}x${shown.naturalHeight}`,
        equal: a.length === b.length && a.every((v, i) => v === b[i]),
        n: b.length
      }
    }, id)
    expect(same.n).toBeGreaterThan(0)
    expect(same).toEqual({ complete: true, size: same.size, equal: true, n: same.n })
    await page.waitForFunction(
      (want) => new URLSearchParams(location.hash.split('?')[1] ?? '').get('image') === String(want),
      id
    )
  }

  it('J held for 2 s lands on the image the presses lead to, with no request per image passed', async () => {
    await start()
    const pressed = await hold('j')
    expect(pressed).toBeLessThan(N - 1)
    await expectOpen(1 + pressed)
    // Before the fix each keydown fetched the detail and full image four ahead (about 2 per key).
    // Not 0: the first press (not a repeat yet) prefetches as usual, and a stall of the machine
    // longer than the hold's idle time ends the hold once (see hold.svelte.ts).
    const during = requests.filter((r) => r.during)
    expect(during.length, during.map((r) => r.url).join('\n')).toBeLessThan(pressed / 3)
    // After the release: the open image's window, not one request per image passed.
    expect(requests.length).toBeLessThan(pressed)
    expect(fx.errors).toEqual([])
  }, 120_000)

  it('Q held for 2 s keeps exactly the images passed, in order, and opens the next one', async () => {
    const { page } = fx
    await start()
    const base = decisionCounts(fx.project)
    const pressed = await hold('q')
    await page.waitForFunction(
      () => document.querySelector('[data-testid=save-state]')?.textContent?.includes('Saved'),
      null,
      { timeout: 60_000 }
    )
    await expectOpen(1 + pressed)
    expect(await page.textContent('[data-testid=detail-review]')).toBe('unreviewed')
    expect(decisionCounts(fx.project).reviews).toBe(base.reviews + pressed)
    const wrong: string[] = []
    for (let id = 1; id <= pressed + 1; id++) {
      const want = id <= pressed ? 'kept' : null
      const got = imageState(fx.project, id).review
      if (got !== want) wrong.push(`image ${id}: ${got} (expected ${want})`)
    }
    expect(wrong).toEqual([])
    // The grid shows the same: every image passed is marked reviewed, the open one is not.
    const marks = await page.evaluate(() =>
      [...document.querySelectorAll('.cell[data-image-id]')].map((c) => ({
        id: Number(c.getAttribute('data-image-id')),
        reviewed: c.classList.contains('reviewed')
      }))
    )
    expect(marks.length).toBeGreaterThan(0)
    for (const m of marks) expect(m.reviewed, `image ${m.id}`).toBe(m.id <= pressed)
    const during = requests.filter((r) => r.during)
    expect(during.length, during.map((r) => r.url).join('\n')).toBeLessThan(pressed / 3)
    expect(fx.errors).toEqual([])
  }, 180_000)
})
