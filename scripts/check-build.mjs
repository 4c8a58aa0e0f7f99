// After `electron-vite build`: every main-process bundle must at least parse under Node
// (electron-vite's __dirname shim has broken that before; see ../shared/notes/toolchain.md §2).
import { execFileSync } from 'node:child_process'
import { readdirSync, existsSync } from 'node:fs'
import { join } from 'node:path'

const dirs = ['out/main', 'out/preload']
let n = 0
for (const d of dirs) {
  if (!existsSync(d)) throw new Error(`build output ${d} is missing`)
  for (const f of readdirSync(d)) {
    if (!/\.(c|m)?js$/.test(f)) continue
    execFileSync(process.execPath, ['--check', join(d, f)], { stdio: 'inherit' })
    n++
  }
}
if (!existsSync('out/renderer/index.html')) throw new Error('out/renderer/index.html is missing')
console.log(`check-build: ${n} bundles parse`)
