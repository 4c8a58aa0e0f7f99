/**
 * The training flags that reach the POI model configuration: `--ablation` (the paper's Table III / X
 * switches, one flag each), `--loss` (λ weights) and `--uem` (the UEM form). Shared by `train` and the
 * benches so every ablation is one flag.
 */
import type { TrainConfig } from '../core/run/config'
import { UsageError } from './ui/io'

/** Each ablation name and what it sets in the model config. */
export const ABLATIONS = {
  /** Table III 'inpre': the intermediate prediction as a plain mean of the regions (uniform gate). */
  'no-gate': { ablation: { noGate: true } },
  /** ω = 1 for every image instead of 1 − c. */
  'no-uem': { ablation: { noUEM: true } },
  /** TRN only: the CE model inside a POI run's bookkeeping. */
  'no-pin': { ablation: { noPIN: true } },
  /** No mutual learning between the regions and q. */
  'no-kl': { loss: { lambdaKl: 0 } },
  /** No objective soft-label loss on the TRN. */
  'no-or': { loss: { lambdaOr: 0 } },
  /** No AU pseudolabel loss. */
  'no-au': { loss: { lambda1: 0 } },
  /** The gate learns from L_KL alone (the behaviour before lambdaGate existed). */
  'no-gate-loss': { loss: { lambdaGate: 0 } }
} as const

export const LOSS_KEYS = ['lambda1', 'lambda2', 'lambda3', 'lambdaKl', 'lambdaOr', 'lambdaGate'] as const

type ModelOverrides = TrainConfig['model']

/** `--ablation no-gate,no-kl`, `--loss lambdaKl=0.5,lambdaGate=1`, `--uem mi` → model overrides merged into `base`. */
export function modelFromFlags(
  o: { ablation?: string; loss?: string; uem?: string },
  base: ModelOverrides = {}
): ModelOverrides {
  const m: ModelOverrides = { ...base }
  const ablation: Record<string, boolean> = { ...(m.ablation ?? {}) }
  const loss: Record<string, number> = { ...((m.loss as Record<string, number> | undefined) ?? {}) }
  if (o.ablation !== undefined) {
    for (const raw of o.ablation
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)) {
      const a = ABLATIONS[raw as keyof typeof ABLATIONS]
      if (!a)
        throw new UsageError(`--ablation: unknown "${raw}"; use a comma list of ${Object.keys(ABLATIONS).join(', ')}`)
      if ('ablation' in a) Object.assign(ablation, a.ablation)
      if ('loss' in a) Object.assign(loss, a.loss)
    }
  }
  if (o.loss !== undefined) {
    for (const pair of o.loss
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)) {
      const [k, v] = pair.split('=')
      const x = Number(v)
      if (
        !(LOSS_KEYS as readonly string[]).includes(k) ||
        v === undefined ||
        v.trim() === '' ||
        !Number.isFinite(x) ||
        x < 0
      ) {
        throw new UsageError(
          `--loss: "${pair}" must be name=value with name one of ${LOSS_KEYS.join(', ')} and value ≥ 0`
        )
      }
      loss[k] = x
    }
  }
  if (o.uem !== undefined) {
    if (!['variance', 'mi', 'entropy'].includes(o.uem))
      throw new UsageError(`--uem must be variance, mi or entropy; got "${o.uem}"`)
    m.uem = o.uem as 'variance' | 'mi' | 'entropy'
  }
  if (Object.keys(ablation).length) m.ablation = ablation
  if (Object.keys(loss).length) m.loss = loss
  return m
}
