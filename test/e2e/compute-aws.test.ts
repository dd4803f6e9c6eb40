/**
 * End-to-end over the real services for instances, prices and budget: `scopecloud serve` as a
 * child process with moto behind it (AWS_ENDPOINT_URL; EC2 through a recording proxy), the
 * Pricing API test server (AWS_ENDPOINT_URL_PRICING) and Cost Explorer results seeded in moto;
 * Debian's Chromium drives the bundled UI. A Spot launch from the launch dialog must reach EC2 as
 * a one-time Spot request; the price table can be refreshed from the UI; the budget view's daily
 * chart draws the days Cost Explorer returned. Screenshots: /tmp/compute-*.png (look at them).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { DescribeInstancesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { bundleRenderer } from '../../scripts/bundle-renderer.ts';
import { loadPriceTable } from '../../main/cost/price-table.ts';
import { chromiumMissing } from '../support/chromium.ts';
import { startServedUi, type ServedUi } from '../support/served-ui.ts';
import { runCli } from '../support/cli.ts';
import { awsQueryOperation, startFaultProxy, type FaultProxy } from '../support/fault-proxy.ts';
import { motoMissing, seedAl2023, startMoto, type MotoServer } from '../support/moto.ts';
import { computeDocument, gp3Document } from '../support/price-list-documents.ts';
import { startPricingServer, type PricingServer } from '../support/pricing-server.ts';
import { requires } from '../support/requirements.ts';

const skip = requires(chromiumMissing(), motoMissing());

let dir: string;
let moto: MotoServer;
let proxy: FaultProxy;
let pricing: PricingServer;
let ui: ServedUi;
let url: string;
let page: Page;
let pageErrors: string[] = [];
const runBodies: URLSearchParams[] = [];

const now = new Date();
const ym = `${now.getUTCFullYear()}-${String(now.getUTCMonth() + 1).padStart(2, '0')}`;
const days = Array.from({ length: Math.max(1, now.getUTCDate() - 1) }, (_, k) => k + 1);
const dayResult = (d: number) => ({
  TimePeriod: { Start: `${ym}-${String(d).padStart(2, '0')}`, End: `${ym}-${String(d + 1).padStart(2, '0')}` },
  Total: {},
  Groups: [
    { Keys: ['Amazon Elastic Compute Cloud - Compute'], Metrics: { UnblendedCost: { Amount: String(4 + (d % 5) * 3), Unit: 'USD' } } },
    { Keys: ['Amazon Simple Storage Service'], Metrics: { UnblendedCost: { Amount: '1.5', Unit: 'USD' } } },
  ],
  Estimated: true,
});
const expectedDays = days.length;

before(async () => {
  if (skip) return;
  dir = mkdtempSync(join(tmpdir(), 'scopecloud-compute-'));
  const home = join(dir, 'home');
  moto = await startMoto();
  await seedAl2023(moto);
  await moto.post('/moto-api/static/ce/cost-and-usage-results', {
    results: [
      { ResultsByTime: days.map(dayResult) },
      { ResultsByTime: [{ TimePeriod: { Start: `${ym}-01`, End: `${ym}-28` }, Total: {}, Groups: [{ Keys: ['scopecloud:owner$newcomer'], Metrics: { UnblendedCost: { Amount: '60', Unit: 'USD' } } }], Estimated: true }] },
    ],
  });
  proxy = await startFaultProxy({ target: moto.endpoint, operationOf: awsQueryOperation, bufferBody: true });
  proxy.setRules([{ match: (op, req) => { if (op === 'RunInstances') runBodies.push(new URLSearchParams(req.body?.toString('utf8'))); return false; }, fault: { kind: 'drop-request' } }]);
  const shipped = loadPriceTable();
  pricing = await startPricingServer([
    ...Object.keys(shipped.instanceTypes).map((t) => computeDocument({ instanceType: t, regionCode: 'us-east-1', usdPerHour: (shipped.regions['us-east-1']!.hourly[t]! * 1.05).toFixed(10) })),
    gp3Document('us-east-1', '0.0800000000'),
  ], { pageSize: 10 });

  const env = { SCOPECLOUD_HOME: home, SCOPECLOUD_OWNER: 'newcomer' };
  for (const args of [['target', 's3', '--bucket', 'lab-compute', '--region', moto.region], ['set', 'ui.firstRunComplete', 'true'], ['set', 'budget.monthlyLimitUsd', '400']]) {
    const r = await runCli(['config', ...args], env);
    assert.equal(r.code, 0, r.stderr);
  }
  const rendererDir = join(dir, 'renderer');
  await bundleRenderer({ outDir: rendererDir });
  const childEnv: NodeJS.ProcessEnv = {
    ...process.env,
    ...env,
    AWS_ENDPOINT_URL: moto.endpoint,
    AWS_ENDPOINT_URL_EC2: proxy.endpoint,
    AWS_ENDPOINT_URL_PRICING: pricing.endpoint,
    AWS_ACCESS_KEY_ID: moto.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: moto.credentials.secretAccessKey,
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_CONFIG_FILE: join(dir, 'no-aws-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(dir, 'no-aws-credentials'),
  };
  delete childEnv.AWS_PROFILE;
  ui = await startServedUi({ env: childEnv, rendererDir, viewport: { width: 1280, height: 900 } });
  ({ url, page, pageErrors } = ui);
});

after(async () => {
  if (skip) return;
  await ui?.stop();
  await Promise.all([proxy?.stop(), pricing?.stop()]);
  await moto?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function ec2(): EC2Client {
  return new EC2Client({ region: moto.region, endpoint: moto.endpoint, credentials: moto.credentials });
}

async function go(view: string): Promise<void> {
  await page.evaluate((v) => { location.hash = v; }, `#/${view}`);
}

test('a Spot launch from the launch dialog reaches EC2 as a one-time Spot request', { skip }, async () => {
  await page.goto(url);
  await go('instances');
  await page.getByRole('heading', { name: 'Instances' }).waitFor({ timeout: 15_000 });
  await page.getByTestId('prices-line').filter({ hasText: 'shipped table of 2025-06-01' }).waitFor({ timeout: 15_000 });
  await page.getByRole('button', { name: 'Launch instance…' }).click();
  const launch = page.getByRole('dialog');
  await launch.getByText(/Projected cost/).waitFor({ timeout: 15_000 });
  assert.equal(await launch.getByLabel(/On-demand/).isChecked(), true, 'on-demand is the default');
  await launch.getByLabel(/Spot \(cheaper, can be interrupted\)/).check();
  await launch.getByTestId('spot-basis').waitFor();
  const text = await launch.innerText();
  assert.match(text, /AWS can take it back at any time/);
  assert.match(text, /Projected cost at most \$/);
  assert.match(text, /on-demand price used here/);
  await launch.getByLabel('Name').fill('spot-from-ui');
  // The lab's limit per instance (settings budget.maxRuntimeHours, default 8 h) bounds the plan.
  await launch.getByLabel(/Planned hours/).fill('9');
  await launch.locator('#launch-hours-msg').filter({ hasText: "At most 8 h: the lab's limit per instance" }).waitFor();
  assert.equal(await launch.getByRole('button', { name: 'Launch' }).isDisabled(), true, 'a plan over the limit cannot be launched');
  await launch.getByLabel(/Planned hours/).fill('2');
  await launch.getByText(/Projected cost/).waitFor({ timeout: 15_000 });
  await page.screenshot({ path: '/tmp/compute-launch-spot.png' });
  const before = runBodies.length;
  await launch.getByRole('button', { name: 'Launch' }).click();
  await launch.waitFor({ state: 'hidden', timeout: 15_000 });
  const row = page.locator('tr[data-instance]').filter({ hasText: 'spot-from-ui' });
  await row.waitFor({ timeout: 20_000 });
  await row.getByText('spot', { exact: true }).waitFor();
  const id = (await row.getAttribute('data-instance'))!;
  await page.screenshot({ path: '/tmp/compute-instances-spot.png' });

  assert.equal(runBodies.length, before + 1, 'one RunInstances');
  const body = runBodies.at(-1)!;
  assert.equal(body.get('InstanceMarketOptions.MarketType'), 'spot');
  assert.equal(body.get('InstanceMarketOptions.SpotOptions.SpotInstanceType'), 'one-time');
  assert.equal(body.get('InstanceInitiatedShutdownBehavior'), 'terminate');
  const inst = (await ec2().send(new DescribeInstancesCommand({ InstanceIds: [id] }))).Reservations?.[0]?.Instances?.[0];
  assert.ok(inst?.Tags?.some((t) => t.Key === 'scopecloud:market' && t.Value === 'spot'), 'tagged as Spot in EC2');
  assert.ok(inst?.Tags?.some((t) => t.Key === 'scopecloud:max-runtime' && t.Value === '120'), 'it ends itself after the planned 2 h');
  // moto 5 records the lifecycle but does not return InstanceLifecycle; real EC2 does
  if (inst?.InstanceLifecycle !== undefined) assert.equal(inst.InstanceLifecycle, 'spot');
  assert.deepEqual(pageErrors, []);
});

test('prices refresh from the Pricing API from the Instances view and name the new table', { skip }, async () => {
  await go('instances');
  await page.getByRole('button', { name: 'Refresh prices' }).click();
  await page.getByRole('status').filter({ hasText: /Prices refreshed from the AWS Pricing API for us-east-1/ }).waitFor({ timeout: 20_000 });
  await page.getByTestId('prices-line').filter({ hasText: /Prices: AWS Pricing API, fetched \d{4}-\d{2}-\d{2}/ }).waitFor({ timeout: 10_000 });
  assert.ok(pricing.requests.some((r) => r.target === 'AWSPriceListService.GetProducts'));
  await page.screenshot({ path: '/tmp/compute-prices-refreshed.png' });
  assert.deepEqual(pageErrors, []);
});

test('the budget view draws one bar per day Cost Explorer returned', { skip }, async () => {
  await go('budget');
  await page.getByRole('heading', { name: 'Budget' }).waitFor();
  const chart = page.getByRole('img', { name: /Daily spend this month/ });
  await chart.waitFor({ timeout: 20_000 });
  const bars = chart.locator('rect.bar');
  assert.equal(await bars.count(), expectedDays);
  const heights = await bars.evaluateAll((rs) => rs.map((r) => Number(r.getAttribute('height'))));
  assert.ok(heights.every((h) => h > 0), `every day has a visible bar (${heights.join(', ')})`);
  assert.ok(new Set(heights).size > 1 || expectedDays === 1, 'bar heights follow the amounts');
  await page.screenshot({ path: '/tmp/compute-budget-daily.png', fullPage: true });
  assert.deepEqual(pageErrors, []);
});
