/**
 * Reads the worker's greyscale projection PNGs (8- or 16-bit, one channel, not interlaced) into
 * their pixel values. Anything else is refused with the reason, never guessed at.
 */
import { inflateSync } from 'node:zlib';

export interface GreyImage {
  width: number;
  height: number;
  /** Row-major, row 0 at the top; 0-255 or 0-65535 as the file's bit depth says. */
  pixels: Uint16Array;
  bits: 8 | 16;
}

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
/** Refuse images whose pixel count would exhaust memory (a 16k × 16k plane is far past any rig). */
const MAX_PIXELS = 16384 * 16384;

export class GreyPngError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GreyPngError';
  }
}

export function readGreyPng(file: Uint8Array): GreyImage {
  const buf = Buffer.from(file.buffer, file.byteOffset, file.byteLength);
  if (buf.length < 8 || SIGNATURE.some((b, i) => buf[i] !== b)) throw new GreyPngError('not a PNG file (bad signature)');
  let width = 0,
    height = 0,
    bits = 0;
  const idat: Buffer[] = [];
  for (let at = 8; at + 8 <= buf.length;) {
    const length = buf.readUInt32BE(at);
    const type = buf.toString('latin1', at + 4, at + 8);
    if (at + 12 + length > buf.length) throw new GreyPngError(`PNG chunk ${type} runs past the end of the file`);
    const data = buf.subarray(at + 8, at + 8 + length);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      bits = data[8];
      const colour = data[9];
      if (colour !== 0) throw new GreyPngError(`PNG colour type ${colour} is not greyscale`);
      if (bits !== 8 && bits !== 16) throw new GreyPngError(`PNG bit depth ${bits} is not 8 or 16`);
      if (data[12] !== 0) throw new GreyPngError('interlaced PNGs are not read');
      if (width === 0 || height === 0 || width * height > MAX_PIXELS) throw new GreyPngError(`PNG size ${width}x${height} is out of range`);
    } else if (type === 'IDAT') idat.push(data);
    else if (type === 'IEND') break;
    at += 12 + length;
  }
  if (width === 0) throw new GreyPngError('PNG has no IHDR chunk');
  const bpp = bits / 8;
  const stride = width * bpp;
  const raw = inflateSync(Buffer.concat(idat));
  if (raw.length < (stride + 1) * height) throw new GreyPngError(`PNG data is ${raw.length} bytes, expected ${(stride + 1) * height}`);
  const rows = unfilter(raw, stride, height, bpp);
  const pixels = new Uint16Array(width * height);
  if (bits === 8) pixels.set(rows);
  else for (let i = 0; i < pixels.length; i++) pixels[i] = (rows[i * 2] << 8) | rows[i * 2 + 1];
  return { width, height, pixels, bits: bits as 8 | 16 };
}

/** PNG's per-row filters undone (filter byte, then `stride` bytes per row). */
function unfilter(raw: Uint8Array, stride: number, height: number, bpp: number): Uint8Array {
  const out = new Uint8Array(stride * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const src = y * (stride + 1) + 1;
    const row = y * stride;
    const prev = row - stride;
    for (let x = 0; x < stride; x++) {
      const v = raw[src + x];
      const a = x >= bpp ? out[row + x - bpp] : 0;
      const b = y > 0 ? out[prev + x] : 0;
      const c = x >= bpp && y > 0 ? out[prev + x - bpp] : 0;
      let p: number;
      switch (filter) {
        case 0:
          p = 0;
          break;
        case 1:
          p = a;
          break;
        case 2:
          p = b;
          break;
        case 3:
          p = (a + b) >> 1;
          break;
        case 4: {
          const pa = Math.abs(b - c),
            pb = Math.abs(a - c),
            pc = Math.abs(a + b - 2 * c);
          p = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
          break;
        }
        default:
          throw new GreyPngError(`PNG row ${y} has unknown filter ${filter}`);
      }
      out[row + x] = (v + p) & 0xff;
    }
  }
  return out;
}
