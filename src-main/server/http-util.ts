/** Small node:http helpers: Web Response → ServerResponse, bounded body reading, SSE framing. */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { SECURITY_HEADERS } from './policy'

/** Writes a Web `Response` (from the shared image/bundle handlers) with the security headers. */
export async function sendResponse(res: ServerResponse, r: Response, head = false): Promise<void> {
  const body = head ? null : Buffer.from(await r.arrayBuffer())
  const headers: Record<string, string> = { ...SECURITY_HEADERS }
  r.headers.forEach((v, k) => (headers[k] = v))
  res.writeHead(r.status, headers)
  res.end(body)
}

export function sendText(res: ServerResponse, status: number, text: string, extra: Record<string, string> = {}): void {
  const body = Buffer.from(text + '\n')
  res.writeHead(status, {
    ...SECURITY_HEADERS,
    'content-type': 'text/plain; charset=utf-8',
    'content-length': String(body.byteLength),
    'cache-control': 'no-store',
    ...extra
  })
  res.end(body)
}

export function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const body = Buffer.from(JSON.stringify(value))
  res.writeHead(status, {
    ...SECURITY_HEADERS,
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(body.byteLength),
    'cache-control': 'no-store'
  })
  res.end(body)
}

export class BodyTooLarge extends Error {}

/** Reads the request body, refusing more than `max` bytes (checked as bytes arrive, not after). */
export function readBody(req: IncomingMessage, max: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? NaN)
    if (Number.isFinite(declared) && declared > max) {
      reject(new BodyTooLarge())
      return
    }
    const chunks: Buffer[] = []
    let size = 0
    req.on('data', (c: Buffer) => {
      size += c.byteLength
      if (size > max) {
        reject(new BodyTooLarge())
        req.destroy()
        return
      }
      chunks.push(c)
    })
    req.on('end', () => resolve(Buffer.concat(chunks)))
    req.on('error', reject)
  })
}

/** One server-sent event carrying a JSON payload (JSON has no raw newlines, so one data line). */
export function sseFrame(payload: unknown): string {
  return `data: ${JSON.stringify(payload)}\n\n`
}
