/**
 * The layer rules of docs/ARCHITECTURE.md as an ESLint rule (`layers/boundaries`), so a wrong import
 * fails `npm run lint` instead of waiting for a review:
 *
 *  1. src-main/core/ never imports Electron, nor the CLI, the server, the Electron main code or the
 *     renderer (it runs in the CLI, the server, workers and tests).
 *  2. The renderer reaches main code only through the API contract and client (API_SURFACE).
 *  3. A core folder imports only folders of a LOWER rank in CORE_RANKS (its own files freely). Two
 *     folders of one rank (score and train, for example) never import each other, so there can be no
 *     import cycle between core folders. A new folder must be given a rank here, else its imports fail.
 *
 * Each rule has a planted-violation test in test/main/lint/layers.test.ts.
 */
import { dirname, relative, resolve, sep } from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')

/**
 * Rank of each folder (or top-level file, by name without .ts) of src-main/core/. Lower ranks are
 * more basic; an import must go strictly downward.
 */
export const CORE_RANKS = {
  util: 0,
  fsutil: 0,
  classes: 0,
  compute: 0,
  model: 1,
  faceapi: 1,
  store: 2,
  project: 3,
  consensus: 3,
  dataset: 4,
  synth: 4,
  run: 4,
  audit: 4,
  align: 5,
  data: 5,
  export: 5,
  evaluate: 5,
  rerank: 5,
  score: 6,
  train: 6,
  api: 7,
  demo: 7
}

/** What the renderer may import from src-main (repo-relative, without extension). */
export const API_SURFACE = [
  'src-main/core/api/contract',
  'src-main/core/api/client',
  'src-main/core/api/methods',
  'src-main/core/api/thumb-batch',
  'src-main/core/classes'
]

/** Main-side code the core must never reach. */
const OUTSIDE_CORE = [
  'src-main/cli',
  'src-main/server',
  'src-main/electron',
  'src-main/preload',
  'src-main/index',
  'src-renderer'
]

const posix = (p) => p.split(sep).join('/')
const under = (p, dir) => p === dir || p.startsWith(dir + '/')

/** The core unit (folder or top-level file) of a repo-relative path inside src-main/core, else null. */
function coreUnit(rel) {
  if (!under(rel, 'src-main/core')) return null
  const parts = rel.slice('src-main/core/'.length).split('/')
  return parts.length > 1 ? parts[0] : parts[0].replace(/\.(ts|js|mts|json)$/, '')
}

function check(context, node, spec) {
  if (typeof spec !== 'string') return
  const file = posix(relative(ROOT, context.filename))
  const fromCore = coreUnit(file)
  const report = (message) => context.report({ node, message })
  if (fromCore != null && (spec === 'electron' || spec.startsWith('electron/'))) {
    return report('core code must not import electron (it runs in the CLI, the server, workers and tests)')
  }
  if (!spec.startsWith('.')) return
  const target = posix(relative(ROOT, resolve(dirname(context.filename), spec))).replace(/\.(ts|js|mts)$/, '')
  if (fromCore != null) {
    const out = OUTSIDE_CORE.find((d) => under(target, d))
    if (out) return report(`core code must not import ${out}/ (${spec}); core is the layer everything else uses`)
    const to = coreUnit(target)
    if (to == null || to === fromCore) return
    const a = CORE_RANKS[fromCore]
    const b = CORE_RANKS[to]
    if (a === undefined)
      return report(`core/${fromCore} has no rank in eslint/layers.js CORE_RANKS; give it one (docs/ARCHITECTURE.md)`)
    if (b === undefined)
      return report(`core/${to} has no rank in eslint/layers.js CORE_RANKS; give it one (docs/ARCHITECTURE.md)`)
    if (b >= a) {
      return report(
        `core/${fromCore} (rank ${a}) must not import core/${to} (rank ${b}): imports go to lower ranks only, so core folders cannot form a cycle (docs/ARCHITECTURE.md)`
      )
    }
    return
  }
  if (under(file, 'src-renderer') && under(target, 'src-main') && !API_SURFACE.includes(target)) {
    report(
      `the renderer reaches main code only through the API contract/client (${API_SURFACE.join(', ')}), not ${target}`
    )
  }
}

const boundaries = {
  meta: { type: 'problem', docs: { description: 'enforce the layers of docs/ARCHITECTURE.md' }, schema: [] },
  create(context) {
    const src = (node) => check(context, node, node.source?.value)
    return {
      ImportDeclaration: src,
      ExportNamedDeclaration: src,
      ExportAllDeclaration: src,
      ImportExpression: (node) => check(context, node, node.source.type === 'Literal' ? node.source.value : undefined)
    }
  }
}

export default { meta: { name: 'layers' }, rules: { boundaries } }
