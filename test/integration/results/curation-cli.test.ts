/**
 * `scopecloud results curate / curation` on a job whose results are in the local archive store:
 * labels and undo become records in the job's curation.json in the store, the pulled copy follows,
 * and bad input is a usage error that writes nothing.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { CHECKSUMS_FILE, jobKeys } from '../../../main/jobs/job-layout.ts';
import { fsObjectStore, putJson } from '../../../main/jobs/object-store.ts';
import { CURATION_FILE } from '../../../main/results/curation.ts';
import { runCli } from '../../support/cli.ts';

let dir = '';
let env: NodeJS.ProcessEnv = {};
const id = 'j-20261207-120000-cafe';

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sc-curation-cli-'));
  env = { SCOPECLOUD_HOME: join(dir, 'home'), SCOPECLOUD_OWNER: 'ana' };
  const store = fsObjectStore(join(dir, 'home', 'archive'));
  await putJson(store, jobKeys(id).manifest, { id, name: 'x', sources: ['sessions/s1'] });
  const rois = JSON.stringify({
    schema: 1,
    rois: [0, 1, 2, 3].map((i) => ({ id: i, plane: 0, x: 1, y: 1, z: 0, pixels: 4, score: 0.5, iscell: i < 2, cluster: null })),
  });
  await store.put(jobKeys(id).results + 'rois.json', rois);
  await store.put(jobKeys(id).results + CHECKSUMS_FILE, `${createHash('sha256').update(rois).digest('hex')}  rois.json\n`);
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

const storedCuration = () => readFile(join(dir, 'home', 'archive', 'jobs', id, 'results', CURATION_FILE), 'utf8').catch(() => '');

test('curate, show and undo through the CLI; the store holds the records, the pulled copy follows', async () => {
  const pull = await runCli(['results', 'pull', id, '--json'], env);
  assert.equal(pull.code, 0, pull.stderr);
  const pulledDir = (JSON.parse(pull.stdout) as { dir: string }).dir;

  let r = await runCli(['results', 'curate', id, '--roi', '0,3', '--not-cell', '--json'], env);
  assert.equal(r.code, 0, r.stderr);
  let got = JSON.parse(r.stdout) as { iscell: boolean[]; worker: boolean[]; records: Array<{ roi: number; who: string; source: string }> };
  assert.deepEqual(got.worker, [true, true, false, false]);
  assert.deepEqual(got.iscell, [false, true, false, false]);
  assert.deepEqual(
    got.records.map((x) => [x.roi, x.who, x.source]),
    [
      [0, 'ana', 'cli'],
      [3, 'ana', 'cli'],
    ],
  );

  r = await runCli(['results', 'curate', id, '--roi', '2', '--cell', '--who', 'bo'], env);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /3 records; 2 of 4 ROIs cells \(2 changed/);

  // ana's undo restores ROI 0 (ROI 3 was already not a cell); bo's label stays.
  r = await runCli(['results', 'curate', id, '--undo', '--json'], env);
  assert.equal(r.code, 0, r.stderr);
  got = JSON.parse(r.stdout) as typeof got;
  assert.deepEqual(got.iscell, [true, true, true, false]);
  assert.equal(got.records.length, 5, 'the undone records stay in the history');

  r = await runCli(['results', 'curation', id], env);
  assert.equal(r.code, 0, r.stderr);
  // Local results: each record names the OS user beside the owner name.
  const os = userInfo().username.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  assert.match(r.stdout, new RegExp(`bo \\[OS user ${os}\\] {2}ROI 2 -> cell \\(cli\\)`));
  assert.match(r.stdout, new RegExp(`ana \\[OS user ${os}\\] {2}ROI 0 -> cell \\(cli, undoes `));

  const stored = JSON.parse(await storedCuration()) as { records: unknown[] };
  assert.equal(stored.records.length, 5);
  assert.ok(
    (stored.records as Array<{ osUser?: string; awsArn?: string }>).every((x) => x.osUser === userInfo().username && x.awsArn === undefined),
    'local results record the OS user',
  );
  assert.deepEqual(JSON.parse(await readFile(join(pulledDir, CURATION_FILE), 'utf8')), stored, 'the pulled copy is kept in step');
});

test('bad curate input is a usage error or a clear failure, and writes nothing', async () => {
  const before = await storedCuration();
  for (const [args, code, pattern] of [
    [['--roi', '1'], 2, /--cell or --not-cell/],
    [['--roi', '1', '--cell', '--not-cell'], 2, /--cell or --not-cell/],
    [['--roi', 'x', '--cell'], 2, /--roi needs ROI ids/],
    [['--cell'], 2, /--roi needs ROI ids/],
    [['--roi', '4', '--cell'], 1, /ROI 4 does not exist/],
  ] as const) {
    const r = await runCli(['results', 'curate', id, ...args], env);
    assert.equal(r.code, code, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, pattern);
  }
  const none = await runCli(['results', 'curate', id, '--undo', '--who', 'cy'], env);
  assert.equal(none.code, 1);
  assert.match(none.stderr, /cy has no curation left to undo/);
  const missing = await runCli(['results', 'curation', 'j-20261207-120000-0000'], env);
  assert.notEqual(missing.code, 0);
  assert.match(missing.stderr, /no results/);
  assert.equal(await storedCuration(), before);
});
