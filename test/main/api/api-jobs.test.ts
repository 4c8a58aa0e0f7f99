import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import sharp from 'sharp'
import { join } from 'node:path'
import { createApi, type Api } from '../../../src-main/core/api/handlers'
import { defaultEngines } from '../../../src-main/core/api/default-engines'
import type { ApiEvent, ApiResult, JobInfo, OverviewStats } from '../../../src-main/core/api/contract'
import { tempDir } from '../../helpers/tmp'
import { addRun, makeProjectFile, type ProjectFixture } from './fixture'

let dir: string
let cleanup: () => void
let api: Api
let f: ProjectFixture
let events: ApiEvent[]

function value<T>(r: ApiResult<unknown>): T {
  if (!r.ok) throw new Error(`${r.code}: ${r.message}`)
  return r.value as T
}

function finished(jobId: string): Promise<Extract<ApiEvent, { type: 'job.finished' }>> {
  return new Promise((resolve) => {
    const seen = events.find((e) => e.type === 'job.finished' && e.job.id === jobId)
    if (seen) return resolve(seen as Extract<ApiEvent, { type: 'job.finished' }>)
    const off = api.subscribe((e) => {
      if (e.type === 'job.finished' && e.job.id === jobId) {
        off()
        resolve(e)
      }
    })
  })
}

beforeEach(async () => {
  ;({ dir, cleanup } = tempDir('poi-jobs-'))
  f = await makeProjectFile(dir, 40)
  api = createApi({ mode: 'test', engines: defaultEngines() })
  events = []
  api.subscribe((e) => events.push(e))
  value(await api.dispatch('project.open', { path: f.file }))
})
afterEach(async () => {
  await api.close()
  cleanup()
})

describe('jobs through the API (real engines)', () => {
  it('creates a project and imports a class-folder dataset as a job', async () => {
    const data = join(dir, 'incoming')
    for (const [k, cls] of ['happy', 'sad', 'angry'].entries()) {
      mkdirSync(join(data, cls), { recursive: true })
      for (let i = 0; i < 2; i++) {
        const png = await sharp({
          create: { width: 32, height: 32, channels: 3, background: { r: 40 * k, g: 90 * i, b: 200 } }
        })
          .png()
          .toBuffer()
        writeFileSync(join(data, cls, `${cls}${i}.png`), png)
      }
    }
    const created = value<{ path: string; name: string }>(
      await api.dispatch('project.create', { path: join(dir, 'fresh.poi'), name: 'Fresh', inputSize: 32 })
    )
    expect(created.name).toBe('Fresh')
    const { jobId } = value<{ jobId: string }>(await api.dispatch('import.start', { source: data, format: 'folder' }))
    const done = await finished(jobId)
    expect(done.job.error).toBeNull()
    expect((done.result as { imported: number }).imported).toBe(6)
    const info = value<{ counts: { images: number; labeled: number }; classes: string[] }>(
      await api.dispatch('project.info', {})
    )
    expect(info.counts).toMatchObject({ images: 6, labeled: 6 })
    expect(info.classes).toEqual(['happiness', 'sadness', 'anger'])
    expect(events).toContainEqual({ type: 'project.changed', what: 'images' })
    expect(value<{ id: number }[]>(await api.dispatch('import.report', {}))).toHaveLength(1)
    expect(await api.dispatch('import.start', { source: data, format: 'folder', labelsFile: data })).toMatchObject({
      ok: true
    })
  })

  it('reports the training engine as present and idle', async () => {
    expect(await api.dispatch('train.status', {})).toMatchObject({
      ok: true,
      value: { available: true, state: 'idle' }
    })
    expect(await api.dispatch('train.cancel', {})).toMatchObject({ ok: true, value: { cancelled: false } })
    expect(await api.dispatch('train.resume', { runId: 42 })).toMatchObject({ ok: false, code: 'NOT_FOUND' })
    expect(await api.dispatch('app.info', {})).toMatchObject({
      ok: true,
      value: { capabilities: { train: true, import: true, audit: true, export: true } }
    })
  })

  it('runs an audit job with progress events, then the queue sorts by its score', async () => {
    expect(await api.dispatch('audit.run', {})).toMatchObject({ ok: false, code: 'NOT_AVAILABLE' })
    expect(await api.dispatch('audit.run', { runId: 3 })).toMatchObject({ ok: false, code: 'NOT_FOUND' })

    addRun(api.session.require().db, f.ids, 5, 0.3)
    const { jobId } = value<{ jobId: string }>(await api.dispatch('audit.run', {}, { actor: 'alice' }))
    // Another curator is refused while it runs, and told whose it is.
    const busy = await api.dispatch('audit.run', {}, { actor: 'bob' })
    expect(busy).toMatchObject({ ok: false, code: 'BUSY' })
    expect((busy as { message: string }).message).toContain('started by alice')
    const done = await finished(jobId)
    expect(done.job.state).toBe('done')
    expect(done.job.startedBy).toBe('alice')
    expect((done.result as { auditId: number }).auditId).toBeGreaterThan(0)
    const phases = events
      .filter((e) => e.type === 'job.progress' && e.job.id === jobId)
      .map((e) => (e as { job: JobInfo }).job.phase)
    expect(phases).toContain('scoring')
    expect(events).toContainEqual({ type: 'project.changed', what: 'audit' })
    const page = value<{ auditId: number | null }>(await api.dispatch('images.queue', { limit: 5 }))
    expect(page.auditId).toBe((done.result as { auditId: number }).auditId)
    expect(value<JobInfo[]>(await api.dispatch('jobs.list', {})).find((j) => j.id === jobId)).toMatchObject({
      state: 'done'
    })
    expect(await api.dispatch('jobs.cancel', { jobId: 'nope' })).toMatchObject({ ok: false, code: 'NOT_FOUND' })
  })

  it('re-runs the audit with curator settings; overview.stats shows them and the per-class thresholds they gave', async () => {
    expect(value<OverviewStats>(await api.dispatch('overview.stats', {})).thresholds).toBeNull()
    addRun(api.session.require().db, f.ids, 5, 0.3)
    const first = value<{ jobId: string }>(await api.dispatch('audit.run', {}))
    expect((await finished(first.jobId)).job.state).toBe('done')
    const stats0 = value<OverviewStats>(await api.dispatch('overview.stats', {}))
    const before = stats0.thresholds!
    expect(before.settings).toEqual({
      thresholdScale: 1,
      minMargin: 0,
      confidencePercentile: 1 / 3,
      flatEntropy: 0.75,
      regionMinStrength: 0.3
    })
    expect(before.method).toBe('poi')
    const settings = {
      thresholdScale: 0.5,
      minMargin: 0.05,
      confidencePercentile: 0.1,
      flatEntropy: 0.9,
      regionMinStrength: 0.6
    }
    const { jobId } = value<{ jobId: string }>(await api.dispatch('audit.run', { runId: before.runId!, settings }))
    expect((await finished(jobId)).job.state).toBe('done')
    const after = value<OverviewStats>(await api.dispatch('overview.stats', {}))
    const t = after.thresholds!
    expect(t.auditId).toBeGreaterThan(before.auditId)
    expect(t.runId).toBe(before.runId)
    expect(t.settings).toEqual(settings)
    // Every class that had a threshold has it halved (the scale multiplies confident learning's t_j).
    before.perClass.forEach((b, k) => {
      if (b == null) expect(t.perClass[k]).toBeNull()
      else expect(t.perClass[k]).toBeCloseTo(b * 0.5, 6)
    })
    expect(before.perClass.some((b) => b != null)).toBe(true)
    // A lower ambiguous percentile gives a lower (or equal) confidence cut, and fewer or as many flags.
    if (before.ambiguousConfidenceCut != null)
      expect(t.ambiguousConfidenceCut!).toBeLessThanOrEqual(before.ambiguousConfidenceCut)
    const amb = (o: OverviewStats): number => o.flags!.totals[o.flags!.names.indexOf('ambiguous')]
    expect(amb(after)).toBeLessThanOrEqual(amb(stats0))
    expect(amb(stats0)).toBeGreaterThan(0)
    // Out of range or unknown settings are refused before any job starts.
    for (const bad of [
      { thresholdScale: 0 },
      { minMargin: 2 },
      { confidencePercentile: -0.1 },
      { flatEntropy: Number.NaN },
      { regionMin: 0.5 }
    ]) {
      expect(await api.dispatch('audit.run', { settings: bad })).toMatchObject({ ok: false, code: 'INVALID_ARGS' })
    }
  })

  it('exports a filter scope atomically to the given path and refuses the project file itself', async () => {
    const missing = value<{ jobId: string }>(
      await api.dispatch('export.start', { format: 'csv', scope: { kind: 'all' }, dest: join(dir, 'no', 'x.csv') })
    )
    const miss = await finished(missing.jobId)
    expect(miss.job).toMatchObject({ state: 'failed', error: { code: 'IO_ERROR' } })
    expect(miss.job.error!.message).toContain(join(dir, 'no', 'x.csv'))
    const out = join(dir, 'labels.csv')
    const r = value<{ jobId: string; path: string }>(
      await api.dispatch('export.start', {
        format: 'csv',
        scope: { kind: 'filter', filter: { given: [3] } },
        dest: out
      })
    )
    expect(r.path).toBe(out)
    const done = await finished(r.jobId)
    expect(done.job.error).toBeNull()
    expect(done.job.state).toBe('done')
    expect((done.result as { rows: number }).rows).toBe(f.ids.filter((i) => i % 7 === 3).length)
    expect(existsSync(out)).toBe(true)
    expect(readFileSync(out, 'utf8').split('\n').filter(Boolean).length).toBe(
      1 + (done.result as { rows: number }).rows
    )
    expect(await api.dispatch('export.start', { format: 'csv', scope: { kind: 'all' }, dest: f.file })).toMatchObject({
      ok: false,
      code: 'INVALID_ARGS'
    })
    expect(
      await api.dispatch('export.start', { format: 'csv', scope: { kind: 'filter', filter: { pathContains: 'zzz' } } })
    ).toMatchObject({
      ok: false,
      code: 'INVALID_ARGS'
    })
    const def = value<{ jobId: string; path: string }>(
      await api.dispatch('export.start', { format: 'jsonl', scope: { kind: 'all' } })
    )
    expect(def.path.startsWith(join(dir, 'exports'))).toBe(true)
    expect((await finished(def.jobId)).job.state).toBe('done')
    const opt = value<{ jobId: string }>(
      await api.dispatch('export.start', { format: 'csv', scope: { kind: 'all' }, options: { includeExcluded: true } })
    )
    expect((await finished(opt.jobId)).job).toMatchObject({ state: 'failed', error: { code: 'NOT_AVAILABLE' } })
  })
})
