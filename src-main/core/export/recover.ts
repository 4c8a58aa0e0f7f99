/**
 * Recovery of exports cut short by a crash (docs/reliability.md). Run before every export to a
 * destination, and by every reader of one (`verifyExport`), so what a crash left is repaired the
 * next time anyone looks, and the user is told what was found.
 *
 * Single file `out.csv`: the writer puts `out.csv.manifest.pending-<pid>-<sha16>.json` (naming the
 * new data's sha256) in place BEFORE renaming the new data over `out.csv`, then renames the pending
 * manifest over `out.csv.manifest.json`. A crash between the two renames leaves the new data with
 * the old manifest; the pending manifest names the new data's digest, so recovery finishes the
 * commit. A pending manifest whose digest is not the data's is a commit that never happened: removed.
 *
 * Folder `out/`: the writer fills `out.tmp-<pid>-<r>/` (manifest last), moves an old `out` to
 * `out.old-<pid>-<r>` and the temp folder to `out`. With `out` missing, a complete temp folder is
 * moved into place (finishing the swap), else the aside folder is restored; then leftovers go.
 *
 * Leftovers of a live process (another export running now) are never touched.
 */
import { createHash } from 'node:crypto'
import { createReadStream, existsSync, readdirSync, renameSync, rmSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import { esc, owned, recoverDirTarget } from '../fsutil/recover-dir'

export { recoverDirTarget }

async function sha256Of(path: string): Promise<string> {
  const h = createHash('sha256')
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer)
  return h.digest('hex')
}

function remove(path: string, found: string[], what: string): void {
  rmSync(path, { recursive: true, force: true })
  found.push(`removed ${what} ${path}`)
}

/** The pending manifest's name for data with this sha256 (written by the single-file sink). */
export function pendingManifestName(dest: string, sha256: string): string {
  return `${dest}.manifest.pending-${process.pid}-${sha256.slice(0, 16)}.json`
}

/** Repairs a single-file export at `dest`; returns what was found and done, in words. */
export async function recoverFileTarget(dest: string): Promise<string[]> {
  const dir = dirname(dest)
  const base = esc(basename(dest))
  if (!existsSync(dir)) return []
  const found: string[] = []
  const names = readdirSync(dir)
  const manifest = `${dest}.manifest.json`
  const pendingRe = new RegExp(`^${base}\\.manifest\\.pending-(\\d+)-([0-9a-f]{16})\\.json$`)
  let dataSha: string | null = null
  for (const n of names) {
    const m = pendingRe.exec(n)
    const p = join(dir, n)
    if (!m || owned(p, m[1])) continue
    if (dataSha == null && existsSync(dest)) dataSha = await sha256Of(dest)
    if (dataSha?.startsWith(m[2])) {
      renameSync(p, manifest)
      found.push(
        `finished an interrupted export: ${dest} is the new data, so its pending manifest ${n} was put in place`
      )
    } else {
      remove(p, found, 'the manifest of an export that never replaced the data (the previous export is intact):')
    }
  }
  // Temp files of the data and of the manifests: `<name>.<pid>.<random>.tmp` (fsutil/atomic.ts).
  const tmpRe = new RegExp(
    `^${base}(?:\\.manifest\\.json|\\.manifest\\.pending-\\d+-[0-9a-f]{16}\\.json)?\\.(\\d+)\\.[0-9a-f]{12}\\.tmp$`
  )
  for (const n of names) {
    const m = tmpRe.exec(n)
    const p = join(dir, n)
    if (m && !owned(p, m[1]) && existsSync(p)) remove(p, found, 'an unfinished temp file')
  }
  return found
}

/** Repairs whatever a crash left at `target` (a file or a folder export); returns what was done. */
export async function recoverExportTarget(target: string): Promise<string[]> {
  const isFile = existsSync(`${target}.manifest.json`) || /\.(csv|jsonl?|json)$/i.test(target)
  return isFile ? recoverFileTarget(target) : recoverDirTarget(target)
}
