/**
 * `poi-audit compare <project> <A> <B> [--json] [--ids N]`: run A (before) against run B (after),
 * typically B = `train --from-run A` after curator corrections. Prints accuracy per split and per-class
 * precision/recall (both against the current labels), flags resolved and new, changed suggestions and
 * each run's estimated remaining noise per class (core/evaluate/compare-runs.ts). Read-only.
 */
import type { Command } from 'commander'
import { openProject } from '../../core/project'
import { compareStoredRuns } from '../../core/evaluate/compare-load'
import { comparisonView, type RunComparisonView } from '../../core/evaluate/compare-runs'
import { EXIT, positiveInt, processIo, runGuarded, usageExitCodes, UsageError, type CliIo } from '../ui/io'
import { formatList, formatTable } from '../ui/table'
import { pct } from './train'

export interface CompareCliOptions {
  json?: boolean
  ids?: string
}

const signed = (a: number | null, b: number | null): string =>
  a == null || b == null ? '' : `${b >= a ? '+' : ''}${(100 * (b - a)).toFixed(1)}`

/** The comparison as text: one table per figure, A and B side by side. */
export function formatComparison(c: RunComparisonView, projectPath: string): string {
  const out: string[] = []
  out.push(
    `${projectPath}: run ${c.a} (before) vs run ${c.b} (after); accuracy and precision/recall against the ${c.measuredAgainst}`
  )
  out.push(
    formatTable([
      ['set', 'images', `run ${c.a}`, `run ${c.b}`, 'change (points)'],
      ...c.accuracy.map((r) => [r.set, r.images, pct(r.a), pct(r.b), signed(r.a, r.b)])
    ])
  )
  out.push(
    `  per class (${c.perClassSet === 'all' ? 'all labelled images both runs scored' : `${c.perClassSet} split`}):`
  )
  out.push(
    formatTable([
      ['class', 'support', `precision ${c.a}`, `precision ${c.b}`, `recall ${c.a}`, `recall ${c.b}`],
      ...c.perClass.map((r) => [
        r.name,
        r.support,
        pct(r.a.precision),
        pct(r.b.precision),
        pct(r.a.recall),
        pct(r.b.recall)
      ])
    ])
  )
  const f = c.flags
  out.push(
    `  flags (confident learning over each run's own training labels): run ${c.a} ${f.a}, run ${c.b} ${f.b}; resolved ${f.resolved}, new ${f.introduced}`
  )
  out.push(
    `  images whose suggestion changed: ${c.suggestionChanged}; images whose training label changed: ${c.labelsChanged}`
  )
  out.push('  estimated remaining noise per class (calibrated confident joint):')
  out.push(
    formatTable([
      ['class', `given ${c.a}`, `wrong ${c.a}`, `rate ${c.a}`, `given ${c.b}`, `wrong ${c.b}`, `rate ${c.b}`],
      ...c.noise.map((r) => [r.name, r.a.given, r.a.wrong, pct(r.a.rate), r.b.given, r.b.wrong, pct(r.b.rate)])
    ])
  )
  const ids = (label: string, list: number[], total: number): void => {
    if (list.length)
      out.push(
        `  ${label}${total > list.length ? ` (first ${list.length} of ${total})` : ''}:\n${formatList([list.map((i) => `#${i}`).join(' ')], 1)}`
      )
  }
  ids('flags resolved', f.resolvedIds, f.resolved)
  ids('new flags', f.introducedIds, f.introduced)
  ids('suggestion changed', c.suggestionChangedIds, c.suggestionChanged)
  return out.join('\n') + '\n'
}

export async function compareCommand(
  project: string,
  a: string,
  b: string,
  o: CompareCliOptions,
  io: CliIo = processIo
): Promise<number> {
  return runGuarded(
    io,
    async () => {
      const ra = positiveInt('<A>', a)
      const rb = positiveInt('<B>', b)
      if (ra === rb) throw new UsageError(`<A> and <B> must be two different runs (got ${ra} twice)`)
      const cap = o.ids != null ? positiveInt('--ids', o.ids) : 20
      const p = openProject(project, { readonly: true })
      try {
        const view = comparisonView(compareStoredRuns(p.db, ra, rb), o.json ? Math.max(cap, 500) : cap)
        io.out(o.json ? JSON.stringify(view, null, 2) + '\n' : formatComparison(view, p.path))
        return EXIT.ok
      } finally {
        p.close()
      }
    },
    project
  )
}

export function registerCompare(program: Command): void {
  usageExitCodes(
    program
      .command('compare')
      .description(
        'before/after of two runs (e.g. run A and `train --from-run A`): accuracy, per-class precision/recall, flags resolved and new, changed suggestions, remaining noise'
      )
      .argument('<project>', 'project file')
      .argument('<A>', 'run id before')
      .argument('<B>', 'run id after')
      .option('--json', 'print the comparison as JSON (id lists hold up to max(--ids, 500) ids)')
      .option('--ids <n>', 'how many image ids to list per list', '20')
  ).action(async (project: string, a: string, b: string, opts: CompareCliOptions) => {
    process.exitCode = await compareCommand(project, a, b, opts)
  })
}
