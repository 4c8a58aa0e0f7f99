// Loaders for initCompute that find neither native binding, as on this machine but independent of it.
import { BackendNotInstalledError, type ComputeLoaders } from '../../../src-main/core/compute/backend'

const missing = (pkg: string) => async (): Promise<never> => {
  throw new BackendNotInstalledError(pkg)
}

export const NO_NATIVE: Partial<ComputeLoaders> = {
  'tfjs-node-gpu': missing('@tensorflow/tfjs-node-gpu'),
  'tfjs-node': missing('@tensorflow/tfjs-node')
}
