// Test helpers: run the same computation on the cpu backend (reference) and on wasm + shims, compare.
import type { NamedAttrMap, Tensor } from '@tensorflow/tfjs'
import { tf } from '../../../src-main/core/compute/tf'

/** Deterministic uniform data in [-1, 1) (mulberry32), so both backends see identical inputs. */
export function seeded(n: number, seed: number): Float32Array {
  let a = seed >>> 0
  const out = new Float32Array(n)
  for (let i = 0; i < n; i++) {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    out[i] = (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1
  }
  return out
}

export function rand(shape: number[], seed: number): Tensor {
  return tf.tensor(
    seeded(
      shape.reduce((p, d) => p * d, 1),
      seed
    ),
    shape
  )
}

export interface Outputs {
  values: Float32Array[]
  shapes: number[][]
}

/** Runs `fn` on `backend` and returns its outputs as plain arrays; every tensor it made is disposed. */
export async function runOn(backend: 'cpu' | 'wasm' | 'tensorflow', fn: () => Tensor | Tensor[]): Promise<Outputs> {
  if (!(await tf.setBackend(backend))) throw new Error(`setBackend(${backend}) failed`)
  const outs = tf.tidy(fn)
  const list = Array.isArray(outs) ? outs : [outs]
  const values = list.map((t) => Float32Array.from(t.dataSync()))
  const shapes = list.map((t) => t.shape.slice())
  tf.dispose(list)
  return { values, shapes }
}

/** max |a - b| / max |ref|, the error measure of the brief (0 when both are all zeros). */
export function relErr(ref: Float32Array, got: Float32Array): number {
  if (ref.length !== got.length) return Infinity
  let maxDiff = 0
  let maxRef = 0
  for (let i = 0; i < ref.length; i++) {
    const d = Math.abs(ref[i] - got[i])
    if (Number.isNaN(d)) return Infinity // a NaN on one side only (or both) fails every tolerance
    maxDiff = Math.max(maxDiff, d)
    maxRef = Math.max(maxRef, Math.abs(ref[i]))
  }
  if (maxRef === 0) return maxDiff
  return maxDiff / maxRef
}

/**
 * Compares `fn` on cpu and `other` (default wasm); returns the worst relative error over its outputs (Infinity on shape
 * mismatch).
 */
export async function compareBackends(
  fn: () => Tensor | Tensor[],
  other: 'wasm' | 'tensorflow' = 'wasm'
): Promise<{ err: number; shapes: number[][] }> {
  const ref = await runOn('cpu', fn)
  const got = await runOn(other, fn)
  let err = 0
  ref.values.forEach((r, i) => {
    if (JSON.stringify(ref.shapes[i]) !== JSON.stringify(got.shapes[i])) err = Infinity
    else err = Math.max(err, relErr(r, got.values[i]))
  })
  return { err, shapes: got.shapes }
}

/** A kernel invoked directly, so that every attribute (explicit pads, rounding) reaches it as given. */
export function kernel(name: string, inputs: Record<string, Tensor>, attrs: Record<string, unknown>): Tensor {
  return tf.engine().runKernel(name, inputs, attrs as unknown as NamedAttrMap) as Tensor
}
