/**
 * End-to-end: the bundled renderer in Debian's Chromium against `scopecloud serve` over the real
 * services (issue #20): versitygw as the bucket behind a fault proxy (AWS_ENDPOINT_URL_S3), moto
 * for EC2/IAM/STS/SSM/Budgets/Cost Explorer (AWS_ENDPOINT_URL, Cost Explorer answers seeded), the
 * real worker for local analyses. The tests run in order on one app, as a user would: first run
 * with a local archive, the AWS views that need an account, the destination changed to S3, then
 * uploads, instances, budget, analyses and results.
 *
 * Key screens are checked by content computed here, independently of the app (sizes, counts,
 * sums of the seeded Cost Explorer figures, EC2's launch time times the shipped price), and the
 * ones whose pixels do not depend on time are compared with reviewed references in
 * test/e2e/reference/ (test/support/screen-compare.ts). Every screenshot also goes to
 * /tmp/ui-*.png to look at.
 *
 * Substitutes, where a state cannot be produced for real inside a test:
 * - 100,000 ROIs: the real worker would need minutes on a movie that large, so the job it
 *   finished on a small synthetic movie is cloned in the bucket with 100,000 ROIs and their
 *   dF/F written in the worker's layout (test/support/large-results.ts); the app's real results
 *   API reads it.
 * - A failed upload: the fault proxy answers 403 AccessDenied for one file, as S3 does for a
 *   missing permission; Retry succeeds once the proxy lets it through.
 * - The EC2 analysis is launched in moto (real IAM role and instance profile created after
 *   consent, a real RunInstances) but no machine runs it; it is cancelled (the newcomer e2e
 *   runs one to the end on the instance simulator).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { DescribeInstancesCommand, DescribeVolumesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { GetInstanceProfileCommand, IAMClient } from '@aws-sdk/client-iam';
import { bundleRenderer } from '../../scripts/bundle-renderer.ts';
import { loadPriceTable } from '../../main/cost/price-table.ts';
import { chromiumMissing } from '../support/chromium.ts';
import { localAwsEnv, startServedUi, type ServedUi } from '../support/served-ui.ts';
import { WORKER_BINARY, runCli, workerMissing } from '../support/cli.ts';
import { calciumMovie } from '../support/calcium-movie.ts';
import { startVersitygw, versitygwMissing, type Versitygw } from '../support/versitygw.ts';
import { motoMissing, seedAl2023, startMoto, type MotoServer } from '../support/moto.ts';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy.ts';
import { requires } from '../support/requirements.ts';
import { expectScreen } from '../support/screen-compare.ts';
import { cloneJobWithRois, type LargeResults } from '../support/large-results.ts';
import { hostApi, type HostApi } from '../support/host-api.ts';

const skip = requires(chromiumMissing(), versitygwMissing(), motoMissing(), workerMissing());
const REGION = 'us-east-1';
const PREFIX = 'scopecloud/';

let dir: string;
let home: string;
let archiveDir: string;
let watchDir: string;
let gw: Versitygw;
let moto: MotoServer;
let s3Proxy: FaultProxy;
let bucket: string;
let ui: ServedUi;
let page: Page;
let api: HostApi;
let pageErrors: string[] = [];

// Cost Explorer, seeded in moto: every day of this month before today, two services.
const now = new Date();
const ym = `${now.getUTCFullYear()}-${String(now.getUTCMonth() + 1).padStart(2, '0')}`;
const days = Array.from({ length: Math.max(1, now.getUTCDate() - 1) }, (_, k) => k + 1);
const ec2Spend = (d: number) => 4 + (d % 5) * 3;
const S3_SPEND = 1.5;
const pad = (d: number) => String(d).padStart(2, '0');

before(async () => {
  if (skip) return;
  dir = mkdtempSync(join(tmpdir(), 'scopecloud-ui-'));
  home = join(dir, 'home');
  archiveDir = join(dir, 'archive');
  watchDir = join(dir, 'rig-A');
  mkdirSync(watchDir, { recursive: true });
  [gw, moto] = await Promise.all([startVersitygw({ root: join(dir, 'gw') }), startMoto({ region: REGION })]);
  bucket = await gw.createBucket('lab-ui');
  s3Proxy = await startFaultProxy({ target: gw.endpoint });
  await seedAl2023(moto);
  await moto.post('/moto-api/static/ce/cost-and-usage-results', {
    results: [
      {
        ResultsByTime: days.map((d) => ({
          TimePeriod: { Start: `${ym}-${pad(d)}`, End: `${ym}-${pad(d + 1)}` },
          Total: {},
          Groups: [
            { Keys: ['Amazon Elastic Compute Cloud - Compute'], Metrics: { UnblendedCost: { Amount: String(ec2Spend(d)), Unit: 'USD' } } },
            { Keys: ['Amazon Simple Storage Service'], Metrics: { UnblendedCost: { Amount: String(S3_SPEND), Unit: 'USD' } } },
          ],
          Estimated: true,
        })),
      },
      {
        ResultsByTime: [
          {
            TimePeriod: { Start: `${ym}-01`, End: `${ym}-28` },
            Total: {},
            Groups: [{ Keys: ['scopecloud:owner$maria'], Metrics: { UnblendedCost: { Amount: '60', Unit: 'USD' } } }],
            Estimated: true,
          },
        ],
      },
    ],
  });
  const env = localAwsEnv({
    home,
    dir,
    worker: WORKER_BINARY,
    owner: 'maria',
    aws: { s3Endpoint: s3Proxy.endpoint, awsEndpoint: moto.endpoint, credentials: gw.credentials },
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
  ui = await startServedUi({ env: childEnv, rendererDir, viewport: { width: 1280, height: 800 } });
  ({ page, pageErrors } = ui);
  api = hostApi(ui.url);
});

after(async () => {
  if (skip) return;
  await ui?.stop();
  await s3Proxy?.stop();
  await Promise.all([gw?.stop(), moto?.stop()]);
  rmSync(dir, { recursive: true, force: true });
});

async function go(view: string): Promise<void> {
  await page.evaluate((v) => {
    location.hash = v;
  }, `#/${view}`);
}

/** Resolves after the page has had two animation frames to render what was asked. */
async function settled(): Promise<void> {
  await page.evaluate(() => new Promise<void>((r) => requestAnimationFrame(() => requestAnimationFrame(() => r()))));
}

/**
 * Screenshot of the page (or of element `of`) to /tmp/ui-<name>.png, compared with reference
 * <name> when `compare`; `mask` paints over what changes by itself (paths, timings).
 */
async function screen(name: string, o: { compare?: boolean; mask?: Locator[]; fullPage?: boolean; of?: Locator } = {}): Promise<void> {
  if (o.compare) await settled();
  const shot = { path: `/tmp/ui-${name}.png`, animations: 'disabled' as const, caret: 'hide' as const, mask: o.mask };
  const png = o.of ? await o.of.screenshot(shot) : await page.screenshot({ ...shot, fullPage: o.fullPage });
  if (o.compare) expectScreen(name, png);
}

const usd = (v: number, digits = 2) => `$${v.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })}`;
const ec2 = () => new EC2Client({ region: REGION, endpoint: moto.endpoint, credentials: moto.credentials });
/** The analysis instance profile's roles in moto's IAM, or null when it does not exist. */
async function analysisProfileRoles(): Promise<string[] | null> {
  const iam = new IAMClient({ region: REGION, endpoint: moto.endpoint, credentials: moto.credentials });
  try {
    const out = await iam.send(new GetInstanceProfileCommand({ InstanceProfileName: 'scopecloud-analysis' }));
    return (out.InstanceProfile?.Roles ?? []).map((r) => r.RoleName!);
  } catch (e) {
    if ((e as { name?: string }).name === 'NoSuchEntityException' || (e as { name?: string }).name === 'NoSuchEntity') return null;
    throw e;
  }
}

test('first run: the archive folder must be absolute; the local archive default gets going', { skip }, async () => {
  await page.goto(ui.url);
  assert.equal(new URL(page.url()).search, '', 'the token left the address bar');
  await page.getByRole('heading', { name: 'Welcome to ScopeCloud' }).waitFor();
  assert.equal(await page.getByLabel('Local archive').isChecked(), true, 'the local archive is the default');
  assert.equal(await page.getByLabel('Archive folder').inputValue(), join(home, 'archive'), "proposed inside the app's state folder");
  await screen('first-run', { compare: true, mask: [page.getByLabel('Archive folder')] });

  await page.getByLabel('Local archive').check();
  await page.getByLabel('Archive folder').fill('lab-archive');
  await page.getByRole('button', { name: 'Use this folder' }).click();
  await page.locator('#fr-archiveDir-msg').filter({ hasText: 'absolute path' }).waitFor();
  assert.equal(await page.getByLabel('Archive folder').getAttribute('aria-invalid'), 'true');
  await page.getByLabel('Archive folder').fill(archiveDir);
  await page.getByRole('button', { name: 'Use this folder' }).click();
  await page.getByRole('heading', { name: 'Acquisition' }).waitFor();
  const saved = (await api.call('getSettings', undefined)) as { mode: string; archiveDir: string; firstRunComplete: boolean };
  assert.deepEqual([saved.mode, saved.archiveDir, saved.firstRunComplete], ['local', archiveDir, true]);
});

test('instances and budget without AWS: a heading, the reason and a way to Settings', { skip }, async () => {
  await go('instances');
  await page.getByRole('heading', { name: 'Instances need an AWS account' }).waitFor();
  assert.equal(await page.locator('[data-error-code="NOT_CONFIGURED"]').count(), 1);
  await screen('instances-not-configured', { compare: true });
  await go('budget');
  await page.getByRole('heading', { name: 'Budget figures need an AWS account' }).waitFor();
  // the local archive's storage and its split per person are still shown (#21 pt4)
  await page.locator('[data-testid="people"] table, [data-testid="people"] p.muted').first().waitFor();
  await page.getByTestId('storage-local').waitFor();
  await screen('budget-not-configured', { compare: true, mask: [page.getByTestId('storage-listed')] });
  await page.getByRole('link', { name: 'Open Settings to switch to S3' }).click();
  await page.getByRole('heading', { name: 'Settings' }).waitFor();
  assert.match(page.url(), /#\/settings$/);
  await page.getByText(`Local archive at ${archiveDir}`).waitFor();
  await screen('settings-local', { compare: true, mask: [page.locator('.panel code').first()] });
});

test('the destination changes to S3 from Settings: a bad bucket is named under its field, the right one connects', { skip }, async () => {
  await page.getByRole('button', { name: 'Change destination…' }).click();
  await page.getByRole('heading', { name: 'Change destination' }).waitFor();
  await page.getByLabel('Amazon S3').check();
  await page.getByLabel('AWS profile', { exact: true }).fill('');
  await page.getByLabel('Region', { exact: true }).fill(REGION);
  await page.getByLabel('Bucket', { exact: true }).fill('Not_A_Bucket');
  await page.getByRole('button', { name: 'Check and connect' }).click();
  const bucketMsg = page.locator('#fr-bucket-msg');
  // Named under the field, before any request leaves: the name breaks S3's naming rules.
  await bucketMsg.filter({ hasText: /lowercase/ }).waitFor();
  assert.equal(await page.getByLabel('Bucket', { exact: true }).getAttribute('aria-invalid'), 'true');
  assert.match(await page.getByRole('alert').innerText(), /bucket/);
  await page.getByLabel('Bucket', { exact: true }).fill('no-such-bucket-here');
  await page.getByRole('button', { name: 'Check and connect' }).click();
  await bucketMsg.filter({ hasText: 'bucket "no-such-bucket-here" does not exist' }).waitFor({ timeout: 15_000 });
  await screen('destination-bad-bucket');
  await page.getByLabel('Bucket', { exact: true }).fill(bucket);
  await page.getByRole('button', { name: 'Check and connect' }).click();
  const destination = page.locator('.panel p').filter({ hasText: 'Amazon S3:' });
  await destination.waitFor({ timeout: 15_000 });
  assert.match(await destination.innerText(), new RegExp(`^Amazon S3: s3://${bucket}/${PREFIX.slice(0, -1)}/? in ${REGION} with profile default$`));
  const saved = (await api.call('getSettings', undefined)) as { mode: string; aws: { bucket: string; region: string } };
  assert.deepEqual([saved.mode, saved.aws.bucket, saved.aws.region], ['aws', bucket, REGION]);
  // The bucket rule for unfinished uploads: versitygw offers no lifecycle rules, and the view says so.
  await page.getByRole('heading', { name: 'Unfinished uploads' }).waitFor();
  assert.match(await page.getByTestId('lifecycle-state').innerText(), /^Unknown: this S3 store does not offer lifecycle rules/);
});

const SESSION_DONE = '2025-06-01_mouse11';
const SESSION_FAILED = '2025-06-02_mouse11b';
const SESSION_OPEN = '2025-06-03_mouse12';
const BIG = 12_000_000;

test('acquisition: idle chart, per-file bytes, bandwidth limit, pause and resume, sessions, retry of a refused file', { skip }, async () => {
  await go('acquisition');
  await page.getByLabel('Folder to watch').fill(watchDir);
  await page.getByRole('button', { name: 'Watch folder' }).click();
  await page.locator('ul.folders li').filter({ hasText: watchDir }).filter({ hasText: 'watching' }).waitFor({ timeout: 15_000 });

  // Nothing has moved yet: the chart says why, with a single 0 B/s tick.
  const ticks = () => page.locator('svg[aria-label^="Upload throughput"] [data-tick]').evaluateAll((els) => els.map((e) => e.textContent ?? ''));
  await page.getByRole('button', { name: 'Pause uploads' }).click();
  await page.getByRole('button', { name: 'Resume uploads' }).waitFor();
  const idle = page.locator('svg[data-chart-state="idle"]');
  await idle.waitFor({ timeout: 10_000 });
  assert.deepEqual(await ticks(), ['0 B/s']);
  assert.match(await idle.innerHTML(), /Uploads are paused/);
  await page.getByRole('button', { name: 'Resume uploads' }).click();
  await page.getByRole('button', { name: 'Pause uploads' }).waitFor();

  await page.getByLabel('MB/s').fill('fast');
  await page.getByRole('button', { name: 'Apply' }).click();
  await page.locator('#bw-msg').filter({ hasText: 'Enter a number' }).waitFor();
  await page.getByLabel('MB/s').fill('2');
  await page.getByRole('button', { name: 'Apply' }).click();
  await page.locator('#bw-msg').filter({ hasText: 'Currently 2.0 MB/s' }).waitFor();

  // S3 refuses one file as it does without permission (the proxy answers 403 AccessDenied).
  s3Proxy.setRules([
    { match: (_op, req) => req.path.includes('refused_0001.tif'), fault: { kind: 'status', status: 403, code: 'AccessDenied', message: 'Access Denied' } },
  ]);
  const put = (session: string, name: string, bytes: number) => {
    mkdirSync(join(watchDir, session), { recursive: true });
    writeFileSync(join(watchDir, session, name), randomBytes(bytes));
  };
  for (let i = 1; i <= 3; i++) put(SESSION_DONE, `frame_000${i}.tif`, 200_000);
  writeFileSync(join(watchDir, SESSION_DONE, 'acquisition.done'), '');
  put(SESSION_FAILED, 'frame_0001.tif', 100_000);
  put(SESSION_FAILED, 'refused_0001.tif', 100_000);
  put(SESSION_OPEN, 'big_0001.tif', BIG);
  put(SESSION_OPEN, 'big_0002.tif', BIG);

  // At 2 MB/s the two big files are seen part-way, with their own sizes.
  const uploading = page.locator('tr[data-file-state="uploading"]').filter({ hasText: 'big_000' });
  await page.waitForFunction(
    () =>
      [...document.querySelectorAll('tr[data-file-state="uploading"]')].some(
        (r) => /big_000/.test(r.textContent ?? '') && !/^0 B/.test(r.querySelector('.num')?.textContent ?? ''),
      ),
    undefined,
    { timeout: 30_000 },
  );
  // Both big files may be uploading at once (up to 32 files at a time) and one of them may not have
  // sent a byte yet: the one that has shows its own bytes of its own size.
  const rows = await uploading.allInnerTexts();
  assert.ok(
    rows.some((t) => /^\d+(\.\d)? [kKM]B \/ 12\.0 MB/m.test(t)),
    `a big file shows its bytes so far of 12.0 MB: ${JSON.stringify(rows)}`,
  );
  await page.locator('tr[data-file-state="failed"]').filter({ hasText: 'refused_0001.tif' }).waitFor({ timeout: 30_000 });
  await page.locator('svg[data-chart-state="data"]').waitFor({ timeout: 10_000 });
  const live = await ticks();
  assert.equal(new Set(live).size, live.length, `tick labels repeat: ${live.join(', ')}`);
  // Seven files (the marker is not one), 3 x 200 kB + 2 x 100 kB + 2 x 12 MB = 24.8 MB, one refused.
  const stats = await page.locator('.stats').innerText();
  assert.match(stats, /Verified\s+\d \/ 7\s+[\d.]+ [kKM]B of 24\.8 MB/);
  assert.match(stats, /limit 2\.0 MB\/s/);
  assert.match(stats, /Failed\s+1\s/);
  const nav = await page.locator('nav a[href="#/acquisition"]').innerText();
  assert.match(nav, /active|failed/);
  await screen('acquisition-uploading');

  await page.getByRole('button', { name: 'Pause uploads' }).click();
  await page.getByRole('button', { name: 'Resume uploads' }).waitFor();
  await page.getByRole('button', { name: 'Resume uploads' }).click();
  await page.getByRole('button', { name: 'Pause uploads' }).waitFor();
  await page.getByLabel('MB/s').fill('');
  await page.getByRole('button', { name: 'Apply' }).click();
  await page.locator('#bw-msg').filter({ hasText: 'Keeps uploads from saturating' }).waitFor();
  assert.equal(((await api.call('getSettings', undefined)) as { bandwidthLimitBytesPerSec: number | null }).bandwidthLimitBytesPerSec, null);
  for (const name of ['big_0001.tif', 'big_0002.tif']) {
    await page.locator('tr[data-file-state="verified"]').filter({ hasText: name }).waitFor({ timeout: 60_000 });
  }

  // Sessions: the marked one closed and uploaded, the refused file counted, the last one open.
  const sessionRow = (name: string) => page.locator('tr[data-session]').filter({ hasText: name });
  await sessionRow(SESSION_DONE).filter({ hasText: 'uploaded · verified' }).waitFor({ timeout: 30_000 });
  assert.match(await sessionRow(SESSION_DONE).innerText(), /3 \/ 3[\s\S]*closed/);
  await sessionRow(SESSION_OPEN)
    .filter({ hasText: /2 \/ 2/ })
    .waitFor({ timeout: 15_000 });
  assert.match(await sessionRow(SESSION_OPEN).innerText(), /open/);
  assert.match(await sessionRow(SESSION_FAILED).innerText(), /1 \/ 2[\s\S]*1 failed/);
  assert.equal(await page.locator('tr[data-session]').count(), 3);
  await sessionRow(SESSION_DONE).scrollIntoViewIfNeeded();
  await screen('acquisition-sessions');

  const failed = page.locator('tr[data-file-state="failed"]');
  assert.match(await failed.innerText(), /access denied/i);
  s3Proxy.clearRules();
  await failed.getByRole('button', { name: /Retry/ }).click();
  await page.locator('tr[data-file-state="verified"]').filter({ hasText: 'refused_0001.tif' }).waitFor({ timeout: 30_000 });
  await sessionRow(SESSION_FAILED)
    .filter({ hasText: /2 \/ 2/ })
    .waitFor({ timeout: 15_000 });
  assert.doesNotMatch(await sessionRow(SESSION_FAILED).innerText(), /failed/);
});

let runningId: string;

test("instances: cost ticks each second from EC2's launch time; stop explains billing and stops; terminate needs the name", { skip }, async () => {
  const { presets } = (await api.call('listPresets', undefined)) as { presets: Array<{ id: string; type: string; gpus: number }> };
  const cpu = presets.filter((p) => p.gpus === 0);
  // launches need a limit (moto has no AWS Budget)
  await api.call('saveSettings', { budget: { monthlyLimitUsd: 2000, maxRuntimeHours: 8 } });
  runningId = ((await api.call('launchInstance', { presetId: cpu.at(-1)!.id, name: 'registration-cpu', plannedHours: 2, override: false })) as { id: string })
    .id;
  const notebook = ((await api.call('launchInstance', { presetId: cpu[0].id, name: 'old-notebook', plannedHours: 2, override: false })) as { id: string }).id;
  const stoppedName = 'old-notebook';
  await go('instances');
  for (const id of [runningId, notebook]) await page.locator(`tr[data-instance="${id}"][data-state="running"]`).waitFor({ timeout: 20_000 });

  // Cost so far = the shipped hourly price x the time since EC2's own launch time.
  const described = await ec2().send(new DescribeInstancesCommand({ InstanceIds: [runningId, notebook] }));
  const [inst, nb] = [runningId, notebook].map((id) => described.Reservations!.flatMap((r) => r.Instances!).find((i) => i.InstanceId === id)!);
  const price = loadPriceTable().regions[REGION]!.hourly[inst.InstanceType!]!;
  const notebookPrice = loadPriceTable().regions[REGION]!.hourly[nb.InstanceType!]!;
  const cost = page.getByTestId(`cost-${runningId}`);
  const parse = (s: string) => Number(s.replace(/[^0-9.]/g, ''));
  const first = await cost.innerText();
  const expected = (price * (Date.now() - inst.LaunchTime!.getTime())) / 3_600_000;
  assert.ok(Math.abs(parse(first) - expected) <= price * (10 / 3600) + 0.0001, `cost ${first} is ${usd(price, 3)}/h x uptime (${expected.toFixed(4)})`);
  await page.waitForFunction(([sel, v]) => document.querySelector(sel)?.textContent !== v, [`[data-testid="cost-${runningId}"]`, first] as const);
  assert.ok(parse(await cost.innerText()) > parse(first), 'cost goes up while running');
  const row = await page.locator(`tr[data-instance="${runningId}"]`).innerText();
  assert.match(
    row,
    new RegExp(`registration-cpu[\\s\\S]*running[\\s\\S]*${inst.InstanceType!.replace('.', '\\.')}[\\s\\S]*maria[\\s\\S]*\\${usd(price, 3)}/h`),
  );
  await page.waitForFunction(() => /2 running/.test(document.querySelector('nav a[href="#/instances"]')?.textContent ?? ''), undefined, { timeout: 10_000 });
  await page
    .locator('.sidebar-foot strong')
    .filter({ hasText: `${usd(price + notebookPrice)}/h` })
    .waitFor({ timeout: 10_000 });
  await screen('instances');

  // Stopping from its dialog: what billing stops and what goes on, then stopped in EC2 too.
  await page.getByRole('button', { name: `stop ${stoppedName}` }).click();
  const dialog = page.getByRole('dialog');
  await dialog.getByText('Compute billing').waitFor();
  assert.match(await dialog.innerText(), /disks \(\$[0-9.]+\/month\) are kept and still billed/);
  await screen('instances-stop');
  await dialog.getByRole('button', { name: 'Stop' }).click();
  await page.locator(`tr[data-instance="${notebook}"][data-state="stopped"]`).waitFor({ timeout: 20_000 });
  const stopped = await ec2().send(new DescribeInstancesCommand({ InstanceIds: [notebook] }));
  assert.equal(stopped.Reservations![0].Instances![0].State!.Name, 'stopped');
  // Its disk still bills: size from EC2's volumes, cost at the price table's gp3 price per GB-month.
  const volumeIds = stopped.Reservations![0].Instances![0].BlockDeviceMappings!.map((b) => b.Ebs!.VolumeId!);
  const volumes = await ec2().send(new DescribeVolumesCommand({ VolumeIds: volumeIds }));
  const diskGb = volumes.Volumes!.reduce((sum, v) => sum + v.Size!, 0);
  const gp3 = loadPriceTable().regions[REGION]!.ebsGp3PerGbMonth;
  // EC2 states the stop time in its state-transition reason, which the next instance list reads
  await go('budget');
  await go('instances');
  await page
    .getByTestId(`disk-${notebook}`)
    .filter({ hasText: `Disk ${diskGb} GB: ${usd(diskGb * gp3)}/month while stopped, stopped today` })
    .waitFor({ timeout: 20_000 });
  assert.equal(await page.getByTestId('stopped-disks').innerText(), `${usd(diskGb * gp3)}/month`);
  await screen('instances-stopped');
  await page.waitForFunction(() => /1 running/.test(document.querySelector('nav a[href="#/instances"]')?.textContent ?? ''), undefined, { timeout: 15_000 });
  await page
    .locator('.sidebar-foot strong')
    .filter({ hasText: `${usd(price)}/h` })
    .waitFor({ timeout: 10_000 });

  await page.getByRole('button', { name: `terminate ${stoppedName}` }).click();
  const confirm = page.getByRole('dialog').getByRole('button', { name: 'Terminate' });
  await page.getByLabel(/Type .* to confirm/).waitFor();
  assert.equal(await confirm.isDisabled(), true, 'disabled until the name is typed');
  await page.getByLabel(/Type .* to confirm/).fill(stoppedName);
  assert.equal(await confirm.isDisabled(), false);
  await screen('instances-terminate');
  await confirm.click();
  // Terminated instances leave the list, or show their last state until EC2 forgets them.
  await page.waitForFunction(
    (id) => {
      const row = document.querySelector(`tr[data-instance="${id}"]`);
      return row === null || /^(shutting-down|terminated)$/.test(row.getAttribute('data-state') ?? '');
    },
    notebook,
    { timeout: 20_000 },
  );
  const after = await ec2().send(new DescribeInstancesCommand({ InstanceIds: [notebook] }));
  assert.match(after.Reservations![0].Instances![0].State!.Name!, /shutting-down|terminated/);

  await page.getByRole('button', { name: 'Launch instance…' }).click();
  await page.getByText(/Projected cost/).waitFor({ timeout: 15_000 });
  await screen('instances-launch');
  await page.keyboard.press('Escape');
});

test('budget: figures are the seeded Cost Explorer sums; the forecast bar carries the 50/80/100 % marks', { skip }, async () => {
  await api.call('saveSettings', { budget: { monthlyLimitUsd: 2000, maxRuntimeHours: 8 } });
  await go('budget');
  await page.getByText('Forecast to month end').waitFor();
  const monthToDate = days.reduce((s, d) => s + ec2Spend(d) + S3_SPEND, 0);
  const stats = page.locator('.stats');
  await stats.filter({ hasText: usd(monthToDate) }).waitFor({ timeout: 20_000 });
  assert.match(await stats.innerText(), new RegExp(`Spent this month\\s+\\${usd(monthToDate)}\\s+of \\$2,000`));
  const bar = page.getByTestId('forecast-bar');
  assert.deepEqual(await bar.locator('[data-threshold]').evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-threshold')))), [50, 80, 100]);
  const widths = await bar.evaluate((svg) => ['spent', 'forecast'].map((p) => Number(svg.querySelector(`[data-part="${p}"]`)!.getAttribute('width'))));
  assert.ok(widths[1] > widths[0] && widths[0] > 0, `forecast continues past spend (a running instance): ${widths}`);
  // On the bar's own scale: the marks sit at 50/80/100 % of the $2,000 limit, the spend at its share of it.
  const geometry = await bar.evaluate((svg) => ({
    x0: Number(svg.querySelector('[data-part="spent"]')!.getAttribute('x')),
    marks: [...svg.querySelectorAll('[data-threshold] line')].map((l) => Number(l.getAttribute('x1'))),
  }));
  const full = geometry.marks[2] - geometry.x0;
  assert.ok(
    Math.abs(geometry.marks[0] - geometry.x0 - full * 0.5) < 1 && Math.abs(geometry.marks[1] - geometry.x0 - full * 0.8) < 1,
    `marks at ${geometry.marks}`,
  );
  assert.ok(Math.abs(widths[0] - full * (monthToDate / 2000)) < 1, `spent bar ${widths[0]} of ${full} for ${usd(monthToDate)} of $2,000`);
  const chart = page.getByRole('img', { name: 'Daily spend this month' });
  await chart.waitFor({ timeout: 20_000 });
  assert.equal(await chart.locator('rect.bar').count(), days.length);
  const byService = await page
    .getByRole('img', { name: 'Spend by service' })
    .innerText()
    .catch(async () => page.locator('.panel').filter({ hasText: 'By service' }).innerText());
  assert.match(byService, new RegExp(`\\${usd(days.reduce((s, d) => s + ec2Spend(d), 0))}`));
  assert.match(byService, new RegExp(`\\${usd(S3_SPEND * days.length)}`));
  assert.match(await page.getByTestId('ce-fetched').innerText(), /Cost Explorer figures from .*next refresh can ask AWS at/);
  assert.equal(await page.getByRole('button', { name: 'Refresh now' }).isDisabled(), true, 'the minimum interval holds the button');
  await screen('budget', { fullPage: true });
});

const MOVIE_NAME = 'mouse7-plane0.tif';
let localJobId: string;

test('a local analysis on the real worker shows its progress and ends done', { skip }, async () => {
  const movie = join(dir, 'movies', MOVIE_NAME);
  mkdirSync(join(dir, 'movies'));
  writeFileSync(movie, calciumMovie({ width: 96, height: 96, frames: 600, cells: 16, groups: 3, seed: 7 }));
  await go('analyses');
  await page.getByLabel('Folder or TIFF file').fill(movie);
  await page.getByLabel('Clusters (k)').fill('3');
  // Records the highest progress any analysis card showed, so a fast run cannot slip past the check.
  await page.evaluate(() => {
    const w = window as unknown as { __maxProgress: number };
    w.__maxProgress = 0;
    new MutationObserver(() => {
      for (const p of document.querySelectorAll('article.analysis [role=progressbar]'))
        w.__maxProgress = Math.max(w.__maxProgress, Number(p.getAttribute('aria-valuenow')) || 0);
    }).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['aria-valuenow'] });
  });
  await page.getByRole('button', { name: 'Start analysis' }).click();
  const card = page.locator('article.analysis').filter({ hasText: MOVIE_NAME });
  await card.waitFor();
  await card.and(page.locator('[data-status="done"]')).waitFor({ timeout: 120_000 });
  assert.ok((await page.evaluate(() => (window as unknown as { __maxProgress: number }).__maxProgress)) > 0, 'the card showed progress before it ended');
  localJobId = (await card.getAttribute('data-analysis'))!;
  assert.match(localJobId, /^j-/);
  await screen('analyses');
});

test('EC2 analysis: creating the instance profile needs explicit consent, scoped to the prefix', { skip }, async () => {
  await go('analyses');
  await page.getByLabel('Data', { exact: true }).selectOption('session');
  const session = page.getByLabel('Session', { exact: true });
  const option = session.locator('option').filter({ hasText: SESSION_DONE });
  await option.waitFor({ state: 'attached' });
  await session.selectOption((await option.getAttribute('value'))!);
  await page.getByLabel('Run on').selectOption('ec2');
  await page.getByRole('button', { name: 'Start analysis' }).click();
  const dialog = page.getByRole('dialog', { name: 'Create the analysis instance profile?' });
  await dialog.waitFor({ timeout: 15_000 });
  await dialog
    .getByTestId('scope-read')
    .filter({ hasText: `s3://${bucket}/${PREFIX}*` })
    .waitFor({ timeout: 5_000 });
  assert.equal(await dialog.getByTestId('scope-write').innerText(), `s3://${bucket}/${PREFIX}jobs/*`);
  assert.match(await dialog.innerText(), /scopecloud-analysis/);
  const create = dialog.getByRole('button', { name: 'Create and start analysis' });
  assert.equal(await create.isDisabled(), true, 'nothing is created before the box is ticked');
  assert.equal(await analysisProfileRoles(), null, 'asking created nothing in IAM');
  await dialog.getByLabel('I agree to create this role and instance profile').check();
  await screen('analyses-consent');
  await screen('analyses-consent-dialog', { compare: true, of: dialog });
  await create.click();
  await dialog.waitFor({ state: 'hidden', timeout: 15_000 });
  const card = page.locator('article.analysis').filter({ hasText: 'on EC2' }).filter({ hasText: SESSION_DONE }).first();
  await card.waitFor({ timeout: 15_000 });
  assert.equal(await page.getByRole('alert').count(), 0, 'no error left behind');
  assert.deepEqual(await analysisProfileRoles(), ['scopecloud-analysis'], 'consent created the profile with its role');
  await card.getByRole('button', { name: 'Cancel' }).click();
  await card.and(page.locator('[data-status="cancelled"]')).waitFor({ timeout: 30_000 });
});

let large: LargeResults;
const LARGE_ID = 'j-ui-100k-rois';

test('results: 100,000 ROIs in one draw call, non-blank, hover shows a trace', { skip }, async () => {
  large = await cloneJobWithRois({
    s3: gw.client(),
    bucket,
    prefix: PREFIX,
    fromId: localJobId,
    toId: LARGE_ID,
    name: '100k-rois',
    count: 100_000,
    frames: 120,
  });
  await go(`results/${LARGE_ID}`);
  await page.waitForFunction(() => (window.__scopecloudViewer?.info().frames ?? 0) > 0, undefined, { timeout: 90_000 });
  const info = await page.evaluate(() => window.__scopecloudViewer!.info());
  assert.equal(info.instances, 100_000);
  assert.match(
    await page.getByTestId('results-line').innerText(),
    /^100,000 ROIs \(100,000 cells\) in 30 planes · 4 clusters · 120 frames at 30 Hz · loaded in \d+ ms$/,
  );
  assert.equal(info.calls, 1, 'every ROI in a single draw call');
  assert.equal(info.shape, 'impostor');
  assert.equal(info.triangles, 100_000 * 2, 'one camera-facing quad per ROI');
  const legend = await page.getByRole('list', { name: 'Clusters' }).innerText();
  large.perCluster.forEach((n, k) => assert.match(legend, new RegExp(`cluster ${k + 1}\\s+${n.toLocaleString('en-US')}`)));

  const lit = await page.evaluate(() => {
    const src = document.querySelector<HTMLCanvasElement>('[data-testid="roi-canvas"]')!;
    const c = document.createElement('canvas');
    c.width = 200;
    c.height = 120;
    const ctx = c.getContext('2d')!;
    ctx.drawImage(src, 0, 0, 200, 120);
    const d = ctx.getImageData(0, 0, 200, 120).data;
    const bg = [d[0], d[1], d[2]];
    let differ = 0;
    const colours = new Set<string>();
    for (let i = 0; i < d.length; i += 4) {
      if (Math.abs(d[i] - bg[0]) + Math.abs(d[i + 1] - bg[1]) + Math.abs(d[i + 2] - bg[2]) > 30) differ++;
      colours.add(`${d[i] >> 4},${d[i + 1] >> 4},${d[i + 2] >> 4}`);
    }
    return { fraction: differ / (200 * 120), colours: colours.size };
  });
  assert.ok(lit.fraction > 0.1, `ROIs cover ${Math.round(lit.fraction * 100)}% of the view`);
  assert.ok(lit.colours > 8, 'several cluster colours and shading');
  // The binned activity arrives after the ROIs; the time controls wait for it.
  await page
    .getByTestId('time-readout')
    .filter({ hasText: /^\d+\.\d s$/ })
    .waitFor({ timeout: 60_000 });
  await screen('results');
  // The 3D view and its legend, whose pixels depend only on the ROIs written above.
  await screen('results-3d', { compare: true, of: page.locator('.panel').filter({ has: page.getByTestId('roi-canvas') }) });

  // Hover: the ROI under the pointer gets its trace (the pointer moves until it is over one).
  const box = (await page.getByTestId('roi-canvas').boundingBox())!;
  for (const [fx, fy] of [
    [0.5, 0.5],
    [0.45, 0.55],
    [0.55, 0.45],
    [0.5, 0.6],
    [0.4, 0.5],
    [0.6, 0.5],
  ]) {
    await page.mouse.move(box.x + box.width * fx, box.y + box.height * fy);
    const shown = await page
      .getByTestId('trace-canvas')
      .waitFor({ timeout: 1500 })
      .then(
        () => true,
        () => false,
      );
    if (shown) break;
  }
  await page.getByTestId('trace-canvas').waitFor();
  assert.match(await page.locator('#roi-title').innerText(), /^ROI \d+/);
  await page.locator('img[data-image="covariance"]').waitFor();
  await screen('results-hover');
  await page.locator('img[data-image="covariance"]').scrollIntoViewIfNeeded();
  await screen('results-images');
  const bars = page.locator('.cov-frame');
  assert.equal(Number(await bars.getAttribute('data-cluster-bars')), large.clusters);

  // The traces-by-cluster raster from the binned dF/F.
  const raster = page.getByTestId('raster-canvas');
  await raster.waitFor({ timeout: 30_000 });
  const rasterColours = await raster.evaluate((c: HTMLCanvasElement) => {
    const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    const colours = new Set<string>();
    for (let i = 0; i < d.length; i += 16) colours.add(`${d[i] >> 4},${d[i + 1] >> 4},${d[i + 2] >> 4}`);
    return colours.size;
  });
  assert.ok(rasterColours > 12, `raster has structure (${rasterColours} colours)`);

  // Time slider: recolours the ROIs by activity; still one draw call.
  const sample = () =>
    page.evaluate(() => {
      const src = document.querySelector<HTMLCanvasElement>('[data-testid="roi-canvas"]')!;
      const c = document.createElement('canvas');
      c.width = 160;
      c.height = 96;
      const ctx = c.getContext('2d')!;
      ctx.drawImage(src, 0, 0, 160, 96);
      return Array.from(ctx.getImageData(0, 0, 160, 96).data.filter((_, i) => i % 4 !== 3));
    });
  await page.getByRole('button', { name: 'Activity' }).click();
  await page.waitForFunction(() => window.__scopecloudViewer?.roiScene.colorMode === 'activity');
  await settled();
  const atStart = await sample();
  await page.getByLabel('Time', { exact: true }).focus();
  for (let i = 0; i < 7; i++) await page.keyboard.press('ArrowRight');
  await page.waitForFunction(() => window.__scopecloudViewer!.roiScene.currentFrame === 7);
  await settled();
  const later = await sample();
  let changed = 0;
  for (let i = 0; i < atStart.length; i++) if (Math.abs(atStart[i] - later[i]) > 24) changed++;
  assert.ok(changed / atStart.length > 0.02, `activity colours change with time (${changed} channels)`);
  assert.equal((await page.evaluate(() => window.__scopecloudViewer!.info())).calls, 1, 'still one draw call');
  assert.match(await page.getByTestId('time-readout').innerText(), /^\d+\.\d s$/);
  await screen('results-activity');

  await page.getByRole('button', { name: 'Depth' }).click();
  await page.getByLabel('ROI number').fill('42');
  await page.getByRole('button', { name: 'Show' }).click();
  await page.locator('#roi-title').filter({ hasText: 'ROI 42 (pinned)' }).waitFor();
});

test('every control has a label; keyboard reaches the navigation', { skip }, async () => {
  const headings: Record<string, string> = { acquisition: 'Acquisition', instances: 'Instances', budget: 'Budget', analyses: 'Analyses', settings: 'Settings' };
  for (const view of ['acquisition', 'instances', 'budget', 'analyses', `results/${LARGE_ID}`, 'settings']) {
    await go(view);
    if (headings[view]) await page.getByRole('heading', { name: headings[view], level: 1 }).waitFor();
    else await page.getByTestId('results-line').waitFor({ timeout: 30_000 });
    const unlabeled = await page.evaluate(() => {
      const out: string[] = [];
      for (const el of document.querySelectorAll<HTMLElement>('button, input, select, a[href], canvas[tabindex]')) {
        const id = el.id;
        const name =
          el.getAttribute('aria-label') ||
          (id && document.querySelector(`label[for="${id}"]`)?.textContent) ||
          el.closest('label')?.textContent ||
          el.textContent ||
          el.getAttribute('title') ||
          '';
        if (!name.trim()) out.push(el.outerHTML.slice(0, 80));
      }
      return out;
    });
    assert.deepEqual(unlabeled, [], `unlabelled controls in ${view}`);
  }
  await go('acquisition');
  await page.getByRole('heading', { name: 'Acquisition', level: 1 }).waitFor();
  await page.locator('body').click({ position: { x: 5, y: 400 } });
  await page.keyboard.press('Tab');
  let reached = false;
  for (let i = 0; i < 12 && !reached; i++) {
    reached = await page.evaluate(() => document.activeElement?.textContent?.startsWith('Instances') ?? false);
    if (!reached) await page.keyboard.press('Tab');
  }
  assert.ok(reached, 'Tab reaches the Instances link');
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: 'Instances' }).waitFor();
});

test('1920x1080 and the dark theme', { skip }, async () => {
  await page.setViewportSize({ width: 1920, height: 1080 });
  const ready: Record<string, () => Promise<void>> = {
    acquisition: () => page.locator('tr[data-session]').first().waitFor(),
    instances: () => page.locator(`tr[data-instance="${runningId}"]`).waitFor(),
    budget: () => page.getByRole('img', { name: 'Daily spend this month' }).waitFor(),
    analyses: () => page.locator('article.analysis').first().waitFor(),
    results: async () => {
      await page.waitForFunction(() => (window.__scopecloudViewer?.info().frames ?? 0) > 0, undefined, { timeout: 60_000 });
    },
  };
  for (const view of ['acquisition', 'instances', 'budget', 'analyses', `results/${LARGE_ID}`]) {
    await go(view);
    await ready[view.split('/')[0]]();
    await screen(`1920-${view.split('/')[0]}`);
  }
  await page.emulateMedia({ colorScheme: 'dark' });
  await go('acquisition');
  await ready.acquisition();
  await screen('dark-acquisition');
  await go(`results/${LARGE_ID}`);
  await ready.results();
  await page
    .getByTestId('time-readout')
    .filter({ hasText: /^\d+\.\d s$/ })
    .waitFor({ timeout: 60_000 });
  await screen('dark-results');
  await screen('dark-results-3d', { compare: true, of: page.locator('.panel').filter({ has: page.getByTestId('roi-canvas') }) });
  const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  assert.equal(bg, 'rgb(15, 19, 26)');
  // Nothing is left running in moto's account.
  await api.call('instanceAction', { id: runningId, action: 'terminate', confirmText: 'registration-cpu' });
  assert.deepEqual(pageErrors, []);
});
