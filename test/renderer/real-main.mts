/**
 * The real main side for renderer tests: the API's own handlers (`createApi`) over a real SQLite
 * project file in a temp dir, called in-process instead of over HTTP. The project is a synthetic
 * face dataset (real PNGs from src-main/core/synth) imported by the real import engine; with an
 * audit, a finished "oracle" run (test/e2e/oracle-run.ts, predictions written through the real
 * store) audited by the real audit engine — suggestions, flags and scores are the engine's own.
 *
 * Test-side only: the transport records every call (`calls`, `callsOf`) and a test may override a
 * method (`overrides`) to inject a failure or a delay in front of the real handler.
 *
 * Why `.mts` plus `real-main.d.ts`: every .ts file under test/renderer is in tsconfig.web.json (DOM types,
 * renderer files only), and this module pulls in the Node core. The renderer tests import
 * './real-main': TypeScript resolves it to the declarations in real-main.d.ts, Vite to this file.
 *
 * Each project template (by size and audit) is built once per test file and copied per app, so every
 * test starts from the same fresh file.
 */
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import Database from 'better-sqlite3'
import type { Transport } from '../../src-main/core/api/client'
import type { MethodName } from '../../src-main/core/api/methods'
import type { ApiEvent, ApiResult } from '../../src-main/core/api/contract'
import { createApi, type Api } from '../../src-main/core/api/handlers'
import type { Engines } from '../../src-main/core/api/engines'
import { createTrainingHost } from '../../src-main/core/api/training-host'
import { auditEngine, exportEngine, importEngine } from '../../src-main/core/api/default-engines'
import { generateDataset } from '../../src-main/core/synth/index'
import { SEVEN_CLASSES } from '../../src-main/core/classes'
import { addOracleRun } from '../e2e/oracle-run'
import { putVotes } from '../../src-main/core/store/votes'

export const CLASSES = SEVEN_CLASSES

type Handler = (args: Record<string, unknown>) => ApiResult<unknown> | Promise<ApiResult<unknown>>

export interface RealOptions {
  /** Number of images in the synthetic dataset (default 42). */
  n?: number
  /** Audit the project (an oracle run + the real audit engine); default true. */
  audit?: boolean
  /** Wire the real training host too (a worker thread running the training engine); default false. */
  training?: boolean
  /** Annotator votes on every labelled image (see VOTERS); default false. */
  votes?: boolean
}

/**
 * The annotators of `votes: true`: "ann" gives the image's label, "bob" the label on even ids and the
 * next class on odd ids, "cal" always class 0.
 */
export const VOTERS = ['ann', 'bob', 'cal'] as const
function voteFor(annotator: (typeof VOTERS)[number], id: number, y: number): number {
  if (annotator === 'ann') return y
  if (annotator === 'bob') return id % 2 === 0 ? y : (y + 1) % CLASSES.length
  return 0
}

const dirs: string[] = []
const templates = new Map<string, Promise<string>>()

/** Removes every temp dir this module made, templates included (call from afterAll). */
export function removeTempDirs(): void {
  templates.clear()
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
}

function tempDir(prefix: string): string {
  const d = mkdtempSync(join(tmpdir(), prefix))
  dirs.push(d)
  return d
}

function value<T>(r: ApiResult<unknown>): T {
  if (!r.ok) throw new Error(`${r.code}: ${r.message}`)
  return r.value as T
}

async function waitJob(api: Api, jobId: string): Promise<void> {
  for (;;) {
    const j = api.jobs.get(jobId)
    if (!j) throw new Error(`job ${jobId} vanished`)
    if (j.state === 'done') return
    if (j.state !== 'running') throw new Error(`job ${jobId} ended ${j.state}: ${j.error ?? ''}`)
    await new Promise((r) => setTimeout(r, 10))
  }
}

/** Builds (once) a closed project file: generated faces, imported, optionally audited. */
function template(n: number, audit: boolean): Promise<string> {
  const key = `${n}:${audit}`
  let t = templates.get(key)
  if (!t) {
    t = (async () => {
      const dir = tempDir('poi-renderer-tpl-')
      const faces = join(dir, 'faces')
      const file = join(dir, 'template.poi')
      await generateDataset({ outDir: faces, n, size: 48, seed: 11, noiseRate: 0.3, classes: [...SEVEN_CLASSES] })
      const api = createApi({ mode: 'test', engines: { import: importEngine, audit: auditEngine } })
      try {
        value(await api.dispatch('project.create', { path: file, name: 'Renderer fixture' }))
        await waitJob(
          api,
          value<{ jobId: string }>(
            await api.dispatch('import.start', { source: join(faces, 'labels.csv'), format: 'csv' })
          ).jobId
        )
      } finally {
        await api.close()
      }
      if (audit) {
        const { runId } = await addOracleRun(file, faces)
        const api2 = createApi({ mode: 'test', project: file, engines: { audit: auditEngine } })
        try {
          await waitJob(api2, value<{ jobId: string }>(await api2.dispatch('audit.run', { runId })).jobId)
        } finally {
          await api2.close()
        }
      }
      return file
    })()
    templates.set(key, t)
  }
  return t
}

/** The build's import, audit and export engines (what `defaultEngines` wires, less training). */
export const ENGINES: Engines = { import: importEngine, audit: auditEngine, export: exportEngine }

/** The Transport the renderer gets: the real API, in-process, with call recording and overrides. */
export class RealMain implements Transport {
  readonly mode = 'browser' as const
  readonly calls: { method: MethodName; args: Record<string, unknown> }[] = []
  readonly overrides: Partial<Record<MethodName, Handler>> = {}

  private constructor(
    readonly api: Api,
    /** The project file this app works on. */
    readonly file: string
  ) {}

  static async create(opts: RealOptions = {}): Promise<RealMain> {
    const tpl = await template(opts.n ?? 42, opts.audit ?? true)
    const file = join(tempDir('poi-renderer-'), 'project.poi')
    copyFileSync(tpl, file)
    for (const ext of ['-wal', '-shm']) if (existsSync(tpl + ext)) copyFileSync(tpl + ext, file + ext)
    const api = createApi({
      mode: 'browser',
      project: file,
      actor: 'tester',
      version: '0.1.0',
      // The build's engines; training writes through the session's connection, as defaultEngines wires it.
      engines: opts.training
        ? (s) => ({ ...ENGINES, training: createTrainingHost({ resolveDb: () => s.require().db }) })
        : ENGINES
    })
    if (opts.votes) {
      const db = api.session.require().db
      const rows = db
        .prepare('SELECT image_id AS id, current_label AS y FROM annotations WHERE current_label IS NOT NULL')
        .all() as { id: number; y: number }[]
      const votes = rows.flatMap((r) =>
        VOTERS.map((a) => ({ imageId: r.id, annotator: a, label: voteFor(a, r.id, r.y) }))
      )
      putVotes(db, votes, 'votes.csv')
    }
    return new RealMain(api, file)
  }

  /** Calls of one method, in order. */
  callsOf(method: MethodName): Record<string, unknown>[] {
    return this.calls.filter((c) => c.method === method).map((c) => c.args)
  }

  /** The real handler, bypassing recording and overrides (for an override that delays, then answers). */
  real(method: MethodName, args: unknown): Promise<ApiResult<unknown>> {
    return this.api.dispatch(method, JSON.parse(JSON.stringify(args ?? {})))
  }

  async call(method: MethodName, args: unknown): Promise<ApiResult<unknown>> {
    const a = (args ?? {}) as Record<string, unknown>
    this.calls.push({ method, args: structuredClone(a) })
    const o = this.overrides[method]
    // Through JSON, as over HTTP: the handler sees what the wire would carry, the renderer a fresh copy.
    const r = o ? await o(a) : await this.real(method, a)
    return JSON.parse(JSON.stringify(r)) as ApiResult<unknown>
  }

  subscribe(listener: (e: ApiEvent) => void): () => void {
    return this.api.subscribe(listener)
  }

  imageUrl(imageId: number, variant: 'thumb' | 'full'): string {
    return `/img/${imageId}?v=${variant}`
  }

  /**
   * One call as another curator, through the real API: this app's API lets go of the project (one writer per
   * project), a second API instance with `actor` opens it, calls, closes; then this app's API opens it again.
   */
  async asCurator(actor: string, method: MethodName, args: unknown): Promise<ApiResult<unknown>> {
    this.api.session.close()
    const other = createApi({ mode: 'test', actor, project: this.file })
    try {
      return await other.dispatch(method, args)
    } finally {
      await other.close()
      this.api.session.open(this.file)
    }
  }

  /** A read-only query on the project file from a second connection: what is on disk now. */
  disk<T>(sql: string, ...params: unknown[]): T[] {
    const db = new Database(this.file, { readonly: true, fileMustExist: true })
    try {
      return db.prepare(sql).all(...params) as T[]
    } finally {
      db.close()
    }
  }

  /** The folder holding the project file. */
  get dir(): string {
    return dirname(this.file)
  }

  /** A file's text, or null when there is no such file (exports the app wrote). */
  readText(path: string): string | null {
    return existsSync(path) ? readFileSync(path, 'utf8') : null
  }

  /** The stored current label, state and review of an image. */
  stored(imageId: number): { label: number | null; state: string; review: string | null } {
    return this.disk<{ label: number | null; state: string; review: string | null }>(
      'SELECT a.current_label AS label, a.state, r.state AS review FROM annotations a LEFT JOIN reviews r ON r.image_id = a.image_id WHERE a.image_id = ?',
      imageId
    )[0]
  }

  close(): Promise<void> {
    return this.api.close()
  }
}

/** A promise with its resolve exposed (to hold an answer back). */
export function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void
  const promise = new Promise<T>((r) => (resolve = r))
  return { promise, resolve }
}
