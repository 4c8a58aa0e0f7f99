/**
 * Parameter registry: every tf.Variable of a network under a stable, human-readable name
 * ('extractor.layer2.0.conv1.w', 'pin.eye.au.fc1.w', …). Names key checkpoints, optimizer slots and
 * the "gradients reach every trainable variable" tests; tfjs's own variable names are auto-generated
 * (they must be unique across every model in the process) and never leave this module.
 *
 * Two roles: 'weight' (learnable; trainable unless frozen) and 'state' (BN running statistics: saved
 * with the weights, updated in train mode, never given to the optimizer).
 */
import { tf } from './tf'

export type VarRole = 'weight' | 'state'

export interface RegisteredVar {
  name: string
  role: VarRole
  variable: tf.Variable
}

/** Produces an initial value of `shape` from a seed (deterministic per seed, on every backend). */
export type Init = (shape: number[], seed: number) => tf.Tensor

/**
 * mulberry32: a small, fast 32-bit PRNG. Initial values are drawn in JS rather than with
 * tf.randomNormal because that is several times slower on the cpu backend (≈5 s for ResNet-18's 32M
 * values) and because JS draws give identical weights whatever the backend.
 */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

function sizeOf(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1)
}

/** N(0, std²) by Box–Muller. */
export function normalInit(std: number): Init {
  return (shape, seed) => {
    const rand = mulberry32(seed)
    const out = new Float32Array(sizeOf(shape))
    for (let i = 0; i < out.length; i += 2) {
      const u1 = 1 - rand() // (0, 1]: log is finite
      const r = std * Math.sqrt(-2 * Math.log(u1))
      const th = 2 * Math.PI * rand()
      out[i] = r * Math.cos(th)
      if (i + 1 < out.length) out[i + 1] = r * Math.sin(th)
    }
    return tf.tensor(out, shape, 'float32')
  }
}

/** U(−bound, bound). */
export function uniformInit(bound: number): Init {
  return (shape, seed) => {
    const rand = mulberry32(seed)
    const out = new Float32Array(sizeOf(shape))
    for (let i = 0; i < out.length; i++) out[i] = (2 * rand() - 1) * bound
    return tf.tensor(out, shape, 'float32')
  }
}

/** He/Kaiming normal: N(0, 2/fan). For convs torchvision uses fan_out = kh·kw·cout; for ReLU FCs fan_in. */
export function heNormal(fan: number): Init {
  return normalInit(Math.sqrt(2 / fan))
}

/** PyTorch's nn.Linear default: U(−1/√fan_in, 1/√fan_in) for weight and bias (used for output heads). */
export function uniformFanIn(fanIn: number): Init {
  return uniformInit(1 / Math.sqrt(fanIn))
}

export const zerosInit: Init = (shape) => tf.zeros(shape)
export const onesInit: Init = (shape) => tf.ones(shape)

/** FNV-1a over the name, mixed with the model seed: a variable's init does not depend on creation order. */
function nameSeed(seed: number, name: string): number {
  let h = 0x811c9dc5 ^ (seed | 0)
  for (let i = 0; i < name.length; i++) {
    h ^= name.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  return h >>> 0
}

export class ParamRegistry {
  private readonly vars = new Map<string, RegisteredVar>()

  constructor(readonly seed: number) {}

  /** Creates a learnable variable. Throws if the name is taken (names must be stable and unique). */
  weight(name: string, shape: number[], init: Init): tf.Variable {
    return this.add(name, 'weight', shape, init, true)
  }

  /** Creates a non-learnable state variable (BN running mean/var). */
  state(name: string, shape: number[], init: Init): tf.Variable {
    return this.add(name, 'state', shape, init, false)
  }

  private add(name: string, role: VarRole, shape: number[], init: Init, trainable: boolean): tf.Variable {
    if (this.vars.has(name)) throw new Error(`parameter name '${name}' is registered twice`)
    const t = init(shape, nameSeed(this.seed, name))
    const variable = tf.variable(t, trainable)
    t.dispose()
    this.vars.set(name, { name, role, variable })
    return variable
  }

  get(name: string): tf.Variable {
    const v = this.vars.get(name)
    if (!v) throw new Error(`no parameter named '${name}'`)
    return v.variable
  }

  has(name: string): boolean {
    return this.vars.has(name)
  }

  /** Every registered variable in creation order. */
  entries(): RegisteredVar[] {
    return [...this.vars.values()]
  }

  names(): string[] {
    return [...this.vars.keys()]
  }

  /** Learnable variables currently trainable (what the optimizer updates). */
  trainable(): RegisteredVar[] {
    return this.entries().filter((e) => e.role === 'weight' && e.variable.trainable)
  }

  /** Learnable variables currently frozen. */
  frozen(): RegisteredVar[] {
    return this.entries().filter((e) => e.role === 'weight' && !e.variable.trainable)
  }

  /**
   * Freezes (trainable = false) or unfreezes every weight whose name starts with `prefix`. Returns how
   * many variables matched; throws when none did, since a typo would otherwise silently train everything.
   */
  setTrainable(prefix: string, trainable: boolean): number {
    let n = 0
    for (const e of this.vars.values()) {
      if (e.role === 'weight' && e.name.startsWith(prefix)) {
        e.variable.trainable = trainable
        n++
      }
    }
    if (n === 0) throw new Error(`no weights match the prefix '${prefix}'`)
    return n
  }

  /** Number of scalar values, optionally restricted to names with a prefix. */
  count(filter?: (e: RegisteredVar) => boolean): number {
    let n = 0
    for (const e of this.vars.values()) if (!filter || filter(e)) n += e.variable.size
    return n
  }

  dispose(): void {
    for (const e of this.vars.values()) e.variable.dispose()
    this.vars.clear()
  }
}
