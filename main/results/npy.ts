/**
 * NumPy .npy files (format versions 1-3), the worker's array outputs (F.npy, dff.npy, ...).
 * Reads little-endian bool/int/uint/float dtypes in C order into typed arrays; writes version 1.
 */

export type NpyDtype = '<f4' | '<f8' | '<i1' | '<i2' | '<i4' | '<i8' | '|u1' | '<u2' | '<u4' | '<u8' | '|b1' | '|i1';

export type NpyData =
  Float32Array | Float64Array | Int8Array | Int16Array | Int32Array | BigInt64Array | Uint8Array | Uint16Array | Uint32Array | BigUint64Array;

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
    case '<f4':
      return { ctor: Float32Array, size: 4 };
    case '<f8':
      return { ctor: Float64Array, size: 8 };
    case '|i1':
    case '<i1':
      return { ctor: Int8Array, size: 1 };
    case '<i2':
      return { ctor: Int16Array, size: 2 };
    case '<i4':
      return { ctor: Int32Array, size: 4 };
    case '<i8':
      return { ctor: BigInt64Array, size: 8 };
    case '|u1':
    case '<u1':
    case '|b1':
      return { ctor: Uint8Array, size: 1 };
    case '<u2':
      return { ctor: Uint16Array, size: 2 };
    case '<u4':
      return { ctor: Uint32Array, size: 4 };
    case '<u8':
      return { ctor: BigUint64Array, size: 8 };
    default:
      throw new NpyError(`unsupported .npy dtype ${descr} (big-endian or structured)`);
  }
}

/** Where an array's data starts and how it is laid out. */
export interface NpyHeader {
  dtype: NpyDtype;
  shape: number[];
  /** Byte offset of the first element. */
  dataOffset: number;
  /** Bytes per element. */
  itemSize: number;
}

/** Bytes from the start of the file to the first element, read from its first 12 bytes. */
export function npyHeaderLength(head: Buffer): number {
  if (head.length < 10 || !head.subarray(0, 6).equals(MAGIC)) throw new NpyError('not a .npy file (bad magic)');
  if (head[6] === 1) return 10 + head.readUInt16LE(8);
  if (head.length < 12) throw new NpyError('truncated .npy header');
  return 12 + head.readUInt32LE(8);
}

/**
 * Parses the header at the start of `head` (the whole file, or only its first bytes when the data
 * is read by range); throws NpyError when it is not .npy or `head` ends inside the header.
 */
export function readNpyHeader(head: Buffer): NpyHeader {
  const end = npyHeaderLength(head);
  if (end > head.length) throw new NpyError(`truncated .npy header (it needs ${end} bytes)`);
  const header = head.subarray(head[6] === 1 ? 10 : 12, end).toString('latin1');
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (!descr || !fortran || shapeText === undefined) throw new NpyError(`unreadable .npy header: ${header.trim().slice(0, 120)}`);
  if (fortran === 'True') throw new NpyError('fortran-ordered .npy arrays are not supported');
  const { size } = ctorFor(descr);
  const shape = shapeText
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean)
    .map(Number);
  return { dtype: descr.replace(/^=/, '<') as NpyDtype, shape, dataOffset: end, itemSize: size };
}

export function parseNpy(buf: Buffer): NpyArray {
  const h = readNpyHeader(buf);
  const count = h.shape.reduce((a, b) => a * b, 1);
  const { ctor } = ctorFor(h.dtype);
  if (buf.length - h.dataOffset < count * h.itemSize)
    throw new NpyError(`truncated .npy data: ${buf.length - h.dataOffset} bytes for ${count} x ${h.itemSize}`);
  const copy = new ArrayBuffer(count * h.itemSize);
  new Uint8Array(copy).set(buf.subarray(h.dataOffset, h.dataOffset + count * h.itemSize));
  return { dtype: h.dtype, shape: h.shape, data: new ctor(copy, 0, count) };
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
