/**
 * `poi-audit info <project> [--json]`: what a project holds — settings, classes with counts per split,
 * label states, duplicate groups (and those whose copies disagree), undecodable and skipped files,
 * the pixel caches and the imports. Opens the project read-only (no lock), so it also works while
 * another process writes it.
 */
import type { Command } from 'commander'
import { existsSync, readdirSync, statSync } from 'node:fs'
import { basename, dirname, resolve } from 'node:path'
import { recoverExportTarget, verifyExport } from '../../core/export/index'
import { projectSummary, type ProjectSummary } from '../../core/dataset/summary'
import { openProject } from '../../core/project'
import { EXIT, processIo, runGuarded, usageExitCodes, UsageError, type CliIo } from '../ui/io'
import { formatList, formatTable } from '../ui/table'
import { groupLine } from './import'
import { parseIntOption } from './init'

export interface InfoCliOptions {
  json?: boolean
  limit?: string
}

export function formatSummary(s: ProjectSummary): string {
  const out: string[] = []
  out.push(`${s.path}: "${s.name}", created ${s.createdAt || '?'} with POI Audit ${s.createdWith || '?'}`)
  out.push(`  pixel cache for the model: ${s.inputSize}×${s.inputSize}×${s.channels}`)
  out.push(`  classes (${s.classes.length}): ${s.classes.join(', ') || '(none yet)'}`)
  out.push(`  images: ${s.images} (${s.decoded} decoded, ${s.images - s.decoded} undecodable)`)
  const splits = ['train', 'val', 'test', 'none'].filter((x) => s.countsBySplitClass[x])
  if (s.images) {
    const keys = [
      ...s.classes.filter((c) => s.countsByClass[c]),
      ...Object.keys(s.countsByClass).filter((k) => !(s.classes as string[]).includes(k))
    ]
    out.push(
      formatTable([
        ['class', ...splits, 'total'],
        ...keys.map((k) => [k, ...splits.map((x) => s.countsBySplitClass[x]?.[k] ?? 0), s.countsByClass[k]]),
        ['total', ...splits.map((x) => Object.values(s.countsBySplitClass[x]).reduce((a, b) => a + b, 0)), s.images]
      ])
    )
    out.push(
      `  label states: ${Object.entries(s.states)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}`
    )
  }
  const d = s.duplicates
  out.push('  duplicate groups:')
  out.push(
    `    exact   ${d.exact.groups} group(s), ${d.exact.images} image(s), ${d.exact.conflicting} conflicting, ${d.exact.crossSplit} across splits`
  )
  out.push(
    `    pixel   ${d.pixel.groups} group(s), ${d.pixel.images} image(s), ${d.pixel.conflicting} conflicting, ${d.pixel.crossSplit} across splits`
  )
  out.push(
    `    near    ${d.near.groups} group(s), ${d.near.images} image(s), ${d.near.conflicting} conflicting, ${d.near.crossSplit} across splits`
  )
  if (d.source.groups)
    out.push(
      `    source  ${d.source.groups} group(s), ${d.source.images} image(s), ${d.source.conflicting} conflicting`
    )
  if (s.conflictingGroups.length) {
    out.push(`  groups whose copies carry different labels (${s.conflictingGroups.length}):`)
    out.push(
      formatList(
        s.conflictingGroups.map((g) => `[${g.kind}] ${groupLine(g)}`),
        15
      )
    )
  }
  if (s.decodeErrors.length) {
    out.push(`  undecodable images (${s.images - s.decoded}):`)
    out.push(
      formatList(
        s.decodeErrors.map((e) => `#${e.imageId} ${e.path}: ${e.reason}`),
        20
      )
    )
  }
  if (s.skippedTotal) {
    out.push(`  files skipped by imports (${s.skippedTotal}):`)
    out.push(
      formatList(
        s.skipped.map(
          (e) =>
            `import #${e.importId} ${e.path || '(no name)'}${e.line != null ? ` (line ${e.line})` : ''}: ${e.reason}`
        ),
        20
      )
    )
  }
  if (s.pixelCache.length)
    out.push(
      `  pixel caches: ${s.pixelCache.map((c) => `${c.size}×${c.size}×${c.channels} (${c.images} images)`).join(', ')}`
    )
  out.push(`  imports (${s.imports.length}):`)
  out.push(
    s.imports.length
      ? formatTable(
          [
            ['#', 'format', 'images', 'skipped', 'undecodable', 'finished', 'source'],
            ...s.imports.map((i) => [i.id, i.format, i.imported, i.skipped, i.decodeErrors, i.finishedAt, i.source])
          ],
          '    '
        )
      : '    (none)'
  )
  return out.join('\n') + '\n'
}

/** Whether `path` names an export (a folder, a file with its manifest, or what a killed export left). */
function isExportTarget(path: string): boolean {
  if (existsSync(path)) return statSync(path).isDirectory() || existsSync(`${path}.manifest.json`)
  const base = basename(path)
  const dir = dirname(path)
  return (
    existsSync(dir) &&
    readdirSync(dir).some(
      (n) => n.startsWith(`${base}.tmp-`) || n.startsWith(`${base}.old-`) || n.startsWith(`${base}.manifest.pending-`)
    )
  )
}

/** `info <export>`: repairs what an interrupted export left (saying what it found), then verifies it. */
async function exportInfo(target: string, o: InfoCliOptions, io: CliIo): Promise<number> {
  const recovered = await recoverExportTarget(target)
  for (const r of recovered) io.err(`note: ${r}\n`)
  const v = await verifyExport(target)
  const m = v.manifest
  if (o.json) io.out(JSON.stringify({ export: resolve(target), manifest: m, recovered }, null, 2) + '\n')
  else
    io.out(
      `${resolve(target)}: ${m.kind} export (version ${m.kindVersion}), ${m.rows} records in ${m.files.length} file(s), written ${m.createdAt}; every file matches its manifest\n`
    )
  return EXIT.ok
}

export async function infoCommand(project: string, o: InfoCliOptions, io: CliIo = processIo): Promise<number> {
  return runGuarded(
    io,
    async () => {
      const limit = o.limit != null ? parseIntOption('--limit', o.limit, 1, 100000) : 50
      if (!project) throw new UsageError('missing <project>')
      if (isExportTarget(project)) return exportInfo(project, o, io)
      const p = openProject(project, { readonly: true })
      try {
        const s = projectSummary(p, limit)
        io.out(o.json ? JSON.stringify(s, null, 2) + '\n' : formatSummary(s))
        return EXIT.ok
      } finally {
        p.close()
      }
    },
    project
  )
}

export function registerInfo(program: Command): void {
  usageExitCodes(
    program
      .command('info')
      .description(
        'show what a project holds: classes, counts per class and split, duplicates, undecodable and skipped files, imports; given an export, repair what an interrupted export left and verify it'
      )
      .argument('<project>', 'project file (or an export folder / single-file export)')
      .option('--json', 'print everything as JSON')
      .option('--limit <n>', 'how many undecodable/skipped files to list', '50')
  ).action(async (project: string, opts: InfoCliOptions) => {
    process.exitCode = await infoCommand(project, opts)
  })
}
