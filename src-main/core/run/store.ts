/**
 * Where a training run writes its records (runs, run_epochs, predictions): the asynchronous face of
 * store/runs.ts, which owns the SQL. The project has one writer: in-process callers (CLI, tests,
 * benchmarks) hand `train()` a writable DB and get `dbRunStore`; a worker (thread or Electron utility
 * process) opens the project read-only and its writes travel to the host as messages (see
 * train/protocol.ts), where `applyStoreOp` runs them on the host's connection. Both stores are built
 * by `storeOver` from one table of operations, so they cannot drift apart.
 */
import type { DB } from '../store/db'
import {
  addEpoch,
  createRun,
  finishRun,
  getRun,
  reopenRun,
  setRunCheckpoint,
  writePredictions,
  type NewRun,
  type PredictionInput,
  type RunInfo,
  type RunStatus
} from '../store/runs'
import { ProjectError } from '../store/errors'

export interface RunEnd {
  status: Exclude<RunStatus, 'running'>
  metrics?: unknown
  error?: string | null
  checkpoint?: string | null
}

/** The writes (and the one read) training makes; all asynchronous so they can cross a message port. */
export interface RunStore {
  createRun(run: NewRun): Promise<number>
  getRun(runId: number): Promise<RunInfo | null>
  /** Marks a finished/cancelled/failed run as running again (resume). */
  reopenRun(runId: number): Promise<void>
  addEpoch(runId: number, epoch: number, metrics: unknown, fold: number): Promise<void>
  /** Points the run's `checkpoint` column at the newest checkpoint folder. */
  setCheckpoint(runId: number, path: string): Promise<void>
  /** Writes predictions in one transaction; returns how many. */
  writePredictions(runId: number, preds: PredictionInput[]): Promise<number>
  finishRun(runId: number, end: RunEnd): Promise<void>
}

/** The operations as data (what a worker sends). */
export type StoreOp =
  | { op: 'createRun'; args: [NewRun] }
  | { op: 'getRun'; args: [number] }
  | { op: 'reopenRun'; args: [number] }
  | { op: 'addEpoch'; args: [number, number, unknown, number] }
  | { op: 'setCheckpoint'; args: [number, string] }
  | { op: 'writePredictions'; args: [number, PredictionInput[]] }
  | { op: 'finishRun'; args: [number, RunEnd] }

/** Runs one operation on a writable connection (the host side of a worker's store). */
export function applyStoreOp(db: DB, m: StoreOp): unknown {
  switch (m.op) {
    case 'createRun':
      return createRun(db, m.args[0])
    case 'getRun':
      return getRun(db, m.args[0])
    case 'reopenRun':
      return reopenRun(db, m.args[0])
    case 'addEpoch':
      return addEpoch(db, m.args[0], m.args[1], m.args[2], m.args[3])
    case 'setCheckpoint':
      return setRunCheckpoint(db, m.args[0], m.args[1])
    case 'writePredictions':
      return writePredictions(db, m.args[0], m.args[1])
    case 'finishRun':
      return finishRun(db, m.args[0], m.args[1])
    default:
      throw new Error(`unknown store operation ${JSON.stringify((m as { op?: unknown }).op)}`)
  }
}

/** A RunStore whose every method sends its operation through `call`. */
function storeOver(call: (op: StoreOp) => Promise<never>): RunStore {
  return {
    createRun: (r) => call({ op: 'createRun', args: [r] }),
    getRun: (id) => call({ op: 'getRun', args: [id] }),
    reopenRun: (id) => call({ op: 'reopenRun', args: [id] }),
    addEpoch: (id, e, m, f) => call({ op: 'addEpoch', args: [id, e, m, f] }),
    setCheckpoint: (id, p) => call({ op: 'setCheckpoint', args: [id, p] }),
    writePredictions: (id, p) => call({ op: 'writePredictions', args: [id, p] }),
    finishRun: (id, end) => call({ op: 'finishRun', args: [id, end] })
  }
}

/** A store over a writable connection in this thread. */
export function dbRunStore(db: DB): RunStore {
  if (db.readonly)
    throw new ProjectError('INVALID', 'training needs the project open for writing (or a host that writes for it)')
  return storeOver((m) => Promise.resolve(applyStoreOp(db, m) as never))
}

/** A store whose operations are sent with `send` and answered asynchronously (a worker's side). */
export function remoteRunStore(send: (id: number, op: StoreOp) => void): {
  store: RunStore
  resolve(id: number, ok: boolean, value: unknown): void
} {
  let next = 1
  const pending = new Map<number, { res: (v: unknown) => void; rej: (e: Error) => void }>()
  return {
    store: storeOver(
      (op) =>
        new Promise((res, rej) => {
          const id = next++
          pending.set(id, { res: res as (v: unknown) => void, rej })
          send(id, op)
        })
    ),
    resolve(id, ok, value) {
      const p = pending.get(id)
      if (!p) return
      pending.delete(id)
      if (ok) p.res(value)
      else p.rej(new Error(String(value)))
    }
  }
}
