/**
 * Which audit and which run the API reads: the newest audit, and its run (else the newest finished
 * run). Tables of engines that are not in a project yet (audits before migration 0040) read as
 * "no audit", so every query degrades to the label-only view instead of failing.
 */
import type { DB } from '../../store/db'
import { getClasses } from '../../store/meta'
import { hasTable } from '../session'
import { learnedOrderActive } from '../../rerank/queue'

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
}

export function readContext(db: DB): ReadContext {
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
  return { auditId, runId, classes: getClasses(db).length, learned }
}
