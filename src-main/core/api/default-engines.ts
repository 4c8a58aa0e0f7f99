/**
 * The engines of this build, adapted to the API's engine interfaces. Each engine module lands with
 * its own helper; an engine that is not here yet stays undefined, so its methods answer
 * NOT_AVAILABLE (see engines.ts). Electron and `poi-audit serve` both start from this set.
 */
import { mkdir } from 'node:fs/promises'
import { basename, dirname, extname, join } from 'node:path'
import { getAudit, runAudit } from '../audit/store'
import { auditConfigFromSettings } from './audit-settings'
import { exportProject, type ExportScope as EngineScope } from '../export/index'
import { isFlagName, type FlagName } from '../audit/flags'
import { latestDoneRun } from '../store/runs'
import type { JsonValue } from './contract'
import type { AuditEngine, Engines, ExportEngine, ExportRequest, ImportEngine } from './engines'
import { importDataset } from '../dataset/index'
import { generateDataset } from '../synth/dataset'
import { makePrepareFace } from '../align/prepare'
import { saveFace } from '../align/store'
import { nowIso } from '../store/db'
import type { PrepareFace } from '../dataset/cache-build'
import type { WorkerLink } from '../train/worker-host'
import { createTrainingHost } from './training-host'
import type { ProjectSession } from './session'
import { ApiFailure } from './errors'
import { doctorEngine } from './doctor-engine'

export const auditEngine: AuditEngine = {
  async run(project, req, ctx) {
    const runId = req.runId ?? latestDoneRun(project.db)?.id
    if (runId == null) throw new ApiFailure('NOT_AVAILABLE', 'no finished training run to audit; train a model first')
    const auditId = await runAudit(project.db, runId, auditConfigFromSettings(req.settings), {
      signal: ctx.signal,
      progress: (e) => ctx.progress({ phase: e.phase, done: e.done, total: e.total })
    })
    const rec = getAudit(project.db, auditId)
    return { auditId, runId, summary: (rec?.summary ?? null) as unknown as JsonValue }
  }
}

const SINGLE_FILE_EXT: Partial<Record<ExportRequest['format'], string>> = {
  csv: '.csv',
  jsonl: '.jsonl',
  ferplus: '.csv',
  labelstudio: '.json'
}

function engineScope(req: ExportRequest): EngineScope {
  const s = req.scope
  switch (s.kind) {
    case 'all':
    case 'reviewed':
    case 'changed':
      return { kind: s.kind }
    case 'flagged': {
      const bad = s.flags?.find((f) => !isFlagName(f))
      if (bad) throw new ApiFailure('INVALID_ARGS', `scope.flags: unknown flag "${bad}"`)
      return { kind: 'flagged', flags: s.flags as FlagName[] | undefined }
    }
    case 'ids':
      return { kind: 'ids', ids: s.ids }
    case 'filter':
      return { kind: 'ids', ids: req.filterIds ?? [] }
  }
}

export const exportEngine: ExportEngine = {
  defaultDest(project, format) {
    const stamp = new Date().toISOString().replace(/[:.]/g, '-')
    const base = `${basename(project.path, extname(project.path))}-${format}-${stamp}`
    return join(dirname(project.path), 'exports', base + (SINGLE_FILE_EXT[format] ?? ''))
  },
  async run(project, req, ctx) {
    if (req.options.includeExcluded !== undefined) {
      throw new ApiFailure(
        'NOT_AVAILABLE',
        'options.includeExcluded is not supported: each export format decides how excluded images are written'
      )
    }
    if (req.createParent) await mkdir(dirname(req.dest), { recursive: true })
    const res = await exportProject(project.db, {
      format: req.format,
      out: req.dest,
      scope: engineScope(req),
      spreadsheetSafe: req.options.spreadsheetSafe,
      bom: req.options.bom,
      bySplit: req.options.bySplit,
      overwrite: req.options.overwrite,
      projectPath: project.path,
      signal: ctx.signal,
      progress: (e) => ctx.progress({ phase: e.phase, done: e.done, total: e.total })
    })
    return {
      out: res.out,
      format: res.format,
      rows: res.rows,
      skipped: res.skipped,
      files: res.files.length,
      seconds: res.seconds
    }
  }
}

const ALIGN_SIZE = 112

/** The aligner as the importer's face step: detect, align, crop; the face record is stored with the image. */
function alignStep(): PrepareFace {
  const hook = makePrepareFace('auto', { outSize: ALIGN_SIZE })
  return async (img, ctx) => {
    const r = await hook(img, ctx)
    return { pixels: r.pixels, store: (db, id) => void saveFace(db, id, r.face, 'auto', ALIGN_SIZE, nowIso()) }
  }
}

export const importEngine: ImportEngine = {
  async run(project, req, ctx) {
    if (req.labelsFile !== undefined) {
      throw new ApiFailure(
        'NOT_AVAILABLE',
        'labelsFile is not supported: pass the annotation file itself as source (with root for its images)'
      )
    }
    let source = req.source
    let format = req.format
    if (format === 'demo') {
      // A synthetic dataset with known flipped labels, written to `source`, then imported from its labels.csv.
      await generateDataset({
        outDir: req.source,
        n: 400,
        signal: ctx.signal,
        progress: (e) => ctx.progress({ phase: 'generating', done: e.done, total: e.total })
      })
      source = join(req.source, 'labels.csv')
      format = 'csv'
    }
    const report = await importDataset(project, source, {
      format,
      root: req.root,
      split: req.split === undefined ? undefined : req.split === 'none' ? null : req.split,
      prepareFace: req.align ? alignStep() : undefined,
      signal: ctx.signal,
      progress: (e) => ctx.progress({ phase: e.phase, done: e.done, total: e.total, message: e.message ?? null })
    })
    return report as unknown as JsonValue
  }
}

export interface DefaultEngineOptions {
  /** How the training worker is started (default: a worker thread; Electron passes a utilityProcess). */
  spawnTrainer?: () => WorkerLink
  /** After a cancel, how long training may take to stop before the worker is killed (ms). */
  trainGraceMs?: number
}

/**
 * Every engine present in this build. Training writes through the session's connection (the one
 * writer), so it needs the session: pass this function itself as `createApi({engines})`, or call it.
 */
export function defaultEngines(opts: DefaultEngineOptions = {}): (session: ProjectSession) => Engines {
  return (session) => ({
    doctor: doctorEngine,
    import: importEngine,
    audit: auditEngine,
    export: exportEngine,
    training: createTrainingHost({
      resolveDb(projectPath) {
        const p = session.require()
        if (p.path !== projectPath)
          throw new ApiFailure('CONFLICT', `training was asked for ${projectPath}, but ${p.path} is open`)
        return p.db
      },
      spawn: opts.spawnTrainer,
      graceMs: opts.trainGraceMs
    })
  })
}
