/**
 * One row of a stored 2-D .npy array without reading the whole file (dF/F of 100,000 ROIs is
 * gigabytes): the header is read first, then only the row's bytes. Any numeric little-endian
 * dtype becomes float32.
 */
import { NpyError } from '../results/npy.ts';
import type { RangeReader } from './jobs-context.ts';

export interface NpyLayout {
  descr: string;
  shape: number[];
  dataOffset: number;
  itemSize: number;
}

const SIZES: Record<string, number> = { '<f4': 4, '<f8': 8, '|i1': 1, '<i1': 1, '<i2': 2, '<i4': 4, '<i8': 8, '|u1': 1, '<u1': 1, '<u2': 2, '<u4': 4, '<u8': 8, '|b1': 1 };

/** Parses the header at the start of `head`; throws NpyError when more bytes are needed or it is not .npy. */
export function npyLayout(head: Buffer): NpyLayout {
  if (head.length < 12 || head[0] !== 0x93 || head.subarray(1, 6).toString('latin1') !== 'NUMPY') throw new NpyError('not a .npy file (bad magic)');
  const major = head[6];
  const headerLen = major === 1 ? head.readUInt16LE(8) : head.readUInt32LE(8);
  const start = major === 1 ? 10 : 12;
  if (start + headerLen > head.length) throw new NpyError(`header needs ${start + headerLen} bytes`);
  const header = head.subarray(start, start + headerLen).toString('latin1');
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1]?.replace(/^=/, '<');
  const fortran = /'fortran_order':\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (!descr || !fortran || shapeText === undefined) throw new NpyError('unreadable .npy header');
  if (fortran === 'True') throw new NpyError('fortran-ordered .npy arrays are not supported');
  const itemSize = SIZES[descr];
  if (!itemSize) throw new NpyError(`unsupported .npy dtype ${descr}`);
  const shape = shapeText.split(',').map((s) => s.trim()).filter(Boolean).map(Number);
  return { descr, shape, dataOffset: start + headerLen, itemSize };
}

/** Element `i` of raw little-endian `bytes` of dtype `descr`, as a number. */
function reader(descr: string, view: DataView): (i: number) => number {
  switch (descr) {
    case '<f4': return (i) => view.getFloat32(i * 4, true);
    case '<f8': return (i) => view.getFloat64(i * 8, true);
    case '|i1': case '<i1': return (i) => view.getInt8(i);
    case '<i2': return (i) => view.getInt16(i * 2, true);
    case '<i4': return (i) => view.getInt32(i * 4, true);
    case '<i8': return (i) => Number(view.getBigInt64(i * 8, true));
    case '<u2': return (i) => view.getUint16(i * 2, true);
    case '<u4': return (i) => view.getUint32(i * 4, true);
    case '<u8': return (i) => Number(view.getBigUint64(i * 8, true));
    default: return (i) => view.getUint8(i);
  }
}

export function toFloat32(descr: string, bytes: Buffer, count: number): Float32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const get = reader(descr, view);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = get(i);
  return out;
}

export async function readLayout(read: RangeReader, key: string): Promise<NpyLayout | null> {
  let want = 1024;
  for (;;) {
    const head = await read(key, 0, want);
    if (!head) return null;
    try {
      return npyLayout(head);
    } catch (e) {
      const need = /header needs (\d+) bytes/.exec((e as Error).message);
      if (!need || head.length < want) throw e;
      want = Number(need[1]);
    }
  }
}

/** Row `row` of a 2-D array (or the whole of a 1-D one when row is 0). */
export async function readRow(read: RangeReader, key: string, layout: NpyLayout, row: number): Promise<Float32Array> {
  const width = layout.shape.length >= 2 ? layout.shape.slice(1).reduce((a, b) => a * b, 1) : layout.shape[0] ?? 0;
  const rows = layout.shape.length >= 2 ? layout.shape[0] : 1;
  if (row < 0 || row >= rows) throw new NpyError(`row ${row} is outside 0-${rows - 1}`);
  const bytes = await read(key, layout.dataOffset + row * width * layout.itemSize, width * layout.itemSize);
  if (!bytes || bytes.length < width * layout.itemSize) throw new NpyError(`${key} is truncated`);
  return toFloat32(layout.descr, bytes, width);
}
