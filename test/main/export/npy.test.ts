import { afterEach, describe, expect, it } from 'vitest'
import { execFileSync, spawnSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { tempDir } from '../../helpers/tmp'
import { decodeNpy, encodeNpy, npyHeader } from '../../../src-main/core/export/npy'

let cleanup: (() => void) | null = null
afterEach(() => {
  cleanup?.()
  cleanup = null
})

const hasNumpy = spawnSync('python3', ['-c', 'import numpy'], { stdio: 'ignore' }).status === 0

describe('.npy writer/reader (format 1.0)', () => {
  it('writes the exact header numpy writes (64-byte aligned)', () => {
    const h = npyHeader('<f4', [2, 3])
    expect(h.subarray(0, 8)).toEqual(Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]))
    expect(h.length).toBe(128)
    expect(h.readUInt16LE(8)).toBe(118)
    const dict = h.subarray(10).toString('latin1')
    expect(dict.startsWith("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }")).toBe(true)
    expect(dict.endsWith(' \n')).toBe(true)
    expect(npyHeader('<i8', [5]).subarray(10).toString('latin1')).toMatch(/'shape': \(5,\), \}/)
  })

  it('round-trips float32 and int64 arrays and rejects bad files', () => {
    const f = decodeNpy(encodeNpy('<f4', [2, 2], [0.1, 0.2, 0.3, 0.4]))
    expect(f.shape).toEqual([2, 2])
    expect(Array.from(f.data as Float32Array)).toEqual(Array.from(Float32Array.from([0.1, 0.2, 0.3, 0.4])))
    const i = decodeNpy(encodeNpy('<i8', [3], [0, 7, 2]))
    expect(Array.from(i.data as BigInt64Array)).toEqual([0n, 7n, 2n])
    expect(() => encodeNpy('<f4', [3], [1, 2])).toThrow(/needs 3/)
    expect(() => encodeNpy('<i8', [1], [1.5])).toThrow(/not an integer/)
    expect(() => decodeNpy(Buffer.from('hello world, not numpy'))).toThrow(/bad magic/)
    const v2 = encodeNpy('<f4', [1], [1])
    v2[6] = 2
    expect(() => decodeNpy(v2)).toThrow(/format 2.0/)
    const short = encodeNpy('<f4', [4], [1, 2, 3, 4]).subarray(0, 130)
    expect(() => decodeNpy(short)).toThrow(/needs 16/)
  })

  it.skipIf(!hasNumpy)('numpy reads what we write', () => {
    const t = tempDir('poi-npy-')
    cleanup = t.cleanup
    writeFileSync(join(t.dir, 'p.npy'), encodeNpy('<f4', [2, 3], [0.5, 0.25, 0.25, 0.1, 0.8, 0.1]))
    writeFileSync(join(t.dir, 'l.npy'), encodeNpy('<i8', [2], [0, 1]))
    const out = execFileSync('python3', [
      '-c',
      'import numpy as np,sys; p=np.load(sys.argv[1]); l=np.load(sys.argv[2]); print(p.dtype, p.shape, l.dtype, l.shape, int(p.argmax(1)[1]), int(l[1]), round(float(p.sum()),4))',
      join(t.dir, 'p.npy'),
      join(t.dir, 'l.npy')
    ]).toString()
    expect(out.trim()).toBe('float32 (2, 3) int64 (2,) 1 1 2.0')
  })
})
