/**
 * The opaque cursor of images.queue's keyset paging: which sort it belongs to, the phase (keyed rows, then rows
 * without a key in id order), the last row's key and image id.
 */
import { ApiFailure } from '../errors'

export interface Cursor {
  /** Sort signature the cursor belongs to. */
  s: string
  /** 0 = keyed rows, 1 = rows whose key is NULL (by id). */
  p: 0 | 1
  k: number | null
  i: number
}

export function encodeCursor(c: Cursor): string {
  return Buffer.from(JSON.stringify(c)).toString('base64url')
}

/** Reads a cursor back; INVALID_ARGS when it is not one, or belongs to another sort than `signature`. */
export function decodeCursor(text: string, signature: string): Cursor {
  let c: Cursor
  try {
    c = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as Cursor
  } catch {
    throw new ApiFailure('INVALID_ARGS', 'cursor: not a cursor from images.queue')
  }
  const ok =
    c &&
    typeof c === 'object' &&
    typeof c.s === 'string' &&
    (c.p === 0 || c.p === 1) &&
    Number.isSafeInteger(c.i) &&
    (c.k === null || (typeof c.k === 'number' && Number.isFinite(c.k)))
  if (!ok) throw new ApiFailure('INVALID_ARGS', 'cursor: not a cursor from images.queue')
  if (c.s !== signature) throw new ApiFailure('INVALID_ARGS', `cursor: it belongs to sort ${c.s}, not ${signature}`)
  return c
}
