/**
 * The words for failures that the CLI and the UI share (core/fsutil/describe.ts): real file-system
 * errors from real paths, and a refused import classified as bad input (no stack in the log).
 */
import { afterAll, describe, expect, it } from 'vitest'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describeFsError } from '../../../src-main/core/fsutil/describe'
import { toFailure, userMessage } from '../../../src-main/core/api/errors'
import { ImportError } from '../../../src-main/core/dataset/types'
import { tempDir } from '../../helpers/tmp'

const fail = (fn: () => unknown): unknown => {
  try {
    fn()
  } catch (e) {
    return e
  }
  throw new Error('did not throw')
}

describe('user messages for failures', () => {
  const tmp = tempDir('poi-msg-')

  it('a path under a file names the file in the way and says to check the path', () => {
    const file = join(tmp.dir, 'a.txt')
    writeFileSync(file, 'x')
    const e = fail(() => readFileSync(join(file, 'sub', 'labels.csv')))
    expect(describeFsError(e)).toBe(
      `${join(file, 'sub', 'labels.csv')}: ${file} is a file, not a folder; check the path`
    )
  })

  it('a missing file says it does not exist, and which folder is missing too', () => {
    expect(userMessage(fail(() => readFileSync(join(tmp.dir, 'none.csv'))))).toBe(
      `${join(tmp.dir, 'none.csv')} does not exist; check the path`
    )
    expect(userMessage(fail(() => readFileSync(join(tmp.dir, 'no', 'x.csv'))))).toContain(
      `the folder ${join(tmp.dir, 'no')} does not exist either`
    )
  })

  it('the API answers a refused import as bad input with the same words, logging no stack', () => {
    const logs: string[] = []
    const r = toFailure(
      new ImportError([{ file: '/d/labels.csv', line: 3, message: 'unknown class "joy"' }]),
      'import.start',
      (m) => logs.push(m)
    )
    expect(r).toMatchObject({ ok: false, code: 'INVALID_ARGS' })
    expect(!r.ok && r.message).toContain('/d/labels.csv:3: unknown class "joy"')
    expect(!r.ok && r.message).toContain('nothing was imported')
    expect(logs).toEqual([])
  })

  afterAll(() => tmp.cleanup())
})
