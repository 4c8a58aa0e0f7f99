/**
 * `poi-audit consensus <project> [--votes FILE] [--run N] [--method …] [--json]`: consensus labels from
 * every annotator's vote (imported with --votes, a long image,annotator,label CSV), every curator's
 * decisions and the dataset's own label, optionally with a run's model; per-annotator quality and the
 * images whose consensus differs from their current label.
 */
import type { Command } from 'commander'
import { projectConsensus, type ConsensusMethod, type ProjectConsensus } from '../../core/consensus/project'
import { importVotes } from '../../core/dataset/votes'
import { openProject } from '../../core/project'
import { EXIT, processIo, runGuarded, usageExitCodes, UsageError, type CliIo } from '../ui/io'
import { formatTable } from '../ui/table'
import { parseIntOption } from './init'

export interface ConsensusCliOptions {
  votes?: string
  run?: string
  method?: string
  given?: boolean
  json?: boolean
  limit?: string
}

const METHODS: ConsensusMethod[] = ['auto', 'majority', 'dawid-skene', 'crowdlab']

export function formatConsensus(c: ProjectConsensus, limit: number): string {
  const out: string[] = []
  const model =
    c.runId != null
      ? `, model: run ${c.runId} (${c.outOfSample ? 'out-of-sample' : 'in-training: its own labels leak in'}, weight ${c.modelWeight?.toFixed(2) ?? '–'})`
      : ''
  out.push(`consensus (${c.method}) over ${c.images.length} image(s) with votes${model}`)
  out.push(
    formatTable(
      [
        ['annotator', 'votes', 'quality', 'agrees with consensus'],
        ...c.annotators.map((a) => [a.annotator, a.votes, a.quality.toFixed(3), `${(a.agreement * 100).toFixed(1)} %`])
      ],
      '  '
    )
  )
  out.push(
    `${c.disagreeing} image(s) whose consensus differs from the current label${c.disagreeing ? ` (lowest consensus quality first, up to ${limit}):` : ''}`
  )
  const dis = c.images
    .filter((im) => im.currentLabel != null && im.currentLabel !== im.consensus)
    .sort((a, b) => b.quality - a.quality)
  if (dis.length) {
    out.push(
      formatTable(
        [
          ['image', 'current', 'consensus', 'quality', 'votes'],
          ...dis
            .slice(0, limit)
            .map((im) => [
              `#${im.imageId}`,
              c.classes[im.currentLabel!],
              c.classes[im.consensus],
              im.quality.toFixed(3),
              im.votes
            ])
        ],
        '  '
      )
    )
  }
  return out.join('\n') + '\n'
}

export async function consensusCommand(
  project: string,
  o: ConsensusCliOptions,
  io: CliIo = processIo
): Promise<number> {
  return runGuarded(io, async () => {
    if (!project) throw new UsageError('missing <project>')
    const method = (o.method ?? 'auto') as ConsensusMethod
    if (!METHODS.includes(method))
      throw new UsageError(`--method must be one of ${METHODS.join(', ')}; got "${o.method}"`)
    const runId = o.run != null ? parseIntOption('--run', o.run, 1, Number.MAX_SAFE_INTEGER) : null
    const limit = o.limit != null ? parseIntOption('--limit', o.limit, 1, 100000) : 20
    // Importing votes writes (takes the project's lock); reading alone does not.
    const p = openProject(project, { readonly: !o.votes })
    try {
      if (o.votes) {
        const r = importVotes(p, o.votes)
        io.err(
          `imported ${r.rows} vote(s) on ${r.images} image(s) from ${r.annotators.length} annotator(s) (${r.added} new, ${r.replaced} replaced) from ${r.file}\n`
        )
      }
      const c = projectConsensus(p.db, { runId, method, includeGiven: o.given !== false })
      io.out(o.json ? JSON.stringify(c, null, 2) + '\n' : formatConsensus(c, limit))
      return EXIT.ok
    } finally {
      p.close()
    }
  })
}

export function registerConsensus(program: Command): void {
  usageExitCodes(
    program
      .command('consensus')
      .description(
        'consensus labels and annotator quality from several annotators, the curators and optionally a model'
      )
      .argument('<project>', 'project file')
      .option(
        '--votes <file>',
        'first import votes: a CSV with columns image,annotator,label (image = path as imported, or #id); all or nothing'
      )
      .option('--run <id>', 'add this run’s model probabilities (use a k-fold run: out-of-sample)')
      .option('--method <m>', `${METHODS.join(' | ')} (auto: crowdlab-style with --run, else Dawid–Skene)`, 'auto')
      .option('--no-given', 'do not count the dataset’s original label as an annotator')
      .option('--json', 'print everything as JSON')
      .option('--limit <n>', 'how many disagreeing images to list', '20')
      .addHelpText(
        'after',
        '\nExit codes: 0 ok, 1 error, 2 usage, 3 bad input (bad votes file: every bad line is listed), 4 project locked or from a newer version.'
      )
  ).action(async (project: string, opts: ConsensusCliOptions) => {
    process.exitCode = await consensusCommand(project, opts)
  })
}
