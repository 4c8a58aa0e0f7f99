#!/usr/bin/env node
// Entry of the `poi-audit` command: runs the built CLI (out/main/cli.js). `npm run build` makes it.
import { existsSync } from 'node:fs'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { dirname, join } from 'node:path'

const here = dirname(fileURLToPath(import.meta.url))
const cli = join(here, '..', 'out', 'main', 'cli.js')
if (!existsSync(cli)) {
  console.error(`poi-audit: ${cli} is missing. Run "npm run build" in ${join(here, '..')} first.`)
  process.exit(70)
}
await import(pathToFileURL(cli).href)
