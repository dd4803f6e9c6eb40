/**
 * One row of a stored 2-D .npy array without reading the whole file (dF/F of 100,000 ROIs is
 * gigabytes): the header is read first, then only the row's bytes. Any numeric little-endian
 * dtype becomes float32.
 */
import { NpyError, npyHeaderLength, readNpyHeader, type NpyHeader } from '../results/npy.ts';
import type { RangeReader } from './jobs-context.ts';

/** The header facts a ranged read needs (results/npy.ts, the one .npy reader). */
export type NpyLayout = NpyHeader;

/** Element `i` of raw little-endian `bytes` of dtype `descr`, as a number. */
function reader(descr: string, view: DataView): (i: number) => number {
  switch (descr) {
    case '<f4':
      return (i) => view.getFloat32(i * 4, true);
    case '<f8':
      return (i) => view.getFloat64(i * 8, true);
    case '|i1':
    case '<i1':
      return (i) => view.getInt8(i);
    case '<i2':
      return (i) => view.getInt16(i * 2, true);
    case '<i4':
      return (i) => view.getInt32(i * 4, true);
    case '<i8':
      return (i) => Number(view.getBigInt64(i * 8, true));
    case '<u2':
      return (i) => view.getUint16(i * 2, true);
    case '<u4':
      return (i) => view.getUint32(i * 4, true);
    case '<u8':
      return (i) => Number(view.getBigUint64(i * 8, true));
    default:
      return (i) => view.getUint8(i);
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
  let head = await read(key, 0, 1024);
  if (!head) return null;
  const need = npyHeaderLength(head);
  if (need > head.length && head.length === 1024) head = await read(key, 0, need);
  if (!head) return null;
  return readNpyHeader(head);
}

/** Row `row` of a 2-D array (or the whole of a 1-D one when row is 0). */
export async function readRow(read: RangeReader, key: string, layout: NpyLayout, row: number): Promise<Float32Array> {
  const width = layout.shape.length >= 2 ? layout.shape.slice(1).reduce((a, b) => a * b, 1) : (layout.shape[0] ?? 0);
  const rows = layout.shape.length >= 2 ? layout.shape[0] : 1;
  if (row < 0 || row >= rows) throw new NpyError(`row ${row} is outside 0-${rows - 1}`);
  const bytes = await read(key, layout.dataOffset + row * width * layout.itemSize, width * layout.itemSize);
  if (!bytes || bytes.length < width * layout.itemSize) throw new NpyError(`${key} is truncated`);
  return toFloat32(layout.dtype, bytes, width);
}
