/**
 * The API's main side: `createApi(options).dispatch(method, args)`. One instance per window/server.
 *
 * dispatch(1) refuses names that are not methods, (2) validates the arguments with the contract's
 * zod schema — the ONLY way arguments reach a handler — and (3) turns every failure into
 * `{ok: false, code, message}`. Handlers are synchronous over better-sqlite3 (fast, and never
 * interleaved with another write); long work goes to jobs that report through the event bus.
 */
import { existsSync } from 'node:fs'
import { dirname, isAbsolute, resolve } from 'node:path'
import {
  CONTRACT,
  type ApiEvent,
  type ApiResult,
  type AppInfo,
  type ParsedArgsOf,
  type ResultOf,
  type TrainStatus
} from './contract'
import { isMethodName, type MethodName } from './methods'
import { ApiFailure, describeIssues, toFailure } from './errors'
import { EventBus, changedIds } from './events'
import { JobRegistry } from './jobs'
import { ProjectSession, hasTable } from './session'
import type { DialogHost, Engines } from './engines'
import { readContext } from './queries/context'
import { matchingIds, nextInQueue, queryCounts, queryQueue } from './queries/queue'
import { auditRowFields, imageDetail } from './queries/detail'
import { listHistoryPage } from './queries/history'
import { overviewStats } from './queries/overview'
import { consensusView } from './queries/consensus'
import { onConsensusFitted } from '../consensus/cached'
import { runDetail } from './queries/run-detail'
import { compareStoredRuns } from '../evaluate/compare-load'
import { comparisonView } from '../evaluate/compare-runs'
import { bulkDecide, bulkRelabel, decide } from './review'
import { LearningQueue } from './learning-queue'
import { assignmentHandlers } from './assignments'
import { isCuratorName } from './curators'
import { undo, redo, undoStacks, revertEntries, getAnnotation } from '../store/labels'
import type { DB } from '../store/db'
import { damagedField, storedJsonReader } from './stored-json'
import { reassessAuditItems } from '../audit/reassess'

export interface ApiOptions {
  mode: AppInfo['mode']
  /** App version shown by app.info. */
  version?: string
  /** Who decisions are recorded as (label_history.actor); undo/redo stacks are per actor. */
  actor?: string
  /** Where the recent-projects list is kept; none = not kept. */
  userDataDir?: string
  /** Open this project at start (browser mode serves exactly this one). */
  project?: string
  /** Open `project` read-only (serve on a project this user cannot write: browsing works, writes fail). */
  readonly?: boolean
  /** project.open/create/close allowed (default: every mode but browser). */
  allowProjectSwitch?: boolean
  dialogs?: DialogHost
  /** The engines, or a factory given the session (engines that write through the session's connection). */
  engines?: Engines | ((session: ProjectSession) => Engines)
  log?: (msg: string) => void
}

/** Per call: who makes it (serve --curators: the signed-in curator); default the API's own actor. */
export interface CallOptions {
  actor?: string
}

export interface Api {
  /** Runs one method; `call.actor` (a curator name, see curators.ts) acts as that curator for this call only. */
  dispatch(method: string, args: unknown, call?: CallOptions): Promise<ApiResult<unknown>>
  subscribe(listener: (e: ApiEvent) => void): () => void
  readonly session: ProjectSession
  readonly jobs: JobRegistry
  /** The default actor: calls without `call.actor` (Electron IPC, serve without --curators). */
  readonly actor: string
  /** Cancels jobs, stops training and closes the project. */
  close(): Promise<void>
}

/** BUSY while a run is in progress, naming who started it (another curator, with serve --curators). */
function trainingIdle(st: TrainStatus): void {
  if (st.state === 'starting' || st.state === 'running' || st.state === 'cancelling')
    throw new ApiFailure('BUSY', `a training run is in progress${st.startedBy ? ` (started by ${st.startedBy})` : ''}`)
}

type Handlers = { [M in MethodName]: (args: ParsedArgsOf<M>) => ResultOf<M> | Promise<ResultOf<M>> }

const NO_TRAINING: TrainStatus = {
  available: false,
  state: 'idle',
  runId: null,
  jobId: null,
  progress: null,
  startedBy: null,
  error: null,
  exitCode: null
}

export function createApi(opts: ApiOptions): Api {
  const log = opts.log ?? (() => {})
  const defaultActor = opts.actor ?? 'curator'
  const allowSwitch = opts.allowProjectSwitch ?? opts.mode !== 'browser'
  const bus = new EventBus(log)
  const jobs = new JobRegistry((e) => bus.emit(e), log)
  const session = new ProjectSession({ userDataDir: opts.userDataDir, log })
  const engines: Engines = (typeof opts.engines === 'function' ? opts.engines(session) : opts.engines) ?? {}
  if (opts.project) session.open(opts.project, { readonly: opts.readonly })

  const unsubscribeTraining = engines.training?.subscribe((e) => {
    bus.emit(
      e.type === 'progress'
        ? { type: 'train.progress', progress: e.progress }
        : { type: 'train.state', status: e.status }
    )
    if (e.type === 'state' && e.status.state === 'completed') bus.emit({ type: 'project.changed', what: 'runs' })
  })

  const db = (): DB => session.require().db
  // A consensus fit landed in its worker: the Review detail and the Overview ask again.
  const unsubscribeConsensus = onConsensusFitted((fitted) => {
    if (session.project?.db === fitted) bus.emit({ type: 'project.changed', what: 'consensus' })
  })
  const learning = new LearningQueue(session, (e) => bus.emit(e), log)
  const needSwitch = (): void => {
    if (!allowSwitch)
      throw new ApiFailure(
        'UNSUPPORTED',
        'this server serves one project; restart `poi-audit serve` with another project to switch'
      )
    // Jobs and training write through the open project's connection: it must stay open until they end.
    const running = jobs.list().find((j) => j.state === 'running')
    if (running)
      throw new ApiFailure('BUSY', `a ${running.kind} job is running; cancel it or wait before switching projects`)
    const t = engines.training?.status().state
    if (t === 'starting' || t === 'running' || t === 'cancelling')
      throw new ApiFailure('BUSY', 'training is running; cancel it before switching projects')
  }
  const notAvailable = (what: string): never => {
    throw new ApiFailure('NOT_AVAILABLE', `${what} is not available in this build yet`)
  }
  const absolute = (p: string): string => (isAbsolute(p) ? p : resolve(p))
  /** Export destinations: a relative path means "beside the project", wherever the server was started. */
  const exportDest = (projectPath: string, dest: string): string =>
    isAbsolute(dest) ? resolve(dest) : resolve(dirname(projectPath), dest)
  let doctorReport: Promise<ResultOf<'app.doctor'>> | null = null

  /**
   * The handlers as curator `actor` sees them: decisions are recorded as `actor`, undo/redo use their stacks,
   * filter.assigned 'me' reads their assignment and app.info names them. Built once per curator.
   */
  const handlersFor = (actor: string): Handlers => {
    const ctx = () => readContext(db(), actor)
    /**
     * After labels changed: re-judge those images in the current audit (flags, suggestion and "why" follow
     * the new label), then tell the clients. The decision is already committed, so a failure here is
     * logged and leaves the items as the audit wrote them (the UI then marks them stale).
     */
    const changed = (what: 'labels', ids: readonly number[]): void => {
      try {
        const c = ctx()
        if (c.auditId != null) reassessAuditItems(db(), c.auditId, ids)
      } catch (e) {
        log(
          `could not refresh the audit items of images ${ids.slice(0, 20).join(', ')}${ids.length > 20 ? ', …' : ''} after a label change: ${(e as Error).message}`
        )
      }
      bus.emit({ type: 'project.changed', what, imageIds: changedIds(ids) })
    }
    return {
      'app.info': () => ({
        name: 'POI Audit',
        version: opts.version ?? '0.0.0',
        mode: opts.mode,
        platform: process.platform,
        actor,
        capabilities: {
          import: !!engines.import,
          audit: !!engines.audit,
          train: !!engines.training,
          export: !!engines.export,
          dialogs: !!opts.dialogs,
          projectSwitch: allowSwitch
        },
        project: session.project ? session.info() : null
      }),
      'app.doctor': async ({ refresh }) => {
        const engine = engines.doctor ?? notAvailable('the engine check (poi-audit doctor)')
        if (refresh || !doctorReport) doctorReport = engine.report()
        try {
          return await doctorReport
        } catch (e) {
          doctorReport = null
          throw e
        }
      },
      'dialog.open': async ({ purpose }) => {
        if (!opts.dialogs)
          throw new ApiFailure('UNSUPPORTED', 'native dialogs exist only in the desktop app; type the path instead')
        return { path: await opts.dialogs.open(purpose) }
      },

      'project.open': ({ path }) => {
        needSwitch()
        const info = session.open(absolute(path))
        bus.emit({ type: 'project.changed', what: 'opened' })
        return info
      },
      'project.create': ({ path, ...o }) => {
        needSwitch()
        const info = session.create(absolute(path), o)
        bus.emit({ type: 'project.changed', what: 'opened' })
        return info
      },
      'project.close': () => {
        needSwitch()
        const closed = session.close()
        if (closed) bus.emit({ type: 'project.changed', what: 'closed' })
        return { closed }
      },
      'project.recent': () => session.recent(),
      'project.info': () => session.info(),

      'import.start': (args) => {
        const p = session.require()
        const engine = engines.import ?? notAvailable('importing')
        const job = jobs.start(
          'import',
          async (jc) => {
            const report = await engine.run(
              p,
              { ...args, source: absolute(args.source), root: args.root && absolute(args.root) },
              jc
            )
            bus.emit({ type: 'project.changed', what: 'images' })
            return report
          },
          { actor }
        )
        return { jobId: job.id }
      },
      'import.report': ({ importId }) => {
        const rows = db()
          .prepare(
            `SELECT im.id, im.dataset_id AS datasetId, d.root AS datasetRoot, im.format, im.source, im.started_at AS startedAt,
             im.finished_at AS finishedAt, im.report FROM imports im JOIN datasets d ON d.id = im.dataset_id
           ${importId != null ? 'WHERE im.id = ?' : ''} ORDER BY im.id DESC LIMIT 200`
          )
          .all(...(importId != null ? [importId] : [])) as (Omit<ResultOf<'import.report'>[number], 'report'> & {
          report: string
        })[]
        if (importId != null && !rows.length) throw new ApiFailure('NOT_FOUND', `no import ${importId}`)
        return rows.map((r) => {
          const json = storedJsonReader(`import ${r.id}`, log)
          return { ...r, report: json.read(r.report, 'report'), ...damagedField(json) }
        })
      },

      'images.queue': (args) => queryQueue(db(), ctx(), args),
      'images.counts': ({ filter }) => queryCounts(db(), ctx(), filter),
      'images.detail': ({ imageId }) => imageDetail(db(), ctx(), imageId, log),

      'review.decide': ({ imageId, decision, reason, next }) => {
        const d = db()
        const c = readContext(d, actor)
        const { batchId } = decide(d, c, actor, imageId, decision, reason)
        // The next image in the queue as the curator saw it, before the decided image is re-judged.
        const nextImageId = next ? nextInQueue(d, c, imageId, next.filter, next.sort) : null
        if (batchId) changed('labels', [imageId])
        learning.afterDecision()
        return { batchId, annotation: getAnnotation(d, imageId)!, nextImageId, audit: auditRowFields(d, c, imageId) }
      },
      'review.undo': () => {
        const r = undo(db(), actor)
        if (!r) return null
        changed('labels', r.imageIds)
        return { batchId: r.batchId, target: r.undone, imageIds: r.imageIds }
      },
      'review.redo': () => {
        const r = redo(db(), actor)
        if (!r) return null
        changed('labels', r.imageIds)
        return { batchId: r.batchId, target: r.redone, imageIds: r.imageIds }
      },
      'review.undoState': () => {
        const s = undoStacks(db(), actor)
        return { undo: s.undo.length, redo: s.redo.length }
      },
      'review.bulkRelabel': ({ imageIds, label, reason }) => {
        const r = bulkRelabel(db(), ctx(), actor, imageIds, label, reason)
        if (r.changed) changed('labels', imageIds)
        learning.afterDecision()
        return r
      },
      'review.bulkDecide': ({ imageIds, kind, label, minStrength, reason }) => {
        const r = bulkDecide(db(), ctx(), actor, imageIds, { kind, label, minStrength }, reason)
        if (r.changed) changed('labels', imageIds)
        learning.afterDecision()
        return r
      },

      ...assignmentHandlers(db, ctx, actor, () => bus.emit({ type: 'project.changed', what: 'assignments' })),

      'queue.learning': () => learning.state(),
      'queue.setLearning': (patch) => learning.set(patch),
      'queue.rerank': ({ wait }) => learning.rerank(!!wait),

      'history.list': (q) => listHistoryPage(db(), q),
      'history.revert': ({ entryIds }) => {
        const d = db()
        const ids = [...new Set(entryIds)]
        const found = (
          d
            .prepare('SELECT count(*) AS n FROM label_history WHERE id IN (SELECT value FROM json_each(?))')
            .get(JSON.stringify(ids)) as { n: number }
        ).n
        if (found !== ids.length)
          throw new ApiFailure('NOT_FOUND', `${ids.length - found} of the ${ids.length} history entries do not exist`)
        const r = revertEntries(d, ids, actor)
        const imageIds = (
          d.prepare('SELECT DISTINCT image_id AS i FROM label_history WHERE batch_id = ?').all(r.batchId) as {
            i: number
          }[]
        ).map((x) => x.i)
        if (r.changed) changed('labels', imageIds)
        return { batchId: r.changed ? r.batchId : null, changed: r.changed }
      },

      'overview.stats': () => overviewStats(db(), ctx()),
      'consensus.get': (args) => consensusView(db(), ctx(), args),
      'runs.list': () => {
        const rows = db()
          .prepare(
            `SELECT r.id, r.kind, r.name, r.status, r.started_at AS startedAt, r.finished_at AS finishedAt, r.backend, r.metrics, r.error,
             CASE WHEN json_valid(r.config) THEN json_extract(r.config, '$.train.backbone') END AS backbone,
             CASE WHEN json_valid(r.config) THEN json_extract(r.config, '$.train.inputSize') END AS inputSize,
             CASE WHEN json_valid(r.config) THEN json_extract(r.config, '$.parentRunId') END AS parentRunId,
             (SELECT count(*) FROM predictions p WHERE p.run_id = r.id) AS predictions
           FROM runs r ORDER BY r.id DESC LIMIT 500`
          )
          .all() as (Omit<ResultOf<'runs.list'>[number], 'metrics'> & { metrics: string | null })[]
        return rows.map((r) => {
          const json = storedJsonReader(`run ${r.id}`, log)
          return { ...r, metrics: json.read(r.metrics, 'metrics'), ...damagedField(json) }
        })
      },

      'runs.detail': ({ runId }) => runDetail(db(), runId, session.require().classes()),

      'runs.compare': ({ a, b }) => comparisonView(compareStoredRuns(db(), a, b)),

      'train.start': ({ config, fromRun }) => {
        const p = session.require()
        const host = engines.training ?? notAvailable('training')
        if (fromRun != null) {
          const run = p.db.prepare('SELECT status FROM runs WHERE id = ?').get(fromRun) as
            { status: string } | undefined
          if (!run) throw new ApiFailure('NOT_FOUND', `fromRun: no run ${fromRun}`)
          if (run.status !== 'done')
            throw new ApiFailure(
              'INVALID_ARGS',
              `fromRun: run ${fromRun} is ${run.status}; retrain from a finished run`
            )
        }
        trainingIdle(host.status())
        host.start({
          projectPath: p.path,
          config,
          startedBy: actor,
          ...(fromRun != null ? { fromRunId: fromRun } : {})
        })
        return { jobId: host.status().jobId ?? '' }
      },
      'train.resume': ({ runId }) => {
        const p = session.require()
        const host = engines.training ?? notAvailable('training')
        const run = p.db.prepare('SELECT status FROM runs WHERE id = ?').get(runId) as { status: string } | undefined
        if (!run) throw new ApiFailure('NOT_FOUND', `no run ${runId}`)
        trainingIdle(host.status())
        host.start({ projectPath: p.path, config: {}, resumeRunId: runId, startedBy: actor })
        return { jobId: host.status().jobId ?? '' }
      },
      'train.cancel': () => ({ cancelled: engines.training ? engines.training.cancel() : false }),
      'train.status': () => engines.training?.status() ?? NO_TRAINING,

      'audit.run': ({ runId, settings }) => {
        const p = session.require()
        const engine = engines.audit ?? notAvailable('the audit')
        if (!hasTable(p.db, 'audit_items')) notAvailable('the audit (this project has no audit tables)')
        if (runId != null && !p.db.prepare("SELECT 1 FROM runs WHERE id = ? AND status = 'done'").get(runId)) {
          throw new ApiFailure('NOT_FOUND', `no finished run ${runId}`)
        }
        if (runId == null && !p.db.prepare("SELECT 1 FROM runs WHERE status = 'done'").get()) {
          throw new ApiFailure('NOT_AVAILABLE', 'no finished training run to audit; train a model first')
        }
        const job = jobs.start(
          'audit',
          async (jc) => {
            const summary = await engine.run(p, { runId, settings }, jc)
            bus.emit({ type: 'project.changed', what: 'audit' })
            return summary
          },
          { actor }
        )
        return { jobId: job.id }
      },

      'export.start': ({ format, scope, dest, options }) => {
        const p = session.require()
        const engine = engines.export ?? notAvailable('exporting')
        const path = dest ? exportDest(p.path, dest) : engine.defaultDest(p, format)
        if ([p.path, `${p.path}-wal`, `${p.path}-shm`].includes(resolve(path))) {
          throw new ApiFailure('INVALID_ARGS', `dest: ${path} would overwrite the project file`)
        }
        const filterIds =
          scope.kind === 'filter' ? matchingIds(p.db, readContext(p.db, actor), scope.filter) : undefined
        if (filterIds && !filterIds.length) throw new ApiFailure('INVALID_ARGS', 'scope.filter matches no image')
        const job = jobs.start(
          'export',
          (jc) =>
            engine.run(p, { format, scope, dest: path, options: options ?? {}, filterIds, createParent: !dest }, jc),
          { exclusive: false, actor }
        )
        return { jobId: job.id, path }
      },

      'export.plan': ({ format, dest }) => {
        const p = session.require()
        const engine = engines.export ?? notAvailable('exporting')
        const path = dest ? exportDest(p.path, dest) : engine.defaultDest(p, format)
        return { path, exists: existsSync(path), folderMissing: !!dest && !existsSync(dirname(path)), isDefault: !dest }
      },

      'jobs.list': () => jobs.list(),
      'jobs.cancel': ({ jobId }) => {
        if (!jobs.get(jobId)) throw new ApiFailure('NOT_FOUND', `no job ${jobId}`)
        return { cancelled: jobs.cancel(jobId) }
      }
    }
  }
  const byActor = new Map<string, Handlers>()
  const handlersOf = (actor: string): Handlers => {
    let h = byActor.get(actor)
    if (!h) byActor.set(actor, (h = handlersFor(actor)))
    return h
  }

  async function dispatch(method: string, args: unknown, call: CallOptions = {}): Promise<ApiResult<unknown>> {
    if (call.actor !== undefined && !isCuratorName(call.actor)) {
      return {
        ok: false,
        code: 'INVALID_ARGS',
        message: `not a curator name: ${JSON.stringify(call.actor.slice(0, 60))}`
      }
    }
    if (!isMethodName(method)) {
      return {
        ok: false,
        code: 'UNKNOWN_METHOD',
        message: `no API method ${JSON.stringify(String(method).slice(0, 80))}`
      }
    }
    const parsed = CONTRACT[method].args.safeParse(args === undefined ? {} : args)
    if (!parsed.success) return { ok: false, code: 'INVALID_ARGS', message: describeIssues(method, parsed.error, args) }
    try {
      const handler = handlersOf(call.actor ?? defaultActor)[method] as (a: unknown) => unknown
      const value = await handler(parsed.data)
      return { ok: true, value: value === undefined ? null : value }
    } catch (e) {
      return toFailure(e, method, log, session.project?.path)
    }
  }

  return {
    dispatch,
    subscribe: (l) => bus.subscribe(l),
    session,
    jobs,
    actor: defaultActor,
    async close() {
      unsubscribeTraining?.()
      unsubscribeConsensus()
      await jobs.settle(true)
      await engines.training?.dispose()
      await learning.settle()
      session.close()
    }
  }
}
