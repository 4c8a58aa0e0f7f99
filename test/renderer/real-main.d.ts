/**
 * Declarations of real-main.mts for the renderer tests' TypeScript project (tsconfig.web.json), which
 * holds no Node core files: the implementation is real-main.mts (see there), these are its types.
 */
import type { Transport } from '../../src-main/core/api/client'
import type { MethodName } from '../../src-main/core/api/methods'
import type { ApiEvent, ApiResult } from '../../src-main/core/api/contract'

export declare const CLASSES: readonly string[]

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

/** The annotators of `votes: true`: "ann" the label, "bob" the label on even ids and the next class on odd, "cal" 0. */
export declare const VOTERS: readonly ['ann', 'bob', 'cal']

/** Removes every temp dir real-main made (call from afterAll). */
export declare function removeTempDirs(): void

/** The Transport the renderer gets: the real API, in-process, with call recording and overrides. */
export declare class RealMain implements Transport {
  readonly mode: 'browser'
  readonly calls: { method: MethodName; args: Record<string, unknown> }[]
  readonly overrides: Partial<Record<MethodName, Handler>>
  /** The project file this app works on. */
  readonly file: string
  private constructor()
  /** A fresh copy of the fixture project, opened by a new API instance. */
  static create(opts?: RealOptions): Promise<RealMain>
  /** Calls of one method, in order. */
  callsOf(method: MethodName): Record<string, unknown>[]
  /** The real handler, bypassing recording and overrides (for an override that delays, then answers). */
  real(method: MethodName, args: unknown): Promise<ApiResult<unknown>>
  call(method: MethodName, args: unknown): Promise<ApiResult<unknown>>
  subscribe(listener: (e: ApiEvent) => void): () => void
  imageUrl(imageId: number, variant: 'thumb' | 'full'): string
  /** One call as another curator (a second API instance with `actor` on the same file, in turn with this one). */
  asCurator(actor: string, method: MethodName, args: unknown): Promise<ApiResult<unknown>>
  /** A read-only query on the project file from a second connection: what is on disk now. */
  disk<T>(sql: string, ...params: unknown[]): T[]
  /** The folder holding the project file. */
  readonly dir: string
  /** A file's text, or null when there is no such file (exports the app wrote). */
  readText(path: string): string | null
  /** The stored current label, state and review of an image. */
  stored(imageId: number): { label: number | null; state: string; review: string | null }
  close(): Promise<void>
}

/** A promise with its resolve exposed (to hold an answer back). */
export declare function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void }
