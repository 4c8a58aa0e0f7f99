import type { DB } from './db'
import { ProjectError } from './errors'
import { CANONICAL_CLASSES, type ClassName } from '../classes'

/** Reads a meta value (JSON-decoded), or `fallback` when unset. */
export function getMeta<T>(db: DB, key: string, fallback: T): T {
  const row = db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined
  return row ? (JSON.parse(row.value) as T) : fallback
}

export function setMeta(db: DB, key: string, value: unknown): void {
  db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(
    key,
    JSON.stringify(value)
  )
}

/** The project's ordered class list; label columns index into it. */
export function getClasses(db: DB): ClassName[] {
  return (db.prepare('SELECT name FROM classes ORDER BY idx').all() as { name: ClassName }[]).map((r) => r.name)
}

/**
 * Makes the project's class list contain `names`. A project's list is kept in canonical order; when a
 * later import brings a class the project lacks, it is inserted at its canonical position only while no
 * labels exist yet, because existing label indices must never change meaning.
 */
export function ensureClasses(db: DB, names: Iterable<ClassName>): ClassName[] {
  const have = getClasses(db)
  const want = new Set<ClassName>([...have, ...names])
  const ordered = CANONICAL_CLASSES.filter((c) => want.has(c))
  if (ordered.length === have.length) return have
  const labelled = (db.prepare('SELECT count(*) AS n FROM annotations').get() as { n: number }).n
  if (labelled > 0) {
    const extra = ordered.filter((c) => !have.includes(c))
    // Appending keeps every existing index valid.
    const ins = db.prepare('INSERT INTO classes (idx, name) VALUES (?, ?)')
    extra.forEach((c, i) => ins.run(have.length + i, c))
    return getClasses(db)
  }
  db.prepare('DELETE FROM classes').run()
  const ins = db.prepare('INSERT INTO classes (idx, name) VALUES (?, ?)')
  ordered.forEach((c, i) => ins.run(i, c))
  return ordered
}

/** Index of `name` in the project's class list, or a ProjectError naming the class. */
export function classIndex(db: DB, name: ClassName): number {
  const row = db.prepare('SELECT idx FROM classes WHERE name = ?').get(name) as { idx: number } | undefined
  if (!row) throw new ProjectError('INVALID', `class "${name}" is not in this project (${getClasses(db).join(', ')})`)
  return row.idx
}
