import { mkdirSync, rmSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { build } from 'esbuild'

/**
 * Bundles a child-process entry (test/fixtures-gen/*.ts) once so each child starts in a fraction of
 * a second; packages stay external and resolve from the repository's node_modules, hence the bundle
 * lives under it. Returns the bundle's path and a remover for afterAll.
 */
export async function bundleChild(entry: string): Promise<{ js: string; remove: () => void }> {
  const out = resolve('node_modules/.cache/poi-test')
  mkdirSync(out, { recursive: true })
  const name = entry.split('/').pop()!.replace(/\.ts$/, '')
  const js = join(out, `${name}-${process.pid}.mjs`)
  await build({
    entryPoints: [resolve(entry)],
    bundle: true,
    platform: 'node',
    format: 'esm',
    packages: 'external',
    outfile: js,
    logLevel: 'error'
  })
  return { js, remove: () => rmSync(js, { force: true }) }
}
