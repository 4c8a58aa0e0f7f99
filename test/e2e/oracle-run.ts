/**
 * A finished "oracle" run for UI tests while the training engine is not in the build: predictions
 * written through the real store API from the synthetic dataset's ground truth (what each face really
 * shows, and the AU intensities it was drawn with). It stands in for a trained model so the audit
 * engine, the ranking, suggestions, flags and the detail view can be driven end to end; it is a test
 * fixture, never shown to users.
 */
import { join } from 'node:path'
import { EYE_AUS, MOUTH_AUS } from '../../src-main/core/classes'
import { openProject } from '../../src-main/core/project'
import { getClasses } from '../../src-main/core/store/meta'
import { createRun, finishRun, writePredictions, type PredictionInput } from '../../src-main/core/store/runs'
import { loadGroundTruth } from '../../src-main/core/synth/index'

/** Writes the run into `project` (the server must not be running); returns its id and the truth by path. */
export async function addOracleRun(
  project: string,
  dataset: string
): Promise<{ runId: number; flipped: Set<string>; trueClass: Map<string, string> }> {
  const gt = await loadGroundTruth(join(dataset, 'ground_truth.json'))
  const p = openProject(project)
  try {
    const classes = getClasses(p.db)
    const C = classes.length
    const byPath = new Map(gt.images.map((im) => [im.path, im]))
    const rows = p.db.prepare('SELECT id, rel_path AS relPath FROM images ORDER BY id').all() as {
      id: number
      relPath: string
    }[]
    const peaked = (k: number, p: number): number[] =>
      Array.from({ length: C }, (_, i) => (i === k ? p : (1 - p) / (C - 1)))
    const runId = createRun(p.db, {
      kind: 'poi',
      name: 'oracle (test fixture)',
      config: { fixture: 'ground truth' },
      classes,
      backend: 'none'
    })
    const preds: PredictionInput[] = []
    rows.forEach((r, i) => {
      const im = byPath.get(r.relPath)
      if (!im) return
      const k = classes.indexOf(im.trueClass)
      // Some faces are made harder, so the confidence histogram has a spread.
      const conf = 0.55 + (0.4 * ((i * 37) % 11)) / 10
      const strong = peaked(k, 0.5 + 0.4 * conf)
      const au = (ids: readonly number[]): number[] => ids.map((a) => im.aus[`AU${a}`] ?? 0.05)
      preds.push({
        imageId: r.id,
        fold: null,
        trnProbs: strong,
        oimSoft: peaked(k, 0.4 + 0.3 * conf),
        oimSoftT1: strong,
        regionProbs: [...strong, ...peaked(k, 0.6), ...strong, ...peaked(k, 0.7)],
        gate: [0.3, 0.2, 0.3, 0.2],
        uemUncertainty: 1 - conf,
        uemConfidence: conf,
        auProb: [...au(EYE_AUS), ...au(EYE_AUS), ...au(MOUTH_AUS), ...au(MOUTH_AUS)],
        auImportance: new Array(EYE_AUS.length * 2 + MOUTH_AUS.length * 2).fill(0.5)
      })
    })
    writePredictions(p.db, runId, preds)
    finishRun(p.db, runId, { status: 'done', metrics: { fixture: true } })
    return {
      runId,
      flipped: new Set(gt.images.filter((im) => im.flipped).map((im) => im.path)),
      trueClass: new Map(gt.images.map((im) => [im.path, im.trueClass]))
    }
  } finally {
    p.close()
  }
}
