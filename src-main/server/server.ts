/**
 * Browser mode: `poi-audit serve <project>` — the same UI and API as the desktop app, over
 * node:http on loopback only, for machines without a display server or when Electron is not wanted.
 *
 * Request pipeline (each step answers on failure and stops):
 *  1. Host header must be loopback:our-port (DNS rebinding).
 *  2. `?token=<token>` on a GET: exchanged for an HttpOnly, SameSite=Strict session cookie and a 303
 *     to the same URL without the token, so it does not stay in the address bar.
 *  3. Authentication: the session cookie, or `Authorization: Bearer <token>` (scripts, tests), which
 *     is answered with the same cookie. The token is single-use either way: it was printed and may
 *     sit in a shell history or a screen share, so once spent it opens nothing; a second use is
 *     refused with a message saying to use the signed-in tab or restart `serve` for a new token.
 *  4. POST /api/<method>: JSON only, same-origin only (Origin / Sec-Fetch-Site), body capped, then the
 *     zod-validated dispatch. GET /api/events: server-sent events. GET /img/<id>?v=: images by id; GET
 *     /img/thumbs?ids=: many thumbnails in one answer.
 *     Anything else: the built renderer. Every answer carries the CSP and security headers; no CORS.
 *
 * Several curators (`curators: ['alice', 'bob']`, issue 17): one single-use token per curator, each traded for a
 * cookie secret of its own; the cookie says who the caller is, and every API call runs as that curator
 * (api.dispatch's per-call actor: decisions, undo/redo, filter.assigned 'me', app.info). The process still holds
 * the project as its one writer. Without curators there is one token and the API's own actor, as before.
 */
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { createApi, type Api } from '../core/api/handlers'
import { isCuratorName } from '../core/api/curators'
import { LIMITS, type ApiResult } from '../core/api/contract'
import { createImageHandler, lookupImage } from '../core/api/image-serve'
import { createThumbBatchHandler } from '../core/api/thumb-batch'
import { createBundleHandler } from '../core/api/bundle-serve'
import { defaultEngines } from '../core/api/default-engines'
import { BodyTooLarge, readBody, sendJson, sendResponse, sendText, sseFrame } from './http-util'
import {
  cookieName,
  SECURITY_HEADERS,
  assertLoopbackBind,
  isAllowedHostHeader,
  newSecret,
  parseCookies,
  secretEquals,
  sessionCookie
} from './policy'

export interface ServerOptions {
  /** An API instance the caller owns, or ... */
  api?: Api
  /** ... a project file: the server creates (and closes) its own browser-mode API over it. */
  project?: string
  /** Open `project` read-only (no writer lock; every write answers IO_ERROR naming the file). */
  readonly?: boolean
  /** The access token (default: 32 random bytes). Not with `curators`: each gets a random one. */
  token?: string
  /** Curator names (see core/api/curators.ts): one sign-in URL each, and calls run as the signed-in curator. */
  curators?: readonly string[]
  /** Bind address; loopback only (default 127.0.0.1). */
  host?: string
  /** Port; 0 = any free port (default). */
  port?: number
  /** The built renderer (out/renderer). */
  staticDir: string
  /** Shown by app.info. */
  version?: string
  /** Who decisions are recorded as (without `curators`). */
  actor?: string
  log?: (msg: string) => void
}

/** One curator's sign-in. */
export interface ServerLogin {
  /** Who the calls of this sign-in run as (without curators: the API's actor). */
  readonly actor: string
  readonly token: string
  /** The one-time sign-in URL to print: url + /?token=… */
  readonly loginUrl: string
}

export interface PoiServer {
  /** http://127.0.0.1:PORT */
  readonly url: string
  /** The one-time sign-in URL to print: url + /?token=… (with curators: the first curator's) */
  readonly loginUrl: string
  readonly token: string
  /** Every sign-in: one without curators, else one per curator in the order given. */
  readonly logins: readonly ServerLogin[]
  readonly port: number
  readonly api: Api
  close(): Promise<void>
}

interface Login {
  /** The curator the calls run as; null: the API's own actor (serve without curators). */
  readonly actor: string | null
  readonly token: string
  spent: boolean
  readonly cookieSecret: string
}

const HEARTBEAT_MS = 25_000
const MAX_JSON_DEPTH = 64

/** Whether a parsed JSON value nests deeper than `max` arrays/objects (iterative: no recursion). */
export function nestedDeeperThan(value: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[value, 0]]
  while (stack.length) {
    const [v, d] = stack.pop()!
    if (v === null || typeof v !== 'object') continue
    if (d >= max) return true
    for (const child of Object.values(v as Record<string, unknown>)) stack.push([child, d + 1])
  }
  return false
}

export async function createServer(opts: ServerOptions): Promise<PoiServer> {
  const host = opts.host ?? '127.0.0.1'
  assertLoopbackBind(host)
  if (!opts.api && !opts.project) throw new Error('createServer needs an api or a project')
  const log = opts.log ?? (() => {})
  const curators = opts.curators ?? null
  if (curators) {
    if (opts.token !== undefined) throw new Error('createServer: a token is made per curator; pass no token')
    if (!curators.length) throw new Error('createServer: curators is empty')
    if (new Set(curators).size !== curators.length) throw new Error('createServer: a curator is named twice')
    const bad = curators.find((c) => !isCuratorName(c))
    if (bad !== undefined) throw new Error(`createServer: ${JSON.stringify(bad)} is not a curator name`)
  }
  const token = opts.token ?? newSecret()
  if (token.length < 16) throw new Error('the access token must be at least 16 characters')
  const ownApi = !opts.api
  const api =
    opts.api ??
    createApi({
      mode: 'browser',
      project: opts.project,
      readonly: opts.readonly,
      version: opts.version,
      actor: opts.actor,
      engines: defaultEngines(),
      log
    })
  const images = createImageHandler({
    lookup: (id) => (api.session.project ? lookupImage(api.session.project.db, id) : null),
    log
  })
  const thumbBatch = createThumbBatchHandler(images)
  const bundle = createBundleHandler({ root: opts.staticDir, headers: SECURITY_HEADERS, log })
  const sse = new Set<ServerResponse>()
  const sockets = new Set<Socket>()
  let port = 0

  /**
   * The sign-ins: one per curator (actor = the name), or one acting as the API's own actor (actor null). Each
   * cookie carries its own secret, so the token (printed, maybe in a shell history) is not what the browser
   * stores, and one curator's cookie matches no other curator's secret.
   */
  const logins: Login[] = (curators ?? [null]).map((actor) => ({
    actor,
    token: curators ? newSecret() : token,
    spent: false,
    cookieSecret: newSecret()
  }))
  const SPENT =
    'this sign-in token was already used (it works once): switch to the browser tab that is signed in, or restart `poi-audit serve` for a new sign-in URL'

  /** The sign-in whose secret (token or cookie) `presented` is; every one is compared, in constant time. */
  function match(presented: string | null | undefined, secret: (l: Login) => string): Login | null {
    let found: Login | null = null
    for (const l of logins) if (secretEquals(presented, secret(l)) && !found) found = l
    return found
  }

  /** Spends a one-time token: 'ok' the first time it is presented, then 'spent'; 'wrong' for anything else. */
  function spend(presented: string | null | undefined): { r: 'ok' | 'spent'; login: Login } | { r: 'wrong' } {
    const login = match(presented, (l) => l.token)
    if (!login) return { r: 'wrong' }
    if (login.spent) return { r: 'spent', login }
    login.spent = true
    if (login.actor) log(`serve: ${login.actor} signed in`)
    return { r: 'ok', login }
  }

  /** The caller's sign-in, or the 401 message. A first Bearer use gets the session cookie. */
  function authenticate(req: IncomingMessage, res: ServerResponse): Login | string {
    const byCookie = match(parseCookies(req.headers.cookie).get(cookieName(port)), (l) => l.cookieSecret)
    if (byCookie) return byCookie
    const auth = req.headers.authorization
    if (typeof auth === 'string' && auth.startsWith('Bearer ')) {
      const s = spend(auth.slice(7).trim())
      if (s.r === 'spent') return SPENT
      if (s.r === 'ok') {
        res.setHeader('set-cookie', sessionCookie(port, s.login.cookieSecret))
        return s.login
      }
    }
    return 'not signed in: open the URL that `poi-audit serve` printed (it carries a one-time token)'
  }

  /** Same-origin checks for state-changing requests (CSRF): browsers send these headers. */
  function sameOrigin(req: IncomingMessage): boolean {
    const origin = req.headers.origin
    if (origin !== undefined && origin !== `http://${req.headers.host}`) return false
    const site = req.headers['sec-fetch-site']
    return site === undefined || site === 'same-origin' || site === 'none'
  }

  async function handleApi(req: IncomingMessage, res: ServerResponse, method: string, login: Login): Promise<void> {
    const fail = (status: number, r: ApiResult<never>): void => sendJson(res, status, r)
    if (req.method !== 'POST') return sendText(res, 405, 'use POST', { allow: 'POST' })
    if (!sameOrigin(req)) return fail(403, { ok: false, code: 'FORBIDDEN', message: 'cross-origin API call refused' })
    const type = String(req.headers['content-type'] ?? '')
      .split(';')[0]
      .trim()
      .toLowerCase()
    if (type !== 'application/json')
      return fail(415, { ok: false, code: 'INVALID_ARGS', message: 'the body must be application/json' })
    let body: Buffer
    try {
      body = await readBody(req, LIMITS.maxBodyBytes)
    } catch (e) {
      if (e instanceof BodyTooLarge) {
        res.setHeader('connection', 'close')
        return fail(413, {
          ok: false,
          code: 'INVALID_ARGS',
          message: `the body is larger than ${LIMITS.maxBodyBytes} bytes`
        })
      }
      throw e
    }
    let args: unknown
    try {
      args = body.byteLength ? JSON.parse(body.toString('utf8')) : {}
    } catch {
      return fail(400, { ok: false, code: 'INVALID_ARGS', message: 'the body is not valid JSON' })
    }
    // No argument of the contract nests deeper than a few levels; a 500k-deep body would overflow
    // the stack of validation or of the error message describing it.
    if (nestedDeeperThan(args, MAX_JSON_DEPTH)) {
      return fail(400, {
        ok: false,
        code: 'INVALID_ARGS',
        message: `the body nests deeper than ${MAX_JSON_DEPTH} levels`
      })
    }
    const r = await api.dispatch(method, args, login.actor ? { actor: login.actor } : undefined)
    sendJson(res, !r.ok && r.code === 'UNKNOWN_METHOD' ? 404 : 200, r)
  }

  function handleEvents(req: IncomingMessage, res: ServerResponse): void {
    if (req.method !== 'GET') return sendText(res, 405, 'use GET', { allow: 'GET' })
    res.writeHead(200, {
      ...SECURITY_HEADERS,
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive'
    })
    res.write(': connected\n\n')
    sse.add(res)
    const unsubscribe = api.subscribe((e) => res.write(sseFrame(e)))
    const beat = setInterval(() => res.write(': ping\n\n'), HEARTBEAT_MS)
    beat.unref()
    const done = (): void => {
      clearInterval(beat)
      unsubscribe()
      sse.delete(res)
    }
    req.on('close', done)
    res.on('error', done)
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!isAllowedHostHeader(req.headers.host, port)) return sendText(res, 403, 'forbidden: unexpected Host header')
    let url: URL
    try {
      url = new URL(req.url ?? '/', `http://${req.headers.host}`)
    } catch {
      return sendText(res, 400, 'bad request')
    }
    if (url.searchParams.has('token')) {
      if (req.method !== 'GET') return sendText(res, 405, 'use GET', { allow: 'GET' })
      const s = spend(url.searchParams.get('token'))
      if (s.r === 'wrong') return sendText(res, 401, 'wrong token: open the URL printed by poi-audit serve')
      if (s.r === 'spent') return sendText(res, 401, SPENT)
      url.searchParams.delete('token')
      return sendText(res, 303, 'signed in', {
        location: url.pathname + url.search,
        'set-cookie': sessionCookie(port, s.login.cookieSecret)
      })
    }
    const login = authenticate(req, res)
    if (typeof login === 'string') return sendText(res, 401, login, { 'www-authenticate': 'Bearer realm="poi-audit"' })
    const path = url.pathname
    if (path === '/api/events') return handleEvents(req, res)
    if (path.startsWith('/api/')) {
      let method: string
      try {
        method = decodeURIComponent(path.slice(5))
      } catch {
        return sendJson(res, 404, { ok: false, code: 'UNKNOWN_METHOD', message: 'no such API method' })
      }
      return handleApi(req, res, method, login)
    }
    if (req.method !== 'GET' && req.method !== 'HEAD')
      return sendText(res, 405, 'method not allowed', { allow: 'GET, HEAD' })
    if (path === '/img/thumbs')
      return sendResponse(res, await thumbBatch(url.searchParams.get('ids')), req.method === 'HEAD')
    const img = /^\/img\/([^/]+)$/.exec(path)
    if (img)
      return sendResponse(res, await images({ id: img[1], variant: url.searchParams.get('v') }), req.method === 'HEAD')
    return sendResponse(res, await bundle(path), req.method === 'HEAD')
  }

  const server: Server = createHttpServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      log(`serve: ${req.method} ${req.url}: ${(e as Error)?.stack ?? String(e)}`)
      if (!res.headersSent) sendText(res, 500, 'internal error')
      else res.destroy()
    })
  })
  server.on('connection', (s: Socket) => {
    sockets.add(s)
    s.on('close', () => sockets.delete(s))
  })
  server.requestTimeout = 60_000
  server.headersTimeout = 15_000

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  port = (server.address() as AddressInfo).port
  const shown = host.includes(':') ? `[${host}]` : host
  const url = `http://${shown}:${port}`

  const shownLogins = logins.map((l) => ({
    actor: l.actor ?? api.actor,
    token: l.token,
    loginUrl: `${url}/?token=${l.token}`
  }))
  return {
    url,
    loginUrl: shownLogins[0].loginUrl,
    token: shownLogins[0].token,
    logins: shownLogins,
    port,
    api,
    async close() {
      for (const r of sse) r.end()
      await new Promise<void>((resolve) => {
        server.close(() => resolve())
        for (const s of sockets) s.destroy()
      })
      if (ownApi) await api.close()
    }
  }
}
