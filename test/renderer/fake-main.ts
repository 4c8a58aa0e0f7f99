/**
 * A fake main side for renderer tests: implements the client's Transport over an in-memory project
 * (queue rows, labels, an undo stack, history), records every call, and lets a test replace any
 * method (to fail it, delay it or change its answer). It is the "other side of the wire" only; the
 * renderer code under test is the real client, stores and components.
 */
import type { Transport } from '../../src-main/core/api/client'
import type { MethodName } from '../../src-main/core/api/methods'
import type {
  ApiEvent,
  ApiResult,
  AppInfo,
  HistoryEntryView,
  ImageDetail,
  OverviewStats,
  ProjectInfo,
  QueueFilter,
  QueueItem,
  ReviewState,
  TrainStatus
} from '../../src-main/core/api/contract'

export const CLASSES = ['neutral', 'happiness', 'surprise', 'sadness', 'anger', 'disgust', 'fear'] as const

type Handler = (args: Record<string, unknown>) => ApiResult<unknown> | Promise<ApiResult<unknown>>

interface Change {
  imageId: number
  before: QueueItem
  after: QueueItem
}

const ok = <T>(value: T): ApiResult<T> => ({ ok: true, value })

export interface FakeOptions {
  /** Number of images. */
  n?: number
  /** Whether an audit exists (suggestions, flags, scores). */
  audit?: boolean
  train?: Partial<TrainStatus>
  capabilities?: Partial<AppInfo['capabilities']>
}

export class FakeMain implements Transport {
  readonly mode = 'browser' as const
  readonly calls: { method: MethodName; args: Record<string, unknown> }[] = []
  readonly overrides: Partial<Record<MethodName, Handler>> = {}
  rows: QueueItem[]
  history: HistoryEntryView[] = []
  private undoStack: Change[][] = []
  private redoStack: Change[][] = []
  private listeners = new Set<(e: ApiEvent) => void>()
  private nextHistoryId = 1
  private batch = 0

  constructor(private readonly opts: FakeOptions = {}) {
    const n = opts.n ?? 40
    const audit = opts.audit ?? true
    this.rows = Array.from({ length: n }, (_, i) => {
      const given = i % CLASSES.length
      const suggested = audit ? (i % 3 === 0 ? (given + 1) % CLASSES.length : given) : null
      return {
        imageId: i + 1,
        relPath: `${CLASSES[given]}/img_${i + 1}.png`,
        split: 'train',
        state: 'labeled',
        given,
        original: given,
        review: null,
        suggested,
        score: audit ? i / n : null,
        rank: audit ? i + 1 : null,
        flags: audit && suggested !== given ? ['likely_mislabeled'] : [],
        confidence: audit ? 1 - i / n : null
      } satisfies QueueItem
    })
  }

  /** Calls of one method, in order. */
  callsOf(method: MethodName): Record<string, unknown>[] {
    return this.calls.filter((c) => c.method === method).map((c) => c.args)
  }

  emit(event: ApiEvent): void {
    for (const l of [...this.listeners]) l(event)
  }

  subscribe(listener: (e: ApiEvent) => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  imageUrl(imageId: number, variant: 'thumb' | 'full'): string {
    return `/img/${imageId}?v=${variant}`
  }

  async call(method: MethodName, args: unknown): Promise<ApiResult<unknown>> {
    const a = (args ?? {}) as Record<string, unknown>
    this.calls.push({ method, args: structuredClone(a) })
    const o = this.overrides[method]
    if (o) return o(a)
    return this.handle(method, a)
  }

  project(): ProjectInfo {
    return {
      path: '/tmp/fake.poi',
      name: 'Fake project',
      classes: [...CLASSES],
      schemaVersion: 1,
      counts: { images: this.rows.length, labeled: this.rows.length, reviewed: this.rows.filter((r) => r.review).length, excluded: 0, decodeErrors: 0 },
      datasets: [{ id: 1, root: '/data', images: this.rows.length }],
      latestRunId: this.opts.audit === false ? null : 1,
      latestAuditId: this.opts.audit === false ? null : 1
    }
  }

  matches(r: QueueItem, f: QueueFilter | undefined): boolean {
    if (!f) return true
    if (f.given && !f.given.includes(r.given ?? -1)) return false
    if (f.suggested && !f.suggested.includes(r.suggested ?? -1)) return false
    if (f.pair && (r.given !== f.pair.given || r.suggested !== f.pair.suggested)) return false
    if (f.flags && !f.flags.some((x) => r.flags.includes(x))) return false
    if (f.review === 'unreviewed' && r.review) return false
    if (f.review === 'reviewed' && (!r.review || r.review === 'skipped')) return false
    if (f.review === 'skipped' && r.review !== 'skipped') return false
    if (f.confidence && (r.confidence == null || r.confidence < f.confidence.min || r.confidence > f.confidence.max)) return false
    return true
  }

  detail(id: number): ImageDetail {
    const r = this.rows.find((x) => x.imageId === id)!
    return {
      classes: [...CLASSES],
      image: {
        id,
        datasetId: 1,
        relPath: r.relPath,
        format: 'png',
        width: 48,
        height: 48,
        channels: 1,
        byteSize: 1000,
        sha256: 'ab'.repeat(32),
        split: 'train',
        sourceSplit: null,
        decodeStatus: 'ok',
        decodeError: null,
        dupGroup: null,
        duplicates: []
      },
      annotation: {
        imageId: id,
        originalLabel: r.original,
        currentLabel: r.given,
        state: r.state,
        originalState: 'labeled',
        votes: null,
        softLabel: null,
        review: r.review,
        updatedAt: '2026-01-01T00:00:00.000Z'
      },
      prediction: null,
      audit:
        r.suggested == null
          ? null
          : { auditId: 1, runId: 1, score: r.score, rank: r.rank, suggestedLabel: r.suggested, strength: 0.8, flags: r.flags, explanation: { text: `mouth → ${CLASSES[r.suggested]}` } },
      face: null,
      history: this.history.filter((h) => h.imageId === id)
    }
  }

  private record(changes: Change[], source: HistoryEntryView['source']): string {
    const batchId = `b${++this.batch}`
    for (const c of changes) {
      this.history.unshift({
        id: this.nextHistoryId++,
        imageId: c.imageId,
        at: '2026-01-01T00:00:00.000Z',
        actor: 'tester',
        source,
        oldLabel: c.before.given,
        newLabel: c.after.given,
        oldState: c.before.state,
        newState: c.after.state,
        oldReview: c.before.review,
        newReview: c.after.review,
        reason: null,
        batchId,
        revertsBatch: null
      })
    }
    return batchId
  }

  private apply(c: Change, which: 'before' | 'after'): void {
    const i = this.rows.findIndex((r) => r.imageId === c.imageId)
    this.rows[i] = { ...c[which] }
  }

  private handle(method: MethodName, a: Record<string, unknown>): ApiResult<unknown> {
    switch (method) {
      case 'app.info':
        return ok({
          name: 'POI Audit',
          version: '0.1.0',
          mode: 'browser',
          platform: 'linux',
          capabilities: { import: true, audit: true, train: false, export: true, dialogs: false, projectSwitch: false, ...this.opts.capabilities },
          project: this.project()
        } satisfies AppInfo)
      case 'project.info':
        return ok(this.project())
      case 'images.queue': {
        const f = a.filter as QueueFilter | undefined
        const all = this.rows.filter((r) => this.matches(r, f))
        const start = a.cursor ? Number(a.cursor) : 0
        const limit = (a.limit as number | undefined) ?? 100
        const items = all.slice(start, start + limit)
        const end = start + items.length
        return ok({ items, nextCursor: end < all.length ? String(end) : null, total: a.withTotal === false ? null : all.length, auditId: 1, runId: 1 })
      }
      case 'images.counts':
        return ok({
          total: this.rows.length,
          given: CLASSES.map((_, i) => this.rows.filter((r) => r.given === i).length),
          review: { accepted: 0, kept: 0, relabeled: 0, excluded: 0, ambiguous: 0, skipped: 0, unreviewed: this.rows.length },
          splits: { train: this.rows.length, val: 0, test: 0, none: 0 },
          flags: this.opts.audit === false ? null : { likely_mislabeled: this.rows.filter((r) => r.flags.length).length }
        })
      case 'images.detail':
        return ok(this.detail(a.imageId as number))
      case 'review.decide': {
        const id = a.imageId as number
        const d = a.decision as { kind: string; label?: number }
        const before = this.rows.find((r) => r.imageId === id)!
        const review: ReviewState = ({ accept: 'accepted', keep: 'kept', relabel: 'relabeled', exclude: 'excluded', ambiguous: 'ambiguous', skip: 'skipped' } as const)[
          d.kind as 'accept'
        ]
        const after: QueueItem = { ...before, review }
        if (d.kind === 'relabel') after.given = d.label!
        if (d.kind === 'accept') after.given = d.label ?? before.suggested
        if (d.kind === 'exclude') after.state = 'excluded'
        if (d.kind === 'ambiguous') after.state = 'ambiguous'
        const change = { imageId: id, before: { ...before }, after }
        this.apply(change, 'after')
        this.undoStack.push([change])
        this.redoStack = []
        const batchId = this.record([change], 'curator')
        return ok({ batchId, annotation: this.detail(id).annotation, nextImageId: null })
      }
      case 'review.bulkRelabel': {
        const ids = a.imageIds as number[]
        const changes = ids.map((id) => {
          const before = this.rows.find((r) => r.imageId === id)!
          return { imageId: id, before: { ...before }, after: { ...before, given: a.label as number, review: 'relabeled' as const } }
        })
        changes.forEach((c) => this.apply(c, 'after'))
        this.undoStack.push(changes)
        this.redoStack = []
        return ok({ batchId: this.record(changes, 'bulk'), changed: changes.length })
      }
      case 'review.undo':
      case 'review.redo': {
        const from = method === 'review.undo' ? this.undoStack : this.redoStack
        const to = method === 'review.undo' ? this.redoStack : this.undoStack
        const changes = from.pop()
        if (!changes) return ok(null)
        changes.forEach((c) => this.apply(c, method === 'review.undo' ? 'before' : 'after'))
        to.push(changes)
        return ok({ batchId: `r${++this.batch}`, target: 'x', imageIds: changes.map((c) => c.imageId) })
      }
      case 'review.undoState':
        return ok({ undo: this.undoStack.length, redo: this.redoStack.length })
      case 'history.list': {
        let entries = this.history
        if (a.imageId) entries = entries.filter((e) => e.imageId === a.imageId)
        return ok({ entries: entries.slice(0, (a.limit as number) ?? 200), nextBeforeId: null })
      }
      case 'history.revert': {
        const ids = a.entryIds as number[]
        const changes: Change[] = []
        for (const id of ids) {
          const e = this.history.find((h) => h.id === id)
          if (!e) return { ok: false, code: 'NOT_FOUND', message: `no history entry ${id}` }
          const before = this.rows.find((r) => r.imageId === e.imageId)!
          changes.push({ imageId: e.imageId, before: { ...before }, after: { ...before, given: e.oldLabel, review: e.oldReview } })
        }
        changes.forEach((c) => this.apply(c, 'after'))
        this.undoStack.push(changes)
        return ok({ batchId: this.record(changes, 'revert'), changed: changes.length })
      }
      case 'overview.stats':
        return ok(this.stats())
      case 'runs.list':
        return ok([])
      case 'train.status':
        return ok({ available: false, state: 'idle', runId: null, jobId: null, progress: null, error: null, exitCode: null, ...this.opts.train } satisfies TrainStatus)
      case 'train.start':
        return { ok: false, code: 'NOT_AVAILABLE', message: 'the training engine is not in this build' }
      case 'import.report':
        return ok([])
      case 'jobs.list':
        return ok([])
      case 'export.start':
        return ok({ jobId: 'job-export-1', path: '/tmp/fake-export.csv' })
      default:
        return { ok: false, code: 'NOT_AVAILABLE', message: `${method} is not in the fake` }
    }
  }

  stats(): OverviewStats {
    const C = CLASSES.length
    const matrix = Array.from({ length: C }, () => new Array<number>(C).fill(0))
    for (const r of this.rows) if (r.given != null && r.suggested != null) matrix[r.given][r.suggested]++
    const per = (pick: (r: QueueItem) => number | null): number[] => CLASSES.map((_, i) => this.rows.filter((r) => pick(r) === i).length)
    return {
      classes: [...CLASSES],
      total: this.rows.length,
      labelStates: { labeled: this.rows.length, unlabeled: 0, unknown: 0, not_face: 0, excluded: 0, ambiguous: 0 },
      reviews: { accepted: 0, kept: 0, relabeled: 0, excluded: 0, ambiguous: 0, skipped: 0, unreviewed: this.rows.length },
      classCounts: { original: per((r) => r.original), current: per((r) => r.given), suggested: this.opts.audit === false ? null : per((r) => r.suggested) },
      confusion: this.opts.audit === false ? null : { source: 'audit', auditId: 1, runId: 1, matrix },
      confidence: null,
      auHeatmap: null,
      flags: null
    }
  }
}

/** A promise with its resolve exposed (to hold a fake answer back). */
export function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void
  const promise = new Promise<T>((r) => (resolve = r))
  return { promise, resolve }
}
