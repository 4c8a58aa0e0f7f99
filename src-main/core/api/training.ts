/**
 * The message protocol between a training host (main side) and the training worker
 * (src-main/core/train/worker-entry.ts, run as an Electron utilityProcess or a Node child process).
 * Messages from the worker are checked before use: a worker is our code, but a crash mid-write or a
 * version mismatch must surface as a failed run, never as a confused main process.
 */
import { z } from 'zod'
import type { TrainConfig, TrainProgress } from './contract'

/** Bumped on any incompatible change; the worker refuses a different version. */
export const TRAIN_PROTOCOL_VERSION = 1

/** Main → worker. */
export type HostToWorker =
  | { type: 'start'; protocol: number; projectPath: string; config: TrainConfig; resumeRunId?: number }
  | { type: 'cancel' }

const zLoss = z
  .object({ total: z.number(), trnCe: z.number().optional(), or: z.number().optional(), au: z.number().optional(), pinCe: z.number().optional(), kl: z.number().optional() })
  .strip()

const zProgress = z
  .object({
    runId: z.number().int().nullable(),
    fold: z.number().int(),
    epoch: z.number().int().min(0),
    epochs: z.number().int().min(0),
    step: z.number().int().min(0),
    steps: z.number().int().min(0),
    loss: zLoss,
    trainAcc: z.number().nullable(),
    valAcc: z.number().nullable(),
    imagesPerSec: z.number().nullable(),
    etaSec: z.number().nullable(),
    backend: z.string().max(200),
    backendReason: z.string().max(2000),
    at: z.string().max(40)
  })
  .strip()

/** Worker → main. */
export const zWorkerMessage = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ready'), protocol: z.number().int() }).strip(),
  z.object({ type: z.literal('started'), runId: z.number().int().positive() }).strip(),
  z.object({ type: z.literal('progress'), progress: zProgress }).strip(),
  z.object({ type: z.literal('done'), runId: z.number().int().positive() }).strip(),
  z.object({ type: z.literal('cancelled'), runId: z.number().int().positive().nullable() }).strip(),
  z.object({ type: z.literal('failed'), message: z.string().max(4000) }).strip(),
  z.object({ type: z.literal('log'), message: z.string().max(4000) }).strip()
])
export type WorkerToHost = z.infer<typeof zWorkerMessage>

/** Parses a worker message; null when it is not one of ours. */
export function parseWorkerMessage(data: unknown): WorkerToHost | null {
  const r = zWorkerMessage.safeParse(data)
  return r.success ? r.data : null
}

export type { TrainProgress }
