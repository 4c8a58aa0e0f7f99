/**
 * `poi-audit import <project> <source> [--format auto|folder|csv|ferplus|rafdb|affectnet] [--root DIR]
 * [--split train|val|test|none] [--create] [--json]`: imports a dataset, all or nothing, and prints
 * the import report (classes, splits, renamed classes, duplicate groups incl. conflicting labels,
 * skipped and undecodable files). Ctrl-C cancels and leaves the project as it was.
 */
import type { Command } from 'commander'
import { existsSync, rmSync, statSync } from 'node:fs'
import {
  importDataset,
  IMPORT_FORMATS,
  type ImportFormat,
  type ImportReport,
  type DuplicateGroup,
  type Split
} from '../../core/dataset/index'
import { createProject, openProject, type Project } from '../../core/project'
import { EXIT, processIo, runGuarded, usageExitCodes, UsageError, type CliIo } from '../ui/io'
import { createProgress } from '../ui/progress'
import { formatList, formatTable } from '../ui/table'
import { parseAlignMode, type AlignMode } from '../../core/align/mode'
import { faceStatusCounts, faceSummaryLine } from '../../core/align/store'

export interface ImportCliOptions {
  format?: string
  root?: string
  split?: string
  create?: boolean
  json?: boolean
  /** Face detection and alignment: auto (default), always or never. */
  align?: string
}

const SPLIT_CHOICES = ['train', 'val', 'test', 'none']

export function groupLine(g: DuplicateGroup): string {
  return g.paths.map((p, i) => `${p} (${g.labels[i] || '?'}${g.splits[i] ? `, ${g.splits[i]}` : ''})`).join(' = ')
}

/** The human-readable import report. `classes` orders the class rows (the project's class list). */
export function formatReport(r: ImportReport, classes: readonly string[], projectPath: string): string {
  const out: string[] = []
  out.push(
    `Imported ${r.imported} image(s) from ${r.source} (${r.format}) into ${projectPath} in ${r.seconds.toFixed(1)} s: import #${r.importId}`
  )
  out.push(
    `  listed ${r.listed}, decoded ${r.decoded}, undecodable ${r.decodeErrors.length}, skipped ${r.skipped.length}`
  )
  const splits = ['train', 'val', 'test', 'none'].filter((s) => r.countsBySplit[s])
  const keys = [
    ...classes.filter((c) => r.countsByClass[c]),
    ...Object.keys(r.countsByClass).filter((k) => !classes.includes(k))
  ]
  out.push(
    formatTable([
      ['class', ...splits, 'total'],
      ...keys.map((k) => [k, ...splits.map((s) => r.countsBySplitClass[s]?.[k] ?? 0), r.countsByClass[k]]),
      ['total', ...splits.map((s) => r.countsBySplit[s]), r.imported]
    ])
  )
  const renamed = Object.entries(r.classMapping)
  if (renamed.length) out.push(`  class names mapped: ${renamed.map(([a, b]) => `${a} → ${b}`).join(', ')}`)
  const d = r.duplicates
  const dupLine = (name: string, s: (typeof d)['exact']): string =>
    `    ${name.padEnd(7)} ${s.groups} group(s), ${s.images} image(s), ${s.conflicting} with conflicting labels, ${s.crossSplit} across splits`
  out.push('  duplicate groups involving this import:')
  out.push(dupLine('exact', d.exact) + '   (same file bytes)')
  out.push(dupLine('pixel', d.pixel) + '   (same decoded pixels)')
  out.push(dupLine('near', d.near) + '   (perceptual hash + signature; includes the above)')
  if (d.source.groups) out.push(dupLine('source', d.source) + '   (the source’s own dup_group column)')
  if (r.conflictingGroups.length) {
    out.push(`  groups whose copies carry different labels (${r.conflictingGroups.length}):`)
    out.push(
      formatList(
        r.conflictingGroups.map((g) => `[${g.kind}] ${groupLine(g)}`),
        15
      )
    )
  }
  if (r.skipped.length) {
    out.push(`  skipped, not imported (${r.skipped.length}):`)
    out.push(
      formatList(
        r.skipped.map((s) => `${s.path || '(no name)'}${s.line != null ? ` (line ${s.line})` : ''}: ${s.reason}`),
        20
      )
    )
  }
  if (r.decodeErrors.length) {
    out.push(`  imported but undecodable (${r.decodeErrors.length}), never trained on:`)
    out.push(
      formatList(
        r.decodeErrors.map((s) => `${s.path}: ${s.reason}`),
        20
      )
    )
  }
  if (r.warnings.length) {
    out.push('  warnings:')
    out.push(formatList(r.warnings, 20))
  }
  return out.join('\n') + '\n'
}

export async function importCommand(
  project: string,
  source: string,
  o: ImportCliOptions,
  io: CliIo = processIo,
  signal?: AbortSignal
): Promise<number> {
  return runGuarded(
    io,
    async () => {
      const format = (o.format ?? 'auto') as ImportFormat | 'auto'
      if (format !== 'auto' && !IMPORT_FORMATS.includes(format)) {
        throw new UsageError(`--format must be one of auto, ${IMPORT_FORMATS.join(', ')}; got "${o.format}"`)
      }
      let split: Split | null | undefined
      if (o.split != null) {
        if (!SPLIT_CHOICES.includes(o.split))
          throw new UsageError(`--split must be one of ${SPLIT_CHOICES.join(', ')}; got "${o.split}"`)
        split = o.split === 'none' ? null : (o.split as Split)
      }
      if (o.root != null && !existsSync(o.root)) throw new UsageError(`--root ${o.root} does not exist`)
      let align: AlignMode
      try {
        align = parseAlignMode(o.align ?? 'auto')
      } catch (e) {
        throw new UsageError((e as Error).message)
      }
      // --create on a missing (or empty) file makes the project; if the import is then refused, the
      // new file goes again: a refused import leaves nothing behind.
      const created = !!o.create && (!existsSync(project) || statSync(project).size === 0)
      if (created && existsSync(project)) rmSync(project)
      const p: Project = created ? createProject(project) : openProject(project)
      let ok = false
      const progress = createProgress(io, 'import')
      try {
        const report = await importDataset(p, source, {
          format,
          root: o.root,
          split,
          signal,
          // Loaded only when used: the face nets pull in tfjs (seconds of start-up).
          prepareFace:
            align === 'never' ? undefined : (await import('../../core/align/import-step')).alignImportStep(align),
          progress: (e) => progress.update(e.done, e.total, e.phase)
        })
        progress.stop()
        if (o.json) io.out(JSON.stringify(report, null, 2) + '\n')
        else io.out(formatReport(report, p.classes(), p.path))
        if (!o.json && align !== 'never')
          io.out(`  ${faceSummaryLine(faceStatusCounts(p.db, report.importId))} (--align ${align})\n`)
        ok = true
        return EXIT.ok
      } finally {
        progress.stop()
        p.close()
        if (created && !ok)
          for (const f of [p.path, `${p.path}-wal`, `${p.path}-shm`, `${p.path}-journal`, `${p.path}.lock`])
            rmSync(f, { force: true })
      }
    },
    project
  )
}

export function registerImport(program: Command): void {
  usageExitCodes(
    program
      .command('import')
      .description(
        'import a dataset (class folders, CSV, FERPlus votes, RAF-DB list, AffectNet CSV) into a project, all or nothing'
      )
      .argument('<project>', 'project file (create it with `poi-audit init`, or pass --create)')
      .argument('<source>', 'a folder of class folders, or an annotation file')
      .option('--format <format>', `source format: auto, ${IMPORT_FORMATS.join(', ')}`, 'auto')
      .option('--root <dir>', 'folder the annotation file’s image paths are relative to (default: the file’s folder)')
      .option('--split <split>', 'put every image in this split: train, val, test or none (overrides the source)')
      .option('--create', 'create the project file if it does not exist')
      .option('--json', 'print the import report as JSON')
      .option(
        '--align <mode>',
        'face detection and alignment: auto (tight face crops pass through), always, never',
        'auto'
      )
      .addHelpText(
        'after',
        `
Formats (auto-detected from the source's content):
  folder     root/<class>/*.jpg|png|tif|webp, optionally root/<train|val|test>/<class>/...
  csv        path,label[,split] with a header (extra columns are kept); , ; or tab; UTF-8 with or without BOM
  ferplus    fer2013new.csv vote file (label by FERPlus majority rule); images under --root
  rafdb      list_patition_label.txt ("train_00001.jpg 5"); images under --root (aligned names accepted)
  affectnet  training.csv / validation.csv (subDirectory_filePath, ..., expression)

Faces (--align): auto finds the face, levels the eyes and crops it to the canonical frame, passing images
that already are tight face crops through; always aligns every image with a face; never leaves pixels as
they are. Images with no face or several faces are flagged for review (faces table).

Undecodable files are imported with a decode error (and listed); missing files are skipped (and listed).
A source with bad rows (ragged, unknown class, path outside the root) is refused whole, naming each line.`
      )
  ).action(async (project: string, source: string, opts: ImportCliOptions) => {
    const controller = new AbortController()
    const onSigint = (): void => controller.abort()
    process.once('SIGINT', onSigint)
    try {
      process.exitCode = await importCommand(project, source, opts, processIo, controller.signal)
    } finally {
      process.removeListener('SIGINT', onSigint)
    }
  })
}
