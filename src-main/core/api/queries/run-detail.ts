/**
 * One run's evidence for "how far can I trust this model": its per-epoch curves (run_epochs), its
 * final validation accuracy (runs.metrics), and per-class precision / recall of its predictions
 * (argmax of the TRN probabilities) against the images' current labels.
 *
 * Which images count (the `basis`) matters: in-training scores on images the model trained on are
 * optimistic. k-fold runs score every image out of fold; runs validated on the project's 'val' split
 * are measured on that split; anything else is measured on every scored image and says so.
 */
import type { DB } from '../../store/db'
import { decodeF32 } from '../../store/runs'
import { ApiFailure } from '../errors'
import type { RunDetail } from '../contract'

interface RunRow {
  id: number
  kind: string
  metrics: string | null
  classes: string
}

function parse<T>(s: string | null): T | null {
  if (!s) return null
  try {
    return JSON.parse(s) as T
  } catch {
    return null
  }
}

type Num = number | null | undefined
const fin = (v: Num): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null)

export function runDetail(db: DB, runId: number, projectClasses: readonly string[]): RunDetail {
  const run = db.prepare('SELECT id, kind, metrics, classes FROM runs WHERE id = ?').get(runId) as RunRow | undefined
  if (!run) throw new ApiFailure('NOT_FOUND', `no run ${runId}`)
  const metrics = parse<{ valSource?: string; final?: { valAcc?: Num; trainAcc?: Num }[] }>(run.metrics)
  const runClasses = parse<string[]>(run.classes) ?? []

  const epochs = (
    db.prepare('SELECT fold, epoch, metrics FROM run_epochs WHERE run_id = ? ORDER BY fold, epoch').all(runId) as {
      fold: number
      epoch: number
      metrics: string
    }[]
  ).map((e) => {
    const m = parse<{ loss?: { total?: Num }; trainAcc?: Num; valAcc?: Num }>(e.metrics) ?? {}
    return { fold: e.fold, epoch: e.epoch, loss: fin(m.loss?.total), trainAcc: fin(m.trainAcc), valAcc: fin(m.valAcc) }
  })

  const finals = (metrics?.final ?? []).map((f) => fin(f.valAcc)).filter((v): v is number => v !== null)
  const valAcc = finals.length ? finals.reduce((a, b) => a + b, 0) / finals.length : null

  const valSource = metrics?.valSource ?? ''
  const kfold = run.kind.endsWith('-kfold') || valSource === 'kfold'
  const useValSplit = !kfold && valSource === 'project'
  const basis: RunDetail['basis'] = kfold ? 'out-of-fold' : useValSplit ? 'validation split' : 'all scored images'
  const rows = db
    .prepare(
      `SELECT p.trn_probs AS probs, a.current_label AS label FROM predictions p
         JOIN annotations a ON a.image_id = p.image_id JOIN images i ON i.id = p.image_id
       WHERE p.run_id = ? AND a.state = 'labeled' AND a.current_label IS NOT NULL ${useValSplit ? "AND i.split = 'val'" : ''}`
    )
    .all(runId) as { probs: Buffer; label: number }[]

  // Confusion counts in the project's class order (run classes matched by name).
  const C = projectClasses.length
  const toProject = runClasses.map((c) => projectClasses.indexOf(c))
  const tp = new Array<number>(C).fill(0)
  const predicted = new Array<number>(C).fill(0)
  const support = new Array<number>(C).fill(0)
  for (const r of rows) {
    const v = decodeF32(r.probs)
    let best = 0
    for (let k = 1; k < v.length; k++) if (v[k] > v[best]) best = k
    const pred = toProject[best] ?? -1
    if (r.label < 0 || r.label >= C) continue
    support[r.label]++
    if (pred >= 0) predicted[pred]++
    if (pred === r.label) tp[r.label]++
  }
  const perClass = projectClasses.map((name, c) => ({
    name,
    support: support[c],
    precision: predicted[c] ? tp[c] / predicted[c] : null,
    recall: support[c] ? tp[c] / support[c] : null
  }))
  const n = support.reduce((a, b) => a + b, 0)
  const agree = tp.reduce((a, b) => a + b, 0)
  return { runId, epochs, valAcc, basis, images: n, accuracy: n ? agree / n : null, perClass }
}
