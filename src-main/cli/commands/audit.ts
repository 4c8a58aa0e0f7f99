/**
 * `poi-audit audit <project> [--run ID] [--method poi|cl] [--threshold path=value …] [--top N] [--json]`:
 * audits a training run's predictions against the current labels, stores the audit, prints a
 * class × flag summary and the top suspects with their explanations.
 *
 * Exit codes: the CLI's one table (cli/ui/io.ts).
 */
import type { Command } from 'commander'
import { openProject, type Project } from '../../core/project'
import { ProjectError } from '../../core/store/errors'
import { latestDoneRun } from '../../core/store/runs'
import { applyOverrides } from '../../core/audit/config'
import { auditItems, auditSummary, getAudit, runAudit } from '../../core/audit/store'
import { EXIT, UsageError, positiveInt, processIo, runGuarded, usageExitCodes, type CliIo } from '../ui/io'
import { createProgress } from '../ui/progress'

export interface AuditCliOptions {
  run?: string
  method?: string
  threshold?: string[]
  top?: string
  json?: boolean
}

const pad = (s: string | number, n: number): string => String(s).padEnd(n)
const lpad = (s: string | number, n: number): string => String(s).padStart(n)

export async function auditCommand(project: string, o: AuditCliOptions, io: CliIo = processIo): Promise<number> {
  return runGuarded(
    io,
    async () => {
      if (o.method && o.method !== 'poi' && o.method !== 'cl')
        throw new UsageError(`--method must be poi or cl, got "${o.method}"`)
      const top = o.top != null ? positiveInt('--top', o.top) : 10
      const runOpt = o.run != null ? positiveInt('--run', o.run) : null
      let config
      try {
        config = applyOverrides({ method: (o.method as 'poi' | 'cl' | undefined) ?? 'poi' }, o.threshold ?? [])
      } catch (e) {
        throw new UsageError((e as Error).message)
      }
      let p: Project | null = null
      const bar = createProgress(io, 'audit')
      try {
        p = openProject(project)
        const runId = runOpt ?? latestDoneRun(p.db)?.id
        if (runId == null)
          throw new ProjectError('INVALID', `${p.path} has no finished training run; train one first (poi-audit train)`)
        const auditId = await runAudit(p.db, runId, config, { progress: (e) => bar.update(e.done, e.total, e.phase) })
        bar.stop()
        const audit = getAudit(p.db, auditId)!
        const table = auditSummary(p.db, auditId)
        const suspects = auditItems(p.db, auditId, { scoredOnly: true, limit: top })
        const name = (k: number | null): string => (k == null ? '-' : (audit.summary.classes[k] ?? `#${k}`))
        const paths = new Map(
          (
            p.db
              .prepare(`SELECT id, rel_path FROM images WHERE id IN (${suspects.map(() => '?').join(',') || 'NULL'})`)
              .all(...suspects.map((s) => s.imageId)) as {
              id: number
              rel_path: string
            }[]
          ).map((r) => [r.id, r.rel_path])
        )
        if (o.json) {
          io.out(
            JSON.stringify(
              {
                auditId,
                runId,
                method: audit.method,
                summary: audit.summary,
                table,
                top: suspects.map((s) => ({ ...s, path: paths.get(s.imageId) }))
              },
              null,
              2
            ) + '\n'
          )
          return EXIT.ok
        }
        const s = audit.summary
        const lines: string[] = []
        lines.push(
          `Audit ${auditId} of run ${runId} (${audit.method}): ${s.images} images, ${s.scored} scored, in ${(s.durationMs / 1000).toFixed(2)} s`
        )
        lines.push(
          `  per-class thresholds: ${s.classes.map((c, k) => `${c} ${s.thresholds[k] >= 2 ? '-' : s.thresholds[k].toFixed(3)}`).join(', ')}`
        )
        if (s.confidenceCutAmbiguous != null)
          lines.push(`  UEM confidence cut (ambiguous): ${s.confidenceCutAmbiguous.toFixed(3)}`)
        if (s.skipped.noPrediction || s.skipped.unlabelled || s.skipped.classNotInRun) {
          lines.push(
            `  not scored: ${s.skipped.unlabelled} unlabelled, ${s.skipped.noPrediction} without prediction, ${s.skipped.classNotInRun} with a class the run lacks`
          )
        }
        const flags = table.flags
        const w = flags.map((f) => Math.max(f.length, 6))
        lines.push('')
        lines.push(`${pad('class', 14)}${lpad('images', 8)}  ${flags.map((f, i) => lpad(f, w[i])).join('  ')}`)
        for (const r of table.rows)
          lines.push(`${pad(r.name, 14)}${lpad(r.images, 8)}  ${r.counts.map((c, i) => lpad(c, w[i])).join('  ')}`)
        lines.push(
          `${pad('total', 14)}${lpad(
            table.rows.reduce((a, r) => a + r.images, 0),
            8
          )}  ${table.totals.map((c, i) => lpad(c, w[i])).join('  ')}`
        )
        for (const warn of s.warnings) lines.push(`warning: ${warn}`)
        lines.push('')
        lines.push(`Top ${suspects.length} suspects (lowest score = most likely a wrong label):`)
        for (const it of suspects) {
          const sugg =
            it.suggestedLabel != null
              ? ` → ${name(it.suggestedLabel)}${it.strength != null ? ` (${it.strength.toFixed(2)})` : ''}`
              : ''
          lines.push(
            `${lpad(it.rank ?? '-', 5)}. #${it.imageId} ${paths.get(it.imageId) ?? ''}  score ${it.score!.toFixed(3)}  ${name(it.givenLabel)}${sugg}  [${it.flags.join(', ')}]`
          )
          if (it.explanation) lines.push(`       ${it.explanation.text}`)
        }
        io.out(lines.join('\n') + '\n')
        return EXIT.ok
      } finally {
        bar.stop()
        p?.close()
      }
    },
    project
  )
}

function collect(v: string, prev: string[] = []): string[] {
  return [...prev, v]
}

export function registerAudit(program: Command): void {
  usageExitCodes(
    program
      .command('audit')
      .description('audit a training run against the current labels: flags, ranking, suggestions, explanations')
      .argument('<project>', 'the project file (.poi)')
      .option('--run <id>', 'the training run to audit (default: the newest finished run)')
      .option(
        '--method <m>',
        'poi (POI soft labels, UEM, regions) or cl (confident-learning baseline on the TRN probabilities)',
        'poi'
      )
      .option(
        '--threshold <path=value>',
        'override a setting, repeatable, e.g. ambiguous.confidencePercentile=0.25, mislabeled.thresholdScale=1.1',
        collect
      )
      .option('--top <n>', 'how many suspects to print', '10')
      .option('--json', 'print JSON instead of tables')
  ).action(async (project: string, opts: AuditCliOptions) => {
    process.exitCode = await auditCommand(project, opts)
  })
}
