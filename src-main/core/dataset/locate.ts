/**
 * The on-disk checks every importer runs on the files a source names, before anything is written:
 * symlinks that resolve outside the root are source errors (the import is refused, naming the line);
 * missing, unreadable, non-regular and oversized files are skipped and reported.
 */
import { lstatSync, realpathSync, statSync } from 'node:fs'
import { isInside } from './paths'
import type { SkippedFile, SourceItem, SourceProblem } from './types'

export interface LocateResult {
  items: SourceItem[]
  skipped: SkippedFile[]
  problems: SourceProblem[]
}

function errno(e: unknown): string {
  return (e as NodeJS.ErrnoException).code ?? ''
}

/**
 * Checks each item's file. `file` names the annotation file (or folder) in problem messages.
 * `maxBytes` is the decode size cap: larger files are skipped without being read.
 */
export function locateItems(
  items: readonly SourceItem[],
  realRoot: string,
  file: string,
  maxBytes: number
): LocateResult {
  const out: LocateResult = { items: [], skipped: [], problems: [] }
  for (const it of items) {
    let real: string
    try {
      real = realpathSync.native(it.absPath)
    } catch (e) {
      const code = errno(e)
      const reason =
        code === 'ENOENT' || code === 'ENOTDIR'
          ? 'file not found'
          : code === 'ELOOP'
            ? 'symlink loop'
            : code === 'EACCES' || code === 'EPERM'
              ? 'permission denied'
              : `cannot resolve (${code || (e as Error).message})`
      out.skipped.push({ path: it.relPath, reason, line: it.line })
      continue
    }
    if (!isInside(realRoot, real)) {
      out.problems.push({
        file,
        line: it.line,
        message: `"${it.relPath}" resolves outside the dataset root (to ${real})`
      })
      continue
    }
    let st
    try {
      st = lstatSync(it.absPath).isSymbolicLink() ? statSync(real) : lstatSync(it.absPath)
    } catch (e) {
      out.skipped.push({ path: it.relPath, reason: `cannot stat (${errno(e)})`, line: it.line })
      continue
    }
    if (!st.isFile()) {
      out.skipped.push({
        path: it.relPath,
        reason: st.isDirectory() ? 'is a folder, not a file' : 'not a regular file',
        line: it.line
      })
      continue
    }
    if (st.size > maxBytes) {
      out.skipped.push({ path: it.relPath, reason: `file too large (${st.size} bytes > ${maxBytes})`, line: it.line })
      continue
    }
    out.items.push(it)
  }
  return out
}
