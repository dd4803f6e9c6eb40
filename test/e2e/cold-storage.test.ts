/**
 * End-to-end, issue #21 point 3 (the rule): Settings > Cold storage for raw files in Chromium over
 * `scopecloud serve`: absent, the saving per month for the days and class chosen (counted from the
 * bucket), the explanation and consent before anything is written, present after, removed with
 * consent; the bucket's other rule kept throughout.
 *
 * S3 is moto (versitygw answers the lifecycle API with 501), run through
 * test/support/moto_s3_lifecycle.py so a rule's ObjectSizeGreaterThan is kept as S3 keeps it.
 * Screenshots: /tmp/cold-storage-absent.png, /tmp/cold-storage-present.png (look at them).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import {
  CreateBucketCommand,
  GetBucketLifecycleConfigurationCommand,
  PutBucketLifecycleConfigurationCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { bundleRenderer } from '../../scripts/bundle-renderer.ts';
import { chromiumMissing } from '../support/chromium.ts';
import { labEnv, startConfiguredUi, type ServedUi } from '../support/served-ui.ts';
import { WORKER_BINARY, runCli } from '../support/cli.ts';
import { motoExtendedMissing, startMoto, type MotoServer } from '../support/moto.ts';
import { requires } from '../support/requirements.ts';
import { coldRuleId, RAW_MIN_BYTES } from '../../main/upload/cold-storage-plan.ts';

const skip = requires(chromiumMissing(), motoExtendedMissing());
const BUCKET = 'lab-cold-e2e';

let dir: string;
let moto: MotoServer;
let ui: ServedUi;
let page: Page;
let s3: S3Client;

before(async () => {
  if (skip) return;
  dir = mkdtempSync(join(tmpdir(), 'scopecloud-cold-e2e-'));
  moto = await startMoto({ s3LifecycleSizes: true });
  s3 = new S3Client({ region: moto.region, endpoint: moto.endpoint, forcePathStyle: true, credentials: moto.credentials });
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  await s3.send(
    new PutBucketLifecycleConfigurationCommand({
      Bucket: BUCKET,
      LifecycleConfiguration: { Rules: [{ ID: 'expire-scratch', Status: 'Enabled', Filter: { Prefix: 'scratch/' }, Expiration: { Days: 30 } }] },
    }),
  );
  const big = Buffer.alloc(RAW_MIN_BYTES + 1024, 3);
  for (const key of ['lab/rig-A/s1/a.tif', 'lab/rig-A/s1/b.tif', 'lab/rig-A/s1/c.tif'])
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: big }));
  await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'lab/rig-A/s1/manifest.json', Body: '{}' }));
  const watch = join(dir, 'rig-A');
  mkdirSync(watch);
  ui = await startConfiguredUi({
    dir,
    env: labEnv({ dir, owner: 'maria', aws: { s3Endpoint: moto.endpoint, awsEndpoint: moto.endpoint, credentials: moto.credentials } }),
    config: [
      ['config', 'target', 's3', '--bucket', BUCKET, '--prefix', 'lab', '--region', moto.region],
      ['config', 'set', 'watch.folders', watch],
    ],
  });
  page = ui.page;
});

after(async () => {
  if (skip) return;
  await ui?.stop();
  await moto?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const ruleIds = async () => ((await s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket: BUCKET }))).Rules ?? []).map((r) => r.ID).sort();

test('Settings > Cold storage: absent with the saving, consent, present, removed; other rules kept', { skip }, async () => {
  await page.evaluate(() => {
    location.hash = '#/settings';
  });
  const panel = page.locator('.panel', { has: page.getByRole('heading', { name: 'Cold storage for raw files' }) });
  await panel.waitFor({ timeout: 15_000 });
  const state = panel.getByTestId('cold-state');
  await state.waitFor({ timeout: 15_000 });
  assert.match(await state.innerText(), /^Absent: raw files under s3:\/\/lab-cold-e2e\/lab\/rig-A\/ stay in S3 Standard/);
  // Fresh files: none is 30 days old yet; at 0 days the three raw files count, the manifest does not.
  await panel
    .getByTestId('cold-saving')
    .getByText(/\$0\.00 per month on 0\.000 GB in 0 raw files older than 30 days/)
    .waitFor({ timeout: 15_000 });
  await panel.getByLabel('Days after upload').fill('0');
  const gb = (3 * (RAW_MIN_BYTES + 1024)) / 2 ** 30;
  const expected = `$${(gb * (0.023 - 0.004)).toFixed(4)} per month on ${gb.toFixed(3)} GB in 3 raw files older than 0 days`;
  await panel.getByTestId('cold-saving').getByText(expected).waitFor({ timeout: 15_000 });
  assert.match(await panel.getByTestId('cold-saving').innerText(), /no restore needed before an analysis/);
  await panel.getByLabel('Storage class').selectOption('DEEP_ARCHIVE');
  await panel
    .getByTestId('cold-saving')
    .getByText(/Minimum 180 days stored; reading costs \$0\.02\/GB; an analysis must restore/)
    .waitFor({ timeout: 15_000 });
  await panel.getByLabel('Storage class').selectOption('GLACIER_IR');
  await panel.getByTestId('cold-saving').getByText(expected).waitFor({ timeout: 15_000 });

  await panel.getByRole('button', { name: 'Add the rule…' }).click();
  const consent = panel.getByRole('group', { name: 'Add the cold-storage rule' });
  await consent.getByText(/manifest\.json files, analysis results \(jobs\/\) and smaller files stay in STANDARD/).waitFor();
  assert.deepEqual(await ruleIds(), ['expire-scratch'], 'nothing written before consent');
  await page.setViewportSize({ width: 1280, height: 2000 });
  await panel.screenshot({ path: '/tmp/cold-storage-absent.png' });
  await consent.getByRole('button', { name: 'I agree: add the rule' }).click();
  await panel.getByText(/^Present: raw files over 16 MiB under s3:\/\/lab-cold-e2e\/lab\/rig-A\/ move to GLACIER_IR after 0 days/).waitFor({ timeout: 15_000 });
  assert.deepEqual(await ruleIds(), [coldRuleId('lab/rig-A/'), 'expire-scratch'].sort());
  await panel.screenshot({ path: '/tmp/cold-storage-present.png' });

  await panel.getByRole('button', { name: 'Remove the rule…' }).click();
  await panel.getByRole('group', { name: 'Remove the cold-storage rule' }).getByRole('button', { name: 'Remove the rule' }).click();
  await panel.getByText(/^Absent: raw files under/).waitFor({ timeout: 15_000 });
  assert.deepEqual(await ruleIds(), ['expire-scratch']);
  assert.deepEqual(ui.pageErrors, []);
});
