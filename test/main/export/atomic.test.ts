import { afterEach, describe, expect, it } from 'vitest'
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { createHash } from 'node:crypto'
import { join } from 'node:path'
import { tempDir } from '../../helpers/tmp'
import { AtomicWriteError, openAtomicFile, writeFileAtomic } from '../../../src-main/core/fsutil/atomic'
import { AtomicDir } from '../../../src-main/core/fsutil/atomic-dir'
import { faultyFs, type FaultStep } from './faults'

let cleanup: (() => void) | null = null
afterEach(() => {
  cleanup?.()
  cleanup = null
})
function tmp(): string {
  const t = tempDir('poi-atomic-')
  cleanup = t.cleanup
  return t.dir
}
const sha = (b: string | Buffer): string => createHash('sha256').update(b).digest('hex')

describe('writeFileAtomic', () => {
  it('writes, reports size and sha256, and replaces an existing file', async () => {
    const dir = tmp()
    const dest = join(dir, 'labels.csv')
    writeFileSync(dest, 'old\n')
    const d = await writeFileAtomic(dest, ['a,b\n', Buffer.from('1,2\n')])
    expect(readFileSync(dest, 'utf8')).toBe('a,b\n1,2\n')
    expect(d).toEqual({ bytes: 8, sha256: sha('a,b\n1,2\n') })
    expect(readdirSync(dir)).toEqual(['labels.csv'])
  })

  it('streams async chunks larger than its buffer', async () => {
    const dest = join(tmp(), 'big.bin')
    const part = Buffer.alloc(700_000, 7)
    async function* gen() {
      for (let i = 0; i < 4; i++) yield part
    }
    const d = await writeFileAtomic(dest, gen())
    expect(statSync(dest).size).toBe(2_800_000)
    expect(d.sha256).toBe(sha(Buffer.concat([part, part, part, part])))
  })

  const steps: FaultStep[] = ['open', 'write', 'fsync', 'close', 'rename']
  for (const step of steps) {
    for (const code of ['ENOSPC', 'EACCES', 'EIO']) {
      it(`a ${code} at ${step} leaves the previous file intact and no temp file`, async () => {
        const dir = tmp()
        const dest = join(dir, 'labels.csv')
        writeFileSync(dest, 'previous content\n')
        const fs = faultyFs(step, code)
        const err = await writeFileAtomic(dest, 'new content\n', { fs }).catch((e) => e)
        expect(fs.fired).toBe(1)
        expect(err).toBeInstanceOf(AtomicWriteError)
        expect(err.step).toBe(step)
        expect(err.code).toBe(code)
        expect(err.committed).toBe(false)
        expect(err.message).toContain(dest)
        expect(err.message).toContain('nothing was changed')
        expect(readFileSync(dest, 'utf8')).toBe('previous content\n')
        expect(readdirSync(dir)).toEqual(['labels.csv'])
      })
    }
  }

  it('a disk that fills up mid-file (partial write, then ENOSPC) changes nothing', async () => {
    const dir = tmp()
    const dest = join(dir, 'export.jsonl')
    writeFileSync(dest, 'v1\n')
    const fs = faultyFs('write', 'ENOSPC', { nth: 2, partialWrite: true })
    const err = await writeFileAtomic(dest, Buffer.alloc(3 << 20, 65), { fs }).catch((e) => e)
    expect(err.code).toBe('ENOSPC')
    expect(err.message).toMatch(/the disk is full/)
    expect(readFileSync(dest, 'utf8')).toBe('v1\n')
    expect(readdirSync(dir)).toEqual(['export.jsonl'])
  })

  it('a failing directory fsync after the rename reports committed: the new file is complete', async () => {
    const dir = tmp()
    const dest = join(dir, 'labels.csv')
    writeFileSync(dest, 'old\n')
    const err = await writeFileAtomic(dest, 'new\n', { fs: faultyFs('dir-fsync', 'EIO') }).catch((e) => e)
    expect(err.step).toBe('dir-fsync')
    expect(err.committed).toBe(true)
    expect(readFileSync(dest, 'utf8')).toBe('new\n')
    expect(readdirSync(dir)).toEqual(['labels.csv'])
  })

  it('an aborted writer leaves nothing behind; a cancelled signal stops before writing', async () => {
    const dir = tmp()
    const dest = join(dir, 'x.txt')
    const w = await openAtomicFile(dest)
    await w.write('partial')
    await w.abort()
    expect(readdirSync(dir)).toEqual([])
    const ac = new AbortController()
    ac.abort()
    await expect(writeFileAtomic(dest, 'x', { signal: ac.signal })).rejects.toThrow(/abort/i)
    expect(readdirSync(dir)).toEqual([])
  })

  it.skipIf(process.getuid?.() === 0)(
    'a read-only destination folder gives EACCES and keeps the old file',
    async () => {
      const dir = tmp()
      const sub = join(dir, 'ro')
      mkdirSync(sub)
      writeFileSync(join(sub, 'a.csv'), 'keep\n')
      chmodSync(sub, 0o500)
      try {
        const err = await writeFileAtomic(join(sub, 'a.csv'), 'new\n').catch((e) => e)
        expect(err.code).toBe('EACCES')
        expect(err.message).toMatch(/permission denied/)
        expect(readFileSync(join(sub, 'a.csv'), 'utf8')).toBe('keep\n')
      } finally {
        chmodSync(sub, 0o700)
      }
    }
  )
})

describe('AtomicDir (multi-file exports)', () => {
  async function build(dest: string, fs = faultyFs(null), overwrite = false): Promise<void> {
    const src = join(dest + '-src.png')
    writeFileSync(src, 'image-bytes')
    const d = await AtomicDir.create(dest, { fs, overwrite })
    try {
      await d.writeFile('a/one.txt', 'one')
      await d.writeFile('two.txt', 'two')
      await d.linkOrCopy(src, 'a/b/img.png')
      await d.commit((files) => ({ format: 'test', version: 1, files }))
    } catch (e) {
      await d.abort()
      throw e
    }
  }

  it('commits files and writes the manifest last, listing size and sha256', async () => {
    const dir = tmp()
    const dest = join(dir, 'out')
    const fs = faultyFs(null)
    await build(dest, fs)
    const m = JSON.parse(readFileSync(join(dest, 'manifest.json'), 'utf8'))
    expect(m.files).toEqual([
      { path: 'a/one.txt', bytes: 3, sha256: sha('one') },
      { path: 'two.txt', bytes: 3, sha256: sha('two') },
      { path: 'a/b/img.png', bytes: 11, sha256: sha('image-bytes') }
    ])
    const opens = fs.log.filter((l) => l.startsWith('open') && /\.(txt|json)$/.test(l))
    expect(opens[opens.length - 1]).toMatch(/manifest\.json$/)
    // The rename of the whole folder comes after the manifest.
    expect(fs.log.findIndex((l) => l.startsWith('rename'))).toBeGreaterThan(
      fs.log.findIndex((l) => l.endsWith('manifest.json'))
    )
    expect(statSync(join(dest, 'a/b/img.png')).ino).toBe(statSync(join(dir, 'out-src.png')).ino) // a hard link
    expect(readdirSync(dir).sort()).toEqual(['out', 'out-src.png'])
  })

  it('falls back to a copy when hard links are impossible (another device)', async () => {
    const dir = tmp()
    const dest = join(dir, 'out')
    await build(dest, faultyFs('link', 'EXDEV'))
    expect(readFileSync(join(dest, 'a/b/img.png'), 'utf8')).toBe('image-bytes')
    expect(statSync(join(dest, 'a/b/img.png')).ino).not.toBe(statSync(join(dir, 'out-src.png')).ino)
  })

  const dirSteps: FaultStep[] = ['mkdir', 'open', 'write', 'fsync', 'close', 'link', 'rename']
  for (const step of dirSteps) {
    it(`an EIO at ${step} leaves no export folder and no temp folder`, async () => {
      const dir = tmp()
      const dest = join(dir, 'out')
      const fs = faultyFs(step, 'EIO', { nth: step === 'mkdir' ? 2 : 1 })
      await expect(build(dest, fs)).rejects.toThrow(/EIO/)
      expect(fs.fired).toBe(1)
      expect(readdirSync(dir).sort()).toEqual(['out-src.png'])
    })
  }

  it('a failure while replacing an existing folder keeps the old folder', async () => {
    const dir = tmp()
    const dest = join(dir, 'out')
    await build(dest)
    const before = readFileSync(join(dest, 'manifest.json'), 'utf8')
    // First rename (old folder aside) succeeds, the second (new folder in) fails: the old one is put back.
    await expect(build(dest, faultyFs('rename', 'EACCES', { nth: 2 }), true)).rejects.toThrow(/EACCES/)
    expect(readFileSync(join(dest, 'manifest.json'), 'utf8')).toBe(before)
    expect(readdirSync(dir).sort()).toEqual(['out', 'out-src.png'])
    // A successful overwrite leaves no old copy behind.
    writeFileSync(join(dest, 'stale.txt'), 'x')
    await build(dest, faultyFs(null), true)
    expect(existsSync(join(dest, 'stale.txt'))).toBe(false)
    expect(readdirSync(dir).sort()).toEqual(['out', 'out-src.png'])
  })

  it('refuses an existing destination without overwrite, and bad relative paths', async () => {
    const dir = tmp()
    const dest = join(dir, 'out')
    mkdirSync(dest)
    await expect(AtomicDir.create(dest)).rejects.toThrow(/already exists/)
    const d = await AtomicDir.create(join(dir, 'other'))
    await expect(d.writeFile('../escape.txt', 'x')).rejects.toThrow(/bad output path/)
    await expect(d.writeFile('/abs.txt', 'x')).rejects.toThrow(/bad output path/)
    await d.writeFile('dup.txt', 'x')
    await expect(d.writeFile('dup.txt', 'y')).rejects.toThrow(/share the name/)
    await d.abort()
    expect(readdirSync(dir)).toEqual(['out'])
  })
})
