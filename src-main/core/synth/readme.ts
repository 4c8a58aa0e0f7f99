/** The README.txt written next to a synthetic dataset, so the folder explains itself. */
import { AU_NAMES, AU_PRIOR } from '../classes'
import type { GroundTruth } from './ground-truth'
import type { SynthSummary } from './dataset'

export function datasetReadme(gt: GroundTruth, s: SynthSummary): string {
  const st = gt.settings
  const lines = [
    'POI Audit synthetic facial-expression dataset',
    '=============================================',
    '',
    'Procedurally drawn faces (SVG rasterised with sharp). Each face of a class shows the action units',
    'of Table I of the POI paper for that class, plus occasional weak distractor AUs. No real person',
    'is depicted; the images are free of any licence of a real dataset.',
    '',
    `Images: ${s.total} (${st.size}x${st.size}, ${st.channels === 1 ? 'grey' : 'RGB'} PNG), ${s.identities} synthetic identities, seed ${st.seed}.`,
    `Splits: train ${s.perSplit.train}, val ${s.perSplit.val}, test ${s.perSplit.test}.`,
    `Classes: ${st.classes.join(', ')}.`,
    `Label noise: ${st.noiseRate} of the ${st.flipSplits.join('/') || '(no)'} split(s) relabelled to a random other class` +
      ` (train ${s.flipped.train}, val ${s.flipped.val}, test ${s.flipped.test} flipped labels).`,
    '',
    'Files',
    '  images/<split>/<id>.png   the faces',
    '  labels.csv                path,label,split - the GIVEN labels, including the flipped ones',
    `  ground_truth.json         format "${gt.format}" version ${gt.version}: per image the true class, the`,
    '                            given label, flipped, the AU intensities drawn (0..1), identity',
    '                            (written last: a folder without it is an interrupted run)',
    '',
    'AUs per class (Table I):'
  ]
  for (const c of st.classes) {
    const aus = [...AU_PRIOR[c].eye, ...AU_PRIOR[c].mouth]
    lines.push(`  ${c.padEnd(10)} ${aus.length ? aus.map((au) => `AU${au} ${AU_NAMES[au]}`).join(', ') : '(none)'}`)
  }
  lines.push(
    '',
    'Regenerate (other options at their defaults): poi-audit synth <outDir> ' +
      `--n ${s.total} --size ${st.size}${st.channels === 3 ? ' --rgb' : ''} --noise ${st.noiseRate} --seed ${st.seed} --classes ${st.classes.join(',')}`,
    ''
  )
  return lines.join('\n')
}
