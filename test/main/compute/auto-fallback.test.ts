// threads: 'auto' on a build that ships only the single-threaded wasm binaries: 1 thread, said so, still wasm.
// Own file: the thread count is fixed when the wasm backend first initialises in a process.
import { afterAll, describe, expect, it } from 'vitest'
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describeCompute, initCompute, resolveWasmDir } from '../../../src-main/core/compute/backend'
import { NO_NATIVE } from './loaders'

const dir = mkdtempSync(join(tmpdir(), 'poi-simdonly-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('auto threads without the threaded binary', () => {
  it('falls back to 1 thread with a warning instead of failing', async () => {
    for (const f of ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm'])
      copyFileSync(join(resolveWasmDir(), f), join(dir, f))
    const info = await initCompute({ wasmDir: dir, machine: { cores: 2, load1: 0 }, loaders: NO_NATIVE })
    expect(info.backend).toBe('wasm')
    expect(info.threads).toBe(1)
    expect(info.warnings).toEqual([
      `auto would use 2 threads, but tfjs-backend-wasm-threaded-simd.wasm is not in ${dir}: 1 thread`
    ])
    expect(describeCompute(info)).toMatch(
      /^backend wasm \(SIMD, 1 thread\) — .*auto would use 2 threads, but tfjs-backend-wasm-threaded-simd\.wasm is not in/
    )
  })
})
