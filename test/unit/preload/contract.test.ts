import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AppEvent, methods, LaunchAnalysisRequest, Settings } from '../../../preload/api.ts';
import { ContractError } from '../../../preload/schema.ts';
import { decodeRoiArrays, encodeRoiArrays, RoiFormatError } from '../../../preload/roi-binary.ts';
import { fromWireError, toWireError } from '../../../preload/errors.ts';
import { syntheticRois } from '../../support/synthetic-rois.ts';

test('every method has a request and a response schema', () => {
  for (const [name, m] of Object.entries(methods)) {
    assert.equal(typeof m.req.check, 'function', name);
    assert.equal(typeof m.res.check, 'function', name);
  }
});

test('validators reject wrong types, unknown fields and bad enum values, naming the path', () => {
  const s = {
    mode: 'local',
    archiveDir: '/a',
    aws: null,
    watchedFolders: [],
    bandwidthLimitBytesPerSec: null,
    firstRunComplete: true,
    theme: 'dark',
    budget: { monthlyLimitUsd: null, maxRuntimeHours: 8 },
    watch: { markerFile: 'acquisition.done', stableMs: 3000, polling: false, pollIntervalMs: 2000 },
    restoreDays: 3,
  };
  assert.deepEqual(Settings.check(s), s);
  assert.throws(
    () => Settings.check({ ...s, restoreDays: 31 }),
    (e: ContractError) => e.path === 'restoreDays',
  );
  assert.throws(
    () => Settings.check({ ...s, budget: { ...s.budget, maxRuntimeHours: 0 } }),
    (e: ContractError) => e.path === 'budget.maxRuntimeHours',
  );
  assert.throws(
    () => Settings.check({ ...s, watch: { ...s.watch, stableMs: 1.5 } }),
    (e: ContractError) => e.path === 'watch.stableMs',
  );
  assert.throws(
    () => Settings.check({ ...s, mode: 'cloud' }),
    (e: ContractError) => e.path === 'mode',
  );
  assert.throws(
    () => Settings.check({ ...s, extra: 1 }),
    (e: ContractError) => e.path === 'extra' && /no such field/.test(e.message),
  );
  assert.throws(
    () => Settings.check({ ...s, watchedFolders: ['/a', 3] }),
    (e: ContractError) => e.path === 'watchedFolders[1]',
  );
  assert.throws(() => Settings.check({ ...s, bandwidthLimitBytesPerSec: Number.NaN }), ContractError);
  assert.throws(() => Settings.check(Object.assign(Object.create({ polluted: true }), s)), /plain object/);
});

test('unions dispatch on their tag', () => {
  assert.equal(LaunchAnalysisRequest.check({ source: { kind: 'local', path: '/d' }, where: 'local', params: {} }).source.kind, 'local');
  assert.throws(() => LaunchAnalysisRequest.check({ source: { kind: 'local', sessionId: 's' }, where: 'local', params: {} }), /source\.path|source\.sessionId/);
  assert.throws(() => AppEvent.check({ type: 'shell', command: 'rm' }), /type/);
  assert.throws(() => methods.getStatus.req.check({ sneaky: 1 }), ContractError);
});

test('ROI arrays round-trip through the binary layout', () => {
  const rois = syntheticRois(1234, 3, 7);
  const bytes = encodeRoiArrays(rois);
  const back = decodeRoiArrays(bytes);
  assert.equal(back.count, 1234);
  assert.equal(back.planes, 7);
  assert.deepEqual(back.centroids, rois.centroids);
  assert.deepEqual(back.sizes, rois.sizes);
  assert.deepEqual(back.clusters, rois.clusters);
  // Unaligned input still decodes (copying).
  const shifted = new Uint8Array(bytes.length + 1);
  shifted.set(bytes, 1);
  assert.deepEqual(decodeRoiArrays(shifted.subarray(1)).sizes, rois.sizes);
  assert.throws(() => decodeRoiArrays(bytes.subarray(0, bytes.length - 1)), RoiFormatError);
  const bad = bytes.slice();
  bad[0] ^= 0xff;
  assert.throws(() => decodeRoiArrays(bad), /magic/);
});

test('errors keep code, field and a single line across the wire', () => {
  const err = Object.assign(new Error('bucket: not found\nstack noise'), { code: 'invalid-setting', field: 'bucket' });
  const wire = toWireError(err);
  assert.deepEqual(wire, { code: 'invalid-setting', message: 'bucket: not found', field: 'bucket' });
  const back = fromWireError(wire);
  assert.equal(back.code, 'invalid-setting');
  assert.equal(back.field, 'bucket');
  assert.equal(toWireError(new TypeError('x')).code, 'internal');
  assert.equal(fromWireError({ nonsense: true }).code, 'bad-response');
});
