/**
 * JSON read back from the project file (import reports, run metrics, audit explanations, face boxes).
 * A value that no longer parses used to become null without a word; now the API logs which record and
 * column is damaged and the view carries the column name in `damaged`, so the UI can say "damaged
 * record" instead of showing an empty field as if nothing had been stored.
 */
import type { JsonValue } from './contract'

export interface StoredJsonReader {
  /** The parsed value; null for SQL NULL or damaged text (then logged and listed in `damaged`). */
  read(text: string | null, column: string): JsonValue
  /** Columns of this record that held text that is not JSON. */
  readonly damaged: string[]
}

/**
 * What each log has been told already: a damaged record is logged once (per log, i.e. per API
 * instance), not on every read — the review reads an image's detail again on each visit and prefetch.
 */
const told = new WeakMap<(msg: string) => void, Set<string>>()

/** A reader for one record (`record` names it in the log, e.g. "run 3"). */
export function storedJsonReader(record: string, log: (msg: string) => void): StoredJsonReader {
  const damaged: string[] = []
  let seen = told.get(log)
  if (!seen) told.set(log, (seen = new Set()))
  return {
    damaged,
    read(text, column) {
      if (text == null) return null
      try {
        return JSON.parse(text) as JsonValue
      } catch (e) {
        damaged.push(column)
        // The same damage (record, column, length) is logged once; a different one again.
        const key = `${record}\u0000${column}\u0000${text.length}`
        if (seen.has(key)) return null
        if (seen.size > 10_000) seen.clear()
        seen.add(key)
        log(
          `damaged record: ${record} ${column} is not valid JSON (${(e as Error).message}; ${text.length} chars); shown as empty`
        )
        return null
      }
    }
  }
}

/** `{ damaged }` when some column was damaged, else nothing (the field is optional in the views). */
export function damagedField(r: StoredJsonReader): { damaged?: string[] } {
  return r.damaged.length ? { damaged: [...r.damaged] } : {}
}
