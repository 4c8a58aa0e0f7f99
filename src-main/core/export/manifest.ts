/**
 * The manifest every export carries: format name + version, what was exported and, for every file,
 * its size and sha256. In a folder export it is `manifest.json`, written last (the commit marker);
 * a single-file export gets `<file>.manifest.json` next to it. Readers trust an export only when
 * the manifest is there, its version is known and every file matches it.
 */
import { createReadStream } from 'node:fs'
import { readFile, stat } from 'node:fs/promises'
import { createHash } from 'node:crypto'
import { join, dirname, basename } from 'node:path'
import { recoverExportTarget } from './recover'

/** The manifest's own format name and version. */
export const EXPORT_MANIFEST_FORMAT = 'poi-audit-export'
export const EXPORT_MANIFEST_VERSION = 1

export const EXPORT_FORMATS = ['csv', 'jsonl', 'ferplus', 'folders', 'labelstudio', 'cleanlab'] as const
export type ExportFormat = (typeof EXPORT_FORMATS)[number]

/**
 * Version of each format's content (columns, record fields); bump on any change. 2 (csv, jsonl, ferplus): the
 * consensus of annotator votes (csv: consensus_label, consensus_quality; jsonl: `consensus`; ferplus: vote
 * counts from annotator_votes).
 */
export const FORMAT_VERSIONS: Record<ExportFormat, number> = {
  csv: 2,
  jsonl: 2,
  ferplus: 2,
  folders: 1,
  labelstudio: 1,
  cleanlab: 1
}

export interface ManifestFile {
  /** Relative to the export folder (or the single file's directory), '/'-separated. */
  path: string
  bytes: number
  sha256: string
}

export interface ExportManifest {
  format: typeof EXPORT_MANIFEST_FORMAT
  version: number
  kind: ExportFormat
  kindVersion: number
  createdAt: string
  app: { name: string; version: string }
  project: { path: string | null; classes: string[]; datasetRoots: string[] }
  runId: number | null
  auditId: number | null
  scope: unknown
  /** Records written (rows, lines, tasks, files). */
  rows: number
  /** Images left out, by reason. */
  skipped: Record<string, number>
  /** The options that shaped the content (spreadsheetSafe, bySplit, probs ...). */
  options: Record<string, unknown>
  files: ManifestFile[]
}

export class ExportFormatError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'ExportFormatError'
  }
}

/** Where an export's manifest lives: `<dir>/manifest.json`, or `<file>.manifest.json`. */
export async function manifestPathFor(target: string): Promise<{ manifest: string; base: string }> {
  const st = await stat(target).catch(() => null)
  if (!st) throw new ExportFormatError(`no export at ${target}`)
  return st.isDirectory()
    ? { manifest: join(target, 'manifest.json'), base: target }
    : { manifest: `${target}.manifest.json`, base: dirname(target) }
}

async function sha256File(path: string, size: number): Promise<string> {
  // Small files (images) in one read; big ones streamed.
  if (size <= 1 << 20)
    return createHash('sha256')
      .update(await readFile(path))
      .digest('hex')
  const h = createHash('sha256')
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer)
  return h.digest('hex')
}

export interface VerifiedExport {
  manifest: ExportManifest
  /** Absolute path of each manifest file, in manifest order. */
  files: string[]
  base: string
  /** What an interrupted export had left and what was done (empty normally). */
  recovered: string[]
}

/**
 * Reads and checks an export: the manifest's format and version (a newer version is refused with a
 * message saying so), the expected kind, and every listed file's size and sha256.
 */
export async function verifyExport(
  target: string,
  kind?: ExportFormat,
  opts: { checkHashes?: boolean } = {}
): Promise<VerifiedExport> {
  // A crash mid-commit may have left a pair recovery completes (or a folder swap half done).
  const recovered = await recoverExportTarget(target)
  const { manifest: mpath, base } = await manifestPathFor(target)
  let raw: string
  try {
    raw = await readFile(mpath, 'utf8')
  } catch {
    throw new ExportFormatError(
      `${target} has no manifest (${basename(mpath)}): it is incomplete or not a POI Audit export`
    )
  }
  let m: ExportManifest
  try {
    m = JSON.parse(raw) as ExportManifest
  } catch (e) {
    throw new ExportFormatError(`${mpath} is not valid JSON: ${(e as Error).message}`)
  }
  if (m.format !== EXPORT_MANIFEST_FORMAT)
    throw new ExportFormatError(`${mpath} is not a POI Audit export manifest (format "${m.format}")`)
  if (m.version !== EXPORT_MANIFEST_VERSION) {
    throw new ExportFormatError(
      `${mpath} has manifest version ${m.version}; this build reads version ${EXPORT_MANIFEST_VERSION} (written by a newer POI Audit?)`
    )
  }
  if (kind && m.kind !== kind) throw new ExportFormatError(`${target} is a ${m.kind} export, not ${kind}`)
  if (!(m.kind in FORMAT_VERSIONS)) throw new ExportFormatError(`${mpath}: unknown export kind "${m.kind}"`)
  if (m.kindVersion !== FORMAT_VERSIONS[m.kind]) {
    throw new ExportFormatError(
      `${target} is ${m.kind} version ${m.kindVersion}; this build reads version ${FORMAT_VERSIONS[m.kind]}`
    )
  }
  for (const f of m.files) {
    if (f.path.split('/').some((s) => s === '..' || s === '') || f.path.startsWith('/'))
      throw new ExportFormatError(`${mpath} lists a bad path "${f.path}"`)
  }
  const files = m.files.map((f) => join(base, ...f.path.split('/')))
  // Checked 16 at a time: a class-folder export lists one file per image.
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < m.files.length) {
      const i = next++
      const f = m.files[i]
      const abs = files[i]
      const st = await stat(abs).catch(() => null)
      if (!st) throw new ExportFormatError(`${abs} is listed in the manifest but missing`)
      if (st.size !== f.bytes) throw new ExportFormatError(`${abs} has ${st.size} bytes; the manifest says ${f.bytes}`)
      if (opts.checkHashes !== false && (await sha256File(abs, st.size)) !== f.sha256)
        throw new ExportFormatError(`${abs} does not match its sha256 in the manifest`)
    }
  }
  await Promise.all(Array.from({ length: Math.min(16, m.files.length) }, worker))
  return { manifest: m, files, base, recovered }
}
