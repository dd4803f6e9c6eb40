/**
 * NumPy .npy files (format versions 1-3), the worker's array outputs (F.npy, dff.npy, ...).
 * Reads little-endian bool/int/uint/float dtypes in C order into typed arrays; writes version 1.
 */

export type NpyDtype = '<f4' | '<f8' | '<i1' | '<i2' | '<i4' | '<i8' | '|u1' | '<u2' | '<u4' | '<u8' | '|b1' | '|i1';

export type NpyData = Float32Array | Float64Array | Int8Array | Int16Array | Int32Array | BigInt64Array | Uint8Array | Uint16Array | Uint32Array | BigUint64Array;

export interface NpyArray {
  dtype: NpyDtype;
  shape: number[];
  data: NpyData;
}

export class NpyError extends Error {
  readonly code = 'NPY_INVALID';
  constructor(message: string) {
    super(message);
    this.name = 'NpyError';
  }
}

const MAGIC = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]);

function ctorFor(descr: string): { ctor: new (b: ArrayBuffer, o: number, n: number) => NpyData; size: number } {
  switch (descr.replace(/^=/, '<')) {
    case '<f4': return { ctor: Float32Array, size: 4 };
    case '<f8': return { ctor: Float64Array, size: 8 };
    case '|i1': case '<i1': return { ctor: Int8Array, size: 1 };
    case '<i2': return { ctor: Int16Array, size: 2 };
    case '<i4': return { ctor: Int32Array, size: 4 };
    case '<i8': return { ctor: BigInt64Array, size: 8 };
    case '|u1': case '<u1': case '|b1': return { ctor: Uint8Array, size: 1 };
    case '<u2': return { ctor: Uint16Array, size: 2 };
    case '<u4': return { ctor: Uint32Array, size: 4 };
    case '<u8': return { ctor: BigUint64Array, size: 8 };
    default: throw new NpyError(`unsupported .npy dtype ${descr} (big-endian or structured)`);
  }
}

export function parseNpy(buf: Buffer): NpyArray {
  if (buf.length < 10 || !buf.subarray(0, 6).equals(MAGIC)) throw new NpyError('not a .npy file (bad magic)');
  const major = buf[6];
  const headerLen = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const start = major === 1 ? 10 : 12;
  if (start + headerLen > buf.length) throw new NpyError('truncated .npy header');
  const header = buf.subarray(start, start + headerLen).toString('latin1');
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (!descr || !fortran || shapeText === undefined) throw new NpyError(`unreadable .npy header: ${header.trim().slice(0, 120)}`);
  if (fortran === 'True') throw new NpyError('fortran-ordered .npy arrays are not supported');
  const shape = shapeText.split(',').map((s) => s.trim()).filter(Boolean).map(Number);
  const count = shape.reduce((a, b) => a * b, 1);
  const { ctor, size } = ctorFor(descr);
  const offset = start + headerLen;
  if (buf.length - offset < count * size) throw new NpyError(`truncated .npy data: ${buf.length - offset} bytes for ${count} x ${size}`);
  const copy = new ArrayBuffer(count * size);
  new Uint8Array(copy).set(buf.subarray(offset, offset + count * size));
  return { dtype: descr.replace(/^=/, '<') as NpyDtype, shape, data: new ctor(copy, 0, count) };
}

export function formatNpy(a: NpyArray): Buffer {
  const shape = a.shape.length === 1 ? `(${a.shape[0]},)` : `(${a.shape.join(', ')})`;
  let header = `{'descr': '${a.dtype}', 'fortran_order': False, 'shape': ${shape}, }`;
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const pre = Buffer.alloc(10);
  MAGIC.copy(pre);
  pre[6] = 1;
  pre[7] = 0;
  pre.writeUInt16LE(header.length, 8);
  return Buffer.concat([pre, Buffer.from(header, 'latin1'), Buffer.from(a.data.buffer, a.data.byteOffset, a.data.byteLength)]);
}

/** Row-concatenates 2-D arrays (or 1-D vectors) of one dtype; 2-D rows are cut to the shortest width. */
export function concatRows(arrays: readonly NpyArray[]): NpyArray {
  if (arrays.length === 0) throw new NpyError('nothing to concatenate');
  const dtype = arrays[0].dtype;
  if (arrays.some((a) => a.dtype !== dtype)) throw new NpyError(`shards disagree on dtype (${arrays.map((a) => a.dtype).join(', ')})`);
  const { ctor } = ctorFor(dtype);
  if (arrays[0].shape.length === 1) {
    const n = arrays.reduce((s, a) => s + a.shape[0], 0);
    const out = new ctor(new ArrayBuffer(n * arrays[0].data.BYTES_PER_ELEMENT), 0, n);
    let at = 0;
    for (const a of arrays) {
      (out as Uint8Array).set(a.data as Uint8Array, at);
      at += a.shape[0];
    }
    return { dtype, shape: [n], data: out };
  }
  const width = Math.min(...arrays.map((a) => a.shape[1] ?? 0));
  const rows = arrays.reduce((s, a) => s + a.shape[0], 0);
  const out = new ctor(new ArrayBuffer(rows * width * arrays[0].data.BYTES_PER_ELEMENT), 0, rows * width);
  let r = 0;
  for (const a of arrays) {
    const w = a.shape[1];
    for (let i = 0; i < a.shape[0]; i++, r++) (out as Uint8Array).set((a.data as Uint8Array).subarray(i * w, i * w + width), r * width);
  }
  return { dtype, shape: [rows, width], data: out };
}
