/**
 * Dataset import, the public entry: `importDataset(project, source, opts)` detects the format (or
 * takes the one given), parses the source strictly (nothing written on any problem), then runs the
 * all-or-nothing import engine.
 */
import type { Project } from '../project'
import { DEFAULT_LIMITS } from './decode'
import { detectFormat } from './detect'
import { parseAffectnet } from './formats/affectnet'
import { parseCsv } from './formats/csv'
import { parseFerplus } from './formats/ferplus'
import { parseFolder } from './formats/folder'
import { parseRafdb } from './formats/rafdb'
import { runImport, type RunImportOptions } from './import'
import type { ImportFormat, ImportReport, ParsedSource, Split } from './types'

export * from './types'
export { runImport, type RunImportOptions } from './import'
export { detectFormat } from './detect'
export {
  ensurePixelCache,
  identityFace,
  type PrepareFace,
  type FaceContext,
  type EnsureCacheResult
} from './cache-build'
export {
  decodeImage,
  sniffFormat,
  DEFAULT_LIMITS,
  ALLOWED_FORMATS,
  type DecodeLimits,
  type DecodedImage
} from './decode'

export interface ImportOptions extends RunImportOptions {
  /** Default 'auto'. */
  format?: ImportFormat | 'auto'
  /** Folder the annotation file's image paths are relative to (default: depends on the format). */
  root?: string
  /** Split for every image (overrides the source's). */
  split?: Split | null
}

/** Parses a source without touching any project (for previews and for `importDataset`). */
export function parseSource(
  source: string,
  opts: Pick<ImportOptions, 'format' | 'root' | 'split' | 'limits'> = {}
): ParsedSource {
  const format = !opts.format || opts.format === 'auto' ? detectFormat(source) : opts.format
  const common = { root: opts.root, split: opts.split, maxBytes: (opts.limits ?? DEFAULT_LIMITS).maxBytes }
  switch (format) {
    case 'folder':
      return parseFolder(source, common)
    case 'csv':
      return parseCsv(source, common)
    case 'ferplus':
      return parseFerplus(source, common)
    case 'rafdb':
      return parseRafdb(source, common)
    case 'affectnet':
      return parseAffectnet(source, common)
  }
}

/** Imports a dataset (folder or annotation file) into an open, writable project; all or nothing. */
export async function importDataset(project: Project, source: string, opts: ImportOptions = {}): Promise<ImportReport> {
  opts.progress?.({ phase: 'scan', done: 0, total: 1, message: source })
  const parsed = parseSource(source, opts)
  opts.progress?.({ phase: 'scan', done: 1, total: 1, message: `${parsed.items.length} file(s)` })
  return runImport(project, parsed, opts)
}
