/**
 * Child process for the training kill test: trains <project> with a tiny config (JSON argument)
 * on the wasm engine and prints one line per progress event ("<phase> <epoch> <step>"), so the
 * parent can SIGKILL it at a chosen event.
 * Usage: node train-child.mjs <project> <config JSON>
 */
import { initCompute } from '../../src-main/core/compute/backend'
import { train } from '../../src-main/core/train/train'

const [project, config] = process.argv.slice(2)
await initCompute({ backend: 'wasm' })
await train({
  projectPath: project,
  config: JSON.parse(config),
  progress: (e) => void process.stdout.write(`${e.phase} ${e.epoch} ${e.step}\n`)
})
process.stdout.write('finished\n')
