// Kernel shims that make training on the tfjs wasm backend possible and fast (compute.md §1).
//
// Missing in wasm 4.22: Conv2DBackpropFilter, DepthwiseConv2dNative{BackpropFilter,BackpropInput}. Wrong: MaxPoolGrad
// (all-negative windows get no gradient).
// Present but slow: Conv2DBackpropInput (plain loop, ~10x slower than forward conv), BatchMatMul/_FusedMatMul
// with a transposed operand (~15x slower than NN), Tile (~80 ns/element; tfjs-core's batch-norm gradient
// tiles), Reverse (~30 ns/element; the POI model flips feature maps). Each shim is built from wasm kernels
// that are fast, and is checked against the cpu backend in test/main/compute/.
import type {
  BatchMatMulAttrs,
  Conv2DBackpropFilterAttrs,
  Conv2DBackpropInputAttrs,
  DepthwiseConv2dNativeBackpropFilterAttrs,
  DepthwiseConv2dNativeBackpropInputAttrs,
  KernelBackend,
  KernelConfig,
  KernelFunc,
  MaxPoolGradAttrs,
  Tensor,
  Tensor4D,
  TensorInfo,
  TileAttrs,
  ReverseAttrs
} from '@tensorflow/tfjs'
import { tf, type TF } from './tf'
import { asTensor, pair, requireNHWC } from './shim-util'
import { conv2dFilterGrad, conv2dInputGrad, type FilterGradStrategy } from './shim-conv'
import { depthwiseFilterGrad, depthwiseInputGrad } from './shim-depthwise'
import { fastReverse, fastTile, reversePlan, tilePlan } from './shim-misc'
import { maxPoolGradValues } from './shim-pool'

export type { FilterGradStrategy } from './shim-conv'

/** Which shims to install. Every flag defaults to on; turning one off keeps wasm's own kernel. */
export interface WasmShimOptions {
  /** Conv2DBackpropFilter algorithm (default 'conv': batch/channel swap + one dilated forward conv). */
  filterGradStrategy?: FilterGradStrategy
  /** Replace wasm's Conv2DBackpropInput by the phase-decomposition shim. */
  fastConvInputGrad?: boolean
  /** Replace wasm's Tile by a broadcast add. */
  fastTile?: boolean
  /** Run BatchMatMul/_FusedMatMul with transposes as explicit transpose + NN kernel. */
  fastTransposedMatMul?: boolean
  /** Replace wasm's Reverse by 0/1 matmuls (float32, axes up to REVERSE_MATMUL_MAX_LEN long). */
  fastReverse?: boolean
  /** Replace wasm's MaxPoolGrad, which loses the gradient of all-negative windows (see shim-pool.ts). */
  fixMaxPoolGrad?: boolean
}

/** Kernels replaced per backend: the original config (null when the backend had none). */
const originals = new Map<string, Map<string, KernelConfig | null>>()

/**
 * Registers the shims for the 'wasm' backend and returns their names (e.g. 'Conv2DBackpropFilter(conv)').
 * Call after importing '@tensorflow/tfjs-backend-wasm' (before or after setBackend). Calling it again first
 * removes the previous shims, so options can be changed (the kernel benchmark does).
 */
export function installWasmShims(tfArg: TF = tf, opts: WasmShimOptions = {}): string[] {
  if (tfArg.engine() !== tf.engine())
    throw new Error('installWasmShims: pass the tf exported by src-main/core/compute/tf (one tfjs instance)')
  uninstallShims('wasm')
  const strategy = opts.filterGradStrategy ?? 'conv'
  const names: string[] = []
  const put = (kernelName: string, label: string, make: (orig: KernelConfig | null) => KernelFunc): void => {
    replaceKernel('wasm', kernelName, make)
    names.push(label)
  }
  put('Conv2DBackpropFilter', `Conv2DBackpropFilter(${strategy})`, () => conv2dBackpropFilterKernel(strategy))
  if (opts.fastConvInputGrad !== false)
    put('Conv2DBackpropInput', 'Conv2DBackpropInput(phase)', () => conv2dBackpropInputKernel)
  put(
    'DepthwiseConv2dNativeBackpropFilter',
    'DepthwiseConv2dNativeBackpropFilter(pertap)',
    () => depthwiseBackpropFilterKernel
  )
  put(
    'DepthwiseConv2dNativeBackpropInput',
    'DepthwiseConv2dNativeBackpropInput(flip)',
    () => depthwiseBackpropInputKernel
  )
  if (opts.fastTile !== false) put('Tile', 'Tile(broadcast)', (orig) => tileKernel(need(orig, 'Tile')))
  if (opts.fixMaxPoolGrad !== false) put('MaxPoolGrad', 'MaxPoolGrad(js)', () => maxPoolGradKernel)
  if (opts.fastReverse !== false) put('Reverse', 'Reverse(matmul)', (orig) => reverseKernel(need(orig, 'Reverse')))
  if (opts.fastTransposedMatMul !== false) {
    put('BatchMatMul', 'BatchMatMul(transpose)', (orig) => transposedMatMulKernel(need(orig, 'BatchMatMul')))
    put('_FusedMatMul', '_FusedMatMul(transpose)', (orig) => transposedMatMulKernel(need(orig, '_FusedMatMul')))
  }
  return names
}

/**
 * The cpu fallback's own Conv2DBackpropFilter runs at ~0.012 GFLOP/s (compute.md §2.4), which makes any
 * conv training hang; the conv-swap dW on cpu is ~10x faster. Returns the installed names.
 */
export function installCpuShims(tfArg: TF = tf): string[] {
  if (tfArg.engine() !== tf.engine())
    throw new Error('installCpuShims: pass the tf exported by src-main/core/compute/tf (one tfjs instance)')
  uninstallShims('cpu')
  replaceKernel('cpu', 'Conv2DBackpropFilter', () => conv2dBackpropFilterKernel('conv'))
  return ['Conv2DBackpropFilter(conv)']
}

/** Restores the kernels that installWasmShims replaced (used by benchmarks to time native kernels). */
export function uninstallWasmShims(): void {
  uninstallShims('wasm')
}

/** Restores the kernels that installCpuShims replaced. */
export function uninstallCpuShims(): void {
  uninstallShims('cpu')
}

function uninstallShims(backendName: string): void {
  const replaced = originals.get(backendName)
  if (!replaced) return
  for (const [kernelName, orig] of replaced) {
    tf.unregisterKernel(kernelName, backendName)
    if (orig) tf.registerKernel(orig)
  }
  originals.delete(backendName)
}

function replaceKernel(backendName: string, kernelName: string, make: (orig: KernelConfig | null) => KernelFunc): void {
  const orig = tf.getKernel(kernelName, backendName) ?? null
  if (orig) tf.unregisterKernel(kernelName, backendName)
  if (!originals.has(backendName)) originals.set(backendName, new Map())
  originals.get(backendName)!.set(kernelName, orig)
  // Keep the original's setupFunc: wasm kernels bind their C function there when the backend initialises,
  // and the wrapped original (BatchMatMul, Tile, ...) fails without it if shims go in before setBackend.
  tf.registerKernel({
    kernelName,
    backendName,
    kernelFunc: make(orig),
    setupFunc: orig?.setupFunc,
    disposeFunc: orig?.disposeFunc
  })
}

function need(orig: KernelConfig | null, name: string): KernelConfig {
  if (!orig)
    throw new Error(`wasm shims: the wasm backend has no ${name} kernel to wrap (tfjs-backend-wasm version changed?)`)
  return orig
}

// ---- conv2d gradients -------------------------------------------------------------------------------

function conv2dBackpropFilterKernel(strategy: FilterGradStrategy): KernelFunc {
  return ({ inputs, attrs }) => {
    const a = attrs as unknown as Conv2DBackpropFilterAttrs
    requireNHWC('Conv2DBackpropFilter', a.dataFormat)
    return tf.tidy(() => {
      const x = asTensor<Tensor4D>(inputs.x)
      const dy = asTensor<Tensor4D>(inputs.dy)
      const g = tf.backend_util.computeConv2DInfo(
        x.shape,
        a.filterShape,
        a.strides,
        1,
        a.pad,
        a.dimRoundingMode,
        false,
        'channelsLast'
      )
      return conv2dFilterGrad(x, dy, g, strategy)
    })
  }
}

const conv2dBackpropInputKernel: KernelFunc = ({ inputs, attrs }) => {
  const a = attrs as unknown as Conv2DBackpropInputAttrs
  requireNHWC('Conv2DBackpropInput', a.dataFormat)
  return tf.tidy(() => {
    const dy = asTensor<Tensor4D>(inputs.dy)
    const filter = asTensor<Tensor4D>(inputs.filter)
    const g = tf.backend_util.computeConv2DInfo(
      a.inputShape,
      filter.shape,
      a.strides,
      1,
      a.pad,
      a.dimRoundingMode,
      false,
      'channelsLast'
    )
    return conv2dInputGrad(dy, filter, g)
  })
}

// ---- depthwise conv2d gradients -------------------------------------------------------------------------

function requireNoDilation(kernel: string, dilations: number | [number, number]): void {
  const [dh, dw] = pair(dilations ?? 1)
  if (dh !== 1 || dw !== 1) throw new Error(`${kernel} (wasm shim): dilations [${dh}, ${dw}] are not supported, only 1`)
}

const depthwiseBackpropFilterKernel: KernelFunc = ({ inputs, attrs }) => {
  const a = attrs as unknown as DepthwiseConv2dNativeBackpropFilterAttrs
  requireNoDilation('DepthwiseConv2dNativeBackpropFilter', a.dilations)
  return tf.tidy(() => {
    const x = asTensor<Tensor4D>(inputs.x)
    const dy = asTensor<Tensor4D>(inputs.dy)
    const g = tf.backend_util.computeConv2DInfo(x.shape, a.filterShape, a.strides, 1, a.pad, a.dimRoundingMode, true)
    return depthwiseFilterGrad(x, dy, g, a.filterShape[3])
  })
}

const depthwiseBackpropInputKernel: KernelFunc = ({ inputs, attrs }) => {
  const a = attrs as unknown as DepthwiseConv2dNativeBackpropInputAttrs
  requireNoDilation('DepthwiseConv2dNativeBackpropInput', a.dilations)
  return tf.tidy(() => {
    const dy = asTensor<Tensor4D>(inputs.dy)
    const filter = asTensor<Tensor4D>(inputs.filter)
    const g = tf.backend_util.computeConv2DInfo(
      a.inputShape,
      filter.shape,
      a.strides,
      1,
      a.pad,
      a.dimRoundingMode,
      true
    )
    return depthwiseInputGrad(dy, filter, g, filter.shape[3])
  })
}

// ---- max-pool gradient (wasm's is wrong for negative windows) ------------------------------------------

const maxPoolGradKernel: KernelFunc = ({ inputs, backend, attrs }) => {
  const a = attrs as unknown as MaxPoolGradAttrs
  const { dy, input } = inputs
  if (!dy || !input) throw new Error('MaxPoolGrad (wasm shim): missing input dy or input')
  const g = tf.backend_util.computePool2DInfo(
    input.shape as [number, number, number, number],
    a.filterSize,
    a.strides,
    1,
    a.pad,
    a.dimRoundingMode
  )
  const be = backend as KernelBackend
  const dx = maxPoolGradValues(be.readSync(input.dataId) as Float32Array, be.readSync(dy.dataId) as Float32Array, g)
  return tf.tensor(dx, input.shape, 'float32')
}

// ---- slow kernels with a fast path ------------------------------------------------------------------------

function tileKernel(orig: KernelConfig): KernelFunc {
  return (args) => {
    const { reps } = args.attrs as unknown as TileAttrs
    const x = args.inputs.x
    if (!x) throw new Error('Tile (wasm shim): missing input x')
    const plan = tilePlan(x.shape, x.dtype, reps)
    if (!plan) return orig.kernelFunc(args)
    return tf.tidy(() => fastTile(asTensor(x), plan))
  }
}

function reverseKernel(orig: KernelConfig): KernelFunc {
  return (args) => {
    const { dims } = args.attrs as unknown as ReverseAttrs
    const x = args.inputs.x
    if (!x) throw new Error('Reverse (wasm shim): missing input x')
    const axes = reversePlan(x.shape, x.dtype, dims)
    if (!axes) return orig.kernelFunc(args)
    return tf.tidy(() => fastReverse(asTensor(x), axes))
  }
}

/** Swaps the last two axes (the matrix axes of a batched matmul operand). */
function transposeLast2(t: TensorInfo | undefined): Tensor {
  return tf.tidy(() => {
    const x = asTensor(t)
    const perm = [...Array(x.rank).keys()]
    perm[x.rank - 1] = x.rank - 2
    perm[x.rank - 2] = x.rank - 1
    return tf.transpose(x, perm)
  })
}

/** BatchMatMul and _FusedMatMul: transpose explicitly (~5 ns/element), then the NN XNNPACK path. */
function transposedMatMulKernel(orig: KernelConfig): KernelFunc {
  return (args) => {
    const a = args.attrs as unknown as BatchMatMulAttrs
    if (!a.transposeA && !a.transposeB) return orig.kernelFunc(args)
    const at = a.transposeA ? transposeLast2(args.inputs.a) : null
    const bt = a.transposeB ? transposeLast2(args.inputs.b) : null
    try {
      return orig.kernelFunc({
        ...args,
        inputs: { ...args.inputs, a: at ?? args.inputs.a, b: bt ?? args.inputs.b },
        attrs: { ...args.attrs, transposeA: false, transposeB: false }
      })
    } finally {
      at?.dispose()
      bt?.dispose()
    }
  }
}
