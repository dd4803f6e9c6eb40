import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { deriveView } from '../../../main/jobs/job-state.ts';
import { parseProgressLine, progressPercent } from '../../../main/jobs/worker-progress.ts';
import { bootstrapUserData, BootstrapError, shQuote, type BootstrapSpec } from '../../../main/bootstrap/user-data.ts';
import { formatNpy, parseNpy } from '../../../main/results/npy.ts';
import { jobRolePolicy } from '../../../main/iam/job-role-policy.ts';
import { parseChecksums, formatChecksums } from '../../../main/jobs/results-upload.ts';
import type { JobManifest, ShardStatusDoc } from '../../../main/jobs/job-types.ts';

const manifest = (shards: number): JobManifest => ({
  schema: 1,
  id: 'j-1',
  name: 'n',
  createdAt: 1000,
  owner: 'o',
  sources: ['s'],
  params: { k: 4 },
  worker: { version: '1', sha256: 'a'.repeat(64) },
  placement: { kind: 'local' },
  maxRuntimeSeconds: 60,
  heartbeatSeconds: 1,
  staleAfterSeconds: 30,
  shards: Array.from({ length: shards }, (_, index) => ({ index, label: `s${index}`, input: { kind: 'local', paths: ['x'] }, args: [] })),
});
const st = (state: ShardStatusDoc['state'], extra: Partial<ShardStatusDoc> = {}): ShardStatusDoc => ({ state, attempt: 1, updatedAt: 2000, ...extra });

test('a job is as far as its least advanced unfinished shard', () => {
  const v = deriveView(
    {
      manifest: manifest(3),
      status: null,
      cancelRequested: false,
      shards: [
        { status: st('done'), heartbeat: null },
        { status: st('running', { progress: { step: 'detect', done: 5, total: 10 } }), heartbeat: { at: 5000, attempt: 1 } },
        { status: st('downloading'), heartbeat: null },
      ],
    },
    8000,
  );
  assert.equal(v.state, 'downloading');
  assert.equal(v.shards[1].heartbeatAgeSeconds, 3);
  // detect is the 2nd of the worker's 6 steps: half of it is (1 + 0.5) / 6 of the shard
  assert.equal(v.shards[1].percent, 25);
  // the job: mean of its shards, 100 (done), 25 and 0 (downloading)
  assert.equal(v.percent, 41.7);
  const failed = deriveView(
    {
      manifest: manifest(2),
      status: null,
      cancelRequested: false,
      shards: [
        { status: st('done'), heartbeat: null },
        { status: st('failed', { failure: { code: 'worker-crashed', message: 'boom' } }), heartbeat: null },
      ],
    },
    0,
  );
  assert.equal(failed.state, 'failed');
  assert.equal(failed.failure?.code, 'worker-crashed');
  const byJobDoc = deriveView(
    { manifest: manifest(1), status: { state: 'merging', updatedAt: 1 }, cancelRequested: false, shards: [{ status: st('done'), heartbeat: null }] },
    0,
  );
  assert.equal(byJobDoc.state, 'merging');
});

test('progress lines: only well-formed objects count; percent grows through the steps', () => {
  assert.deepEqual(parseProgressLine('{"step":"register","done":1200,"total":6000}'), { step: 'register', done: 1200, total: 6000 });
  for (const bad of ['', 'log text', '{"step":1}', '{"step":"x","done":-1,"total":2}', '{broken']) assert.equal(parseProgressLine(bad), null);
  // six steps (register, detect, extract, deconvolve, cluster, project), each a sixth
  assert.equal(progressPercent({ step: 'register', done: 6000, total: 6000 }), 16.7);
  assert.equal(progressPercent({ step: 'detect', done: 1, total: 100 }), 16.8);
  assert.equal(progressPercent({ step: 'cluster', done: 0, total: 10 }), 66.7);
  assert.equal(progressPercent({ step: 'project', done: 1, total: 1 }), 100);
  assert.equal(progressPercent({ step: 'detect', done: 12, total: 10 }), 33.3, 'done past total counts as the whole step');
});

const spec: BootstrapSpec = {
  region: 'eu-west-1',
  bucket: 'lab-data',
  shardKey: 'p/jobs/j-1/shards/0',
  resultsKey: 'p/jobs/j-1/results',
  cancelKey: 'p/jobs/j-1/cancel',
  workerKey: 'p/workers/abc/scopecloud-worker',
  workerSha256: 'f'.repeat(64),
  workerArgs: ['--k', '4', "o'brien; rm -rf /"],
  attempt: 2,
  maxRuntimeSeconds: 600,
  heartbeatSeconds: 10,
};

test('bootstrap user data: under 16 KB, valid POSIX sh, values quoted, backstop armed first', () => {
  const u = bootstrapUserData(spec);
  assert.ok(u.bytes < 16 * 1024);
  assert.equal(Buffer.from(u.base64, 'base64').toString(), u.script);
  const syntax = spawnSync('dash', ['-n'], { input: u.script });
  if (syntax.error === undefined) assert.equal(syntax.status, 0, syntax.stderr?.toString());
  const lines = u.script.split('\n');
  assert.ok(lines.findIndex((l) => l.startsWith('shutdown -h +20')) < lines.findIndex((l) => l.includes('aws s3')));
  assert.match(u.script, /^A=2$/m);
  assert.match(u.script, /sha256sum "\$WB"/);
  assert.ok(!u.script.includes("o'brien;"), 'the dangerous argument must appear only quoted');
  // The quoted args survive a shell round trip unchanged.
  const wargs = /^WARGS=(.*)$/m.exec(u.script)![1];
  const echo = spawnSync('sh', ['-c', `WARGS=${wargs}; eval "set -- $WARGS"; printf '%s\\n' "$@"`], { encoding: 'utf8' });
  assert.deepEqual(echo.stdout.trim().split('\n'), spec.workerArgs);
  assert.throws(() => bootstrapUserData({ ...spec, bucket: 'a$(reboot)' }), BootstrapError);
  assert.throws(() => bootstrapUserData({ ...spec, workerSha256: 'xyz' }), /64 lowercase hex/);
  assert.equal(shQuote("a'b"), `'a'\\''b'`);
});

test('npy round trip', () => {
  const a = { dtype: '<f4' as const, shape: [2, 3], data: new Float32Array([1, 2, 3, 4, 5, 6]) };
  const back = parseNpy(formatNpy(a));
  assert.deepEqual(back.shape, [2, 3]);
  assert.deepEqual([...(back.data as Float32Array)], [1, 2, 3, 4, 5, 6]);
  const v = parseNpy(formatNpy({ dtype: '<i8', shape: [3], data: new BigInt64Array([1n, -1n, 3n]) }));
  assert.deepEqual([...(v.data as BigInt64Array)], [1n, -1n, 3n]);
  assert.throws(() => parseNpy(Buffer.from('nope')), { code: 'NPY_INVALID' });
});

test('the instance role reads the app prefix and writes only job objects', () => {
  const p = jobRolePolicy('lab-data', '/scope/');
  const all = JSON.stringify(p);
  assert.ok(!all.includes('"*"') && !all.includes('s3:*') && !all.includes('Delete') && !all.includes('ListBucket'));
  assert.deepEqual(
    p.Statement.map((s) => s.Resource),
    [['arn:aws:s3:::lab-data/scope/*'], ['arn:aws:s3:::lab-data/scope/jobs/*']],
  );
});

test('checksum files round trip, sha256sum style', () => {
  const entries = [
    { path: 'a.json', sha256: '1'.repeat(64) },
    { path: 'projections/x y.png', sha256: '2'.repeat(64) },
  ];
  assert.deepEqual(
    [...parseChecksums(formatChecksums(entries))],
    entries.map((e) => [e.path, e.sha256]),
  );
  assert.equal(parseChecksums('garbage\n').size, 0);
});
