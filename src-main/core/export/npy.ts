/**
 * NumPy .npy files, format version 1.0 (numpy/lib/format.py): magic "\x93NUMPY", version 1 0, a
 * little-endian uint16 header length, a Python-literal header dict padded with spaces and a
 * newline so data starts at a multiple of 64 bytes, then the raw C-order data. Only the two dtypes
 * the cleanlab export needs: '<f4' (float32) and '<i8' (int64).
 */
export type NpyDtype = '<f4' | '<i8'

const MAGIC = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]) // \x93NUMPY

function shapeLiteral(shape: readonly number[]): string {
  return shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`
}

/** The .npy header (magic, version, length, padded dict) for `dtype` and `shape`. */
export function npyHeader(dtype: NpyDtype, shape: readonly number[]): Buffer {
  for (const d of shape) if (!Number.isInteger(d) || d < 0) throw new Error(`bad npy shape ${shapeLiteral(shape)}`)
  let dict = `{'descr': '${dtype}', 'fortran_order': False, 'shape': ${shapeLiteral(shape)}, }`
  const unpadded = MAGIC.length + 2 + 2 + dict.length + 1
  dict += ' '.repeat((64 - (unpadded % 64)) % 64) + '\n'
  if (dict.length > 0xffff) throw new Error('npy header too long for format 1.0')
  const head = Buffer.alloc(MAGIC.length + 4)
  MAGIC.copy(head, 0)
  head[6] = 1
  head[7] = 0
  head.writeUInt16LE(dict.length, 8)
  return Buffer.concat([head, Buffer.from(dict, 'latin1')])
}

/** A whole .npy file: float32 data (row-major) or int64 data. */
export function encodeNpy(dtype: NpyDtype, shape: readonly number[], data: ArrayLike<number>): Buffer {
  const n = shape.reduce((a, b) => a * b, 1)
  if (data.length !== n) throw new Error(`npy data has ${data.length} values, shape ${shapeLiteral(shape)} needs ${n}`)
  const body = Buffer.alloc(n * (dtype === '<f4' ? 4 : 8))
  for (let i = 0; i < n; i++) {
    if (dtype === '<f4') body.writeFloatLE(data[i], i * 4)
    else {
      if (!Number.isSafeInteger(data[i])) throw new Error(`int64 npy value ${data[i]} at ${i} is not an integer`)
      body.writeBigInt64LE(BigInt(data[i]), i * 8)
    }
  }
  return Buffer.concat([npyHeader(dtype, shape), body])
}

export interface NpyArray {
  dtype: NpyDtype
  shape: number[]
  data: Float32Array | BigInt64Array
}

/** Parses a .npy buffer written by {@link encodeNpy} (or numpy), checking magic, version, dtype and size. */
export function decodeNpy(buf: Buffer, name = 'npy file'): NpyArray {
  if (buf.length < 10 || !buf.subarray(0, 6).equals(MAGIC)) throw new Error(`${name} is not a .npy file (bad magic)`)
  if (buf[6] !== 1 || buf[7] !== 0) throw new Error(`${name} is .npy format ${buf[6]}.${buf[7]}; only 1.0 is read`)
  const hlen = buf.readUInt16LE(8)
  const dict = buf.subarray(10, 10 + hlen).toString('latin1')
  const descr = /'descr':\s*'([^']+)'/.exec(dict)?.[1]
  const fortran = /'fortran_order':\s*(True|False)/.exec(dict)?.[1]
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(dict)?.[1]
  if (descr !== '<f4' && descr !== '<i8') throw new Error(`${name} has dtype ${descr}; expected <f4 or <i8`)
  if (fortran !== 'False') throw new Error(`${name} is Fortran-ordered; expected C order`)
  if (shapeText == null) throw new Error(`${name} has no shape in its header`)
  const shape = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map(Number)
  const n = shape.reduce((a, b) => a * b, 1)
  const start = 10 + hlen
  const size = descr === '<f4' ? 4 : 8
  if (buf.length - start !== n * size)
    throw new Error(`${name} holds ${buf.length - start} data bytes; shape (${shape.join(', ')}) needs ${n * size}`)
  const raw = buf.subarray(start)
  if (descr === '<f4') {
    const out = new Float32Array(n)
    for (let i = 0; i < n; i++) out[i] = raw.readFloatLE(i * 4)
    return { dtype: descr, shape, data: out }
  }
  const out = new BigInt64Array(n)
  for (let i = 0; i < n; i++) out[i] = raw.readBigInt64LE(i * 8)
  return { dtype: descr, shape, data: out }
}
