/**
 * Issue 17's "before/after numbers on a tiny project": synthetic faces with seeded flips, run A,
 * curator decisions that fix some of A's flagged flips (through the store's label API), then
 * `poi-audit train --from-run A` and `poi-audit compare A B --json`. The comparison's figures are
 * recomputed here from the stored predictions with the labels the test itself knows (A: the imported
 * labels; B: the labels after the decisions), not with the comparison's own label reconstruction.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { compareCommand } from '../../../src-main/cli/commands/compare'
import { trainCommand } from '../../../src-main/cli/commands/train'
import type { CliIo } from '../../../src-main/cli/ui/io'
import { findLabelIssues } from '../../../src-main/core/audit/cl'
import type { RunComparisonView } from '../../../src-main/core/evaluate/compare-runs'
import { labelsAtRun } from '../../../src-main/core/evaluate/compare-load'
import { openProject } from '../../../src-main/core/project'
import { applyChanges, type LabelChange } from '../../../src-main/core/store/labels'
import { getClasses } from '../../../src-main/core/store/meta'
import { getRun, readPredictions } from '../../../src-main/core/store/runs'
import { train } from '../../../src-main/core/train/train'
import { argmax } from '../../../src-main/core/util/vector'
import { slimFast } from '../../../src-main/core/run/config'
import { makeSynthProject, type SynthProject } from './helpers'

function captureIo(): CliIo & { stdout: string; stderr: string } {
  const io = {
    stdout: '',
    stderr: '',
    out: (s: string) => void (io.stdout += s),
    err: (s: string) => void (io.stderr += s)
  }
  return io
}

interface Row {
  id: number
  split: 'train' | 'val' | 'test'
  state: string
  label: number | null
  path: string
}

let fx: SynthProject
beforeAll(async () => {
  // A few hundred 48×48 faces of four classes (pose/lighting jitter halved, as the acceptance test),
  // a quarter of the training labels flipped.
  fx = await makeSynthProject({
    n: 320,
    size: 48,
    seed: 3,
    noise: 0.25,
    jitter: 0.5,
    classes: ['neutral', 'happiness', 'surprise', 'anger']
  })
})
afterAll(() => fx?.cleanup())

describe('retrain with the corrections and compare (tiny synthetic project)', () => {
  it('B trains on the decided labels, resolves flags, and compare reports what the predictions say', async () => {
    const path = fx.fresh('retrain')
    // The fast slim ResNet of the demo and the acceptance test, a few epochs: enough to learn the classes.
    const a = await train({
      projectPath: path,
      config: {
        ...slimFast(),
        epochs: 6,
        batchSize: 32,
        lr: 0.2,
        schedule: { milestones: [0.75], gamma: 0.1 },
        checkpointMinutes: 0,
        seed: 7
      },
      compute: { backend: 'wasm' }
    })
    expect(a.status).toBe('done')

    const p = openProject(path)
    const rows = (): Row[] =>
      p.db
        .prepare(
          'SELECT i.id, i.split, a.state, a.current_label AS label, i.rel_path AS path FROM images i JOIN annotations a ON a.image_id = i.id ORDER BY i.id'
        )
        .all() as Row[]
    const before = rows()
    const classes = getClasses(p.db)
    const C = classes.length
    const probsOf = (db: typeof p.db, runId: number): Map<number, number[]> =>
      new Map(readPredictions(db, runId).map((q) => [q.imageId, Array.from(q.trnProbs)]))
    const flagsOf = (
      probs: Map<number, number[]>,
      labels: Map<number, number>
    ): { flagged: Set<number>; noise: number[][] } => {
      const ids = [...labels.keys()].filter((id) => probs.has(id)).sort((x, y) => x - y)
      const li = findLabelIssues(
        ids.map((id) => labels.get(id)!),
        ids.map((id) => probs.get(id)!),
        C
      )
      return { flagged: new Set(ids.filter((_, i) => li.issues[i])), noise: li.calibratedJoint }
    }
    const labelled = (rs: Row[]): Map<number, number> =>
      new Map(rs.filter((r) => r.state === 'labeled' && r.label != null).map((r) => [r.id, r.label!]))
    const labelsA = labelled(before)
    const probsA = probsOf(p.db, a.runId)
    const flagsA = flagsOf(probsA, labelsA)

    // The curator reviews A's flags: flipped training images get their true class (relabeled), one
    // flipped image is excluded, one flagged image is marked ambiguous, one unflagged image is kept.
    const truth = new Map(fx.gt.images.map((g) => [g.path, g]))
    const flaggedTrain = before.filter((r) => r.split === 'train' && flagsA.flagged.has(r.id))
    const flippedFlagged = flaggedTrain.filter((r) => truth.get(r.path)!.flipped)
    expect(flippedFlagged.length, 'run A flags some flipped training labels').toBeGreaterThanOrEqual(4)
    const relabel = flippedFlagged.slice(0, -1)
    const exclude = flippedFlagged.at(-1)!
    const ambiguous =
      flaggedTrain.find((r) => !truth.get(r.path)!.flipped) ??
      before.find(
        (r) => r.split === 'train' && r.state === 'labeled' && !flagsA.flagged.has(r.id) && r.id !== exclude.id
      )!
    const keep = before.find(
      (r) => r.split === 'train' && r.state === 'labeled' && !flagsA.flagged.has(r.id) && r.id !== ambiguous.id
    )!
    const changes: LabelChange[] = [
      ...relabel.map((r) => ({
        imageId: r.id,
        label: classes.indexOf(truth.get(r.path)!.trueClass),
        state: 'labeled' as const,
        softLabel: null,
        review: 'relabeled' as const
      })),
      { imageId: exclude.id, state: 'excluded', review: 'excluded' },
      { imageId: ambiguous.id, state: 'ambiguous', softLabel: null, review: 'ambiguous' },
      { imageId: keep.id, state: 'labeled', softLabel: null, review: 'kept' }
    ]
    applyChanges(p.db, changes, { actor: 'curator', source: 'curator' })
    const after = rows()
    p.close()

    const io = captureIo()
    expect(await trainCommand(path, { fromRun: a.runId, backend: 'wasm' }, io), io.stderr).toBe(0)
    const bId = Number(/Run (\d+) finished/.exec(io.stdout)?.[1])
    expect(io.stdout).toContain(`before/after: poi-audit compare ${path} ${a.runId} ${bId}`)

    const q = openProject(path, { readonly: true })
    try {
      const runA = getRun(q.db, a.runId)!
      const runB = getRun(q.db, bId)!
      const cfgA = runA.config as { train: unknown }
      const cfgB = runB.config as { train: unknown; parentRunId: number }
      // Same training configuration (backbone, epochs, seed …), A recorded as the parent.
      expect(cfgB.parentRunId).toBe(a.runId)
      expect(cfgB.train).toEqual(cfgA.train)
      // B trained on the decisions: relabeled images with their new label, excluded/ambiguous left out.
      const labelsB = labelled(after)
      expect(labelsAtRun(q.db, runB, C)).toEqual(labelsB)
      expect(labelsAtRun(q.db, runA, C)).toEqual(labelsA)
      for (const r of relabel) expect(labelsB.get(r.id)).toBe(classes.indexOf(truth.get(r.path)!.trueClass))
      expect(labelsB.has(exclude.id) || labelsB.has(ambiguous.id)).toBe(false)
      expect(labelsB.get(keep.id)).toBe(labelsA.get(keep.id))
      const trainImages = (m: unknown): number => (m as { trainImages: number }).trainImages
      expect(trainImages(runB.metrics)).toBe(trainImages(runA.metrics) - 2)

      const cio = captureIo()
      expect(await compareCommand(path, String(a.runId), String(bId), { json: true }, cio), cio.stderr).toBe(0)
      const c = JSON.parse(cio.stdout) as RunComparisonView

      // Recomputed from the stored predictions.
      const probsB = probsOf(q.db, bId)
      const current = labelsB
      const both = after.filter((r) => probsA.has(r.id) && probsB.has(r.id) && current.has(r.id))
      const acc = (probs: Map<number, number[]>, ids: number[]): number | null =>
        ids.length ? ids.filter((id) => argmax(probs.get(id)!) === current.get(id)).length / ids.length : null
      const sets = (['val', 'test'] as const)
        .map((s) => ({ set: s, ids: both.filter((r) => r.split === s).map((r) => r.id) }))
        .filter((s) => s.ids.length)
      sets.push({ set: 'all' as never, ids: both.map((r) => r.id) })
      expect(c.measuredAgainst).toBe('current labels')
      expect(c.accuracy).toEqual(
        sets.map((s) => ({ set: s.set, images: s.ids.length, a: acc(probsA, s.ids), b: acc(probsB, s.ids) }))
      )
      const testIds = both.filter((r) => r.split === 'test').map((r) => r.id)
      expect(c.perClassSet).toBe('test')
      const pr = (probs: Map<number, number[]>, k: number): { precision: number | null; recall: number | null } => {
        const pred = testIds.filter((id) => argmax(probs.get(id)!) === k)
        const sup = testIds.filter((id) => current.get(id) === k)
        const tp = pred.filter((id) => current.get(id) === k).length
        return { precision: pred.length ? tp / pred.length : null, recall: sup.length ? tp / sup.length : null }
      }
      expect(c.perClass).toEqual(
        classes.map((name, k) => ({
          name,
          support: testIds.filter((id) => current.get(id) === k).length,
          a: pr(probsA, k),
          b: pr(probsB, k)
        }))
      )

      const flagsB = flagsOf(probsB, labelsB)
      const resolved = [...flagsA.flagged].filter((id) => !flagsB.flagged.has(id)).sort((x, y) => x - y)
      const introduced = [...flagsB.flagged].filter((id) => !flagsA.flagged.has(id)).sort((x, y) => x - y)
      expect(c.flags).toEqual({
        a: flagsA.flagged.size,
        b: flagsB.flagged.size,
        resolved: resolved.length,
        introduced: introduced.length,
        resolvedIds: resolved,
        introducedIds: introduced
      })
      console.info(
        `retrain-compare: ${relabel.length} relabeled, 1 excluded, 1 ambiguous, 1 kept; flags A ${c.flags.a} → B ${c.flags.b} (resolved ${c.flags.resolved}, new ${c.flags.introduced}); ` +
          `accuracy ${c.accuracy.map((x) => `${x.set} ${x.a?.toFixed(3)} → ${x.b?.toFixed(3)}`).join(', ')}; suggestions changed ${c.suggestionChanged}`
      )
      expect(c.flags.resolved).toBeGreaterThan(0)
      // The excluded image was flagged by A and, no longer trained on, is not flagged by B.
      expect(c.flags.resolvedIds).toEqual(expect.arrayContaining([exclude.id]))

      const changed = after
        .filter((r) => probsA.has(r.id) && probsB.has(r.id) && argmax(probsA.get(r.id)!) !== argmax(probsB.get(r.id)!))
        .map((r) => r.id)
      expect(c.suggestionChanged).toBe(changed.length)
      expect(c.suggestionChangedIds).toEqual(changed.slice(0, 500))
      expect(c.labelsChanged).toBe(relabel.length + 2)

      const noise = (
        joint: number[][],
        labels: Map<number, number>,
        k: number
      ): { given: number; wrong: number; rate: number | null } => {
        const given = [...labels.entries()].filter(([id, y]) => y === k && (probsA.has(id) || probsB.has(id))).length
        const wrong = joint[k].reduce((s, v, j) => (j === k ? s : s + v), 0)
        return { given, wrong, rate: given ? wrong / given : null }
      }
      expect(c.noise).toEqual(
        classes.map((name, k) => ({ name, a: noise(flagsA.noise, labelsA, k), b: noise(flagsB.noise, labelsB, k) }))
      )
    } finally {
      q.close()
    }
  }, 300_000) // two trainings: 75–95 s at load 4–12 on 2 cores

  it('compare and --from-run refuse what they cannot do, with the CLI exit codes', async () => {
    const path = fx.fresh('refuse')
    const io = captureIo()
    expect(await compareCommand(path, '1', '1', {}, io)).toBe(2)
    expect(io.stderr).toMatch(/two different runs \(got 1 twice\)/)
    expect(await compareCommand(path, 'x', '2', {}, io)).toBe(2)
    expect(io.stderr).toMatch(/<A> must be a positive integer, got "x"/)
    expect(await compareCommand(path, '1', '2', {}, io)).toBe(3)
    expect(io.stderr).toMatch(/no run 1 in this project/)
    expect(await trainCommand(path, { fromRun: 4 }, io)).toBe(3)
    expect(io.stderr).toMatch(/--from-run 4: no run 4 in /)
    expect(await trainCommand(path, { fromRun: 4, resume: 4 }, io)).toBe(2)
    expect(io.stderr).toMatch(/--resume and --from-run exclude each other/)
  })
})
