/**
 * Child process for the crash test: imports <source> into <project> and reports its progress on
 * stdout ("begin" once the import transaction is open, "chunk N" after each chunk is inserted,
 * "done" after COMMIT), so the parent can SIGKILL it at a known point.
 * Usage: node import-child.mjs <project> <source> [chunkSize]
 */
import { openProject } from '../../src-main/core/project'
import { importDataset } from '../../src-main/core/dataset/index'

const [project, source, chunk] = process.argv.slice(2)
const p = openProject(project)
let begun = false
const report = await importDataset(p, source, {
  chunkSize: Number(chunk ?? 16),
  progress: (e) => {
    if (e.phase === 'decode' && !begun) {
      begun = true
      process.stdout.write('begin\n')
    }
  },
  onChunk: (n) => void process.stdout.write(`chunk ${n}\n`)
})
process.stdout.write(`done ${report.imported}\n`)
p.close()
