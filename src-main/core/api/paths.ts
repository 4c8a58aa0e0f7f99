/**
 * Path containment for everything the app serves from disk (images by id, the UI bundle).
 * Shared by the browser-mode server and Electron's protocol handlers so both enforce the same rules.
 * The `path` implementation is injected so Linux CI checks the Windows rules too (path.win32).
 */
import path from 'node:path'

/** The parts of node:path used here (path.posix and path.win32 both fit). */
export type PathImpl = Pick<typeof path, 'resolve' | 'relative' | 'isAbsolute' | 'sep' | 'normalize'>

/** File systems that compare names case-insensitively by default (NTFS, APFS). */
export function defaultCaseInsensitive(platform: string = process.platform): boolean {
  return platform === 'win32' || platform === 'darwin'
}

/**
 * True when `target` is strictly inside `root` (never equal to it). Both must be absolute and
 * already realpath'ed by the caller. Compares `path.relative` results rather than string prefixes,
 * so `/data/a-evil/x` is not inside `/data/a`.
 */
export function isInside(
  root: string,
  target: string,
  p: PathImpl = path,
  caseInsensitive = defaultCaseInsensitive()
): boolean {
  if (!p.isAbsolute(root) || !p.isAbsolute(target)) return false
  const r = caseInsensitive ? root.toLowerCase() : root
  const t = caseInsensitive ? target.toLowerCase() : target
  const rel = p.relative(p.resolve(r), p.resolve(t))
  if (rel === '' || p.isAbsolute(rel)) return false
  return rel !== '..' && !rel.startsWith(`..${p.sep}`)
}

/**
 * Checks a stored or requested relative path before it is joined to a root: no NUL, not absolute on
 * any platform (`/x`, `C:\x`, `C:x`, `\\server\share`), no `..` segment under either separator, not
 * empty. Returns the segments, or null when the path is refused.
 */
export function safeRelativeSegments(rel: string): string[] | null {
  if (typeof rel !== 'string' || rel.length === 0 || rel.length > 4096 || rel.includes('\0')) return null
  if (rel.startsWith('/') || rel.startsWith('\\') || /^[a-zA-Z]:/.test(rel)) return null
  const segs = rel.split(/[\\/]+/).filter((s) => s !== '' && s !== '.')
  if (segs.length === 0 || segs.some((s) => s === '..')) return null
  return segs
}
