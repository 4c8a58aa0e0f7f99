/**
 * Child process for the export kill test: exports <project> (opened read-only) as <format> to
 * <out>, replacing what is there. The parent sets POI_KILL_AT so the child SIGKILLs itself at one
 * step boundary of the writer (src-main/core/fsutil/fault.ts).
 * Usage: node export-child.mjs <project> <format> <out>
 */
import { openProjectDb } from '../../src-main/core/store/db'
import { exportProject, type ExportFormat } from '../../src-main/core/export/index'

const [project, format, out] = process.argv.slice(2)
const p = openProjectDb(project, { readonly: true, quickCheck: false })
await exportProject(p.db, { format: format as ExportFormat, out, overwrite: true, auditId: null })
p.close()
process.stdout.write('done\n')
