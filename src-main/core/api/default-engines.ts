/**
 * The engines of this build, adapted to the API's engine interfaces. Each engine module lands with
 * its own helper; an engine that is not here yet stays undefined, so its methods answer
 * NOT_AVAILABLE (see engines.ts). Electron and `poi-audit serve` both start from this set.
 */
import { getAudit, runAudit } from '../audit/store'
import { latestDoneRun } from '../store/runs'
import type { JsonValue } from './contract'
import type { AuditEngine, Engines } from './engines'
import { ApiFailure } from './errors'

export const auditEngine: AuditEngine = {
  async run(project, req, ctx) {
    const runId = req.runId ?? latestDoneRun(project.db)?.id
    if (runId == null) throw new ApiFailure('NOT_AVAILABLE', 'no finished training run to audit; train a model first')
    const auditId = await runAudit(project.db, runId, {}, {
      signal: ctx.signal,
      progress: (e) => ctx.progress({ phase: e.phase, done: e.done, total: e.total })
    })
    const rec = getAudit(project.db, auditId)
    return { auditId, runId, summary: (rec?.summary ?? null) as unknown as JsonValue }
  }
}

/** Every engine present in this build. */
export function defaultEngines(): Engines {
  return { audit: auditEngine }
}
