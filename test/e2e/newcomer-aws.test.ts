/**
 * A newcomer's whole path against `scopecloud serve` with real servers behind it: versitygw as
 * the S3 bucket (AWS_ENDPOINT_URL_S3), moto for EC2/SSM/STS/IAM/Budgets/Cost Explorer/CloudWatch
 * (AWS_ENDPOINT_URL), static credentials in the environment. First run chooses AWS and passes the
 * check; a watched folder receives the real recording (../shared/data/neurofinder-crop/movie.tif),
 * which must be verified and byte-identical in the bucket; a local analysis of that session ends
 * in the 3D results with the first raw frame shown; an EC2 analysis of the same session (after
 * consenting to the instance profile) runs on an instance played by the instance simulator, which
 * runs the app's real user data and worker against versitygw, and its results open in 3D while
 * the instance ends terminated; an instance launched from the Instances view is stopped through
 * the explanation dialog and is stopped in EC2. Screenshots: /tmp/newcomer-*.png.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdtempSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { Page } from 'playwright-core';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { DescribeInstancesCommand, DescribeSecurityGroupsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { bundleRenderer } from '../../scripts/bundle-renderer.ts';
import { chromiumMissing } from '../support/chromium.ts';
import { localAwsEnv, startServedUi, type ServedUi } from '../support/served-ui.ts';
import { WORKER_BINARY, runCli, workerMissing } from '../support/cli.ts';
import { startVersitygw, versitygwMissing, type Versitygw } from '../support/versitygw.ts';
import { motoMissing, seedAl2023, startMoto, type MotoServer } from '../support/moto.ts';
import { startInstanceSimulator, type InstanceSimulator } from '../support/instance-simulator.ts';
import { awsCliMissing, requires } from '../support/requirements.ts';
import { sharedData, sharedDataMissing } from '../support/shared-data.ts';

const MOVIE = sharedData('neurofinder-crop', 'movie.tif');
const servers = [chromiumMissing(), versitygwMissing(), motoMissing()];
const noMovie = sharedDataMissing('neurofinder-crop/movie.tif');
const skip = requires(...servers);
const skipUpload = requires(...servers, noMovie);
const skipLocal = requires(...servers, noMovie, workerMissing());
/** The simulated instance runs the user data with the aws CLI. */
const skipEc2 = requires(...servers, noMovie, workerMissing(), awsCliMissing());
const SESSION = '2025-06-01_neurofinder';

let dir: string;
let home: string;
let watchDir: string;
let gw: Versitygw;
let moto: MotoServer;
let bucket: string;
let ui: ServedUi;
let sim: InstanceSimulator;
let url: string;
let page: Page;
let pageErrors: string[] = [];

before(async () => {
  if (skip) return;
  dir = mkdtempSync(join(tmpdir(), 'scopecloud-newcomer-'));
  home = join(dir, 'home');
  watchDir = join(dir, 'rig-A');
  mkdirSync(watchDir, { recursive: true });
  [gw, moto] = await Promise.all([startVersitygw({ root: join(dir, 'gw') }), startMoto()]);
  bucket = await gw.createBucket('lab-newcomer');
  await seedAl2023(moto);
  mkdirSync(join(dir, 'sim'));
  sim = await startInstanceSimulator({
    ec2: ec2(),
    s3Endpoint: gw.endpoint,
    s3Credentials: gw.credentials,
    region: moto.region,
    root: join(dir, 'sim'),
  });
  const env = localAwsEnv({
    home,
    dir,
    worker: existsSync(WORKER_BINARY) ? WORKER_BINARY : '',
    owner: 'newcomer',
    aws: { s3Endpoint: gw.endpoint, awsEndpoint: moto.endpoint, credentials: gw.credentials },
  });
  for (const [field, value] of [
    ['watch.stableMs', '300'],
    ['watch.reconcileIntervalMs', '2000'],
  ]) {
    const r = await runCli(['config', 'set', field, value], env);
    assert.equal(r.code, 0, r.stderr);
  }
  const rendererDir = join(dir, 'renderer');
  await bundleRenderer({ outDir: rendererDir });
  const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env };
  delete childEnv.AWS_PROFILE;
  ui = await startServedUi({ env: childEnv, rendererDir });
  ({ url, page, pageErrors } = ui);
});

after(async () => {
  if (skip) return;
  await ui?.stop();
  await sim?.stop();
  await Promise.all([gw?.stop(), moto?.stop()]);
  rmSync(dir, { recursive: true, force: true });
});

function ec2(): EC2Client {
  return new EC2Client({ region: moto.region, endpoint: moto.endpoint, credentials: moto.credentials });
}

async function go(view: string): Promise<void> {
  await page.evaluate((v) => {
    location.hash = v;
  }, `#/${view}`);
}

/** Opens the Analyses view with the uploaded session chosen as the data, to run `where`. */
async function newAnalysisOfSession(where: 'local' | 'ec2'): Promise<void> {
  await go('analyses');
  await page.getByLabel('Data', { exact: true }).selectOption('session');
  const session = page.getByLabel('Session', { exact: true });
  const option = session.locator('option').filter({ hasText: SESSION });
  await option.waitFor({ state: 'attached' });
  await session.selectOption((await option.getAttribute('value'))!);
  await page.getByLabel('Run on').selectOption(where);
}

test('first run connects to the bucket; the real recording is uploaded, verified and byte-identical', { skip: skipUpload }, async () => {
  await page.goto(url);
  await page.getByRole('heading', { name: 'Welcome to ScopeCloud' }).waitFor();
  await page.getByLabel('Amazon S3').check();
  // Empty profile = the default credential chain, which reads the static keys in the environment.
  await page.getByLabel('AWS profile', { exact: true }).fill('');
  await page.getByLabel('Region', { exact: true }).fill(moto.region);
  await page.getByLabel('Bucket', { exact: true }).fill('no-such-bucket-here');
  await page.getByRole('button', { name: 'Check and connect' }).click();
  await page
    .locator('#fr-bucket-msg')
    .filter({ hasText: /no-such-bucket-here/ })
    .waitFor({ timeout: 15_000 });
  await page.screenshot({ path: '/tmp/newcomer-first-run-bad-bucket.png' });
  await page.getByLabel('Bucket', { exact: true }).fill(bucket);
  // launches and EC2 analyses are refused without a spending limit: the first run asks for one
  await page.getByLabel('Monthly limit (USD)').fill('1000');
  await page.screenshot({ path: '/tmp/newcomer-first-run.png' });
  await page.getByRole('button', { name: 'Check and connect' }).click();
  await page.getByRole('heading', { name: 'Acquisition' }).waitFor({ timeout: 15_000 });
  const saved = JSON.parse(readFileSync(join(home, 'settings.json'), 'utf8')) as {
    target: { kind: string; bucket: string; region: string };
    ui: { firstRunComplete: boolean };
    budget: { monthlyLimitUsd: number | null };
  };
  assert.deepEqual(
    [saved.target.kind, saved.target.bucket, saved.target.region, saved.ui.firstRunComplete, saved.budget.monthlyLimitUsd],
    ['s3', bucket, moto.region, true, 1000],
  );

  await page.getByLabel('Folder to watch').fill(watchDir);
  await page.getByRole('button', { name: 'Watch folder' }).click();
  await page.locator('ul.folders li').filter({ hasText: watchDir }).filter({ hasText: 'watching' }).waitFor({ timeout: 15_000 });
  mkdirSync(join(watchDir, SESSION));
  copyFileSync(MOVIE, join(watchDir, SESSION, 'movie.tif'));
  const row = page.locator('tr[data-file-state="verified"]').filter({ hasText: 'movie.tif' });
  await row.waitFor({ timeout: 45_000 });
  assert.match(await row.innerText(), /39\.4 MB \/ 39\.4 MB/);
  await page.waitForFunction(() => !/active/.test(document.querySelector('nav a[href="#/acquisition"]')?.textContent ?? 'active'), undefined, {
    timeout: 10_000,
  });
  // the sessions list refreshes on its own cadence (every 2 s at most): wait for it to count the file
  const sessionRow = page.locator('tr[data-session]').filter({ hasText: SESSION });
  await sessionRow.filter({ hasText: /1 \/ 1 verified/ }).waitFor({ timeout: 15_000 });
  assert.match(await sessionRow.innerText(), /1 \/ 1/);
  await page.screenshot({ path: '/tmp/newcomer-acquisition.png', fullPage: true });

  const s3 = gw.client();
  const key = `scopecloud/${basename(watchDir)}/${SESSION}/movie.tif`;
  const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  const body = Buffer.from(await got.Body!.transformToByteArray());
  assert.ok(body.equals(readFileSync(MOVIE)), `s3://${bucket}/${key} is byte-identical to the recording`);
});

test('a local analysis of the uploaded session opens in 3D with the first raw frame', { skip: skipLocal }, async () => {
  await newAnalysisOfSession('local');
  await page.getByLabel('Clusters (k)').fill('4');
  // The crop's TIFF does not carry its frame rate (neurofinder 00-series: about 7 Hz).
  await page.getByLabel('Frame rate (Hz)').fill('seven');
  await page
    .getByRole('alert')
    .filter({ hasText: /Frame rate: a number of frames per second/ })
    .waitFor();
  assert.equal(await page.getByRole('button', { name: 'Start analysis' }).isDisabled(), true, 'a bad frame rate cannot be launched');
  await page.getByLabel('Frame rate (Hz)').fill('7');
  await page.getByRole('button', { name: 'Start analysis' }).click();
  const card = page.locator('article.analysis').filter({ hasText: SESSION });
  await card.first().waitFor();
  await card.first().and(page.locator('[data-status="done"]')).waitFor({ timeout: 60_000 });
  await page.screenshot({ path: '/tmp/newcomer-analyses.png' });

  await card.first().getByRole('button', { name: 'Open results' }).click();
  await page.waitForFunction(() => (window.__scopecloudViewer?.info().frames ?? 0) > 0, undefined, { timeout: 30_000 });
  const info = await page.evaluate(() => window.__scopecloudViewer!.info());
  assert.ok(info.instances > 0, 'the worker found ROIs in the real recording');
  assert.equal(info.inView, 1, 'the default view shows every ROI, none cut off');
  await page.getByText('300 frames at 7 Hz').waitFor({ timeout: 5_000 });
  // ROIs that are not cells are counted in the legend but hidden until asked for.
  const legend = page.getByRole('list', { name: 'Clusters' });
  const nonCells = Number((await legend.getByText(/not cells/).innerText()).match(/not cells\s+([\d,]+)/)![1].replace(/,/g, ''));
  assert.ok(nonCells > 0 && nonCells < info.instances, `${nonCells} of ${info.instances} ROIs are not cells`);
  assert.match(await legend.innerText(), /\(hidden\)/);
  assert.equal(info.shown, info.instances - nonCells, 'only cells are drawn');
  assert.match(await page.getByTestId('results-line').innerText(), new RegExp(`^${info.instances} ROIs \\(${info.instances - nonCells} cells\\) in 1 plane`));
  await page.screenshot({ path: '/tmp/newcomer-results-cells.png' });
  await page.getByLabel(/Show non-cells/).check();
  await page.waitForFunction((n) => window.__scopecloudViewer!.info().shown === n, info.instances, { timeout: 5_000 });
  assert.doesNotMatch(await legend.innerText(), /\(hidden\)/);
  await page.screenshot({ path: '/tmp/newcomer-results-all.png' });
  await page.getByLabel(/Show non-cells/).uncheck();
  const first = page.locator('img[data-image="plane0-first-frame"]');
  await first.waitFor();
  await page.waitForFunction(
    () => {
      const img = document.querySelector<HTMLImageElement>('img[data-image="plane0-first-frame"]');
      return Boolean(img?.complete && img.naturalWidth > 0);
    },
    undefined,
    { timeout: 10_000 },
  );
  const names = await page.locator('img[data-image]').evaluateAll((els) => els.map((e) => e.getAttribute('data-image')));
  assert.equal(names[0], 'plane0-first-frame', 'the first raw frame leads the images');
  await page.waitForTimeout(300);
  await page.screenshot({ path: '/tmp/newcomer-results.png' });
  await first.scrollIntoViewIfNeeded();
  await page.screenshot({ path: '/tmp/newcomer-results-images.png' });
});

test('an EC2 analysis of the session runs on an instance, opens in 3D, and leaves no instance behind', { skip: skipEc2 }, async () => {
  await newAnalysisOfSession('ec2');
  // CPU machines only (the worker uses no GPU), the small one first
  const machine = page.getByLabel('Machine', { exact: true });
  await machine.locator('option').first().waitFor({ state: 'attached' });
  const choices = await machine.locator('option').allInnerTexts();
  assert.match(choices[0], /^Small analysis · c7i\.2xlarge/);
  assert.ok(
    choices.every((m) => !/GPU|g5\./.test(m)),
    choices.join(' | '),
  );
  await machine.selectOption({ label: choices.find((m) => m.startsWith('Large compute'))! });
  await page.getByRole('button', { name: 'Start analysis' }).click();
  const consent = page.getByRole('dialog', { name: 'Create the analysis instance profile?' });
  await consent.waitFor({ timeout: 15_000 });
  await consent
    .getByTestId('scope-read')
    .filter({ hasText: `s3://${bucket}/scopecloud/*` })
    .waitFor({ timeout: 5_000 });
  await consent.getByLabel('I agree to create this role and instance profile').check();
  await consent.getByRole('button', { name: 'Create and start analysis' }).click();
  await consent.waitFor({ state: 'hidden', timeout: 15_000 });
  const card = page.locator('article.analysis').filter({ hasText: 'on EC2' }).filter({ hasText: SESSION }).first();
  await card.waitFor({ timeout: 15_000 });
  await page.screenshot({ path: '/tmp/newcomer-ec2-running.png' });
  await card.and(page.locator('[data-status="done"]')).waitFor({ timeout: 180_000 });
  // The sidebar follows at once (not at its 10 s fallback refresh): nothing is running any more.
  await page.waitForFunction(() => !/running/.test(document.querySelector('nav a[href="#/analyses"]')?.textContent ?? 'running'), undefined, {
    timeout: 5_000,
  });
  await page.screenshot({ path: '/tmp/newcomer-ec2-done.png' });

  // One machine ran the job, by its own user data, and shut itself down.
  const machines = sim.instances();
  assert.equal(machines.length, 1, 'one instance was launched for the job');
  assert.deepEqual([machines[0].exitCode, machines[0].ended], [0, 'shutdown'], await machines[0].output());
  const out = await ec2().send(new DescribeInstancesCommand({ InstanceIds: [machines[0].id] }));
  const inst = out.Reservations?.[0]?.Instances?.[0];
  assert.equal(inst?.State?.Name, 'terminated', 'the analysis instance is terminated, not left billing');
  assert.equal(inst?.InstanceType, 'c7i.8xlarge', 'the machine chosen in the form');
  assert.equal(inst?.MetadataOptions?.HttpTokens, 'required', 'IMDSv2 only');
  assert.equal(inst?.KeyName, undefined, 'no SSH key pair');
  const groupIds = (inst?.SecurityGroups ?? []).map((g) => g.GroupId!);
  const groups = groupIds.length ? ((await ec2().send(new DescribeSecurityGroupsCommand({ GroupIds: groupIds }))).SecurityGroups ?? []) : [];
  assert.equal(groups.length, 1, 'one security group');
  assert.deepEqual(groups[0].IpPermissions ?? [], [], `its group ${groups[0].GroupName} lets nothing in (no SSH, nothing else)`);

  await card.getByRole('button', { name: 'Open results' }).click();
  await page.waitForFunction(() => (window.__scopecloudViewer?.info().instances ?? 0) > 0, undefined, { timeout: 30_000 });
  await page.waitForTimeout(300);
  assert.equal(await page.evaluate(() => window.__scopecloudViewer!.info().inView), 1, 'the default view shows every ROI, none cut off');
  await page.screenshot({ path: '/tmp/newcomer-ec2-results.png' });
  assert.deepEqual(pageErrors, []);
});

test('an EC2 analysis past the monthly limit is refused before anything is launched, unless an administrator overrides', { skip: skipEc2 }, async () => {
  const setLimit = async (value: string) => {
    await go('settings');
    const form = page.locator('form').filter({ has: page.getByRole('heading', { name: 'Budget and instances' }) });
    await form.getByLabel('Monthly limit').fill(value);
    await form.getByRole('button', { name: 'Save' }).click();
    await form.getByRole('button', { name: 'Save' }).and(page.locator(':disabled')).waitFor({ timeout: 5_000 });
  };
  await setLimit('0.50');
  const launchedBefore = sim.instances().length;
  await newAnalysisOfSession('ec2');
  const cards = await page.locator('article.analysis').count();
  await page.getByRole('button', { name: 'Start analysis' }).click();
  const refusal = page.getByRole('alert').filter({ hasText: /\$0\.50/ });
  await refusal.waitFor({ timeout: 15_000 });
  await page.screenshot({ path: '/tmp/newcomer-ec2-over-budget.png' });
  assert.equal(await page.locator('article.analysis').count(), cards, 'no analysis was created');
  assert.equal(sim.instances().length, launchedBefore, 'no instance was launched');

  // An administrator goes ahead anyway: the override is recorded, the analysis runs and ends.
  await page.getByLabel(/Override the budget guard/).check();
  await page.getByRole('button', { name: 'Start analysis' }).click();
  await page.waitForFunction((n) => document.querySelectorAll('article.analysis').length === n + 1, cards, { timeout: 15_000 });
  const card = page.locator('article.analysis').first();
  await card.and(page.locator('[data-status="done"]')).waitFor({ timeout: 180_000 });
  assert.equal(sim.instances().length, launchedBefore + 1, 'one instance ran it');
  assert.equal(await page.getByLabel(/Override the budget guard/).count(), 0, 'the override does not stay ticked for the next launch');
  await sim.waitAllEnded(launchedBefore + 1, 30_000);
  await setLimit('1000'); // the limit the first run set: with none, every launch is refused (#16 pt6)
});

test('an instance launched from the Instances view is stopped through the explanation dialog', { skip }, async () => {
  if (!page.url().startsWith(url.split('#')[0].split('?')[0])) await page.goto(url);
  await go('instances');
  await page.getByRole('heading', { name: 'Instances' }).waitFor();
  await page.getByRole('button', { name: 'Launch instance…' }).click();
  const launch = page.getByRole('dialog');
  await launch.getByText(/Projected cost/).waitFor({ timeout: 15_000 });
  await launch.getByLabel('Name').fill('newcomer-test');
  await page.screenshot({ path: '/tmp/newcomer-launch.png' });
  await launch.getByRole('button', { name: 'Launch' }).click();
  await launch.waitFor({ state: 'hidden', timeout: 15_000 });
  const row = page.locator('tr[data-instance]').filter({ hasText: 'newcomer-test' });
  await row.and(page.locator('[data-state="running"]')).waitFor({ timeout: 20_000 });
  const id = (await row.getAttribute('data-instance'))!;
  // The sidebar follows the launch: one instance running, its hourly price burning.
  await page.waitForFunction(() => /1 running/.test(document.querySelector('nav a[href="#/instances"]')?.textContent ?? ''), undefined, { timeout: 5_000 });
  await page
    .locator('.sidebar-foot strong')
    .filter({ hasText: /^\$0\.3\d\/h$/ })
    .waitFor({ timeout: 5_000 });
  await page.screenshot({ path: '/tmp/newcomer-instances.png' });

  await page.getByRole('button', { name: 'stop newcomer-test' }).click();
  const dialog = page.getByRole('dialog');
  await dialog.getByText('Compute billing').waitFor();
  assert.match(await dialog.innerText(), /disks \(\$[0-9.]+\/month\) are kept and still billed while it is stopped/);
  await page.screenshot({ path: '/tmp/newcomer-stop.png' });
  await dialog.getByRole('button', { name: 'Stop' }).click();
  await page.locator(`tr[data-instance="${id}"][data-state="stopped"]`).waitFor({ timeout: 20_000 });
  // The sidebar's status follows: nothing running, no compute burn.
  await page.waitForFunction(() => !/running/.test(document.querySelector('nav a[href="#/instances"]')?.textContent ?? 'running'), undefined, {
    timeout: 15_000,
  });
  await page
    .locator('.sidebar-foot strong')
    .filter({ hasText: /^\$0\.00\/h$/ })
    .waitFor({ timeout: 5_000 });
  await page.screenshot({ path: '/tmp/newcomer-instances-stopped.png' });

  const out = await ec2().send(new DescribeInstancesCommand({ InstanceIds: [id] }));
  const inst = out.Reservations?.[0]?.Instances?.[0];
  assert.equal(inst?.State?.Name, 'stopped');
  assert.ok(
    inst?.Tags?.some((t) => t.Key === 'Name' && t.Value === 'newcomer-test'),
    'the instance carries its name tag',
  );
  assert.deepEqual(pageErrors, []);
});
