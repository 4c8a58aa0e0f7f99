/**
 * The single tfjs import of the model package. Everything under core/model imports `tf` from here so
 * the switch to the project-wide instance (core/compute/tf.ts, which chooses the backend and installs the
 * wasm kernel shims) is a one-line change. Until that module exists this is the plain tfjs bundle, whose
 * backend in Node is 'cpu' unless the caller sets another one.
 */
import * as tf from '@tensorflow/tfjs'

export { tf }
export type Tensor = tf.Tensor
export type Variable = tf.Variable
