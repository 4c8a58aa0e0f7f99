/**
 * The "after" side of a before/after fixture (compare.e2e, screens.e2e): on an audited project with the
 * oracle run as run 1, curator decisions that fix some flipped labels and exclude an image (store API),
 * then run 2, "after (test fixture)", whose predictions follow the corrected labels.
 */
import { join } from 'node:path'
import { openProject } from '../../src-main/core/project'
import { applyChanges, type LabelChange } from '../../src-main/core/store/labels'
import { getClasses } from '../../src-main/core/store/meta'
import { createRun, finishRun, writePredictions } from '../../src-main/core/store/runs'
import { loadGroundTruth } from '../../src-main/core/synth/index'

/**
 * Decisions fixing the first flipped labels, then the "after" run (predictions = the corrected labels, a few
 * left wrong).
 */
export async function correctAndRetrain(project: string, faces: string): Promise<void> {
  const gt = await loadGroundTruth(join(faces, 'ground_truth.json'))
  const byPath = new Map(gt.images.map((g) => [g.path, g]))
  const p = openProject(project)
  try {
    const classes = getClasses(p.db)
    const rows = p.db.prepare('SELECT id, rel_path AS path FROM images ORDER BY id').all() as {
      id: number
      path: string
    }[]
    const flipped = rows.filter((r) => byPath.get(r.path)?.flipped)
    const fix = flipped.slice(0, 4)
    const changes: LabelChange[] = [
      ...fix.map((r) => ({
        imageId: r.id,
        label: classes.indexOf(byPath.get(r.path)!.trueClass),
        state: 'labeled' as const,
        softLabel: null,
        review: 'relabeled' as const
      })),
      { imageId: flipped[4].id, state: 'excluded', review: 'excluded' }
    ]
    applyChanges(p.db, changes, { actor: 'curator', source: 'curator' })
    const asOf = (p.db.prepare('SELECT max(id) AS id FROM label_history').get() as { id: number }).id
    const C = classes.length
    const runId = createRun(p.db, {
      kind: 'poi',
      name: 'after (test fixture)',
      config: { fixture: 'after', labelsAsOf: { historyId: asOf }, parentRunId: 1 },
      classes,
      backend: 'none'
    })
    const labels = new Map(
      (
        p.db.prepare('SELECT image_id AS id, current_label AS label FROM annotations').all() as {
          id: number
          label: number | null
        }[]
      ).map((r) => [r.id, r.label])
    )
    writePredictions(
      p.db,
      runId,
      rows.map((r, i) => {
        // Mostly the current label; every seventh image leans to the next class (so some suggestions change).
        const y = labels.get(r.id) ?? classes.indexOf(byPath.get(r.path)!.trueClass)
        const k = i % 7 === 3 ? (y + 1) % C : y
        const probs = Array.from({ length: C }, (_, j) => (j === k ? 0.7 : 0.3 / (C - 1)))
        return {
          imageId: r.id,
          fold: null,
          trnProbs: probs,
          oimSoft: null,
          oimSoftT1: null,
          regionProbs: null,
          gate: null,
          uemUncertainty: null,
          uemConfidence: null,
          auProb: null,
          auImportance: null
        }
      })
    )
    finishRun(p.db, runId, { status: 'done', metrics: { fixture: true } })
  } finally {
    p.close()
  }
}
