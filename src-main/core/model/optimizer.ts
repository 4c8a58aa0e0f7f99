/**
 * SGD with momentum and weight decay (paper §6: momentum 0.9, weight decay 1e-4), written out instead
 * of tf.train.momentum so its state is keyed by stable parameter names and can be saved and restored
 * exactly for resumable training.
 *
 * Update (torch.optim.SGD, dampening 0, no Nesterov):
 *   'l2':        g ← g + wd·θ;  v ← μ·v + g;  θ ← θ − lr·v
 *   'decoupled': v ← μ·v + g;   θ ← θ − lr·v − lr·wd·θ   (SGDW)
 * v starts at 0, so the first step is v = g as in PyTorch.
 */
import { tf } from './tf'
import type { ParamRegistry } from './params'

export const OPTIMIZER_STATE_FORMAT = 'poi-audit-sgd-state'
export const OPTIMIZER_STATE_VERSION = 1

export interface SgdOptions {
  /** Learning rate (changed by the schedule between steps via `lr`). */
  lr: number
  momentum: number
  weightDecay: number
  weightDecayMode: 'l2' | 'decoupled'
}

/** Everything needed to resume: hyper-parameters, step count and one momentum buffer per parameter. */
export interface OptimizerState extends SgdOptions {
  format: typeof OPTIMIZER_STATE_FORMAT
  version: typeof OPTIMIZER_STATE_VERSION
  /** Updates applied so far. */
  step: number
  /** Momentum buffers v by parameter name (row-major float32 copies). */
  slots: Map<string, { shape: number[]; data: Float32Array }>
}

export class SgdMomentum {
  lr: number
  readonly momentum: number
  readonly weightDecay: number
  readonly weightDecayMode: 'l2' | 'decoupled'
  step = 0
  private readonly slots = new Map<string, tf.Variable>()

  constructor(o: SgdOptions) {
    for (const [k, v] of Object.entries({ lr: o.lr, momentum: o.momentum, weightDecay: o.weightDecay })) {
      if (!Number.isFinite(v) || v < 0) throw new Error(`SGD option ${k} must be a finite number ≥ 0, got ${v}`)
    }
    this.lr = o.lr
    this.momentum = o.momentum
    this.weightDecay = o.weightDecay
    this.weightDecayMode = o.weightDecayMode
  }

  /**
   * Applies one update. `grads` maps parameter names (registry names) to gradients of the same shape;
   * parameters without a gradient are left untouched and keep their momentum buffer.
   */
  apply(grads: Map<string, tf.Tensor>, registry: ParamRegistry): void {
    const lr = this.lr
    const mu = this.momentum
    const wd = this.weightDecay
    for (const [name, g] of grads) {
      const theta = registry.get(name)
      if (!theta.trainable) throw new Error(`gradient given for frozen parameter '${name}'`)
      let v = this.slots.get(name)
      if (!v) {
        const z = tf.zerosLike(theta)
        v = tf.variable(z, false)
        z.dispose()
        this.slots.set(name, v)
      }
      const slot = v
      tf.tidy(() => {
        const gg = this.weightDecayMode === 'l2' && wd > 0 ? tf.add(g, tf.mul(theta, wd)) : g
        const vNew = mu > 0 ? tf.add(tf.mul(slot, mu), gg) : gg
        slot.assign(vNew)
        let tNew = tf.sub(theta, tf.mul(vNew, lr))
        if (this.weightDecayMode === 'decoupled' && wd > 0) tNew = tf.sub(tNew, tf.mul(theta, lr * wd))
        theta.assign(tNew)
      })
    }
    this.step++
  }

  getState(): OptimizerState {
    const slots = new Map<string, { shape: number[]; data: Float32Array }>()
    for (const [name, v] of this.slots) {
      slots.set(name, { shape: [...v.shape], data: new Float32Array(v.dataSync() as Float32Array) })
    }
    return {
      format: OPTIMIZER_STATE_FORMAT,
      version: OPTIMIZER_STATE_VERSION,
      lr: this.lr,
      momentum: this.momentum,
      weightDecay: this.weightDecay,
      weightDecayMode: this.weightDecayMode,
      step: this.step,
      slots
    }
  }

  /**
   * Restores buffers and step count (hyper-parameters other than lr come from the constructor and must
   * match). Every buffer must name a parameter of `registry` with the same shape.
   */
  setState(state: OptimizerState, registry: ParamRegistry): void {
    if (state.format !== OPTIMIZER_STATE_FORMAT)
      throw new Error(`optimizer state has format '${String(state.format)}', expected '${OPTIMIZER_STATE_FORMAT}'`)
    if (state.version !== OPTIMIZER_STATE_VERSION)
      throw new Error(
        `optimizer state version ${String(state.version)} is not supported (expected ${OPTIMIZER_STATE_VERSION})`
      )
    for (const k of ['momentum', 'weightDecay', 'weightDecayMode'] as const) {
      if (state[k] !== this[k])
        throw new Error(`optimizer state has ${k} ${String(state[k])}, this optimizer uses ${String(this[k])}`)
    }
    for (const [name, s] of state.slots) {
      if (!registry.has(name)) throw new Error(`optimizer state has a buffer for unknown parameter '${name}'`)
      const p = registry.get(name)
      if (s.shape.length !== p.shape.length || s.shape.some((d, i) => d !== p.shape[i]) || s.data.length !== p.size) {
        throw new Error(
          `optimizer buffer '${name}' has shape [${s.shape.join(', ')}], the parameter has [${p.shape.join(', ')}]`
        )
      }
    }
    this.disposeSlots()
    for (const [name, s] of state.slots) {
      const t = tf.tensor(s.data, s.shape, 'float32')
      this.slots.set(name, tf.variable(t, false))
      t.dispose()
    }
    this.step = state.step
    this.lr = state.lr
  }

  private disposeSlots(): void {
    for (const v of this.slots.values()) v.dispose()
    this.slots.clear()
  }

  dispose(): void {
    this.disposeSlots()
  }
}

/** An optimizer with the model config's momentum / weight-decay settings. */
export function createSgd(
  opt: { momentum: number; weightDecay: number; weightDecayMode: 'l2' | 'decoupled' },
  lr: number
): SgdMomentum {
  return new SgdMomentum({ lr, ...opt })
}
