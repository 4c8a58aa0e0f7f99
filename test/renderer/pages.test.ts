import { afterEach, describe, expect, it } from 'vitest'
import { cleanup, fireEvent, screen } from '@testing-library/svelte'
import { startApp, settle } from './helpers'
import type { JobInfo } from '../../src-main/core/api/contract'

afterEach(() => cleanup())

function job(id: string, kind: JobInfo['kind'], state: JobInfo['state'], done: number, total: number | null): JobInfo {
  return { id, kind, state, phase: state === 'running' ? 'decoding' : 'done', done, total, message: null, startedAt: '2026-01-01T00:00:00.000Z', finishedAt: null, error: null }
}

describe('overview', () => {
  it('a confusion cell opens the review filtered to that pair', async () => {
    const { fake, app } = await startApp('overview')
    expect(screen.getByTestId('class-counts').textContent).toContain('Happiness')
    // Image 1 (given neutral 0) is suggested 1 in the fake.
    await fireEvent.click(screen.getByTestId('cm-0-1'))
    await settle()
    expect(app.page).toBe('review')
    expect(fake.callsOf('images.queue').at(-1)).toMatchObject({ filter: { pair: { given: 0, suggested: 1 } } })
    expect(screen.getByTestId('filter-pair').textContent).toContain('Neutral → Happiness')
    expect(app.review.items.every((r) => r.given === 0 && r.suggested === 1)).toBe(true)
  })

  it('says what is not available yet instead of drawing empty charts', async () => {
    await startApp('overview', { audit: false })
    expect(screen.getByTestId('no-confusion').textContent).toContain('Not available yet')
    expect(screen.getByTestId('no-confidence')).toBeTruthy()
    expect(screen.getByTestId('no-au')).toBeTruthy()
    expect(screen.getByTestId('no-flags')).toBeTruthy()
  })
})

describe('train', () => {
  it('shows the engine as not available and disables the form', async () => {
    await startApp('train')
    expect(screen.getByTestId('train-unavailable').textContent).toContain('not available')
    expect((screen.getByTestId('train-start') as HTMLButtonElement).closest('fieldset')!.disabled).toBe(true)
  })

  it('draws live progress with backend, ETA and curves from train events, and cancels', async () => {
    const { fake } = await startApp('train', { capabilities: { train: true }, train: { available: true } })
    fake.emit({ type: 'train.state', status: { available: true, state: 'running', runId: 3, jobId: 'j', progress: null, error: null, exitCode: null } })
    for (let step = 1; step <= 4; step++) {
      fake.emit({
        type: 'train.progress',
        progress: {
          runId: 3, fold: -1, epoch: 1, epochs: 2, step, steps: 4,
          loss: { total: 2 - step * 0.2 }, trainAcc: 0.2 + step * 0.1, valAcc: step === 4 ? 0.5 : null,
          imagesPerSec: 120, etaSec: 65 - step, backend: 'wasm', backendReason: 'tfjs-node is not installed', at: '2026-01-01T00:00:00.000Z'
        }
      })
    }
    await settle()
    expect(screen.getByTestId('train-state').textContent).toBe('running')
    expect(screen.getByTestId('train-backend').textContent).toContain('tfjs-node is not installed')
    expect(screen.getByTestId('train-progress').textContent).toContain('Epoch 1/2')
    expect(screen.getByTestId('train-progress').textContent).toContain('1 min 01 s')
    expect(screen.getByTestId('loss-chart').querySelector('path')!.getAttribute('d')!.split('L')).toHaveLength(4)
    expect(screen.getByTestId('acc-chart').textContent).toContain('(0.500)')
    fake.overrides['train.cancel'] = () => ({ ok: true, value: { cancelled: true } })
    await fireEvent.click(screen.getByTestId('train-cancel'))
    expect(fake.callsOf('train.cancel')).toHaveLength(1)
  })

  it('refuses an invalid configuration with a message naming the value', async () => {
    const { fake, app } = await startApp('train', { capabilities: { train: true }, train: { available: true } })
    app.train.form.folds = 1
    await fireEvent.click(screen.getByTestId('train-start'))
    await settle()
    expect(screen.getByTestId('train-error').textContent).toContain('got 1')
    expect(fake.callsOf('train.start')).toHaveLength(0)
  })
})

describe('history', () => {
  it('lists changes and reverts the selected ones', async () => {
    const { fake, app } = await startApp('review')
    await fireEvent.keyDown(window, { key: '2' })
    await fireEvent.keyDown(window, { key: '3' })
    await settle()
    app.go('history')
    await settle()
    const rows = screen.getByTestId('history-table').querySelectorAll('tbody tr')
    expect(rows).toHaveLength(2)
    expect(rows[0].textContent).toContain('tester')
    expect(rows[1].textContent).toContain('neutral → happiness')
    await fireEvent.click(rows[1].querySelector('input[type=checkbox]')!)
    await fireEvent.click(screen.getByTestId('hist-revert'))
    await settle()
    expect(fake.callsOf('history.revert')).toEqual([{ entryIds: [1] }])
    expect(fake.rows[0].given).toBe(0)
    expect(app.review.queue.get(1)?.given).toBe(0)
  })

  it('rejects a malformed image id filter with a message', async () => {
    const { app } = await startApp('history')
    app.history.filter.imageId = '12a'
    await app.history.load(true)
    expect(app.history.error).toContain('"12a"')
  })
})

describe('export', () => {
  it('starts an export of the current filter and shows where it was written', async () => {
    const { fake, app } = await startApp('review')
    app.review.setFilter({ ...app.review.filter, given: [2] })
    app.go('export')
    await settle()
    await fireEvent.click(screen.getByTestId('scope-filter'))
    await fireEvent.click(screen.getByTestId('export-start'))
    await settle()
    expect(fake.callsOf('export.start')[0]).toMatchObject({ format: 'csv', scope: { kind: 'filter', filter: { given: [2] } } })
    fake.emit({ type: 'job.progress', job: job('job-export-1', 'export', 'running', 5, 10) })
    await settle()
    expect(screen.getByTestId('export-progress').textContent).toContain('5 / 10')
    fake.emit({ type: 'job.finished', job: job('job-export-1', 'export', 'done', 10, 10), result: { rows: 10, format: 'csv' } })
    await settle()
    expect(screen.getByTestId('export-path').textContent).toBe('/tmp/fake-export.csv')
    expect(screen.getByTestId('export-done').closest('section')!.textContent).toContain('Rows')
  })
})

describe('projects and import', () => {
  it('runs the import wizard and shows the importer report', async () => {
    const { fake } = await startApp('projects')
    fake.overrides['import.start'] = () => ({ ok: true, value: { jobId: 'imp-1' } })
    await fireEvent.click(screen.getByTestId('import-demo'))
    expect((screen.getByTestId('import-source') as HTMLInputElement).value).toBe('/tmp/demo-faces')
    await fireEvent.click(screen.getByTestId('import-start'))
    await settle()
    expect(fake.callsOf('import.start')[0]).toEqual({ source: '/tmp/demo-faces', format: 'demo' })
    fake.emit({ type: 'job.progress', job: job('imp-1', 'import', 'running', 30, 120) })
    await settle()
    expect(screen.getByTestId('import-progress').textContent).toContain('30 / 120')
    fake.emit({
      type: 'job.finished',
      job: job('imp-1', 'import', 'done', 120, 120),
      result: { imported: 118, skipped: [{ file: 'bad.png', reason: 'cannot decode' }, { file: 'x.txt', reason: 'not an image' }], classMapping: { happy: 'happiness' } }
    })
    await settle()
    const report = screen.getByTestId('import-report')
    expect(report.textContent).toContain('118')
    expect(report.textContent).toContain('cannot decode')
    expect(report.textContent).toContain('happiness')
    expect(report.textContent).toContain('Skipped (2)')
  })
})
