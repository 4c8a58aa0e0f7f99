/**
 * Class-folder tree (torchvision ImageFolder / Keras layout): `<class>/<file>`, or with `bySplit`
 * `<split>/<class>/<file>` (images without a split go to `unsplit/`). Files are hard links to the
 * dataset's images (no extra space), copies when linking is impossible (another device). Only
 * labelled images (states labeled/ambiguous with a current label) are placed; file-name collisions
 * get the image id as a prefix. A missing source image is skipped and counted in the manifest.
 */
import { readdir, stat } from 'node:fs/promises'
import { join, posix } from 'node:path'
import { AtomicWriteError } from '../fsutil/atomic'
import { skip, step, type FormatContext, type FormatResult } from './context'
import { verifyExport, type ExportManifest } from './manifest'

/** Characters that cannot appear in a file name on some platform (and control characters), replaced by '_'. */
const safeName = (s: string): string =>
  Array.from(s, (ch) => (ch.charCodeAt(0) < 32 || '<>:"/\\|?*'.includes(ch) ? '_' : ch)).join('')

/**
 * Linking runs as blocking calls on the real file system (see AtomicDir.linkOrCopy), so the loop
 * hands the event loop back every this many milliseconds: progress, cancel and, in the app, IPC
 * stay responsive during a 35k-file export.
 */
const SLICE_MS = 8

export async function writeFolders(ctx: FormatContext): Promise<FormatResult> {
  const used = new Set<string>()
  const jobs: { src: string; rel: string }[] = []
  for (const r of ctx.rows) {
    if (r.label == null || (r.state !== 'labeled' && r.state !== 'ambiguous')) {
      skip(ctx, r.state === 'labeled' ? 'noLabel' : r.state)
      continue
    }
    const dir = ctx.bySplit ? posix.join(r.split ?? 'unsplit', ctx.classes[r.label]) : ctx.classes[r.label]
    let name = safeName(posix.basename(r.relPath))
    if (used.has(`${dir}/${name}`)) name = `${r.imageId}-${name}`
    used.add(`${dir}/${name}`)
    jobs.push({ src: join(r.datasetRoot, ...r.relPath.split('/')), rel: `${dir}/${name}` })
  }
  let n = 0
  let linked = 0
  let copied = 0
  const missing: string[] = []
  let sliceStart = performance.now()
  for (const job of jobs) {
    if (performance.now() - sliceStart > SLICE_MS) {
      await new Promise<void>((res) => setImmediate(res))
      sliceStart = performance.now()
    }
    ctx.signal?.throwIfAborted()
    try {
      const res = await ctx.sink.linkOrCopy(job.src, job.rel)
      if (res.linked) linked++
      else copied++
      step(ctx, ++n)
    } catch (e) {
      // A source image that vanished since import is reported, not fatal.
      if (!(e instanceof AtomicWriteError && e.code === 'ENOENT')) throw e
      skip(ctx, 'missingFile')
      if (missing.length < 20) missing.push(job.src)
    }
  }
  return { rows: n, options: { bySplit: ctx.bySplit, linked, copied, missingExamples: missing.sort() } }
}

/** Verifies a folder export (every file's size and sha256) and lists `class → files`. */
export async function readFoldersExport(
  target: string
): Promise<{ manifest: ExportManifest; byClass: Map<string, string[]> }> {
  const v = await verifyExport(target, 'folders')
  const byClass = new Map<string, string[]>()
  for (const f of v.manifest.files) {
    const parts = f.path.split('/')
    const cls = parts[parts.length - 2]
    byClass.set(cls, [...(byClass.get(cls) ?? []), f.path])
  }
  // Nothing but the listed files (and the manifest) may be in the tree.
  const listed = new Set(v.manifest.files.map((f) => f.path))
  const walk = async (rel: string): Promise<void> => {
    for (const e of await readdir(join(v.base, rel), { withFileTypes: true })) {
      const p = rel ? `${rel}/${e.name}` : e.name
      if (e.isDirectory()) await walk(p)
      else if (p !== 'manifest.json' && !listed.has(p) && (await stat(join(v.base, p))).isFile())
        throw new Error(`${join(v.base, p)} is not in the manifest`)
    }
  }
  await walk('')
  return { manifest: v.manifest, byClass }
}
