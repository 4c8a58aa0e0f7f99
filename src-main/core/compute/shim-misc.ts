// Replacements for wasm kernels that exist but are slow (compute.md §1.1): Tile and Reverse. Each has a
// *plan* step on shapes only, returning null when the fast path does not apply so that the caller runs the
// original wasm kernel instead. (Transposed matmuls are wrapped in wasm-shims.ts, next to the originals.)
import type { Tensor } from '@tensorflow/tfjs'
import { tf } from './tf'
import { selectionMatrix } from './shim-util'

/** wasm's broadcasting Add supports at most this rank (XNNPACK's XNN_MAX_TENSOR_DIMS). */
const MAX_BROADCAST_RANK = 6

/** How fastTile broadcasts: x is reshaped to `xs`, added to zeros of shape `zs`, and reshaped to `out`. */
export interface TilePlan {
  xs: number[]
  zs: number[]
  out: number[]
}

/**
 * Tile as a broadcast: x reshaped to [.., 1, d_i, ..] plus zeros [.., r_i, 1, ..], then reshaped to the tiled
 * shape (block r_i of axis i holds a copy of x, as Tile does). Adjacent axes that are only copied or only
 * repeated are merged to keep the rank low. Null (use the native kernel) for bool or a rank above 6.
 */
export function tilePlan(shape: readonly number[], dtype: string, reps: readonly number[]): TilePlan | null {
  if (dtype !== 'float32' && dtype !== 'int32') return null
  if (reps.length !== shape.length) return null
  const xs: number[] = []
  const zs: number[] = []
  let last: 'keep' | 'rep' | 'both' | null = null
  for (let i = 0; i < shape.length; i++) {
    const d = shape[i]
    const r = reps[i]
    if (r === 1) {
      if (last === 'keep') xs[xs.length - 1] *= d
      else {
        xs.push(d)
        zs.push(1)
      }
      last = 'keep'
    } else if (d === 1) {
      if (last === 'rep') zs[zs.length - 1] *= r
      else {
        xs.push(1)
        zs.push(r)
      }
      last = 'rep'
    } else {
      xs.push(1, d)
      zs.push(r, 1)
      last = 'both'
    }
  }
  if (xs.length > MAX_BROADCAST_RANK) return null
  return { xs, zs, out: shape.map((d, i) => d * reps[i]) }
}

/** Runs a TilePlan. x + 0 is exact (only -0 becomes +0). */
export function fastTile(x: Tensor, plan: TilePlan): Tensor {
  return tf.reshape(tf.add(tf.reshape(x, plan.xs), tf.zeros(plan.zs, x.dtype)), plan.out)
}

/**
 * Longest axis the matmul flip is used for. Its cost grows with the axis length (2L FLOPs per element) while
 * Reverse's cost per element is flat. bench/kernels.ts (busy 2-vCPU box): L = 5: 3.6x faster, 9: 1.8x,
 * 16: 2.3x, 24: 1.3x, 32: 1.0x, 64: 0.76x. The POI crops are 3..9 wide.
 */
export const REVERSE_MATMUL_MAX_LEN = 24

/**
 * The axes fastReverse flips (size-1 axes dropped), or null when the native kernel should run: non-float32
 * data, or an axis longer than REVERSE_MATMUL_MAX_LEN.
 */
export function reversePlan(shape: readonly number[], dtype: string, dims: number | number[]): number[] | null {
  if (dtype !== 'float32') return null
  const list = typeof dims === 'number' ? [dims] : dims
  const axes = [...new Set(list.map((d) => (d < 0 ? d + shape.length : d)))].filter((a) => shape[a] > 1)
  if (axes.some((a) => shape[a] > REVERSE_MATMUL_MAX_LEN)) return null
  return axes
}

/**
 * Reverse via exact 0/1 anti-identity matmuls, one per reversed axis: x as [outer, L, inner] is multiplied by
 * P [L, L] from the left (batch-broadcast), or as [outer, L] from the right when inner = 1.
 * Exact for finite values. An Inf/NaN in x turns its whole reversed line into NaN (0 * Inf = NaN) where
 * Reverse would move it; a network that produces Inf has diverged anyway, and `fastReverse: false` restores
 * the native kernel.
 */
export function fastReverse(x: Tensor, axes: number[]): Tensor {
  if (axes.length === 0) return tf.clone(x)
  let out: Tensor = x
  for (const a of axes) {
    const len = x.shape[a]
    const outer = x.shape.slice(0, a).reduce((p, d) => p * d, 1)
    const inner = x.shape.slice(a + 1).reduce((p, d) => p * d, 1)
    const anti = selectionMatrix([...Array(len).keys()].reverse(), len)
    const flipped =
      inner === 1
        ? tf.matMul(tf.reshape(out, [outer, len]), anti)
        : tf.matMul(tf.reshape(anti, [1, len, len]), tf.reshape(out, [outer, len, inner]))
    out = tf.reshape(flipped, x.shape)
  }
  return out
}
