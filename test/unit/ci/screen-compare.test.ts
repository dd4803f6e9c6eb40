import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32, deflateSync } from 'node:zlib';
import { encodePng } from '../../support/png.ts';
import { decodePng } from '../../support/png-decode.ts';
import { compareImages, expectScreen } from '../../support/screen-compare.ts';

/** A PNG whose IDAT holds `raw` (filter bytes included), for filters the project's encoder never writes. */
function pngWithRaw(width: number, height: number, colourType: number, raw: number[]): Uint8Array {
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(td) >>> 0);
    return Buffer.concat([len, td, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8;
  ihdr[9] = colourType;
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(Buffer.from(raw))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

test('decodes what the project encoder writes, RGB and RGBA, pixel for pixel', () => {
  const rgb = Uint8Array.from({ length: 5 * 3 * 3 }, (_, i) => (i * 37) & 0xff);
  assert.deepEqual(
    decodePng(encodePng(5, 3, rgb)).rgba.filter((_, i) => i % 4 !== 3),
    rgb,
  );
  const rgba = Uint8Array.from({ length: 4 * 2 * 4 }, (_, i) => (i * 53 + 1) & 0xff);
  const back = decodePng(encodePng(4, 2, rgba, 4));
  assert.deepEqual([back.width, back.height], [4, 2]);
  assert.deepEqual(back.rgba, rgba);
});

test('undoes the Sub, Up, Average and Paeth filters (greyscale, one byte per pixel)', () => {
  // Pixels: row 0 = 10 20 30, row 1 = 15 40 20, row 2 = 100 90 80, row 3 = 5 5 250.
  // Row 0 Sub: 10, 20-10, 30-20. Row 1 Up: 15-10, 40-20, 20-30 (mod 256).
  // Row 2 Average: 100-floor((0+15)/2), 90-floor((100+40)/2), 80-floor((90+20)/2).
  // Row 3 Paeth: predictors 100 (b, since a=c=0), then for x=1 a=5,b=90,c=100: p=-5, nearest a (5) -> 5-5;
  //   x=2 a=5,b=80,c=90: p=-5, nearest a -> 250-5.
  const raw = [1, 10, 10, 10, 2, 5, 20, 246, 3, 93, 20, 25, 4, 161, 0, 245];
  const img = decodePng(pngWithRaw(3, 4, 0, raw));
  assert.deepEqual(Array.from(img.rgba.filter((_, i) => i % 4 === 0)), [10, 20, 30, 15, 40, 20, 100, 90, 80, 5, 5, 250]);
  assert.ok(
    img.rgba.every((v, i) => i % 4 !== 3 || v === 255),
    'opaque without an alpha channel',
  );
});

test('refuses what it cannot decode, saying why', () => {
  assert.throws(() => decodePng(Buffer.from('GIF89a')), /not a PNG/);
  const sixteen = pngWithRaw(1, 1, 2, [0, 0, 0, 0, 0, 0, 0]);
  const patched = Buffer.from(sixteen);
  patched[8 + 8 + 8] = 16; // IHDR bit depth
  assert.throws(() => decodePng(patched), /bit depth 16/);
});

test('images match within the channel tolerance and the fraction of differing pixels, not beyond', () => {
  const w = 10,
    h = 10;
  const base = { width: w, height: h, rgba: new Uint8Array(w * h * 4).fill(200) };
  const shifted = { width: w, height: h, rgba: base.rgba.map((v) => v - 30) };
  assert.equal(compareImages(base, shifted, { channelTolerance: 30, maxDifferingFraction: 0 }).matches, true, 'antialiasing-sized shifts pass');
  assert.equal(compareImages(base, shifted, { channelTolerance: 29, maxDifferingFraction: 0 }).differing, 100);
  const spot = { width: w, height: h, rgba: base.rgba.slice() };
  spot.rgba.set([0, 0, 0, 255], 0);
  spot.rgba.set([0, 0, 0, 255], 4);
  const c = compareImages(base, spot, { channelTolerance: 40, maxDifferingFraction: 0.02 });
  assert.deepEqual([c.differing, c.fraction, c.matches], [2, 0.02, true]);
  assert.equal(compareImages(base, spot, { channelTolerance: 40, maxDifferingFraction: 0.01 }).matches, false);
  assert.deepEqual(Array.from(c.diff!.rgba.subarray(0, 4)), [255, 0, 0, 255], 'differing pixels are red in the diff');
  assert.equal(compareImages(base, { width: 5, height: 20, rgba: base.rgba }).matches, false, 'another size never matches');
});

test('expectScreen: a missing reference fails (and is written outside CI); a mismatch names the diff', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'scopecloud-ref-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const white = encodePng(4, 4, new Uint8Array(48).fill(255));
  const black = encodePng(4, 4, new Uint8Array(48));
  assert.throws(() => expectScreen('s', white, { dir }, { CI: 'true' }), /no reference image .*create it outside CI/);
  assert.equal(existsSync(join(dir, 's.png')), false, 'CI never writes a reference');
  assert.throws(() => expectScreen('s', white, { dir }, {}), /written from this run; look at it/);
  assert.deepEqual(readFileSync(join(dir, 's.png')), Buffer.from(white));
  expectScreen('s', white, { dir }, { CI: 'true' });
  assert.throws(() => expectScreen('s', black, { dir }, { CI: 'true' }), /differs from its reference in 16 pixels \(100\.00%\); see .*-diff\.png/);
});
