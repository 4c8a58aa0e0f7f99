/**
 * Many thumbnails in one response: `GET /img/thumbs?ids=1,2,3` (browser mode) and
 * `poi-img://thumbs/?ids=1,2,3` (Electron). Why: over HTTP/1.1 Chromium opens at most six
 * connections per host, so the ~70 thumbnails of a freshly shown grid page queued for 150–290 ms
 * each on a 2-core machine and the last arrived 350–520 ms after a jump. One batch answers in one
 * round trip. Every thumbnail still goes through the shared image handler (ids only, containment
 * checks, transcoding), so a batch can serve nothing a single request could not.
 *
 * Wire format "poi-thumbs" version 1 (little-endian):
 *   bytes 0–3   ASCII "POIT"
 *   bytes 4–7   u32 length H of the header
 *   H bytes     UTF-8 JSON {format: "poi-thumbs", version: 1, items: [{id, status, mime, bytes}]}
 *   then each item's bytes, back to back in header order (0 bytes for status ≠ 200).
 * No Node imports: the renderer decodes with the same module.
 */

/** Most ids in one batch (a screenful of thumbnails is ~100). */
export const THUMB_BATCH_MAX = 200
export const THUMB_BATCH_FORMAT = 'poi-thumbs'
export const THUMB_BATCH_VERSION = 1
const MAGIC = [0x50, 0x4f, 0x49, 0x54] // "POIT"

/** One thumbnail of a batch: HTTP-like status (200, 400, 404, 415, …), its type and encoded bytes. */
export interface ThumbBatchItem {
  id: number
  status: number
  mime: string
  data: Uint8Array
}

/** Checks `1,2,3` (positive decimal ids, 1..max of them, no repeats): the ids, or why not, in words. */
export function checkThumbIds(text: string | null, max = THUMB_BATCH_MAX): { ids: number[] } | { error: string } {
  if (!text) return { error: 'ids is missing: give ids=1,2,3' }
  const parts = text.split(',')
  if (parts.length > max) return { error: `too many ids (${parts.length}); at most ${max} per request` }
  const ids: number[] = []
  const seen = new Set<number>()
  for (const p of parts) {
    if (!/^[1-9][0-9]{0,15}$/.test(p) || !Number.isSafeInteger(Number(p)))
      return { error: `"${p.slice(0, 20)}" is not an image id (positive integer)` }
    const id = Number(p)
    if (seen.has(id)) return { error: `id ${id} is repeated; give each id once` }
    seen.add(id)
    ids.push(id)
  }
  return { ids }
}

/** Parses `1,2,3` (see checkThumbIds); null when malformed. */
export function parseThumbIds(text: string | null, max = THUMB_BATCH_MAX): number[] | null {
  const r = checkThumbIds(text, max)
  return 'ids' in r ? r.ids : null
}

export function encodeThumbBatch(items: readonly ThumbBatchItem[]): Uint8Array<ArrayBuffer> {
  const header = new TextEncoder().encode(
    JSON.stringify({
      format: THUMB_BATCH_FORMAT,
      version: THUMB_BATCH_VERSION,
      items: items.map((it) => ({ id: it.id, status: it.status, mime: it.mime, bytes: it.data.byteLength }))
    })
  )
  const total = 8 + header.byteLength + items.reduce((a, it) => a + it.data.byteLength, 0)
  const out = new Uint8Array(total)
  out.set(MAGIC, 0)
  new DataView(out.buffer).setUint32(4, header.byteLength, true)
  out.set(header, 8)
  let at = 8 + header.byteLength
  for (const it of items) {
    out.set(it.data, at)
    at += it.data.byteLength
  }
  return out
}

/** Decodes a batch; throws with the reason on a wrong magic, version, or lengths that do not add up. */
export function decodeThumbBatch(buf: ArrayBuffer | Uint8Array): ThumbBatchItem[] {
  const bytes = buf instanceof Uint8Array ? buf : new Uint8Array(buf)
  if (bytes.byteLength < 8 || MAGIC.some((b, i) => bytes[i] !== b))
    throw new Error('not a poi-thumbs batch (bad magic)')
  const h = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(4, true)
  if (8 + h > bytes.byteLength)
    throw new Error(`poi-thumbs batch: header of ${h} bytes overruns the ${bytes.byteLength}-byte body`)
  const head = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + h))) as {
    format?: unknown
    version?: unknown
    items?: { id: number; status: number; mime: string; bytes: number }[]
  }
  if (head.format !== THUMB_BATCH_FORMAT)
    throw new Error(`not a poi-thumbs batch (format ${JSON.stringify(head.format)})`)
  if (head.version !== THUMB_BATCH_VERSION)
    throw new Error(
      `poi-thumbs batch version ${JSON.stringify(head.version)} is not supported (this build reads ${THUMB_BATCH_VERSION})`
    )
  if (!Array.isArray(head.items)) throw new Error('poi-thumbs batch: no item list')
  let at = 8 + h
  const out: ThumbBatchItem[] = []
  for (const it of head.items) {
    if (!Number.isSafeInteger(it.bytes) || it.bytes < 0 || at + it.bytes > bytes.byteLength)
      throw new Error(`poi-thumbs batch: item ${it.id} overruns the body`)
    out.push({ id: it.id, status: it.status, mime: it.mime, data: bytes.subarray(at, at + it.bytes) })
    at += it.bytes
  }
  if (at !== bytes.byteLength) throw new Error(`poi-thumbs batch: ${bytes.byteLength - at} bytes after the last item`)
  return out
}

/** What serves one thumbnail: the shared image handler (core/api/image-serve.ts). */
export type SingleImageHandler = (req: { id: string; variant: string | null }) => Promise<Response>

/**
 * `ids` text → one batch response (400 for malformed or too many ids). Thumbnails are fetched one
 * after another: cached ones are a single SQLite read, and transcodes are spread by sharp anyway.
 */
export function createThumbBatchHandler(images: SingleImageHandler): (idsText: string | null) => Promise<Response> {
  return async (idsText) => {
    const checked = checkThumbIds(idsText)
    if ('error' in checked) {
      const headers = {
        'cache-control': 'no-store',
        'x-content-type-options': 'nosniff',
        'content-type': 'text/plain; charset=utf-8'
      }
      return new Response(`bad thumbnail batch: ${checked.error}\n`, { status: 400, headers })
    }
    const ids = checked.ids
    const items: ThumbBatchItem[] = []
    for (const id of ids) {
      const r = await images({ id: String(id), variant: 'thumb' })
      const ok = r.status === 200
      items.push({
        id,
        status: r.status,
        mime: ok ? (r.headers.get('content-type') ?? 'application/octet-stream') : '',
        data: ok ? new Uint8Array(await r.arrayBuffer()) : new Uint8Array(0)
      })
    }
    const body = encodeThumbBatch(items)
    return new Response(body, {
      status: 200,
      headers: {
        'content-type': 'application/vnd.poi-thumbs',
        'content-length': String(body.byteLength),
        'x-content-type-options': 'nosniff',
        'cache-control': 'no-store',
        'cross-origin-resource-policy': 'same-origin'
      }
    })
  }
}
