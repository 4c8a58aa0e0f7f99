/**
 * The layer rule (eslint/layers.js) through ESLint's Node API with the project's own config: each rule
 * fires on a planted violation at a real path in the tree, and the real tree passes. The planted files
 * are virtual (lintText with a filePath), so nothing is written into src-main/.
 */
import { describe, expect, it } from 'vitest'
import { ESLint } from 'eslint'

const eslint = new ESLint()

async function layerErrors(filePath: string, code: string): Promise<string[]> {
  const [r] = await eslint.lintText(code, { filePath })
  return r.messages
    .filter((m) => m.ruleId === 'layers/boundaries' || m.ruleId === 'no-restricted-imports')
    .map((m) => m.message)
}

describe('layers (eslint/layers.js)', () => {
  it('core never imports electron, the CLI, the server or the renderer', async () => {
    expect(
      await layerErrors('src-main/core/run/planted.ts', "import { app } from 'electron'\nexport const a = app\n")
    ).not.toEqual([])
    expect(
      await layerErrors(
        'src-main/core/audit/planted.ts',
        "import { EXIT } from '../../cli/ui/io'\nexport const a = EXIT\n"
      )
    ).toEqual([expect.stringMatching(/core code must not import src-main\/cli/)])
    expect(
      await layerErrors('src-main/core/api/planted.ts', "export { startServer } from '../../server/server'\n")
    ).toEqual([expect.stringMatching(/src-main\/server/)])
    expect(
      await layerErrors(
        'src-main/core/store/planted.ts',
        "export const m = () => import('../../../src-renderer/src/lib/api')\n"
      )
    ).toEqual([expect.stringMatching(/src-renderer/)])
  })

  it('score and train never import each other; imports go to lower ranks only', async () => {
    expect(
      await layerErrors(
        'src-main/core/score/planted.ts',
        "import { train } from '../train/train'\nexport const t = train\n"
      )
    ).toEqual([expect.stringMatching(/core\/score \(rank 6\) must not import core\/train \(rank 6\)/)])
    expect(
      await layerErrors(
        'src-main/core/train/planted.ts',
        "import { scoreRun } from '../score/score'\nexport const s = scoreRun\n"
      )
    ).toEqual([expect.stringMatching(/core\/train .* must not import core\/score/)])
    // Upward: the store (rank 2) reaching the audit (rank 4) would close a cycle audit → store → audit.
    expect(
      await layerErrors(
        'src-main/core/store/planted.ts',
        "import type { AuditItem } from '../audit/engine'\nexport type A = AuditItem\n"
      )
    ).toEqual([expect.stringMatching(/core\/store \(rank 2\) must not import core\/audit \(rank 4\)/)])
    // A new folder without a rank is refused until it is placed.
    expect(
      await layerErrors(
        'src-main/core/newthing/planted.ts',
        "import { argmax } from '../util/vector'\nexport const f = argmax\n"
      )
    ).toEqual([expect.stringMatching(/core\/newthing has no rank/)])
    // Downward and same-folder imports are fine.
    expect(
      await layerErrors(
        'src-main/core/score/planted.ts',
        "import { openRunModel } from '../run/run'\nimport { scoreRun } from './score'\nexport const a = [openRunModel, scoreRun]\n"
      )
    ).toEqual([])
  })

  it('the renderer reaches main code only through the API contract/client', async () => {
    expect(
      await layerErrors(
        'src-renderer/src/lib/planted.ts',
        "import { openProject } from '../../../src-main/core/project'\nexport const o = openProject\n"
      )
    ).toEqual([expect.stringMatching(/only through the API contract\/client/)])
    expect(
      await layerErrors(
        'src-renderer/src/lib/planted.ts',
        "import type { PredictionView } from '../../../src-main/core/api/contract'\nexport type P = PredictionView\n"
      )
    ).toEqual([])
    // Components too: a .svelte file's <script> is linted with the same rule.
    const component = (spec: string): string =>
      `<script lang="ts">\n  import { openProject } from '${spec}'\n  const o = openProject\n</script>\n<p>{o}</p>\n`
    expect(
      await layerErrors('src-renderer/src/views/Planted.svelte', component('../../../src-main/core/project'))
    ).toEqual([expect.stringMatching(/only through the API contract\/client/)])
  })

  it('the real tree passes', async () => {
    const results = await eslint.lintFiles(['src-main/core', 'src-renderer/src'])
    const bad = results.flatMap((r) =>
      r.messages.filter((m) => m.ruleId === 'layers/boundaries').map((m) => `${r.filePath}:${m.line} ${m.message}`)
    )
    expect(bad).toEqual([])
  })
})
