#!/usr/bin/env node
// Installs the native TensorFlow engine (@tensorflow/tfjs-node) for this checkout, idempotently.
//
//   node scripts/native-tf.mjs setup    run by `npm ci` (postinstall); never fails the install
//   node scripts/native-tf.mjs check    exit 0 when the native engine loads and computes, 1 otherwise
//   node scripts/native-tf.mjs status   prints the recorded outcome of the last setup (JSON)
//
// Why a script of our own: tfjs-node's install script downloads libtensorflow 2.9.1 and a prebuilt addon
// from storage.googleapis.com. Where that works we use it (way 1). Where the network refuses it (these
// machines reach only the npm registry and pip's index) we take the TensorFlow C library from the
// `tensorflow-cpu` Python wheel, which pip resolves, and build the addon from source against it (way 2;
// recipe and checks in ../shared/notes/native-tf.md and docs/native-engine.md). When neither works the
// app falls back to wasm and says why (core/compute/backend.ts reads the status file written here).
//
// Nothing here is committed: the wheel is cached in .cache/tf-wheel/ (git-ignored); the library and the
// addon live inside node_modules/@tensorflow/tfjs-node/ (deps/, lib/), which any reinstall wipes — so
// `setup` checks first and redoes only what is missing.
//
// Environment: POI_NATIVE_TF=skip (do nothing), POI_TF_WHEEL=<path to a tensorflow*.whl> (use that
// wheel), POI_TF_WHEEL_SPEC (pip requirement, default tensorflow-cpu==2.21.0), POI_TF_DOWNLOAD=0 (skip
// tfjs-node's own download, e.g. when it is known to be refused).
import { spawnSync } from 'node:child_process'
import { createRequire } from 'node:module'
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync
} from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const require = createRequire(join(ROOT, 'package.json'))
const STATUS_FORMAT = 'poi-audit-native-tf-status'
const STATUS_VERSION = 1
const WHEEL_SPEC = process.env.POI_TF_WHEEL_SPEC || 'tensorflow-cpu==2.21.0'
const WHEEL_CACHE = join(ROOT, '.cache', 'tf-wheel')

/** The tfjs-node package folder, or null when the package is not installed. */
function packageDir() {
  try {
    return dirname(require.resolve('@tensorflow/tfjs-node/package.json'))
  } catch {
    return null
  }
}

function log(msg) {
  process.stderr.write(`[native-tf] ${msg}\n`)
}

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20, ...opts })
  const out = `${r.stdout ?? ''}${r.stderr ?? ''}`
  return { ok: r.status === 0 && !r.error, status: r.status, out, stdout: r.stdout ?? '', error: r.error }
}

function lastLines(text, n = 3) {
  return text.trim().split('\n').slice(-n).join(' | ').slice(0, 400)
}

/**
 * Loads the engine in a child process (a failed dlopen can abort the process) and runs one conv2d
 * and its gradient. Returns { ok, tfVersion, reason }.
 */
export function probe(pkg = packageDir()) {
  if (!pkg) return { ok: false, reason: '@tensorflow/tfjs-node is not installed' }
  const code = `
    process.env.TF_CPP_MIN_LOG_LEVEL = '2'
    const tf = require(${JSON.stringify(pkg)})
    if (tf.getBackend() !== 'tensorflow') throw new Error('backend is ' + tf.getBackend())
    const x = tf.ones([1, 4, 4, 1]), w = tf.ones([3, 3, 1, 2])
    const g = tf.grad((w) => tf.conv2d(x, w, 1, 'same').sum())(w)
    const s = g.sum().dataSync()[0]
    if (Math.abs(s - 200) > 1e-3) throw new Error('conv2d gradient sum ' + s + ', expected 200')
    process.stdout.write(JSON.stringify({ tfVersion: tf.backend().binding.TF_Version }))
  `
  const r = run(process.execPath, ['-e', code], { cwd: ROOT, timeout: 120_000 })
  if (!r.ok) return { ok: false, reason: `the addon does not load or compute: ${lastLines(r.out)}` }
  try {
    return { ok: true, tfVersion: JSON.parse(r.stdout.trim()).tfVersion }
  } catch {
    return { ok: false, reason: `unexpected probe output: ${lastLines(r.out)}` }
  }
}

function statusPath(pkg) {
  return join(pkg, 'poi-native-status.json')
}

function writeStatus(pkg, s) {
  const body = { format: STATUS_FORMAT, version: STATUS_VERSION, at: new Date().toISOString(), ...s }
  if (pkg) writeFileSync(statusPath(pkg), JSON.stringify(body, null, 2) + '\n')
  return body
}

/** Way 1: tfjs-node's own installer (downloads libtensorflow 2.9.1 and a prebuilt addon). */
function tryOwnDownload(pkg) {
  if (process.env.POI_TF_DOWNLOAD === '0') return { ok: false, reason: 'skipped (POI_TF_DOWNLOAD=0)' }
  log("trying tfjs-node's own download (libtensorflow 2.9.1 + prebuilt addon)…")
  const r = run(process.execPath, [join(pkg, 'scripts', 'install.js')], { cwd: pkg, timeout: 300_000 })
  if (!r.ok) return { ok: false, reason: `tfjs-node's download failed: ${lastLines(r.out, 2)}` }
  const p = probe(pkg)
  return p.ok ? { ok: true, tfVersion: p.tfVersion } : { ok: false, reason: p.reason }
}

/** A cached or freshly downloaded TensorFlow wheel, or { reason }. */
function findWheel() {
  if (process.env.POI_TF_WHEEL) {
    const w = resolve(process.env.POI_TF_WHEEL)
    return existsSync(w) ? { wheel: w } : { reason: `POI_TF_WHEEL=${w} does not exist` }
  }
  const cached = () =>
    existsSync(WHEEL_CACHE)
      ? readdirSync(WHEEL_CACHE)
          .filter((f) => /^tensorflow.*\.whl$/.test(f))
          .sort()
      : []
  let found = cached()
  if (!found.length) {
    mkdirSync(WHEEL_CACHE, { recursive: true })
    log(`downloading the ${WHEEL_SPEC} wheel with pip into ${WHEEL_CACHE} …`)
    const py = ['python3', 'python'].find((p) => run(p, ['-m', 'pip', '--version']).ok)
    if (!py) return { reason: 'no python3 with pip to fetch the TensorFlow wheel' }
    const r = run(py, ['-m', 'pip', 'download', '--no-deps', '--only-binary=:all:', '-d', WHEEL_CACHE, WHEEL_SPEC], {
      timeout: 900_000
    })
    if (!r.ok) return { reason: `pip download ${WHEEL_SPEC} failed: ${lastLines(r.out, 2)}` }
    found = cached()
    if (!found.length) return { reason: `pip download ${WHEEL_SPEC} saved no tensorflow wheel in ${WHEEL_CACHE}` }
  }
  return { wheel: join(WHEEL_CACHE, found[found.length - 1]) }
}

/** The wheel members tfjs-node needs, and where they go under deps/. */
const WHEEL_MEMBERS = [
  'tensorflow/libtensorflow_cc.so.2',
  'tensorflow/libtensorflow_framework.so.2',
  'tensorflow/include/tensorflow/c/*',
  'tensorflow/include/xla/tsl/c/*',
  'tensorflow/include/tsl/platform/ctstring*',
  'tensorflow/include/tensorflow/core/platform/ctstring*'
]

/** Way 2: the C library from the wheel, the addon built from source (about a minute). */
function buildFromWheel(pkg) {
  for (const tool of ['unzip', 'g++', 'make']) {
    if (!run('sh', ['-c', `command -v ${tool}`]).ok)
      return { ok: false, reason: `${tool} is not installed (needed to build the addon)` }
  }
  const w = findWheel()
  if (!w.wheel) return { ok: false, reason: w.reason }
  const deps = join(pkg, 'deps')
  const tmp = join(pkg, 'deps.tmp-poi')
  rmSync(tmp, { recursive: true, force: true })
  mkdirSync(tmp, { recursive: true })
  log(`extracting the TensorFlow C library from ${w.wheel} …`)
  const unz = run('unzip', ['-o', '-q', w.wheel, ...WHEEL_MEMBERS, '-d', tmp], { timeout: 600_000 })
  if (!unz.ok) return { ok: false, reason: `unzip of ${w.wheel} failed: ${lastLines(unz.out, 2)}` }
  const lib = join(tmp, 'lib')
  mkdirSync(lib, { recursive: true })
  renameSync(join(tmp, 'tensorflow', 'libtensorflow_cc.so.2'), join(lib, 'libtensorflow_cc.so.2'))
  renameSync(join(tmp, 'tensorflow', 'libtensorflow_framework.so.2'), join(lib, 'libtensorflow_framework.so.2'))
  renameSync(join(tmp, 'tensorflow', 'include'), join(tmp, 'include'))
  rmSync(join(tmp, 'tensorflow'), { recursive: true, force: true })
  // 788 MB → about 583 MB; the library works the same (checked in native-tf.md).
  run('strip', ['--strip-unneeded', join(lib, 'libtensorflow_cc.so.2')], { timeout: 300_000 })
  for (const [name, target] of [
    ['libtensorflow.so', 'libtensorflow_cc.so.2'],
    ['libtensorflow_framework.so', 'libtensorflow_framework.so.2'],
    // tfjs-node's installer treats the library as present when this name exists.
    ['libtensorflow.so.2.9.1', 'libtensorflow_cc.so.2']
  ]) {
    symlinkSync(target, join(lib, name))
  }
  rmSync(deps, { recursive: true, force: true })
  renameSync(tmp, deps)
  log('building the tfjs-node addon from source against it (about a minute) …')
  const nodedir = run('npm', ['config', 'get', 'nodedir']).out.trim()
  const env = { ...process.env }
  if (nodedir && nodedir !== 'undefined' && existsSync(join(nodedir, 'include', 'node', 'node_api.h')))
    env.npm_config_nodedir = nodedir
  else if (existsSync('/usr/include/node/node_api.h')) env.npm_config_nodedir = '/usr'
  const preGyp = join(
    dirname(require.resolve('@mapbox/node-pre-gyp/package.json', { paths: [pkg] })),
    'bin',
    'node-pre-gyp'
  )
  const b = run(process.execPath, [preGyp, 'install', '--build-from-source'], { cwd: pkg, env, timeout: 900_000 })
  if (!b.ok) return { ok: false, reason: `building the addon failed: ${lastLines(b.out, 3)}` }
  const p = probe(pkg)
  return p.ok ? { ok: true, tfVersion: p.tfVersion, wheel: w.wheel } : { ok: false, reason: p.reason }
}

function readStatus(pkg) {
  if (!pkg || !existsSync(statusPath(pkg))) return null
  try {
    const s = JSON.parse(readFileSync(statusPath(pkg), 'utf8'))
    return s.format === STATUS_FORMAT && s.version === STATUS_VERSION ? s : null
  } catch {
    return null
  }
}

function setup() {
  const t0 = Date.now()
  const pkg = packageDir()
  if (process.env.POI_NATIVE_TF === 'skip') {
    log('POI_NATIVE_TF=skip: not installing the native engine (the app will use wasm)')
    return writeStatus(pkg, { ok: false, method: null, reason: 'setup skipped (POI_NATIVE_TF=skip)' })
  }
  if (!pkg) {
    log('@tensorflow/tfjs-node is not installed: the app will use wasm')
    return { ok: false, reason: '@tensorflow/tfjs-node is not installed' }
  }
  const prior = readStatus(pkg)
  if (existsSync(join(pkg, 'lib')) && existsSync(join(pkg, 'deps', 'lib'))) {
    const p = probe(pkg)
    if (p.ok) {
      log(`native engine already works (TensorFlow ${p.tfVersion}); nothing to do`)
      return writeStatus(pkg, {
        ok: true,
        method: prior?.method ?? 'existing',
        tfVersion: p.tfVersion,
        reason: 'already installed',
        seconds: 0
      })
    }
  }
  const reasons = []
  const own = tryOwnDownload(pkg)
  if (own.ok) {
    log(`native engine installed by tfjs-node's own download (TensorFlow ${own.tfVersion})`)
    return writeStatus(pkg, {
      ok: true,
      method: 'tfjs-node download',
      tfVersion: own.tfVersion,
      seconds: (Date.now() - t0) / 1000
    })
  }
  reasons.push(own.reason)
  // A failed own-install may leave a half-written deps/ or addon behind.
  rmSync(join(pkg, 'lib', 'napi-v8'), { recursive: true, force: true })
  const built = buildFromWheel(pkg)
  if (built.ok) {
    log(
      `native engine built against the wheel (TensorFlow ${built.tfVersion}) in ${((Date.now() - t0) / 1000).toFixed(0)} s`
    )
    return writeStatus(pkg, {
      ok: true,
      method: 'built from the tensorflow-cpu wheel',
      wheel: built.wheel,
      tfVersion: built.tfVersion,
      seconds: (Date.now() - t0) / 1000
    })
  }
  reasons.push(built.reason)
  log(`native engine NOT installed; the app will use wasm. Why: ${reasons.join('; ')}`)
  return writeStatus(pkg, { ok: false, method: null, reason: reasons.join('; '), seconds: (Date.now() - t0) / 1000 })
}

const cmd = process.argv[2] ?? 'setup'
if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('native-tf.mjs')) {
  if (cmd === 'setup') {
    try {
      setup()
    } catch (e) {
      // The install must never fail because of the optional engine.
      log(`setup error (ignored; the app will use wasm): ${e?.stack ?? e}`)
      try {
        writeStatus(packageDir(), { ok: false, method: null, reason: `setup error: ${String(e?.message ?? e)}` })
      } catch {
        /* nothing more to do */
      }
    }
    process.exit(0)
  } else if (cmd === 'check') {
    const p = probe()
    process.stdout.write(
      p.ok ? `native engine ok: TensorFlow ${p.tfVersion}\n` : `native engine not usable: ${p.reason}\n`
    )
    process.exit(p.ok ? 0 : 1)
  } else if (cmd === 'status') {
    process.stdout.write(JSON.stringify(readStatus(packageDir()), null, 2) + '\n')
  } else {
    process.stderr.write('usage: node scripts/native-tf.mjs setup|check|status\n')
    process.exit(2)
  }
}
