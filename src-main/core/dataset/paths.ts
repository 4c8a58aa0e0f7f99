/**
 * Keeping every image path a source names inside its dataset root. Annotation files are untrusted:
 * `../x.jpg`, absolute paths, Windows drive or UNC paths, NUL bytes and symlinks that resolve outside
 * the root are all refused with a message naming the value.
 */
import { realpathSync } from 'node:fs'
import { isAbsolute, relative, resolve, sep } from 'node:path'

/** A path as a source wrote it, resolved against the root. */
export interface ResolvedPath {
  /** '/'-separated, relative to the (realpath'ed) root, as stored in images.rel_path. */
  relPath: string
  /** Absolute path on this machine. */
  absPath: string
}

/** True when `child` (absolute, normalised) is `root` or below it. */
export function isInside(root: string, child: string): boolean {
  const rel = relative(root, child)
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel))
}

/**
 * Resolves a source-relative path string. Backslashes are taken as separators (annotation files
 * written on Windows), so `a\\b.jpg` and `a/b.jpg` name the same file. Returns an error message
 * (without file/line: the caller adds those) or the resolved path. Does not touch the disk.
 */
export function resolveInRoot(root: string, raw: string): ResolvedPath | { error: string } {
  const value = raw.trim()
  if (!value) return { error: 'empty path' }
  if (value.includes('\0')) return { error: `path contains a NUL byte` }
  const p = value.replace(/\\/g, '/')
  if (p.startsWith('/') || /^[a-zA-Z]:/.test(p) || p.startsWith('//')) {
    return { error: `absolute path "${value}" is not allowed (paths must be relative to the dataset root)` }
  }
  if (p.split('/').some((seg) => seg === '..')) return { error: `path "${value}" leaves the dataset root ("..")` }
  const abs = resolve(root, ...p.split('/').filter((s) => s && s !== '.'))
  if (!isInside(root, abs)) return { error: `path "${value}" leaves the dataset root` }
  const relPath = relative(root, abs).split(sep).join('/')
  if (!relPath) return { error: `path "${value}" names the dataset root itself` }
  return { relPath, absPath: abs }
}

/**
 * Checks, on disk, that an existing file does not escape the root through a symlink. `realRoot` must
 * already be realpath'ed. Returns null when fine (or when the file does not exist: that is reported
 * as a missing file elsewhere), else the reason.
 */
export function symlinkEscape(realRoot: string, absPath: string): string | null {
  let real: string
  try {
    real = realpathSync(absPath)
  } catch {
    return null
  }
  return isInside(realRoot, real) ? null : `resolves outside the dataset root (to ${real})`
}
