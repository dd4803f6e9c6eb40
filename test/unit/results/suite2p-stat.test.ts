/**
 * The stat.npy reader runs no code: a pickle naming anything but NumPy's array and scalar
 * rebuilders is refused, as are unknown opcodes and truncation; protocol-4 framing and the memo read.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatNpy } from '../../../main/results/npy.ts';
import { statFeatures, Suite2pStatError, unpickle } from '../../../main/results/suite2p-stat.ts';

const bytes = (...parts: Array<number | string | number[]>) =>
  Uint8Array.from(parts.flatMap((p) => (typeof p === 'number' ? [p] : typeof p === 'string' ? [...Buffer.from(p, 'latin1')] : p)));

test('a pickle naming os.system (or any other global) is refused before anything is called', () => {
  const evil = bytes(0x80, 3, 'cos\nsystem\n', 0x58, [4, 0, 0, 0], 'true', 0x85, 'R', '.');
  assert.throws(
    () => unpickle(evil),
    (e: unknown) => e instanceof Suite2pStatError && /os\.system/.test(e.message),
  );
  assert.throws(() => unpickle(bytes(0x80, 3, 0xff, '.')), /opcode 0xff/);
  assert.throws(() => unpickle(bytes(0x80, 3, 0x58, [9, 0, 0, 0], 'ab')), /truncated/);
});

test('protocol 4 framing, short strings and the memo read as Python would', () => {
  // {'npix': 12, 'skew': 1.5, 'again': <memo 0 = 'npix'>} in protocol 4 style.
  const p = bytes(
    0x80,
    4,
    0x95,
    [0, 0, 0, 0, 0, 0, 0, 0],
    0x7d,
    0x28,
    0x8c,
    4,
    'npix',
    0x94,
    0x4b,
    12,
    0x8c,
    4,
    'skew',
    0x47,
    [0x3f, 0xf8, 0, 0, 0, 0, 0, 0],
    0x8c,
    5,
    'again',
    0x68,
    0,
    0x75,
    '.',
  );
  const d = unpickle(p) as Map<string, unknown>;
  assert.deepEqual(
    [...d.entries()],
    [
      ['npix', 12],
      ['skew', 1.5],
      ['again', 'npix'],
    ],
  );
});

test('statFeatures refuses a numeric .npy that is not an object array', () => {
  const plain = formatNpy({ dtype: '<f4', shape: [2], data: new Float32Array([1, 2]) });
  assert.throws(
    () => statFeatures(plain),
    (e: unknown) => e instanceof Suite2pStatError && /not an object array/.test(e.message),
  );
});
