// Public surface of the compute module: the one tfjs instance, backend choice, kernel shims, wasm threads.
export { tf, type TF, type TfBackendName, type Tensor, type Variable } from './tf'
export {
  BACKEND_ORDER,
  BackendNotInstalledError,
  ComputeError,
  currentCompute,
  defaultLoaders,
  describeCompute,
  initCompute,
  resetCompute,
  resolveWasmDir,
  type ComputeBackend,
  type ComputeInfo,
  type ComputeLoaders,
  type ComputeOptions,
  type TriedBackend,
  type WasmBackendModule
} from './backend'
export {
  installCpuShims,
  installWasmShims,
  uninstallCpuShims,
  uninstallWasmShims,
  type FilterGradStrategy,
  type WasmShimOptions
} from './wasm-shims'
export {
  AUTO_THREADS_MAX,
  autoWasmThreads,
  measureMachineLoad,
  type AutoThreads,
  type MachineLoad
} from './auto-threads'
export { enableWasmThreadsInNode, unrefPoolThreads, type ThreadsPatch } from './wasm-threads'
