/**
 * Curation of EC2 results (in S3) from two app service instances at once, each its own
 * workstation (its own home and owner), on one real S3 gateway (versitygw) with STS from moto,
 * on real worker results: every record of both is kept (conditional writes, a lost race retried
 * on a fresh read), each record carries the owner name and the AWS caller identity, the pulled
 * copy of the curating workstation follows, and a curation made on the other workstation is seen
 * on the next open of the ROI arrays and by the next pull.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startVersitygw, versitygwMissing, type Versitygw } from '../../support/versitygw.ts';
import { motoMissing, startMoto, type MotoServer } from '../../support/moto.ts';
import { WORKER_BINARY, runCli, workerMissing } from '../../support/cli.ts';
import { requires } from '../../support/requirements.ts';
import { createServiceContainer, type ServiceContainer } from '../../../main/services.ts';
import { createAppServices, type AppHost } from '../../../main/app/app-services.ts';
import { jobKeys } from '../../../main/jobs/job-layout.ts';
import { putJson, s3ObjectStore, type ObjectStore } from '../../../main/jobs/object-store.ts';
import { uploadResults } from '../../../main/jobs/results-upload.ts';
import { CURATION_FILE, loadCuration, parseCuration } from '../../../main/results/curation.ts';
import { cachedCurationVersion } from '../../../main/results/curation-cache.ts';
import { pullResults } from '../../../main/results/pull.ts';
import { roiList } from '../../../main/results/worker-contract.ts';

const skip = requires(versitygwMissing(), motoMissing(), workerMissing());
const id = 'j-20261207-140000-c0de';
const key = jobKeys(id).results + CURATION_FILE;
let gw: Versitygw;
let moto: MotoServer;
let dir: string;
let bucket: string;
let store: ObjectStore;
let worker: boolean[] = [];
const hosts: Array<{ container: ServiceContainer; app: AppHost; env: NodeJS.ProcessEnv }> = [];

function run(args: string[]): void {
  const r = spawnSync(WORKER_BINARY, [...args, '-q'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
}

before(async () => {
  if (skip) return;
  [gw, moto] = await Promise.all([startVersitygw(), startMoto()]);
  bucket = await gw.createBucket();
  dir = mkdtempSync(join(tmpdir(), 'sc-curation-sync-'));
  Object.assign(process.env, {
    AWS_ACCESS_KEY_ID: gw.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: gw.credentials.secretAccessKey,
    AWS_EC2_METADATA_DISABLED: 'true',
  });
  // Real worker results, where an EC2 analysis leaves them.
  run(['synth', '--out', join(dir, 'movie.tif'), '--frames', '120', '--planes', '2', '--width', '64', '--height', '48', '--cells', '10']);
  run(['analyze', '--input', join(dir, 'movie.tif'), '--out', join(dir, 'results'), '--fs', '10']);
  store = s3ObjectStore(gw.client(), bucket, 'lab');
  await putJson(store, jobKeys(id).manifest, { schema: 1, id, name: 'curation sync', sources: ['rig-A/session-1'] });
  await uploadResults(store, join(dir, 'results'), jobKeys(id).results);
  worker = roiList(JSON.parse(await readFile(join(dir, 'results', 'rois.json'), 'utf8'))).map((r) => r.iscell);
  for (const owner of ['ana', 'bo']) {
    const env = { ...process.env, SCOPECLOUD_HOME: join(dir, owner), AWS_ENDPOINT_URL: moto.endpoint, SCOPECLOUD_OWNER: owner };
    const container = await createServiceContainer({ env });
    const app = await createAppServices(container, { env, guardrails: false, dailySummary: false, log: () => {} });
    await app.saveSettings({ mode: 'aws', aws: { profile: '', region: 'us-east-1', bucket, endpoint: gw.endpoint, prefix: 'lab' }, firstRunComplete: true });
    hosts.push({ container, app, env });
  }
});

after(async () => {
  for (const h of hosts) {
    await h.app.dispose();
    await h.container.dispose();
  }
  await Promise.all([gw?.stop(), moto?.stop()]);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('the real results have ROIs of both labels to curate', { skip }, () => {
  assert.ok(worker.length >= 4, `${worker.length} ROIs`);
});

test('an app curation goes to the store as the owner with the AWS identity, and the pulled copy follows', { skip }, async () => {
  const [ana] = hosts;
  const pulled = await pullResults(store, id, ana.container.paths.cache);
  assert.equal(pulled.curation, 0);

  const state = await ana.app.curateRois({ id, rois: [0], iscell: !worker[0] });
  assert.equal(state.records, 1);
  const doc = await loadCuration(store, key);
  assert.deepEqual(
    doc.records.map((r) => [r.roi, r.iscell, r.who, r.source]),
    [[0, !worker[0], 'ana', 'app']],
  );
  assert.match(doc.records[0].awsArn ?? '', /^arn:aws:(iam|sts)::\d{12}:/, 'the STS caller identity');
  assert.equal(doc.records[0].osUser, undefined, 'S3 results record the AWS identity, not the OS user');

  // The pulled copy holds the same document, marked with the store's version.
  const local = parseCuration(await readFile(join(pulled.dir, CURATION_FILE), 'utf8'), 'pulled');
  assert.deepEqual(local.records, doc.records);
  assert.equal(await cachedCurationVersion(pulled.dir), await store.version(key));
  assert.deepEqual([...(await ana.app.getRoiArrays({ id })).iscell!].slice(0, 1), [worker[0] ? 0 : 1]);
});

test('a curation made on the other workstation is seen on the next open and by the next pull', { skip }, async () => {
  const [ana, bo] = hosts;
  const before = [...(await ana.app.getRoiArrays({ id })).iscell!];
  await bo.app.curateRois({ id, rois: [1], iscell: !worker[1] });
  const after = [...(await ana.app.getRoiArrays({ id })).iscell!];
  assert.equal(after[1], worker[1] ? 0 : 1, "bo's label shows in ana's view");
  assert.deepEqual(after.slice(2), before.slice(2));

  const dirOf = (await pullResults(store, id, ana.container.paths.cache)).dir;
  assert.equal(await cachedCurationVersion(dirOf), await store.version(key), 'the pull brought the new version');
  assert.deepEqual(
    parseCuration(await readFile(join(dirOf, CURATION_FILE), 'utf8'), 'pulled').records.map((r) => r.who),
    ['ana', 'bo'],
  );
});

test('two workstations curating at the same time keep every record', { skip }, async () => {
  const [ana, bo] = hosts;
  const rounds = 6;
  const writer = async (h: (typeof hosts)[number], roi: number) => {
    for (let i = 0; i < rounds; i++) await h.app.curateRois({ id, rois: [roi], iscell: i % 2 === 0 });
  };
  const before = (await loadCuration(store, key)).records.length;
  await Promise.all([writer(ana, 2), writer(bo, 3)]);
  const doc = await loadCuration(store, key);
  assert.equal(doc.records.length - before, 2 * rounds, 'no record was lost');
  assert.equal(doc.records.filter((r) => r.who === 'ana' && r.roi === 2).length, rounds);
  assert.equal(doc.records.filter((r) => r.who === 'bo' && r.roi === 3).length, rounds);
  const last = (roi: number) => doc.records.filter((r) => r.roi === roi).at(-1)!.iscell;
  assert.deepEqual([last(2), last(3)], [(rounds - 1) % 2 === 0, (rounds - 1) % 2 === 0]);
  // Both views agree with the store.
  const [a, b] = [await ana.app.getRoiArrays({ id }), await bo.app.getRoiArrays({ id })];
  assert.deepEqual([...a.iscell!], [...b.iscell!]);
});

test('scopecloud results curate / curation on S3 results: the owner name and the AWS identity', { skip }, async () => {
  const [ana] = hosts;
  const r = await runCli(['results', 'curate', id, '--roi', '4', '--not-cell'], ana.env);
  assert.equal(r.code, 0, r.stderr);
  const shown = await runCli(['results', 'curation', id], ana.env);
  assert.equal(shown.code, 0, shown.stderr);
  assert.match(shown.stdout, /ana \[arn:aws:(iam|sts)::\d{12}:[^\]]+\] {2}ROI 4 -> not cell \(cli\)/);
  assert.match(shown.stdout, /bo \[arn:aws:(iam|sts)::\d{12}:[^\]]+\] {2}ROI 1 -> /);
  const last = (await loadCuration(store, key)).records.find((x) => x.roi === 4 && x.source === 'cli')!;
  assert.equal(last.who, 'ana');
  assert.match(last.awsArn ?? '', /^arn:aws:/);
});
