// The TypeScript side of the worker contract (main/results/worker-contract.ts) against the
// worker's own machine-readable schema (native-worker/results-schema.json, which the worker's
// tests keep equal to `scopecloud-worker schema` and check real outputs against).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  PIPELINE_STEPS,
  PROGRESS_STEPS,
  RESULT_FILES,
  ROI_ARRAYS,
  ROI_RECORD_FIELDS,
  SUITE2P_PLANE_FILES,
  suite2pPlaneDir,
  VOXEL_SIZE_FIELDS,
  WORKER_SCHEMA,
} from '../../../main/results/worker-contract.ts';

interface Schema {
  schema: number;
  files: Array<{ name: string; kind: string; dtype?: string; shape?: string[] }>;
  roi_record: Array<{ name: string; type: string }>;
  progress_steps: string[];
  summary_voxel_size: Array<{ name: string; type: string }>;
}

const schema = JSON.parse(readFileSync(new URL('../../../native-worker/results-schema.json', import.meta.url), 'utf8')) as Schema;

test('worker contract: the schema version is the one the worker writes', () => {
  assert.equal(WORKER_SCHEMA, schema.schema);
});

test('worker contract: every file the app names is one the worker writes', () => {
  const names = new Set(schema.files.map((f) => f.name));
  for (const [what, file] of Object.entries(RESULT_FILES)) assert.ok(names.has(file), `${what}: ${file} is not in the worker's schema`);
});

test('worker contract: the suite2p plane folder holds exactly the files the app names', () => {
  const inPlane = schema.files.filter((f) => f.name.startsWith('suite2p/plane{p}/')).map((f) => f.name);
  const named = Object.values(SUITE2P_PLANE_FILES).map((f) => `${suite2pPlaneDir(0).replace('0', '{p}')}/${f}`);
  assert.deepEqual([...named].sort(), [...inPlane].sort());
  assert.equal(suite2pPlaneDir(12), 'suite2p/plane12');
});

test("worker contract: the per-ROI arrays are exactly the worker's arrays with a rois dimension first", () => {
  const perRoi = schema.files
    .filter((f) => f.kind === 'npy' && f.shape?.[0] === 'rois')
    .map((f) => f.name)
    .sort();
  assert.deepEqual([...ROI_ARRAYS].sort(), perRoi);
});

test("worker contract: the ROI record has the worker's fields, in its order", () => {
  assert.deepEqual(
    [...ROI_RECORD_FIELDS],
    schema.roi_record.map((f) => f.name),
  );
});

test("worker contract: progress steps are the worker's, and the pipeline is their run before merge", () => {
  assert.deepEqual([...PROGRESS_STEPS], schema.progress_steps);
  assert.deepEqual(
    [...PIPELINE_STEPS],
    schema.progress_steps.filter((s) => s !== 'merge'),
  );
});

test("worker contract: summary.json's input.voxel_size has the worker's fields, in its order", () => {
  assert.deepEqual(
    [...VOXEL_SIZE_FIELDS],
    schema.summary_voxel_size.map((f) => f.name),
  );
});
