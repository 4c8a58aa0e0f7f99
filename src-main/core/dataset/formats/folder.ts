/**
 * Class-per-folder trees: `root/<class>/**.jpg` or `root/<split>/<class>/**.jpg` (split folder names
 * in any case: train, Training, val, validation, test, PublicTest, …). Folder names are normalised
 * with normaliseClassName ("angry" → anger); a folder that is neither a class nor a split is an error,
 * so a typo never silently drops a class.
 */
import { readdirSync, realpathSync, statSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { normaliseClassName, canonicalOrder, type ClassName } from '../../classes'
import { locateItems } from '../locate'
import {
  ImportError,
  normaliseSplit,
  type ParsedSource,
  type SkippedFile,
  type SourceItem,
  type SourceProblem,
  type Split
} from '../types'

/** Extensions imported from folders. The refused formats are listed too, so they show up as decode errors. */
export const IMAGE_EXTENSIONS = new Set([
  '.jpg',
  '.jpeg',
  '.jpe',
  '.jfif',
  '.png',
  '.tif',
  '.tiff',
  '.webp',
  '.gif',
  '.bmp',
  '.svg',
  '.heic',
  '.heif',
  '.avif',
  '.jxl'
])

export interface FolderOptions {
  /** Split for every image when the tree has no split level. */
  split?: Split | null
  maxBytes: number
}

function ext(name: string): string {
  const i = name.lastIndexOf('.')
  return i > 0 ? name.slice(i).toLowerCase() : ''
}

function isDirLink(p: string): boolean {
  try {
    return statSync(p).isDirectory()
  } catch {
    return false
  }
}

interface Walk {
  files: string[] // relative to root, '/'-separated
  skipped: SkippedFile[]
}

/**
 * Names in `dir` that are not valid UTF-8: Node decodes them with U+FFFD, so the decoded name opens
 * nothing and would be reported as "file not found". Mapped to the raw bytes, in hex, for the message.
 */
function nonUtf8Names(dir: string, names: string[]): Map<string, string> {
  const bad = new Map<string, string>()
  if (!names.some((n) => n.includes('\uFFFD'))) return bad
  const strict = new TextDecoder('utf-8', { fatal: true })
  for (const raw of readdirSync(dir, { encoding: 'buffer' })) {
    try {
      strict.decode(raw)
    } catch {
      bad.set(raw.toString('utf8'), raw.toString('hex'))
    }
  }
  return bad
}

/** Every file below `dir` (relative paths, sorted), not following symlinked folders. */
function walk(root: string, rel: string, out: Walk): void {
  const entries = readdirSync(join(root, rel), { withFileTypes: true }).sort((a, b) =>
    a.name < b.name ? -1 : a.name > b.name ? 1 : 0
  )
  const badNames = nonUtf8Names(
    join(root, rel),
    entries.map((e) => e.name)
  )
  for (const e of entries) {
    const r = rel ? `${rel}/${e.name}` : e.name
    if (badNames.has(e.name)) {
      out.skipped.push({
        path: r,
        reason: `the name is not valid UTF-8 (bytes ${badNames.get(e.name)}); rename it to import it`
      })
      continue
    }
    if (e.name.startsWith('.')) {
      out.skipped.push({ path: r, reason: 'hidden file or folder' })
      continue
    }
    if (e.isSymbolicLink() && isDirLink(join(root, r))) {
      out.skipped.push({ path: r, reason: 'symlinked folder not followed' })
      continue
    }
    if (e.isDirectory()) walk(root, r, out)
    else if (IMAGE_EXTENSIONS.has(ext(e.name))) out.files.push(r)
    else out.skipped.push({ path: r, reason: 'not an image file name' })
  }
}

export function parseFolder(dir: string, opts: FolderOptions): ParsedSource {
  const source = resolve(dir)
  let st
  try {
    st = statSync(source)
  } catch {
    throw new ImportError([{ file: source, message: 'no such folder' }])
  }
  if (!st.isDirectory()) throw new ImportError([{ file: source, message: 'not a folder' }])
  const root = realpathSync(source)
  const top = readdirSync(root, { withFileTypes: true }).filter((e) => !e.name.startsWith('.'))
  const dirs = top.filter((e) => e.isDirectory())
  const problems: SourceProblem[] = []
  const skipped: SkippedFile[] = top
    .filter((e) => !e.isDirectory())
    .map((e) => ({
      path: e.name,
      reason:
        e.isSymbolicLink() && isDirLink(join(root, e.name))
          ? 'symlinked folder not followed'
          : 'not inside a class folder'
    }))
  const splitDirs = dirs.filter((d) => normaliseSplit(d.name) != null)
  // [relative class folder, class, split, split as written]
  const classDirs: { rel: string; cls: ClassName; split: Split | null; sourceSplit: string | null }[] = []
  const mapping: Record<string, string> = {}
  const known =
    'known classes: neutral, happiness (happy), surprise, sadness (sad), anger (angry), disgust, fear, contempt'

  const addClassDirs = (parent: string, names: string[], split: Split | null, sourceSplit: string | null): void => {
    for (const name of names) {
      const cls = normaliseClassName(name)
      const rel = parent ? `${parent}/${name}` : name
      if (!cls) {
        problems.push({ file: join(root, rel), message: `folder "${name}" is not a class name (${known})` })
        continue
      }
      if (name !== cls) mapping[name] = cls
      classDirs.push({ rel, cls, split, sourceSplit })
    }
  }

  if (splitDirs.length) {
    const others = dirs.filter((d) => normaliseSplit(d.name) == null)
    for (const o of others) {
      problems.push({
        file: join(root, o.name),
        message: `folder "${o.name}" sits beside split folders (${splitDirs.map((d) => d.name).join(', ')}) but is not a split`
      })
    }
    for (const s of splitDirs) {
      const inner = readdirSync(join(root, s.name), { withFileTypes: true }).filter((e) => !e.name.startsWith('.'))
      for (const f of inner.filter((e) => !e.isDirectory()))
        skipped.push({ path: `${s.name}/${f.name}`, reason: 'not inside a class folder' })
      addClassDirs(
        s.name,
        inner
          .filter((e) => e.isDirectory())
          .map((e) => e.name)
          .sort(),
        opts.split ?? normaliseSplit(s.name) ?? null,
        s.name
      )
    }
  } else {
    addClassDirs('', dirs.map((d) => d.name).sort(), opts.split ?? null, null)
  }
  if (problems.length) throw new ImportError(problems)

  const listed: SourceItem[] = []
  for (const cd of classDirs) {
    const w: Walk = { files: [], skipped }
    walk(root, cd.rel, w)
    for (const f of w.files) {
      listed.push({
        relPath: f,
        absPath: join(root, ...f.split('/')),
        label: cd.cls,
        state: 'labeled',
        split: cd.split,
        sourceSplit: cd.sourceSplit
      })
    }
  }
  if (!listed.length) {
    throw new ImportError([
      {
        file: root,
        message: `no images found (expected ${root}/<class>/*.jpg|png|tif|webp, optionally under train/val/test folders)`
      }
    ])
  }
  const located = locateItems(listed, root, root, opts.maxBytes)
  if (located.problems.length) throw new ImportError(located.problems)
  return {
    format: 'folder',
    source,
    root,
    items: located.items,
    classes: canonicalOrder(classDirs.map((c) => c.cls)),
    classMapping: mapping,
    skipped: [...skipped, ...located.skipped],
    warnings: []
  }
}
