/**
 * A small seeded fuzzer for API arguments: random JSON-ish values (wrong types, NaN, ±Infinity, NUL
 * bytes, huge strings and arrays, prototype keys, deep nesting) and mutations of valid argument
 * objects (one field replaced, removed, or an unknown key added). Shared by the API, IPC and HTTP tests.
 */
import { CONTRACT } from '../../../src-main/core/api/contract'
import { METHOD_NAMES, type MethodName } from '../../../src-main/core/api/methods'
import { rng } from './fixture'

/** One valid argument object per method (the mutation seeds). */
export const VALID_ARGS: { [M in MethodName]: Record<string, unknown> } = {
  'app.info': {},
  'app.doctor': {},
  'dialog.open': { purpose: 'project-open' },
  'project.open': { path: '/tmp/x.poi' },
  'project.create': { path: '/tmp/x.poi', name: 'x' },
  'project.close': {},
  'project.recent': {},
  'project.info': {},
  'import.start': { source: '/tmp/data', format: 'folder', align: false },
  'import.report': { importId: 1 },
  'images.queue': {
    filter: { given: [1], review: 'unreviewed', confidence: { min: 0, max: 1 } },
    sort: { by: 'id', dir: 'asc' },
    limit: 10
  },
  'images.counts': { filter: { splits: ['train'] } },
  'images.detail': { imageId: 1 },
  'review.decide': { imageId: 1, decision: { kind: 'relabel', label: 2 }, reason: 'x', next: { sort: { by: 'id' } } },
  'review.undo': {},
  'review.redo': {},
  'review.undoState': {},
  'review.bulkRelabel': { imageIds: [1, 2], label: 3 },
  'review.bulkDecide': { imageIds: [1, 2], kind: 'accept', minStrength: 0.5 },
  'assignments.list': {},
  'assignments.set': { actor: 'bob', filter: { given: [1], review: 'unreviewed' } },
  'assignments.remove': { actor: 'bob' },
  'queue.learning': {},
  'queue.setLearning': { enabled: true, every: 50, method: 'signals' },
  'queue.rerank': { wait: false },
  'history.list': { imageId: 1, limit: 10 },
  'history.revert': { entryIds: [1] },
  'overview.stats': {},
  'consensus.get': {
    runId: null,
    method: 'majority',
    includeGiven: true,
    imageIds: [1, 2],
    refresh: false,
    wait: true
  },
  'runs.list': {},
  'runs.detail': { runId: 1 },
  'runs.compare': { a: 1, b: 2 },
  'train.start': { config: { epochs: 2, batchSize: 8, folds: 0 }, fromRun: 1 },
  'train.cancel': {},
  'train.resume': { runId: 1 },
  'train.status': {},
  'audit.run': { runId: 1, settings: { thresholdScale: 1.2, confidencePercentile: 0.25 } },
  'export.start': { format: 'csv', scope: { kind: 'all' }, options: { bom: true } },
  'export.plan': { format: 'csv', dest: 'out/labels.csv' },
  'jobs.list': {},
  'jobs.cancel': { jobId: 'abc' }
}

const KEYS = [
  'imageId',
  'label',
  'path',
  'filter',
  'sort',
  'cursor',
  'limit',
  'decision',
  'kind',
  'given',
  'imageIds',
  'entryIds',
  'config',
  'format',
  'scope',
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  '',
  'x\u0000y',
  '💥'
]

export class Fuzzer {
  private readonly r: () => number
  constructor(seed: number) {
    this.r = rng(seed)
  }
  private int(n: number): number {
    return Math.floor(this.r() * n)
  }
  private pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]
  }

  /** A random value; `json` restricts it to what survives JSON (no NaN/Infinity/undefined). */
  value(depth = 0, json = false): unknown {
    const kinds = depth > 6 ? 5 : 9
    switch (this.int(kinds)) {
      case 0:
        return null
      case 1:
        return this.r() < 0.5
      case 2:
        return this.pick([0, -1, 1, 2 ** 53, -(2 ** 63), 1e308, 0.5, -0, 3, 7, 8, 16, 500, 501, 10_001])
      case 3:
        return json ? this.pick([1.5, -2.25, 1e-300]) : this.pick([NaN, Infinity, -Infinity, undefined, 1.5])
      case 4:
        return this.string()
      case 5:
      case 6: {
        const n = this.r() < 0.05 ? 10_001 + this.int(5) : this.int(6)
        return Array.from({ length: n }, () => (n > 100 ? this.int(100) : this.value(depth + 1, json)))
      }
      default: {
        const o: Record<string, unknown> = {}
        const n = this.int(5)
        for (let i = 0; i < n; i++)
          Object.defineProperty(o, this.pick(KEYS), {
            value: this.value(depth + 1, json),
            enumerable: true,
            configurable: true,
            writable: true
          })
        return o
      }
    }
  }

  string(): string {
    switch (this.int(6)) {
      case 0:
        return ''
      case 1:
        return 'a\u0000b'
      case 2:
        return 'x'.repeat(5000)
      case 3:
        return '../../etc/passwd'
      case 4:
        return this.pick(['__proto__', 'constructor', '😀', 'DROP TABLE images;--', '%2e%2e%2f'])
      default:
        return String(this.int(1000))
    }
  }

  /** A mutation of a valid argument object: one field replaced, dropped, or an extra key. */
  mutate(seed: Record<string, unknown>, json = false): unknown {
    const copy = structuredClone(seed) as Record<string, unknown>
    const paths: (string | number)[][] = []
    const walk = (v: unknown, p: (string | number)[]): void => {
      if (p.length) paths.push(p)
      if (v && typeof v === 'object')
        for (const [k, x] of Object.entries(v)) walk(x, [...p, Array.isArray(v) ? Number(k) : k])
    }
    walk(copy, [])
    const op = this.int(4)
    if (op === 0 || !paths.length) {
      Object.defineProperty(copy, this.pick(KEYS.filter((k) => !(k in copy))), {
        value: this.value(1, json),
        enumerable: true,
        configurable: true,
        writable: true
      })
      return copy
    }
    const path = this.pick(paths)
    let parent: Record<string | number, unknown> = copy
    for (const k of path.slice(0, -1)) parent = parent[k] as Record<string | number, unknown>
    const last = path[path.length - 1]
    if (op === 1 && !Array.isArray(parent)) delete parent[last]
    else parent[last] = this.value(1, json)
    return copy
  }

  /** A (method, payload) pair: a third pure junk, two thirds mutated valid seeds. */
  next(json = false): { method: MethodName; args: unknown } {
    const method = this.pick(METHOD_NAMES)
    const args = this.r() < 0.33 ? this.value(0, json) : this.mutate(VALID_ARGS[method], json)
    return { method, args }
  }
}

/** True when the contract refuses the payload (only those count as malformed). */
export function isMalformed(method: MethodName, args: unknown): boolean {
  return !CONTRACT[method].args.safeParse(args === undefined ? {} : args).success
}
