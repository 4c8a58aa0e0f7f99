/**
 * Which audit and which run the API reads: the newest audit, and its run (else the newest finished
 * run). Tables of engines that are not in a project yet (audits before migration 0040) read as
 * "no audit", so every query degrades to the label-only view instead of failing.
 */
import type { DB } from '../../store/db'
import { getClasses } from '../../store/meta'
import { hasTable } from '../session'
import { learnedOrderActive } from '../../rerank/queue'
import { getAssignment } from '../../store/assignments'
import { zAssignmentFilter, type AssignmentFilter } from '../contract'

export interface ReadContext {
  auditId: number | null
  runId: number | null
  /** The project's class count. */
  classes: number
  /**
   * The queue_order generation when the learning queue is on and has an order for this audit (the default order
   * is then the learned one), else null.
   */
  learned: number | null
  /** The session's curator and their assignment (filter.assigned 'me'); absent when no actor was given. */
  curator?: Curator
}

export interface Curator {
  actor: string
  /** Their assignment's filter; null when they have none or it cannot be read (`problem` says why). */
  assignment: AssignmentFilter | null
  problem?: string
}

/** The assignment of `actor`, checked against the contract (the stored JSON is read like any input). */
export function readCurator(db: DB, actor: string): Curator {
  const a = hasTable(db, 'assignments') ? getAssignment(db, actor) : null
  if (!a) return { actor, assignment: null }
  const parsed = zAssignmentFilter.safeParse(a.filter)
  if (parsed.success) return { actor, assignment: parsed.data }
  return {
    actor,
    assignment: null,
    problem: `the stored assignment of ${actor} is not a valid filter (${parsed.error.issues[0]?.message}); set it again`
  }
}

/** `actor`: the session's curator, whose assignment filter.assigned 'me' reads. */
export function readContext(db: DB, actor?: string): ReadContext {
  let auditId: number | null = null
  let runId: number | null = null
  if (hasTable(db, 'audit_items')) {
    const a = db.prepare('SELECT id, run_id FROM audits ORDER BY id DESC LIMIT 1').get() as
      { id: number; run_id: number | null } | undefined
    if (a) {
      auditId = a.id
      runId = a.run_id
    }
  }
  if (runId == null) {
    const r = db.prepare("SELECT id FROM runs WHERE status = 'done' ORDER BY id DESC LIMIT 1").get() as
      { id: number } | undefined
    runId = r?.id ?? null
  }
  const learned = auditId != null && hasTable(db, 'queue_order') ? learnedOrderActive(db, auditId) : null
  const ctx: ReadContext = { auditId, runId, classes: getClasses(db).length, learned }
  if (actor != null) ctx.curator = readCurator(db, actor)
  return ctx
}
