import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deflateSync } from 'node:zlib';
import { GreyPngError, readGreyPng } from '../../../main/results/grey-png.ts';
import { labelImage, pickProjection, toPlaneAnatomy, type ProjectionRecord } from '../../../main/app/results-anatomy.ts';
import { AnatomyFormatError, decodeAnatomy, encodeAnatomy, type PlaneAnatomy } from '../../../preload/anatomy-binary.ts';
import { encodePng } from '../../support/png.ts';
import type { RegionRecord } from '../../../main/results/worker-contract.ts';

/** A greyscale PNG whose row y uses filter `filters[y % filters.length]` (PNG's five filters). */
function greyPng(width: number, height: number, values: number[], bits: 8 | 16, filters: number[]): Uint8Array {
  const bpp = bits / 8;
  const stride = width * bpp;
  const raw = new Uint8Array(height * stride);
  values.forEach((v, i) => {
    if (bits === 8) raw[i] = v;
    else {
      raw[i * 2] = v >> 8;
      raw[i * 2 + 1] = v & 0xff;
    }
  });
  const out: number[] = [];
  for (let y = 0; y < height; y++) {
    const f = filters[y % filters.length];
    out.push(f);
    for (let x = 0; x < stride; x++) {
      const v = raw[y * stride + x];
      const a = x >= bpp ? raw[y * stride + x - bpp] : 0;
      const b = y > 0 ? raw[(y - 1) * stride + x] : 0;
      const c = x >= bpp && y > 0 ? raw[(y - 1) * stride + x - bpp] : 0;
      const pa = Math.abs(b - c),
        pb = Math.abs(a - c),
        pc = Math.abs(a + b - 2 * c);
      const paeth = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      const pred = [0, a, b, (a + b) >> 1, paeth][f];
      out.push((v - pred) & 0xff);
    }
  }
  const chunk = (type: string, data: Uint8Array) => {
    const b = Buffer.alloc(12 + data.length);
    b.writeUInt32BE(data.length, 0);
    b.write(type, 4, 'latin1');
    Buffer.from(data).copy(b, 8);
    return b; // CRC left 0: the reader does not check it (zlib checks the data)
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = bits;
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(Buffer.from(out))),
    chunk('IEND', new Uint8Array(0)),
  ]);
}

test('16- and 8-bit greyscale PNGs read back exactly, whatever the row filters', () => {
  const w = 7,
    h = 10;
  const values16 = Array.from({ length: w * h }, (_, i) => (i * 9173 + 311) % 65536);
  const img16 = readGreyPng(greyPng(w, h, values16, 16, [0, 1, 2, 3, 4]));
  assert.deepEqual([img16.width, img16.height, img16.bits], [w, h, 16]);
  assert.deepEqual([...img16.pixels], values16);
  const values8 = values16.map((v) => v & 0xff);
  const img8 = readGreyPng(greyPng(w, h, values8, 8, [4, 3, 2, 1, 0]));
  assert.deepEqual([...img8.pixels], values8);
});

test('PNGs that are not greyscale, damaged or not PNG are refused with the reason', () => {
  assert.throws(
    () => readGreyPng(encodePng(2, 2, new Uint8Array(12))),
    (e: Error) => e instanceof GreyPngError && /colour type 2/.test(e.message),
  );
  assert.throws(() => readGreyPng(new TextEncoder().encode('GIF89a not a png')), /bad signature/);
  const good = greyPng(4, 4, Array(16).fill(5), 8, [0]);
  assert.throws(() => readGreyPng(good.subarray(0, good.length - 20)), GreyPngError);
});

test('label image: each footprint pixel holds its ROI id, only on its plane, inside the image', () => {
  const regions: RegionRecord[] = [
    { id: 0, plane: 0, coordinates: [[1, 1] as [number, number], [1, 2]] },
    { id: 1, plane: 1, coordinates: [[0, 0] as [number, number]] },
    // no plane: asks planeOf; overlaps ROI 0 at (1, 2): the later one wins; (9, 9) is outside
    {
      id: 2,
      coordinates: [[1, 2] as [number, number], [2, 3], [9, 9], [-1, 0]],
    },
  ];
  const labels = labelImage(regions, 0, 4, 3, (id) => (id === 2 ? 0 : 5));
  assert.deepEqual([...labels], [-1, -1, -1, -1, -1, 0, 2, -1, -1, -1, -1, 2]);
  assert.deepEqual([...labelImage(regions, 1, 2, 1, () => 0)], [1, -1]);
});

test("projection choice: channel 0's 16-bit PNG of the plane and kind, else its 8-bit one", () => {
  const recs: ProjectionRecord[] = [
    { file: 'projections/plane0_mean_8bit.png', plane: 0, kind: 'mean', bits: 8 },
    { file: 'projections/plane0_mean.png', plane: 0, kind: 'mean', bits: 16 },
    { file: 'projections/plane0_c1_max.png', plane: 0, kind: 'max', bits: 16, channel: 1 },
    { file: 'projections/plane0_max_8bit.png', plane: 0, kind: 'max', bits: 8, channel: 0 },
    { file: 'projections/plane0_max.gif', plane: 0, kind: 'max', bits: 8 },
  ];
  assert.equal(pickProjection(recs, 0, 'mean')?.file, 'projections/plane0_mean.png');
  assert.equal(pickProjection(recs, 0, 'max')?.file, 'projections/plane0_max_8bit.png');
  assert.equal(pickProjection(recs, 0, 'std'), null);
  assert.equal(pickProjection(recs, 1, 'mean'), null);
});

test('a projection becomes PlaneAnatomy (8-bit spread to 16); an unreadable one is UNKNOWN_IMAGE', () => {
  const png = greyPng(2, 1, [0, 255], 8, [0]);
  const a = toPlaneAnatomy(png, { file: 'p.png', plane: 3, kind: 'std', bits: 8, scale: { lo: 1.5, hi: 9 } }, 'std', (w, h) => new Int32Array(w * h).fill(7));
  assert.deepEqual([a.width, a.height, a.plane, a.kind, a.lo, a.hi, [...a.pixels], [...a.labels]], [2, 1, 3, 'std', 1.5, 9, [0, 65535], [7, 7]]);
  assert.throws(
    () => toPlaneAnatomy(new Uint8Array(10), { file: 'p.png', plane: 0, kind: 'mean', bits: 16 }, 'mean', () => new Int32Array(0)),
    (e: Error & { code?: string }) => e.code === 'UNKNOWN_IMAGE' && /p\.png cannot be read/.test(e.message),
  );
});

test('anatomy round-trips through its binary layout (aligned or not) and rejects damage', () => {
  const a: PlaneAnatomy = {
    width: 3,
    height: 2,
    plane: 4,
    kind: 'max',
    lo: -2.5,
    hi: 1000,
    labels: Int32Array.from([-1, 0, 5, 5, -1, 99999]),
    pixels: Uint16Array.from([0, 1, 2, 65535, 300, 7]),
  };
  const bytes = encodeAnatomy(a);
  const back = decodeAnatomy(bytes);
  assert.deepEqual({ ...back, labels: [...back.labels], pixels: [...back.pixels] }, { ...a, labels: [...a.labels], pixels: [...a.pixels] });
  const shifted = new Uint8Array(bytes.length + 1);
  shifted.set(bytes, 1);
  assert.deepEqual([...decodeAnatomy(shifted.subarray(1)).labels], [...a.labels]);
  assert.throws(() => decodeAnatomy(bytes.subarray(0, bytes.length - 2)), AnatomyFormatError);
  const bad = bytes.slice();
  bad[16] = 9;
  assert.throws(() => decodeAnatomy(bad), /unknown kind/);
  assert.throws(() => encodeAnatomy({ ...a, pixels: new Uint16Array(2) }), AnatomyFormatError);
});
