/**
 * End-to-end, restores from cold storage made visible (the review of #21 pt3): in Chromium over
 * `scopecloud serve`, an analysis waiting for its inputs' restore counts as "restoring" in the
 * sidebar, not running; results whose files moved to GLACIER offer the restore dialog when opened
 * (each tier's wait and cost, "readable for N days" from settings restore.days, set in the Settings
 * view), S3 is asked with
 * the tier picked and those days only after consent, and once S3 has restored the files the app
 * notifies and the results open by themselves.
 *
 * Real servers: versitygw behind test/support/glacier-proxy.ts (restores complete when the test
 * says so) and moto, as in cold-restore.test.ts; the results come from a local analysis by the
 * real worker through the CLI. The app checks restores every 2 minutes, so the notification can
 * take that long. Screenshots: /tmp/restore-results-dialog.png, /tmp/restore-sidebar.png.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { chromiumMissing } from '../support/chromium.ts';
import type { ServedUi } from '../support/served-ui.ts';
import { workerMissing } from '../support/cli.ts';
import { motoMissing } from '../support/moto.ts';
import { versitygwMissing } from '../support/versitygw.ts';
import type { ColdLab } from '../support/cold-lab.ts';
import { startColdUi, type ColdUi } from '../support/cold-ui.ts';
import { requires } from '../support/requirements.ts';
import { syntheticMovie } from '../integration/jobs/synthetic-movie.ts';

const skip = requires(chromiumMissing(), versitygwMissing(), motoMissing(), workerMissing());

let cold: ColdUi;
let lab: ColdLab;
let ui: ServedUi;
let page: Page;
let resultsId: string;
let resultKeys: string[];

before(async () => {
  if (skip) return;
  cold = await startColdUi({
    name: 'restore-visible-e2e',
    bucket: 'lab-restore-visible',
    owner: 'maria',
    config: [['config', 'set', 'restore.days', '5']],
    async prepare({ lab, cli }) {
      const movie = syntheticMovie({ width: 32, height: 32, frames: 20, cells: 2, seed: 7 });
      for (const s of ['warm', 'cold']) await lab.s3.send(new PutObjectCommand({ Bucket: lab.bucket, Key: `lab/sessions/${s}/movie.tif`, Body: movie }));
      lab.proxy.archive(lab.bucket, 'lab/sessions/cold/movie.tif', 'GLACIER');
      // finished results in the bucket (the real worker, locally), then a lifecycle rule moved them on
      const done = JSON.parse(await cli(['analyze', 'sessions/warm', '--local', '--k', '2', '--fs', '10', '--name', 'warm session', '--json'], 180_000)) as {
        id: string;
        state: string;
      };
      assert.equal(done.state, 'done');
      resultsId = done.id;
      const listed = await lab.s3.send(new ListObjectsV2Command({ Bucket: lab.bucket, Prefix: `lab/jobs/${resultsId}/results/` }));
      resultKeys = (listed.Contents ?? []).map((o) => o.Key!);
      assert.ok(resultKeys.length > 3, `results written (${resultKeys.join(', ')})`);
      for (const k of resultKeys) lab.proxy.archive(lab.bucket, k, 'GLACIER');
      // an EC2 analysis of the cold session, agreed to: it waits as restoring, nothing launched
      await cli(['analyze', 'sessions/cold', '--instance-type', 'c7i.2xlarge', '--restore-tier', 'Standard', '--detach', '--name', 'cold session']);
    },
  });
  ({ lab, ui, page } = cold);
});

after(async () => {
  if (skip) return;
  await cold?.stop();
});

test('restoring is its own count in the sidebar; archived results: tier picked in the dialog, notified when readable', { skip }, async () => {
  // the sidebar: the restoring analysis is not "running"
  const badge = page.locator('nav a[href="#/analyses"] .badge');
  await badge.waitFor({ timeout: 30_000 });
  await page.waitForFunction(() => /restoring/.test(document.querySelector('nav a[href="#/analyses"] .badge')?.textContent ?? ''), null, { timeout: 30_000 });
  assert.equal(await badge.innerText(), '1 restoring');
  assert.match((await badge.getAttribute('class')) ?? '', /badge-idle/);
  await page.locator('aside.sidebar').screenshot({ path: '/tmp/restore-sidebar.png' });

  // Settings: the days set through the CLI, changed here to 6 (31 is refused on the spot)
  await page.evaluate(() => {
    location.hash = '#/settings';
  });
  const days = page.getByLabel('Restored copies stay readable for');
  await days.waitFor({ timeout: 15_000 });
  assert.equal(await days.inputValue(), '5');
  const save = page.locator('form[aria-labelledby="set-restore"]').getByRole('button', { name: 'Save' });
  await days.fill('31');
  assert.equal(await save.isDisabled(), true);
  assert.match(await page.locator('#set-restore-days-msg').innerText(), /a whole number of days from 1 to 30/);
  await days.fill('6');
  await save.click();
  await page.waitForFunction(
    () => (document.querySelector('form[aria-labelledby="set-restore"] button.primary') as HTMLButtonElement | null)?.disabled === true,
  );
  await page.locator('form[aria-labelledby="set-restore"]').screenshot({ path: '/tmp/restore-settings-days.png' });

  // the archived results: opening them offers the restore
  await page.evaluate((id) => {
    location.hash = `#/results/${encodeURIComponent(id)}`;
  }, resultsId);
  const archived = page.getByTestId('results-archived');
  await archived.waitFor({ timeout: 30_000 });
  assert.equal(await page.locator('.note-error').count(), 0, "no error for S3's refusal: the view offers the restore instead");
  assert.match(
    await archived.innerText(),
    new RegExp(`These results are in cold storage: ${resultKeys.length} files \\(\\d+(\\.\\d+)? [kKM]B\\) must be restored before they can be opened`),
  );
  await archived.getByRole('button', { name: /Restore from cold storage/ }).click();
  const dialog = page.getByRole('dialog', { name: 'Restore these results from cold storage?' });
  await dialog.waitFor({ timeout: 15_000 });
  assert.deepEqual(await dialog.locator('[data-tier]').evaluateAll((els) => els.map((e) => e.getAttribute('data-tier'))), ['Bulk', 'Standard', 'Expedited']);
  assert.match(await dialog.locator('[data-tier="Bulk"]').innerText(), /Bulk\s*· \$0\.00 · ready in 5-12 hours/);
  assert.match(await dialog.locator('[data-tier="Standard"]').innerText(), /Standard\s*· under \$0\.01 · ready in 3-5 hours/);
  assert.match(await dialog.locator('[data-tier="Expedited"]').innerText(), /Expedited\s*· \$0\.\d\d · ready in 1-5 minutes/);
  assert.match(await dialog.getByTestId('restore-days').innerText(), /^Once restored, the copies are readable for 6 days, billed as S3 Standard/);
  const go = dialog.getByRole('button', { name: 'Restore results' });
  await dialog.getByLabel(/Bulk/).check();
  assert.equal(await go.isDisabled(), true, 'a tier chosen, not yet agreed to');
  await dialog.getByLabel(/I agree to pay for this restore \(Bulk, \$0\.00\)/).check();
  await page.screenshot({ path: '/tmp/restore-results-dialog.png' });
  const before = lab.proxy.restoreRequests.filter((r) => r.key.startsWith(`lab/jobs/${resultsId}/`));
  assert.deepEqual(before, [], 'nothing asked before consent');
  await go.click();
  await dialog.waitFor({ state: 'hidden', timeout: 15_000 });

  const restoring = page.getByTestId('results-restoring');
  await restoring.waitFor({ timeout: 15_000 });
  assert.match(await restoring.innerText(), /^Restoring from cold storage \(Bulk, 5-12 hours\) since \d{4}-\d\d-\d\d \d\d:\d\d\. ScopeCloud tells you when/);
  const asked = lab.proxy.restoreRequests.filter((r) => r.key.startsWith(`lab/jobs/${resultsId}/`));
  assert.deepEqual(asked.map((r) => r.key).sort(), [...resultKeys].sort());
  assert.deepEqual([...new Set(asked.map((r) => `${r.tier} ${r.days}`))], ['Bulk 6'], 'the tier picked, the days of settings restore.days');

  // S3 restores them: the app notices on its next check and says so
  lab.proxy.completeRestores();
  const toast = page.locator('.toast').filter({ hasText: /Restored from cold storage: results of warm session/ });
  await toast.waitFor({ timeout: 200_000 });
  assert.match(await toast.innerText(), /Readable now, for 6 days \(Bulk restore\)/);
  // the analysis's inputs (restore asked by the CLI, found at start-up) are announced in the same round
  await page
    .locator('.toast')
    .filter({ hasText: /Restored from cold storage: cold session/ })
    .waitFor({ timeout: 15_000 });
  await page.screenshot({ path: '/tmp/restore-results-notified.png' });

  // and the results open by themselves (the view asks again every 10 s)
  await page.getByTestId('results-line').waitFor({ timeout: 30_000 });
  assert.equal(await page.getByTestId('results-archived').count(), 0);
  assert.deepEqual(ui.pageErrors, []);
});
