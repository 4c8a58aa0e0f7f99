/**
 * Serves the built renderer (out/renderer) for both the `app://bundle/` protocol (Electron) and the
 * browser-mode server, with the same containment rules as images: the URL path is decoded once,
 * refused if it still holds '%' (double encoding), NUL, a backslash or a `..` segment, then resolved
 * under the realpath'ed root and realpath'ed again (symlinks) before the containment check. Only
 * regular files with an allow-listed extension are served, each with the caller's security headers.
 */
import { promises as fsp } from 'node:fs'
import path from 'node:path'
import { defaultCaseInsensitive, isInside, safeRelativeSegments } from './paths'

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.wasm': 'application/wasm',
  '.map': 'application/json; charset=utf-8'
}

export interface BundleServeOptions {
  /** The built renderer directory. */
  root: string
  /** Headers added to every answer (CSP, nosniff, ...). */
  headers: Record<string, string>
  log?(msg: string): void
}

/** Maps a URL pathname ('/assets/index-abc.js') to a Response. '/' serves index.html. */
export type BundleHandler = (pathname: string) => Promise<Response>

export function createBundleHandler(opts: BundleServeOptions): BundleHandler {
  const log = opts.log ?? (() => {})
  const ci = defaultCaseInsensitive()
  const fail = (status: number): Response =>
    new Response(status === 404 ? 'not found' : 'bad request', {
      status,
      headers: { ...opts.headers, 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' }
    })

  return async (pathname: string): Promise<Response> => {
    let decoded: string
    try {
      decoded = decodeURIComponent(pathname)
    } catch {
      return fail(400)
    }
    if (decoded.includes('%') || decoded.includes('\\') || decoded.includes('\0')) return fail(400)
    const rel = decoded === '/' || decoded === '' ? 'index.html' : decoded.replace(/^\/+/, '')
    const segs = safeRelativeSegments(rel)
    if (!segs) return fail(400)
    const type = TYPES[path.extname(segs[segs.length - 1]).toLowerCase()]
    if (!type) return fail(404)
    try {
      const root = await fsp.realpath(opts.root)
      const real = await fsp.realpath(path.resolve(root, ...segs))
      if (!isInside(root, real, path, ci)) {
        log(`bundle: ${pathname} resolves outside ${root}`)
        return fail(404)
      }
      const st = await fsp.stat(real)
      if (!st.isFile() || st.size > 64 * 1024 * 1024) return fail(404)
      const body = await fsp.readFile(real)
      return new Response(new Uint8Array(body), {
        status: 200,
        headers: {
          ...opts.headers,
          'content-type': type,
          'content-length': String(body.byteLength),
          'cache-control': 'no-cache'
        }
      })
    } catch {
      return fail(404)
    }
  }
}
