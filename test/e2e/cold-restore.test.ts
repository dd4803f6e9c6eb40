/**
 * End-to-end, issue #21 point 3 (restore): an EC2 analysis of a session whose raw file moved to
 * GLACIER, in Chromium over `scopecloud serve`. Launching shows the restore dialog (files, bytes,
 * each tier's cost and wait) and asks S3 for nothing until a tier is chosen and agreed to; the
 * card then says "Restoring from cold storage (Standard, 3-5 hours) since <time>" while nothing is
 * launched; once S3 has restored the file the app launches the instance by itself; cancelling
 * ends it.
 *
 * Real servers: versitygw behind test/support/glacier-proxy.ts as the bucket (the watcher uploads
 * through it), moto for EC2, IAM, SSM, STS and Budgets. No instance simulator: the test stops at
 * the launch. Screenshots: /tmp/cold-restore-dialog.png, /tmp/cold-restore-restoring.png.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { DescribeInstancesCommand, type EC2Client } from '@aws-sdk/client-ec2';
import { chromiumMissing } from '../support/chromium.ts';
import type { ServedUi } from '../support/served-ui.ts';
import { workerMissing } from '../support/cli.ts';
import { motoMissing } from '../support/moto.ts';
import { versitygwMissing } from '../support/versitygw.ts';
import type { GlacierProxy } from '../support/glacier-proxy.ts';
import { startColdUi, type ColdUi } from '../support/cold-ui.ts';
import { requires } from '../support/requirements.ts';
import { syntheticMovie } from '../integration/jobs/synthetic-movie.ts';
import { JOB_TAG } from '../../main/jobs/ec2-runner.ts';

const skip = requires(chromiumMissing(), versitygwMissing(), motoMissing(), workerMissing());
const SESSION = '2026-12-01_cold';
const KEY = `lab/rig-A/${SESSION}/movie.tif`;

let cold: ColdUi;
let proxy: GlacierProxy;
let bucket: string;
let ui: ServedUi;
let page: Page;
let s3: S3Client;
let ec2: EC2Client;

before(async () => {
  if (skip) return;
  cold = await startColdUi({
    name: 'cold-restore-e2e',
    bucket: 'lab-cold-restore',
    owner: 'maria',
    config: [['config', 'set', 'watch.stableMs', '300']],
    async prepare({ dir, cli }) {
      const watch = join(dir, 'rig-A');
      mkdirSync(join(watch, SESSION), { recursive: true });
      writeFileSync(join(watch, SESSION, 'movie.tif'), syntheticMovie({ width: 32, height: 32, frames: 20, cells: 2, seed: 5 }));
      writeFileSync(join(watch, SESSION, 'acquisition.done'), '');
      await cli(['config', 'set', 'watch.folders', watch]);
    },
  });
  ({ proxy, bucket, s3, ec2 } = cold.lab);
  ({ ui, page } = cold);
});

after(async () => {
  if (skip) return;
  await cold?.stop();
});

async function jobInstances(): Promise<string[]> {
  const res = await ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: `tag-key`, Values: [JOB_TAG.job] }] }));
  return (res.Reservations ?? []).flatMap((r) => r.Instances ?? []).map((i) => i.InstanceId!);
}

const asked = () => proxy.restoreRequests.map((r) => [r.key, r.tier]);

async function until(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

test('EC2 analysis of a session in GLACIER: restore dialog, restoring card, then the launch by itself', { skip }, async () => {
  await until(
    `${KEY} uploaded`,
    () =>
      s3.send(new HeadObjectCommand({ Bucket: bucket, Key: KEY })).then(
        () => true,
        () => false,
      ),
    60_000,
  );
  // the lifecycle rule moved it on
  proxy.archive(bucket, KEY, 'GLACIER');

  await page.evaluate(() => {
    location.hash = '#/analyses';
  });
  await page.getByLabel('Data', { exact: true }).selectOption('session');
  const session = page.getByLabel('Session', { exact: true });
  const option = session.locator('option').filter({ hasText: SESSION });
  await option.waitFor({ state: 'attached', timeout: 30_000 });
  await session.selectOption((await option.getAttribute('value'))!);
  await page.getByLabel('Run on').selectOption('ec2');
  await page.getByRole('button', { name: 'Start analysis' }).click();

  const dialog = page.getByRole('dialog', { name: 'Restore the recording from cold storage?' });
  await dialog.waitFor({ timeout: 30_000 });
  const text = await dialog.innerText();
  assert.match(text, /1 file of this session \(\d+(\.\d+)? [kKM]B\) moved to a cold storage class\. S3 must restore it before/);
  // GLACIER offers all three tiers, cheapest first, each with its wait
  assert.deepEqual(await dialog.locator('[data-tier]').evaluateAll((els) => els.map((e) => e.getAttribute('data-tier'))), ['Bulk', 'Standard', 'Expedited']);
  assert.match(await dialog.locator('[data-tier="Standard"]').innerText(), /Standard\s*· under \$0\.01 · ready in 3-5 hours/);
  assert.match(await dialog.locator('[data-tier="Bulk"]').innerText(), /ready in 5-12 hours/);
  assert.match(await dialog.locator('[data-tier="Expedited"]').innerText(), /ready in 1-5 minutes/);
  const go = dialog.getByRole('button', { name: 'Restore and start analysis' });
  assert.equal(await go.isDisabled(), true, 'nothing chosen or agreed yet');
  await dialog.getByLabel(/Standard/).check();
  assert.equal(await go.isDisabled(), true, 'a tier chosen, not yet agreed to');
  await dialog.getByLabel(/I agree to pay for this restore/).check();
  await page.screenshot({ path: '/tmp/cold-restore-dialog.png' });
  assert.deepEqual(asked(), [], 'no restore asked before consent');
  await go.click();
  await dialog.waitFor({ state: 'hidden', timeout: 15_000 });

  const card = page.locator('article.analysis').filter({ hasText: SESSION }).first();
  const restoring = card.getByTestId('analysis-restoring');
  await restoring.waitFor({ timeout: 15_000 });
  assert.match(await restoring.innerText(), /^Restoring from cold storage \(Standard, 3-5 hours\) since \d{4}-\d\d-\d\d \d\d:\d\d$/);
  assert.match(await card.getByTestId('analysis-stage').innerText(), /starts by itself once it is back/);
  await page.screenshot({ path: '/tmp/cold-restore-restoring.png' });
  assert.deepEqual(asked(), [[KEY, 'Standard']]);
  assert.deepEqual(await jobInstances(), [], 'nothing launched while S3 restores');

  proxy.completeRestores();
  // the app checks a restoring job's files at most once a minute
  await restoring.waitFor({ state: 'detached', timeout: 120_000 });
  await until('the instance launch', async () => (await jobInstances()).length === 1, 30_000);
  assert.doesNotMatch(await card.innerText(), /Restoring from cold storage/);

  await card.getByRole('button', { name: 'Cancel' }).click();
  await card.and(page.locator('[data-status="cancelled"]')).waitFor({ timeout: 30_000 });
  assert.deepEqual(ui.pageErrors, []);
});
