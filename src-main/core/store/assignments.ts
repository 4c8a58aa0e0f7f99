/**
 * Review split between curators (table assignments, migration 0100): one assignment per curator, the
 * queue filter whose images that curator reviews. The store keeps the filter as an opaque JSON object;
 * the API validates it (it is the `images.queue` filter) before it is written and again when it is read.
 */
import type { DB } from './db'
import { nowIso } from './db'
import { ProjectError } from './errors'

export interface Assignment {
  id: number
  /** The curator it is for (label_history.actor). */
  actor: string
  /** The queue filter object (see the API's zQueueFilter). */
  filter: Record<string, unknown>
  /** ISO-8601 UTC. */
  createdAt: string
  /** The actor who made it. */
  createdBy: string
}

interface Row {
  id: number
  actor: string
  filter: string
  createdAt: string
  createdBy: string
}

const COLS = 'id, actor, filter, created_at AS createdAt, created_by AS createdBy'

function toAssignment(r: Row): Assignment {
  return { ...r, filter: JSON.parse(r.filter) as Record<string, unknown> }
}

/** Every assignment, by curator name. */
export function listAssignments(db: DB): Assignment[] {
  return (db.prepare(`SELECT ${COLS} FROM assignments ORDER BY actor, id`).all() as Row[]).map(toAssignment)
}

/** The assignment of one curator, or null. */
export function getAssignment(db: DB, actor: string): Assignment | null {
  const r = db.prepare(`SELECT ${COLS} FROM assignments WHERE actor = ?`).get(actor) as Row | undefined
  return r ? toAssignment(r) : null
}

/** Gives `actor` the images of `filter`, replacing the assignment they had (one per curator). */
export function setAssignment(db: DB, actor: string, filter: Record<string, unknown>, by: string): Assignment {
  if (!actor.trim()) throw new ProjectError('INVALID', 'an assignment needs a curator name')
  if (filter === null || typeof filter !== 'object' || Array.isArray(filter))
    throw new ProjectError('INVALID', `the assignment of ${actor}: the filter must be an object`)
  db.prepare(
    `INSERT INTO assignments (actor, filter, created_at, created_by) VALUES (?, ?, ?, ?)
     ON CONFLICT(actor) DO UPDATE SET filter = excluded.filter, created_at = excluded.created_at,
       created_by = excluded.created_by`
  ).run(actor, JSON.stringify(filter), nowIso(), by)
  return getAssignment(db, actor)!
}

/** Removes the assignment of `actor`; false when there was none. */
export function removeAssignment(db: DB, actor: string): boolean {
  return db.prepare('DELETE FROM assignments WHERE actor = ?').run(actor).changes > 0
}
