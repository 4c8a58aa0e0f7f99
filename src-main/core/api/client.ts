/**
 * The renderer's API client, one shape for both modes:
 *
 *   import { createClient, detectTransport, unwrap } from '<src-main>/core/api/client'
 *   const api = createClient(detectTransport())      // Electron preload bridge, else HTTP to /api
 *   const page = await api.images.queue({ sort: { by: 'score', dir: 'desc' }, limit: 100 })
 *   if (page.ok) ... else show(page.code, page.message)
 *   const info = unwrap(await api.project.info())    // or throw ApiCallError
 *   const off = api.on((e) => ...)                   // job/train/project events
 *   <img src={api.imageUrl(id, 'thumb')}>
 *
 * No Node imports and no runtime import of the zod contract (types only), so it bundles into the
 * renderer as a few hundred bytes. Calls never throw: transport failures become `{ok: false}` too.
 */
import {
  BRIDGE_GLOBAL,
  IMAGE_SCHEME,
  METHOD_NAMES,
  type ImageVariant,
  type MethodName,
  type MethodNamespace
} from './methods'
import type { ApiErrorCode, ApiEvent, ApiResult, ArgsOf, ResultOf } from './contract'

export type { ImageVariant, MethodName } from './methods'

/** How calls and events travel. Write one to test renderer code against a fake main side. */
export interface Transport {
  readonly mode: 'electron' | 'browser'
  call(method: MethodName, args: unknown): Promise<ApiResult<unknown>>
  /** Registers a listener for every ApiEvent; returns the unsubscribe function. */
  subscribe(listener: (event: ApiEvent) => void): () => void
  /** URL of an image by id, for <img src>. */
  imageUrl(imageId: number, variant: ImageVariant): string
  /**
   * URL of many thumbnails in one answer (core/api/thumb-batch.ts), where batching pays: browser mode,
   * where HTTP/1.1 allows six connections per host. Absent in Electron: poi-img:// has no such limit.
   */
  thumbBatchUrl?(imageIds: readonly number[]): string
}

type EmptyArgs<M extends MethodName> = Record<never, never> extends ArgsOf<M> ? true : false
/** One verb: `api.images.queue(args)`; args may be omitted when the method has no required field. */
export type Verb<M extends MethodName> =
  EmptyArgs<M> extends true
    ? (args?: ArgsOf<M>) => Promise<ApiResult<ResultOf<M>>>
    : (args: ArgsOf<M>) => Promise<ApiResult<ResultOf<M>>>

export type ApiVerbs = {
  [N in MethodNamespace]: { [M in MethodName as M extends `${N}.${infer V}` ? V : never]: Verb<M> }
}

export type ApiClient = ApiVerbs & {
  readonly mode: Transport['mode']
  call<M extends MethodName>(method: M, args?: ArgsOf<M>): Promise<ApiResult<ResultOf<M>>>
  on(listener: (event: ApiEvent) => void): () => void
  imageUrl(imageId: number, variant?: ImageVariant): string
  /** See Transport.thumbBatchUrl; null when this transport serves thumbnails one by one. */
  readonly thumbBatchUrl: ((imageIds: readonly number[]) => string) | null
}

/** Builds the verb tree `client.<namespace>.<verb>` from the method list. */
export function createClient(transport: Transport): ApiClient {
  const call = <M extends MethodName>(method: M, args?: ArgsOf<M>): Promise<ApiResult<ResultOf<M>>> =>
    transport.call(method, args ?? {}) as Promise<ApiResult<ResultOf<M>>>
  const tree: Record<string, Record<string, unknown>> = {}
  for (const m of METHOD_NAMES) {
    const dot = m.indexOf('.')
    const ns = m.slice(0, dot)
    ;(tree[ns] ??= {})[m.slice(dot + 1)] = (args?: unknown) => call(m, args as never)
  }
  return Object.assign(tree as unknown as ApiVerbs, {
    mode: transport.mode,
    call,
    on: (listener: (event: ApiEvent) => void) => transport.subscribe(listener),
    imageUrl: (imageId: number, variant: ImageVariant = 'thumb') => transport.imageUrl(imageId, variant),
    thumbBatchUrl: transport.thumbBatchUrl ? (ids: readonly number[]) => transport.thumbBatchUrl!(ids) : null
  })
}

/** Thrown by `unwrap` for a failed result. */
export class ApiCallError extends Error {
  constructor(
    readonly code: ApiErrorCode,
    message: string
  ) {
    super(message)
    this.name = 'ApiCallError'
  }
}

/** The value of a successful result, else throws ApiCallError with its code. */
export function unwrap<T>(result: ApiResult<T>): T {
  if (result.ok) return result.value
  throw new ApiCallError(result.code, result.message)
}

function failure(code: ApiErrorCode, message: string): ApiResult<never> {
  return { ok: false, code, message }
}

function isResult(v: unknown): v is ApiResult<unknown> {
  if (typeof v !== 'object' || v === null) return false
  const r = v as { ok?: unknown; code?: unknown; message?: unknown }
  return r.ok === true ? 'value' in r : r.ok === false && typeof r.code === 'string' && typeof r.message === 'string'
}

// #region browser mode

/** The subset of EventSource the client uses (inject one in tests). */
export interface EventSourceLike {
  onmessage: ((ev: { data: string }) => void) | null
  close(): void
}

export interface HttpTransportOptions {
  /** Origin + path prefix of the server; '' = same origin (the served UI). */
  base?: string
  fetch?: typeof fetch
  eventSource?: (url: string) => EventSourceLike
  /**
   * The one-time sign-in token, for scripts and tests (the served UI authenticates with its HttpOnly
   * cookie). It is sent once as Bearer; the server answers with the session cookie, which this
   * transport (outside a browser, where Set-Cookie is readable) sends from then on.
   */
  token?: string
}

/** Browser mode: POST /api/<method> with a JSON body, events from /api/events (SSE). */
export function httpTransport(opts: HttpTransportOptions = {}): Transport {
  const base = opts.base ?? ''
  const doFetch = opts.fetch ?? ((input, init) => fetch(input, init))
  const makeSource =
    opts.eventSource ??
    ((url: string) => new EventSource(url, { withCredentials: false }) as unknown as EventSourceLike)
  const listeners = new Set<(event: ApiEvent) => void>()
  let source: EventSourceLike | null = null
  const headers: Record<string, string> = { 'content-type': 'application/json' }
  if (opts.token) headers.authorization = `Bearer ${opts.token}`
  return {
    mode: 'browser',
    async call(method, args) {
      let res: Response
      try {
        res = await doFetch(`${base}/api/${method}`, {
          method: 'POST',
          headers,
          body: JSON.stringify(args ?? {}),
          credentials: 'same-origin',
          cache: 'no-store'
        })
        const session = /(?:^|,\s*)(poi_session_\d+=[^;,\s]+)/.exec(res.headers.get('set-cookie') ?? '')
        if (session) {
          delete headers.authorization
          headers.cookie = session[1]
        }
      } catch (e) {
        return failure('INTERNAL', `cannot reach the POI Audit server: ${(e as Error).message}`)
      }
      let body: unknown
      try {
        body = await res.json()
      } catch {
        body = null
      }
      if (isResult(body)) return body
      if (res.status === 401 || res.status === 403) {
        return failure('FORBIDDEN', 'not signed in: open the URL printed by `poi-audit serve` again')
      }
      return failure('INTERNAL', `unexpected answer from the server (HTTP ${res.status})`)
    },
    subscribe(listener) {
      listeners.add(listener)
      if (!source) {
        source = makeSource(`${base}/api/events`)
        source.onmessage = (ev) => {
          let event: ApiEvent
          try {
            event = JSON.parse(ev.data) as ApiEvent
          } catch {
            return
          }
          for (const l of [...listeners]) l(event)
        }
      }
      return () => {
        listeners.delete(listener)
        if (!listeners.size && source) {
          source.close()
          source = null
        }
      }
    },
    imageUrl(imageId, variant) {
      return `${base}/img/${encodeURIComponent(String(imageId))}?v=${variant}`
    },
    thumbBatchUrl(imageIds) {
      return `${base}/img/thumbs?ids=${imageIds.join(',')}`
    }
  }
}

// #endregion
// #region Electron mode

type BridgeFn = (args: unknown) => Promise<ApiResult<unknown>>
/**
 * What the preload exposes as `window.poi`: one function per method, grouped by namespace, and an
 * event subscription. The listener receives the event payload only, never Electron's IpcRendererEvent.
 */
export type PoiBridge = { [N in MethodNamespace]: Record<string, BridgeFn> } & {
  events: { subscribe(listener: (event: ApiEvent) => void): () => void }
}

/** Electron mode: calls the preload's verbs. */
export function electronTransport(bridge: PoiBridge): Transport {
  return {
    mode: 'electron',
    async call(method, args) {
      const dot = method.indexOf('.')
      const fn = (bridge as unknown as Record<string, Record<string, BridgeFn> | undefined>)[method.slice(0, dot)]?.[
        method.slice(dot + 1)
      ]
      if (typeof fn !== 'function') return failure('UNKNOWN_METHOD', `the preload has no verb for ${method}`)
      try {
        const r = await fn(args)
        return isResult(r) ? r : failure('INTERNAL', `malformed answer to ${method}`)
      } catch (e) {
        return failure('INTERNAL', `IPC failed for ${method}: ${(e as Error).message}`)
      }
    },
    subscribe: (listener) => bridge.events.subscribe(listener),
    imageUrl: (imageId, variant) => `${IMAGE_SCHEME}://img/${encodeURIComponent(String(imageId))}?v=${variant}`
  }
}

// #endregion

/** Electron when the preload bridge is present, else browser mode against the serving origin. */
export function detectTransport(scope: object = globalThis): Transport {
  const bridge = (scope as Record<string, unknown>)[BRIDGE_GLOBAL]
  if (bridge && typeof bridge === 'object') return electronTransport(bridge as PoiBridge)
  return httpTransport()
}
