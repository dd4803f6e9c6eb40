/**
 * The numeric per-ROI features of a suite2p `stat.npy` (a pickled object array of dicts, as the
 * worker writes it in `suite2p/plane<k>/` and suite2p itself does): for each ROI, its scalar
 * entries (npix, radius, aspect_ratio, compact, footprint, skew, std, npix_norm, ...); array
 * entries (ypix, xpix, lam, overlap) are skipped.
 *
 * Only the unpickling needed for that is done: protocol 2-5 opcodes for None, bools, ints, floats,
 * strings, bytes, lists, tuples, dicts, the memo, and NumPy arrays and scalars rebuilt through
 * `numpy.core.multiarray._reconstruct` / `scalar` and `numpy.dtype`. No code is ever run: any
 * other global, or any other opcode, is a Suite2pStatError.
 */
import { npyHeaderLength } from './npy.ts';

export class Suite2pStatError extends Error {
  readonly code = 'BAD_STAT';
  constructor(message: string) {
    super(message);
    this.name = 'Suite2pStatError';
  }
}

export type RoiFeatures = Record<string, number>;

interface Global {
  kind: 'global';
  name: string;
}
interface Dtype {
  kind: 'dtype';
  code: string;
}
interface NdArray {
  kind: 'ndarray';
  dtype: Dtype | null;
  items: unknown[] | null;
}
const MARK = Symbol('mark');

const ALLOWED = new Set([
  'numpy.core.multiarray._reconstruct',
  'numpy._core.multiarray._reconstruct',
  'numpy.core.multiarray.scalar',
  'numpy._core.multiarray.scalar',
  'numpy.ndarray',
  'numpy.dtype',
]);

function scalarOf(dtype: Dtype, bytes: Uint8Array): number {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const need = (n: number) => {
    if (bytes.length < n) throw new Suite2pStatError(`a numpy ${dtype.code} scalar has ${bytes.length} bytes`);
  };
  switch (dtype.code) {
    case 'f4':
      need(4);
      return v.getFloat32(0, true);
    case 'f8':
      need(8);
      return v.getFloat64(0, true);
    case 'i8':
      need(8);
      return Number(v.getBigInt64(0, true));
    case 'u8':
      need(8);
      return Number(v.getBigUint64(0, true));
    case 'i4':
      need(4);
      return v.getInt32(0, true);
    case 'u4':
      need(4);
      return v.getUint32(0, true);
    case 'i2':
      need(2);
      return v.getInt16(0, true);
    case 'u2':
      need(2);
      return v.getUint16(0, true);
    case 'i1':
      need(1);
      return v.getInt8(0);
    case 'u1':
    case 'b1':
      need(1);
      return v.getUint8(0);
    default:
      return NaN;
  }
}

/** Unpickles `buf` from `start` (see the module comment for what is understood). */
export function unpickle(buf: Uint8Array, start = 0): unknown {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const stack: unknown[] = [];
  const memo = new Map<number, unknown>();
  let p = start;
  const take = (n: number) => {
    if (p + n > buf.length) throw new Suite2pStatError('the pickle is truncated');
    const s = buf.subarray(p, p + n);
    p += n;
    return s;
  };
  const u8 = () => take(1)[0];
  const u32 = () => view.getUint32(take(4).byteOffset - buf.byteOffset, true);
  const text = (n: number) => new TextDecoder().decode(take(n));
  const line = () => {
    const end = buf.indexOf(0x0a, p);
    if (end < 0) throw new Suite2pStatError('the pickle is truncated');
    const s = new TextDecoder().decode(buf.subarray(p, end));
    p = end + 1;
    return s;
  };
  const pop = () => {
    if (stack.length === 0) throw new Suite2pStatError('the pickle pops an empty stack');
    return stack.pop();
  };
  const toMark = () => {
    const i = stack.lastIndexOf(MARK);
    if (i < 0) throw new Suite2pStatError('the pickle has no mark to pop to');
    return stack.splice(i).slice(1);
  };
  const global = (name: string): Global => {
    if (!ALLOWED.has(name)) throw new Suite2pStatError(`the pickle names ${name.slice(0, 80)}, which is not read`);
    return { kind: 'global', name };
  };
  const reduce = (fn: unknown, args: unknown): unknown => {
    const a = Array.isArray(args) ? args : [];
    const name = (fn as Global | null)?.kind === 'global' ? (fn as Global).name : '';
    if (name === 'numpy.dtype') return { kind: 'dtype', code: String(a[0]) } satisfies Dtype;
    if (name.endsWith('._reconstruct')) return { kind: 'ndarray', dtype: null, items: null } satisfies NdArray;
    if (name.endsWith('.scalar')) {
      const [dt, bytes] = a as [Dtype, Uint8Array];
      if (dt?.kind !== 'dtype' || !(bytes instanceof Uint8Array)) throw new Suite2pStatError('a numpy scalar without a dtype and bytes');
      return scalarOf(dt, bytes);
    }
    throw new Suite2pStatError(`the pickle calls ${name || 'something'} that is not read`);
  };
  const build = (obj: unknown, state: unknown) => {
    if ((obj as NdArray)?.kind === 'ndarray' && Array.isArray(state)) {
      const arr = obj as NdArray;
      const dt = state[2] as Dtype | undefined;
      arr.dtype = dt?.kind === 'dtype' ? dt : null;
      if (Array.isArray(state[4])) arr.items = state[4] as unknown[];
    }
    // dtype state (byte order, flags) is not needed: every dtype read here is little-endian.
  };

  for (;;) {
    const op = u8();
    switch (op) {
      case 0x80: // PROTO
        u8();
        break;
      case 0x95: // FRAME
        take(8);
        break;
      case 0x2e: // STOP
        return pop();
      case 0x28: // MARK
        stack.push(MARK);
        break;
      case 0x4e: // NONE
        stack.push(null);
        break;
      case 0x88:
        stack.push(true);
        break;
      case 0x89:
        stack.push(false);
        break;
      case 0x4a: // BININT
        stack.push(view.getInt32(take(4).byteOffset - buf.byteOffset, true));
        break;
      case 0x4b: // BININT1
        stack.push(u8());
        break;
      case 0x4d: // BININT2
        stack.push(view.getUint16(take(2).byteOffset - buf.byteOffset, true));
        break;
      case 0x8a: {
        // LONG1: n-byte little-endian two's complement
        const b = take(u8());
        let v = 0n;
        for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]);
        if (b.length > 0 && b[b.length - 1] & 0x80) v -= 1n << BigInt(b.length * 8);
        stack.push(Number(v));
        break;
      }
      case 0x47: // BINFLOAT (big-endian)
        stack.push(view.getFloat64(take(8).byteOffset - buf.byteOffset, false));
        break;
      case 0x58: // BINUNICODE
        stack.push(text(u32()));
        break;
      case 0x8c: // SHORT_BINUNICODE
        stack.push(text(u8()));
        break;
      case 0x42: // BINBYTES
        stack.push(take(u32()).slice());
        break;
      case 0x43: // SHORT_BINBYTES
        stack.push(take(u8()).slice());
        break;
      case 0x5d: // EMPTY_LIST
        stack.push([]);
        break;
      case 0x61: {
        // APPEND
        const v = pop();
        (stack[stack.length - 1] as unknown[]).push(v);
        break;
      }
      case 0x65: {
        // APPENDS
        const items = toMark();
        const list = stack[stack.length - 1];
        if (!Array.isArray(list)) throw new Suite2pStatError('APPENDS onto something not a list');
        list.push(...items);
        break;
      }
      case 0x7d: // EMPTY_DICT
        stack.push(new Map<unknown, unknown>());
        break;
      case 0x73: {
        // SETITEM
        const v = pop();
        const k = pop();
        (stack[stack.length - 1] as Map<unknown, unknown>).set(k, v);
        break;
      }
      case 0x75: {
        // SETITEMS
        const items = toMark();
        const d = stack[stack.length - 1];
        if (!(d instanceof Map)) throw new Suite2pStatError('SETITEMS onto something not a dict');
        for (let i = 0; i + 1 < items.length; i += 2) d.set(items[i], items[i + 1]);
        break;
      }
      case 0x29: // EMPTY_TUPLE
        stack.push([]);
        break;
      case 0x74: // TUPLE
        stack.push(toMark());
        break;
      case 0x85:
        stack.push([pop()]);
        break;
      case 0x86: {
        const b = pop();
        stack.push([pop(), b]);
        break;
      }
      case 0x87: {
        const c = pop();
        const b = pop();
        stack.push([pop(), b, c]);
        break;
      }
      case 0x63: {
        // GLOBAL
        const module = line();
        stack.push(global(`${module}.${line()}`));
        break;
      }
      case 0x93: {
        // STACK_GLOBAL
        const name = pop();
        const module = pop();
        stack.push(global(`${String(module)}.${String(name)}`));
        break;
      }
      case 0x52: {
        // REDUCE
        const args = pop();
        stack.push(reduce(pop(), args));
        break;
      }
      case 0x62: {
        // BUILD
        const state = pop();
        build(stack[stack.length - 1], state);
        break;
      }
      case 0x94: // MEMOIZE
        memo.set(memo.size, stack[stack.length - 1]);
        break;
      case 0x71: // BINPUT
        memo.set(u8(), stack[stack.length - 1]);
        break;
      case 0x72: // LONG_BINPUT
        memo.set(u32(), stack[stack.length - 1]);
        break;
      case 0x68: // BINGET
      case 0x6a: {
        // LONG_BINGET
        const k = op === 0x68 ? u8() : u32();
        if (!memo.has(k)) throw new Suite2pStatError(`the pickle reads memo ${k}, never stored`);
        stack.push(memo.get(k));
        break;
      }
      default:
        throw new Suite2pStatError(`pickle opcode 0x${op.toString(16)} at byte ${p - 1} is not read`);
    }
  }
}

/** The scalar entries of each ROI's dict in a stat.npy's bytes, in ROI order within the plane. */
export function statFeatures(npy: Uint8Array): RoiFeatures[] {
  const head = Buffer.from(npy.buffer, npy.byteOffset, Math.min(npy.byteLength, 65536 + 12));
  let start: number;
  try {
    start = npyHeaderLength(head);
  } catch (e) {
    throw new Suite2pStatError(`stat.npy: ${(e as Error).message}`);
  }
  const header = head.subarray(0, Math.min(start, head.length)).toString('latin1');
  if (!/'descr':\s*'\|O'/.test(header)) throw new Suite2pStatError('stat.npy is not an object array');
  const root = unpickle(npy, start);
  const items = (root as NdArray | null)?.kind === 'ndarray' ? (root as NdArray).items : Array.isArray(root) ? root : null;
  if (!items) throw new Suite2pStatError('stat.npy holds no array of ROI dicts');
  return items.map((d, i) => {
    if (!(d instanceof Map)) throw new Suite2pStatError(`stat.npy entry ${i} is not a dict`);
    const out: RoiFeatures = {};
    for (const [k, v] of d) {
      if (typeof k !== 'string') continue;
      if (typeof v === 'number' && Number.isFinite(v)) out[k] = v;
      else if (typeof v === 'boolean') out[k] = v ? 1 : 0;
    }
    return out;
  });
}
