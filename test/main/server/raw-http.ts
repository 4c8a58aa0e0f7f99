/** Raw HTTP to a test server on 127.0.0.1 (fetch cannot set Host): the status, headers and body of one request. */
import { request } from 'node:http'

export interface Res {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: Buffer
}

export function rawHttp(
  port: number,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: string | Buffer
): Promise<Res> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, method, path, headers: { host: `127.0.0.1:${port}`, ...headers } },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }))
      }
    )
    req.on('error', reject)
    req.end(body)
  })
}

/** The `name=value` part of a Set-Cookie answer. */
export const cookieOf = (r: Res): string => String(r.headers['set-cookie']).split(';')[0]
