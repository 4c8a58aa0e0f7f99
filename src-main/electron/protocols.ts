/**
 * Protocol handlers: app:// serves the built UI (with the CSP header), poi-img:// serves images by id
 * through the same resolution/containment code as the browser-mode server, file:// is refused.
 * Handlers are plain `(request) => Promise<Response>` functions, tested under Node.
 */
import { createBundleHandler } from '../core/api/bundle-serve'
import { parseImageProtocolUrl, type ImageHandler } from '../core/api/image-serve'
import { APP_HOST, APP_SCHEME } from '../core/api/methods'
import { APP_HEADERS } from './policy'

export type ProtocolHandler = (request: { url: string; method?: string }) => Promise<Response>

function refuse(status: number): Response {
  return new Response(null, { status, headers: { 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' } })
}

/** app://bundle/<path> → a file of the built renderer; other hosts and methods are refused. */
export function createAppProtocolHandler(opts: { root: string; log?: (msg: string) => void }): ProtocolHandler {
  const bundle = createBundleHandler({ root: opts.root, headers: APP_HEADERS, log: opts.log })
  return async (req) => {
    if (req.method && req.method !== 'GET') return refuse(405)
    let u: URL
    try {
      u = new URL(req.url)
    } catch {
      return refuse(400)
    }
    if (u.protocol !== `${APP_SCHEME}:` || u.host !== APP_HOST) return refuse(404)
    return bundle(u.pathname)
  }
}

/** poi-img://img/<id>?v=thumb|full → the shared image handler. */
export function createImageProtocolHandler(images: ImageHandler): ProtocolHandler {
  return async (req) => {
    if (req.method && req.method !== 'GET') return refuse(405)
    const parsed = parseImageProtocolUrl(req.url)
    return parsed ? images(parsed) : refuse(400)
  }
}

/** file:// is never served: the UI has no business reading local files directly. */
export const refuseFileProtocol: ProtocolHandler = async () => refuse(403)
