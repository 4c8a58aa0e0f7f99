/**
 * `poi-audit export <project> --format csv|jsonl|ferplus|folders|labelstudio|cleanlab --out PATH
 * [--scope all|changed|reviewed|flagged] [--flags a,b] [--ids FILE] …`: writes one export
 * atomically (nothing appears at PATH unless it is complete, manifest included).
 * Exit codes: the CLI's one table (cli/ui/io.ts).
 */
import type { Command } from 'commander'
import { readFile } from 'node:fs/promises'
import { openProject, type Project } from '../../core/project'
import { ProjectError } from '../../core/store/errors'
import { exportProject, EXPORT_FORMATS, type ExportFormat, type ExportScope } from '../../core/export/index'
import { FLAG_NAMES, isFlagName, type FlagName } from '../../core/audit/flags'
import { EXIT, UsageError, positiveInt, processIo, runGuarded, usageExitCodes, type CliIo } from '../ui/io'
import { createProgress } from '../ui/progress'

export interface ExportCliOptions {
  format?: string
  out?: string
  scope?: string
  flags?: string
  ids?: string
  audit?: string
  run?: string
  force?: boolean
  spreadsheetSafe?: boolean
  bom?: boolean
  bySplit?: boolean
  imagePrefix?: string
  probs?: string
  json?: boolean
}

/** Reads image ids from a text file (separated by whitespace or commas); errors name the line. */
export async function readIdsFile(file: string): Promise<number[]> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (e) {
    throw new ProjectError('INVALID', `cannot read --ids file ${file}: ${(e as Error).message}`)
  }
  const ids: number[] = []
  text.split(/\r?\n/).forEach((line, i) => {
    for (const tok of line.split(/[\s,]+/).filter(Boolean)) {
      const n = Number(tok)
      if (!Number.isSafeInteger(n) || n < 1)
        throw new ProjectError('INVALID', `${file}:${i + 1}: "${tok}" is not an image id`)
      ids.push(n)
    }
  })
  if (!ids.length) throw new ProjectError('INVALID', `${file} holds no image ids`)
  return ids
}

/**
 * Opens read-only when the file is current (so an export works while the app has it open), else for writing once to
 * migrate.
 */
function openForExport(project: string): Project {
  try {
    return openProject(project, { readonly: true })
  } catch (e) {
    if (e instanceof ProjectError && e.code === 'MIGRATION_FAILED') return openProject(project)
    throw e
  }
}

export async function exportCommand(project: string, o: ExportCliOptions, io: CliIo = processIo): Promise<number> {
  return runGuarded(
    io,
    async () => {
      if (!o.format || !EXPORT_FORMATS.includes(o.format as ExportFormat)) {
        throw new UsageError(
          `--format must be one of ${EXPORT_FORMATS.join(', ')}${o.format ? `, got "${o.format}"` : ''}`
        )
      }
      if (!o.out) throw new UsageError('--out PATH is required')
      const format = o.format as ExportFormat
      let scope: ExportScope
      const kind = o.scope ?? 'all'
      if (o.ids) {
        if (o.scope && o.scope !== 'ids') throw new UsageError('--ids cannot be combined with --scope')
        scope = { kind: 'ids', ids: await readIdsFile(o.ids) }
      } else if (kind === 'all' || kind === 'changed' || kind === 'reviewed') scope = { kind }
      else if (kind === 'flagged') {
        const flags = (o.flags ?? '')
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean)
        const bad = flags.filter((f) => !isFlagName(f))
        if (bad.length) throw new UsageError(`unknown flag ${bad.join(', ')} (flags: ${FLAG_NAMES.join(', ')})`)
        scope = { kind: 'flagged', flags: flags.length ? (flags as FlagName[]) : undefined }
      } else throw new UsageError(`--scope must be all, changed, reviewed or flagged, got "${kind}"`)
      if (o.flags && kind !== 'flagged') throw new UsageError('--flags needs --scope flagged')
      if (o.probs && o.probs !== 'trn' && o.probs !== 'oim')
        throw new UsageError(`--probs must be trn or oim, got "${o.probs}"`)
      const auditId = o.audit == null ? undefined : o.audit === 'none' ? null : positiveInt('--audit', o.audit)
      const runId = o.run == null ? undefined : o.run === 'none' ? null : positiveInt('--run', o.run)
      const bar = createProgress(io, `export ${format}`)
      let p: Project | null = null
      try {
        p = openForExport(project)
        const res = await exportProject(p.db, {
          format,
          out: o.out,
          scope,
          auditId,
          runId,
          overwrite: !!o.force,
          spreadsheetSafe: !!o.spreadsheetSafe,
          bom: !!o.bom,
          bySplit: !!o.bySplit,
          imagePrefix: o.imagePrefix,
          probs: o.probs as 'trn' | 'oim' | undefined,
          projectPath: p.path,
          progress: (e) => bar.update(e.done, e.total, e.phase)
        })
        bar.stop()
        // What an earlier export killed mid-commit had left at the destination, and what was done.
        for (const r of res.recovered) io.err(`note: ${r}\n`)
        if (o.json) {
          io.out(
            JSON.stringify({
              out: res.out,
              format,
              rows: res.rows,
              skipped: res.skipped,
              seconds: res.seconds,
              files: res.files.length,
              recovered: res.recovered
            }) + '\n'
          )
        } else {
          const skipped = Object.entries(res.skipped).map(([k, v]) => `${v} ${k}`)
          io.out(
            `Exported ${res.rows} ${format} records to ${res.out} in ${res.seconds.toFixed(2)} s (${res.files.length} file(s) + manifest)\n`
          )
          if (skipped.length) io.out(`  left out: ${skipped.join(', ')}\n`)
          const missing = res.manifest.options.missingExamples as string[] | undefined
          if (missing?.length)
            io.err(
              `warning: ${res.skipped.missingFile} image file(s) are missing, e.g. ${missing.slice(0, 3).join(', ')}\n`
            )
        }
        return EXIT.ok
      } finally {
        bar.stop()
        p?.close()
      }
    },
    project
  )
}

export function registerExport(program: Command): void {
  usageExitCodes(
    program
      .command('export')
      .description('export labels (and audit results) atomically, with a versioned manifest')
      .argument('<project>', 'the project file (.poi)')
      .option('--format <f>', `one of ${EXPORT_FORMATS.join(', ')}`)
      .option(
        '--out <path>',
        'destination folder; for csv/jsonl/ferplus/labelstudio a path ending in .csv/.jsonl/.json writes one file + <file>.manifest.json'
      )
      .option('--scope <s>', 'all | changed | reviewed | flagged', 'all')
      .option('--flags <list>', 'with --scope flagged: only these flags (comma-separated)')
      .option('--ids <file>', 'only the image ids listed in this file (e.g. the UI filter)')
      .option('--audit <id>', 'audit whose flags/scores to include (default: newest; "none" to leave out)')
      .option(
        '--run <id>',
        'run whose predictions to include (default: the audit\'s run, else the newest finished; "none")'
      )
      .option('--force', 'replace an existing destination')
      .option('--spreadsheet-safe', "CSV: prefix free-text cells starting with = + - @ with '")
      .option('--bom', 'CSV: write a UTF-8 byte-order mark (Excel)')
      .option('--by-split', 'folders: <split>/<class>/ instead of <class>/')
      .option('--image-prefix <p>', 'labelstudio: image URL prefix (default /data/local-files/?d=)')
      .option('--probs <p>', 'cleanlab/labelstudio: trn (TRN probabilities, default) or oim (OIM soft label)')
      .option('--json', 'print a JSON result line')
  ).action(async (project: string, opts: ExportCliOptions) => {
    process.exitCode = await exportCommand(project, opts)
  })
}
