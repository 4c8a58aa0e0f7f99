/** Shared helpers for the model tests: cpu backend, tiny configurations, deterministic batches. */
import { tf } from '../../../src-main/core/model/tf'
import type { PoiModelConfigInput } from '../../../src-main/core/model/config'
import { SEVEN_CLASSES } from '../../../src-main/core/classes'

/** The pure-JS backend: slow for conv gradients, so every gradient test uses tinyConfig. */
export async function useCpu(): Promise<void> {
  await tf.setBackend('cpu')
  await tf.ready()
}

/**
 * The smallest configuration that still exercises every path: 16×16×1 input, CIFAR stem, widths
 * 4-8-8-8 → F 4×4×8, k = 3 (overlapping crops), AU nets 8/4.
 */
export function tinyConfig(over: Partial<PoiModelConfigInput> = {}): PoiModelConfigInput {
  return {
    classes: [...SEVEN_CLASSES],
    input: { height: 16, width: 16, channels: 1 },
    extractor: { kind: 'resnet', arch: 'slim', stem: 'cifar', widths: [4, 8, 8, 8] },
    pin: { auHidden: 8, auReduced: 4 },
    ...over
  }
}

/** A deterministic batch: smooth random images in [0, 1] and the given labels. */
export function batchOf(
  shape: [number, number, number, number],
  labels: number[],
  seed = 7
): { x: tf.Tensor4D; y: tf.Tensor1D } {
  return {
    x: tf.randomUniform(shape, 0, 1, 'float32', seed) as tf.Tensor4D,
    y: tf.tensor1d(labels, 'int32')
  }
}
