// The one TensorFlow.js module instance of the app.
//
// Every module that needs tfjs imports `tf` from here, never '@tensorflow/tfjs' directly. tfjs keeps one
// global engine (kernel registry, backends, tape) per *module instance*; two copies of tfjs-core (e.g. an
// ESM and a CJS copy, or a second version pulled in by a dependency) would each have their own engine, and
// tensors from one are invalid in the other. '@tensorflow/tfjs-backend-wasm' and '@tensorflow/tfjs-node'
// register themselves into the tfjs-core they resolve, which is this one as long as versions match (npm dedupes).
import * as tf from '@tensorflow/tfjs'

export { tf }

/** The type of the tfjs namespace (what `initCompute` hands back as `info.tf`). */
export type TF = typeof tf

/** Backend names as tfjs registers them ('tensorflow' is what tfjs-node and tfjs-node-gpu register). */
export type TfBackendName = 'tensorflow' | 'wasm' | 'cpu'

export type Tensor = tf.Tensor
export type Variable = tf.Variable
