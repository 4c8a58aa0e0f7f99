import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { cleanup, fireEvent, screen, waitFor } from '@testing-library/svelte'
import { closeApps, startApp, settle } from './helpers'
import { visibleText } from './text'
import { CLASSES, removeTempDirs } from './real-main'
import type { OverviewStats } from '../../src-main/core/api/contract'

afterEach(async () => {
  cleanup()
  await closeApps()
})
afterAll(() => removeTempDirs())

const cap = (s: string): string => s[0].toUpperCase() + s.slice(1)

describe('overview', () => {
  it('a confusion cell opens the review filtered to that pair', async () => {
    const { main, app } = await startApp('overview')
    expect(screen.getByTestId('class-counts').textContent).toContain('Happiness')
    // An off-diagonal cell of the real audit's confusion (given → suggested) with images in it.
    const stats = (await main.real('overview.stats', {})) as { ok: true; value: OverviewStats }
    const m = stats.value.confusion!.matrix
    const cells = m.flatMap((row, g) => row.map((n, s) => ({ g, s, n }))).filter((c) => c.g !== c.s && c.n > 0)
    expect(cells.length).toBeGreaterThan(0)
    const { g, s, n } = cells[0]
    await fireEvent.click(screen.getByTestId(`cm-${g}-${s}`))
    await settle()
    expect(app.page).toBe('review')
    expect(main.callsOf('images.queue').at(-1)).toMatchObject({ filter: { pair: { given: g, suggested: s } } })
    expect(screen.getByTestId('filter-pair').textContent).toContain(`${cap(CLASSES[g])} → ${cap(CLASSES[s])}`)
    expect(app.review.items).toHaveLength(n)
    expect(app.review.items.every((r) => r.given === g && r.suggested === s)).toBe(true)
  })

  it('shows the flag thresholds and re-runs the audit of the same run with changed settings', async () => {
    const { main, app } = await startApp('overview')
    const before = app.overview.stats!.thresholds!
    const table = screen.getByTestId('thresholds-table')
    // One row per class; each shows its threshold t_j from the engine (or says the class was never confident).
    CLASSES.forEach((c, k) => {
      const row = [...table.querySelectorAll('tbody tr')][k]
      expect(row.textContent).toContain(cap(c))
      expect(row.textContent).toContain(before.perClass[k] == null ? 'never confident' : before.perClass[k]!.toFixed(3))
    })
    const scale = screen.getByTestId('setting-thresholdScale') as HTMLInputElement
    expect(Number(scale.value)).toBe(1)
    // Out of range: refused in the form, nothing sent.
    await fireEvent.input(scale, { target: { value: '9' } })
    await settle()
    expect((screen.getByTestId('thresholds-rerun') as HTMLButtonElement).disabled).toBe(true)
    expect(screen.getByRole('alert').textContent).toContain('Mislabeled: threshold scale')
    await fireEvent.input(scale, { target: { value: '0.5' } })
    await fireEvent.input(screen.getByTestId('setting-confidencePercentile'), { target: { value: '0.2' } })
    await settle()
    await fireEvent.click(screen.getByTestId('thresholds-rerun'))
    await waitFor(() => expect(app.overview.stats?.thresholds?.auditId).toBeGreaterThan(before.auditId), {
      timeout: 30_000,
      interval: 50
    })
    expect(main.callsOf('audit.run').at(-1)).toEqual({
      runId: before.runId,
      settings: { ...before.settings, thresholdScale: 0.5, confidencePercentile: 0.2 }
    })
    const after = app.overview.stats!.thresholds!
    expect(after.settings).toMatchObject({ thresholdScale: 0.5, confidencePercentile: 0.2 })
    before.perClass.forEach((b, k) =>
      b == null ? expect(after.perClass[k]).toBeNull() : expect(after.perClass[k]).toBeCloseTo(b / 2, 6)
    )
    await settle()
    expect(screen.getByTestId('thresholds-message').textContent).toContain('Audit finished')
    // The form now shows the new audit's values.
    expect(Number((screen.getByTestId('setting-thresholdScale') as HTMLInputElement).value)).toBe(0.5)
  })

  it('links a flag count only where it opens images', async () => {
    const { app } = await startApp('overview')
    const { names, totals } = app.overview.stats!.flags!
    expect(totals.some((t) => t === 0)).toBe(true) // the fixture has flags that never fire
    const rows = [...screen.getByTestId('flags-table').querySelectorAll('tbody tr')]
    names.forEach((f, i) => {
      const total = rows[i].querySelector('td:last-child')!
      expect(total.querySelector('button') !== null, `${f}: ${totals[i]}`).toBe(totals[i] > 0)
    })
  })

  it('says what is not available yet instead of drawing empty charts', async () => {
    await startApp('overview', { audit: false })
    expect(screen.getByTestId('no-confusion').textContent).toContain('Not available yet')
    expect(screen.getByTestId('no-confidence')).toBeTruthy()
    expect(screen.getByTestId('no-au')).toBeTruthy()
    expect(screen.getByTestId('no-flags')).toBeTruthy()
    expect(screen.queryByTestId('thresholds-card')).toBeNull()
  })
})

describe('train', () => {
  it('shows the engine as not available and disables the form', async () => {
    const { main } = await startApp('train')
    expect(screen.getByTestId('train-unavailable').textContent).toContain('not available')
    expect((screen.getByTestId('train-start') as HTMLButtonElement).closest('fieldset')!.disabled).toBe(true)
    expect(main.callsOf('train.start')).toHaveLength(0)
  })

  it("keeps each run's action buttons in a block inside its cell, so the row lines stay level", async () => {
    await startApp('train')
    const details = await screen.findByTestId('run-details-1')
    // A flex table cell is no table cell: its bottom line sits off the row's (the screenshots showed it).
    expect(details.parentElement!.tagName).toBe('DIV')
    expect(details.parentElement!.parentElement!.tagName).toBe('TD')
    expect(getComputedStyle(details.closest('td')!).display).toBe('table-cell')
  })

  it('trains with the real engine: live progress with backend and curves from its events, then cancels', async () => {
    const { main, app } = await startApp('train', { training: true })
    Object.assign(app.train.form, { model: 'ce', epochs: 50, batchSize: 8, backend: 'wasm' })
    // The backbone through its select, as a curator picks it.
    const pick = screen.getByTestId('cfg-backbone') as HTMLSelectElement
    expect([...pick.options].map((o) => o.value)).toContain('faceapi-landmark')
    await fireEvent.change(pick, { target: { value: 'slim' } })
    await fireEvent.click(screen.getByTestId('train-start'))
    expect(main.callsOf('train.start')).toEqual([
      { config: expect.objectContaining({ model: 'ce', epochs: 50, batchSize: 8, backend: 'wasm', backbone: 'slim' }) }
    ])
    // Wait for a few training steps of the first epoch to reach the page.
    await waitFor(
      () => expect(app.train.points.filter((p) => p.step > 0 && p.loss.total > 0).length).toBeGreaterThan(2),
      { timeout: 90_000, interval: 100 }
    )
    await settle()
    expect(screen.getByTestId('train-state').textContent).toBe('running')
    // The backend line without a doubled word, and how the thread count was chosen.
    expect(screen.getByTestId('train-backend').textContent).toMatch(/^Backend: wasm \(SIMD, \d threads?\)/)
    expect(screen.getByTestId('train-backend').textContent).toMatch(
      /\d threads? \[auto: \d\.\d of \d+ cores free \(other processes used [\d.]+ over \d+ ms; 1-min load [\d.]+\)\]/
    )
    expect(screen.getByTestId('train-progress').textContent).toMatch(/epoch \d+\/50/i)
    expect(
      screen.getByTestId('loss-chart').querySelector('path')!.getAttribute('d')!.split('L').length
    ).toBeGreaterThan(1)
    const runId = app.train.status!.runId!
    expect(main.disk<{ status: string }>('SELECT status FROM runs WHERE id = ?', runId)).toEqual([
      { status: 'running' }
    ])
    expect(
      JSON.parse(main.disk<{ config: string }>('SELECT config FROM runs WHERE id = ?', runId)[0].config)
    ).toMatchObject({ train: { backbone: 'slim', mode: 'ce' } })
    await fireEvent.click(screen.getByTestId('train-cancel'))
    expect(main.callsOf('train.cancel')).toHaveLength(1)
    await waitFor(() => expect(screen.getByTestId('train-state').textContent).toBe('cancelled'), {
      timeout: 30_000,
      interval: 100
    })
    expect(main.disk<{ status: string }>('SELECT status FROM runs WHERE id = ?', runId)).toEqual([
      { status: 'cancelled' }
    ])
    // The runs table says which backbone (and input size) each run used.
    await waitFor(() => expect(screen.getByTestId(`run-backbone-${runId}`).textContent).toMatch(/slim · \d+px/), {
      timeout: 10_000
    })
  }, 150_000)

  it('refuses an invalid configuration with a message naming the value', async () => {
    const { main, app } = await startApp('train', { training: true })
    app.train.form.folds = 1
    await fireEvent.click(screen.getByTestId('train-start'))
    await settle()
    expect(screen.getByTestId('train-error').textContent).toContain('got 1')
    expect(main.callsOf('train.start')).toHaveLength(0)
  })
})

describe('history', () => {
  it('lists changes and reverts the selected ones', async () => {
    const { main, app } = await startApp('review')
    const [a, b] = app.review.items.slice(0, 2).map((r) => ({ ...r }))
    const la = (a.given! + 1) % 7
    const lb = (b.given! + 2) % 7
    await fireEvent.keyDown(window, { key: String(la + 1) })
    await fireEvent.keyDown(window, { key: String(lb + 1) })
    await settle()
    app.go('history')
    await settle()
    const rows = screen.getByTestId('history-table').querySelectorAll('tbody tr')
    // The page opens on decisions: the import's entries are behind the Source filter (issue 14 item 8).
    expect(rows).toHaveLength(2) // newest first
    expect(rows[0].textContent).toContain('tester')
    expect(rows[1].textContent).toContain('tester')
    expect(rows[0].textContent).toContain(`${CLASSES[b.given!]} → ${CLASSES[lb]}`)
    expect(rows[1].textContent).toContain(`${CLASSES[a.given!]} → ${CLASSES[la]}`)
    const [entry] = main.disk<{ id: number }>(
      "SELECT id FROM label_history WHERE image_id = ? AND actor = 'tester'",
      a.imageId
    )
    await fireEvent.click(rows[1].querySelector('input[type=checkbox]')!)
    await fireEvent.click(screen.getByTestId('hist-revert'))
    await settle()
    expect(main.callsOf('history.revert')).toEqual([{ entryIds: [entry.id] }])
    expect(main.stored(a.imageId).label).toBe(a.given)
    expect(main.stored(b.imageId).label).toBe(lb) // not selected: stays
    expect(app.review.queue.get(a.imageId)?.given).toBe(a.given)
  })

  it('rejects a malformed image id filter with a message', async () => {
    const { app } = await startApp('history')
    app.history.filter.imageId = '12a'
    await app.history.load(true)
    expect(app.history.error).toContain('"12a"')
  })
})

describe('export', () => {
  it('exports the current filter with the real exporter and shows where it was written', async () => {
    const { main, app } = await startApp('review')
    app.review.setFilter({ ...app.review.filter, given: [2] })
    app.go('export')
    await settle()
    await fireEvent.click(screen.getByTestId('scope-filter'))
    await fireEvent.click(screen.getByTestId('export-start'))
    expect(main.callsOf('export.start')[0]).toMatchObject({
      format: 'csv',
      scope: { kind: 'filter', filter: { given: [2] } }
    })
    await waitFor(() => expect(screen.getByTestId('export-path').textContent).toMatch(/\.csv$/), {
      timeout: 20_000,
      interval: 50
    })
    const path = screen.getByTestId('export-path').textContent!
    expect(path.slice(0, path.lastIndexOf('/'))).toBe(`${main.dir}/exports`)
    const surprise = main.disk<{ n: number }>('SELECT count(*) AS n FROM annotations WHERE current_label = 2')[0].n
    expect(surprise).toBeGreaterThan(0)
    const text = main.readText(path)
    expect(text).not.toBeNull()
    const lines = text!.trim().split(/\r?\n/)
    expect(lines).toHaveLength(surprise + 1) // header + one row per image of the filter
    const section = screen.getByTestId('export-done').closest('section')!.textContent!
    expect(section).toContain('Rows')
    // The written path once (the report's own copy of it, "Out", repeated it).
    expect(section.split(path).length - 1).toBe(1)
  })
})

describe('projects and import', () => {
  it('runs the import wizard with the real importer and shows its report', async () => {
    const { main } = await startApp('projects')
    await fireEvent.click(screen.getByTestId('import-demo'))
    const source = (screen.getByTestId('import-source') as HTMLInputElement).value
    expect(source).toBe(`${main.dir}/demo-faces`)
    await fireEvent.click(screen.getByTestId('import-start'))
    expect(main.callsOf('import.start')[0]).toEqual({ source, format: 'demo' })
    await waitFor(() => expect(screen.getByTestId('import-progress')).toBeTruthy(), { timeout: 10_000, interval: 20 })
    await waitFor(() => expect(screen.getByTestId('import-report')).toBeTruthy(), { timeout: 90_000, interval: 100 })
    const added = main.disk<{ n: number }>('SELECT count(*) AS n FROM images')[0].n - 42
    expect(added).toBe(400)
    const report = screen.getByTestId('import-report')
    expect(visibleText(report)).toContain('Imported 400 of 400 listed images (400 decoded)')
    const happy = main.disk<{ n: number }>(
      "SELECT count(*) AS n FROM annotations a JOIN classes c ON c.idx = a.original_label JOIN images i ON i.id = a.image_id WHERE c.name = 'happiness' AND i.import_id = 2"
    )[0].n
    expect(happy).toBeGreaterThan(0)
    const row = [...report.querySelectorAll('tr')].find((tr) => tr.textContent!.startsWith('Happiness'))!
    expect(row.lastElementChild!.textContent).toBe(String(happy))
  }, 120_000)
})
