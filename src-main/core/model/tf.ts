/**
 * The single tfjs import of the model package: the app-wide instance from core/compute/tf (backend
 * choice and wasm training shims live in core/compute; call its initCompute() before training).
 * Everything under core/model imports `tf` from here.
 */
export { tf } from '../compute/tf'
import type { tf as TfNs } from '../compute/tf'

export type Tensor = TfNs.Tensor
export type Variable = TfNs.Variable
