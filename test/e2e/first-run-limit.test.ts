/**
 * End-to-end: the first run's spending-limit question (issue #16 pt 6), in Debian's Chromium
 * against `scopecloud serve` over versitygw (the bucket) and moto (STS, Budgets, EC2). Launches
 * are refused while no limit is known, so choosing Amazon S3 asks for a monthly limit, or that
 * the account has an AWS Budget, or to decide later with the consequence said; nothing is
 * chosen for the user. The local archive is not asked. Screenshots: /tmp/first-run-limit-*.png.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { bundleRenderer } from '../../scripts/bundle-renderer.ts';
import { chromiumMissing } from '../support/chromium.ts';
import { localAwsEnv, startServedUi, type ServedUi } from '../support/served-ui.ts';
import { startVersitygw, versitygwMissing, type Versitygw } from '../support/versitygw.ts';
import { motoMissing, startMoto, type MotoServer } from '../support/moto.ts';
import { requires } from '../support/requirements.ts';
import { hostApi } from '../support/host-api.ts';
import { runCli } from '../support/cli.ts';
import { calciumMovie } from '../support/calcium-movie.ts';

const skip = requires(chromiumMissing(), versitygwMissing(), motoMissing());

let dir: string;
let home: string;
let gw: Versitygw;
let moto: MotoServer;
let bucket: string;
let ui: ServedUi;
let page: Page;
let pageErrors: string[] = [];

before(async () => {
  if (skip) return;
  dir = mkdtempSync(join(tmpdir(), 'scopecloud-first-run-limit-'));
  home = join(dir, 'home');
  [gw, moto] = await Promise.all([startVersitygw({ root: join(dir, 'gw') }), startMoto()]);
  bucket = await gw.createBucket('lab-first-run');
  const env = localAwsEnv({
    home,
    dir,
    worker: '',
    owner: 'newcomer',
    aws: { s3Endpoint: gw.endpoint, awsEndpoint: moto.endpoint, credentials: gw.credentials },
  });
  const quick = await runCli(['config', 'set', 'watch.stableMs', '300'], env);
  assert.equal(quick.code, 0, quick.stderr);
  const rendererDir = join(dir, 'renderer');
  await bundleRenderer({ outDir: rendererDir });
  const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env };
  delete childEnv.AWS_PROFILE;
  ui = await startServedUi({ env: childEnv, rendererDir });
  ({ page, pageErrors } = ui);
});

after(async () => {
  if (skip) return;
  await ui?.stop();
  await Promise.all([gw?.stop(), moto?.stop()]);
  rmSync(dir, { recursive: true, force: true });
});

const stored = () => JSON.parse(readFileSync(join(home, 'settings.json'), 'utf8')) as { target: { kind: string }; budget: { monthlyLimitUsd: number | null } };

test('first run on S3 asks for the monthly limit: no answer and a bad amount are named, a limit is saved', { skip }, async () => {
  await page.goto(ui.url);
  await page.getByRole('heading', { name: 'Welcome to ScopeCloud' }).waitFor();
  assert.equal(await page.getByText('Monthly spending limit').count(), 0, 'the local archive is not asked');
  await page.getByLabel('Amazon S3').check();
  const question = page.locator('fieldset').filter({ has: page.getByText('Monthly spending limit', { exact: true }) });
  await question.waitFor();
  assert.deepEqual(
    await question.getByRole('radio').evaluateAll((rs) => rs.map((r) => (r as HTMLInputElement).checked)),
    [false, false, false],
    'nothing is chosen for the user',
  );
  assert.match(await question.innerText(), /Decide later\s+Launches and EC2 analyses will be refused until a limit is set/);
  await page.getByLabel('AWS profile', { exact: true }).fill('');
  await page.getByLabel('Region', { exact: true }).fill(moto.region);
  await page.getByLabel('Bucket', { exact: true }).fill(bucket);

  await page.getByRole('button', { name: 'Check and connect' }).click();
  const msg = page.locator('#fr-limit-msg');
  await msg.filter({ hasText: 'choose a monthly limit, an AWS Budget, or to decide later' }).waitFor();
  assert.match(await page.getByRole('alert').innerText(), /Please fix monthly limit: choose/);
  await page.screenshot({ path: '/tmp/first-run-limit-unanswered.png' });

  await page.getByLabel('Monthly limit (USD)').fill('lots');
  assert.equal(await page.getByRole('radio', { name: /Set a monthly limit/ }).isChecked(), true, 'typing an amount chooses it');
  await page.getByRole('button', { name: 'Check and connect' }).click();
  await msg.filter({ hasText: 'an amount in US dollars from 0 to 10,000,000' }).waitFor();
  assert.equal(await page.getByRole('heading', { name: 'Welcome to ScopeCloud' }).count(), 1, 'still on the welcome screen');

  await page.getByLabel('Monthly limit (USD)').fill('250');
  await page.screenshot({ path: '/tmp/first-run-limit-s3.png', fullPage: true });
  await page.getByRole('button', { name: 'Check and connect' }).click();
  await page.getByRole('heading', { name: 'Acquisition', level: 1 }).waitFor({ timeout: 15_000 });
  assert.deepEqual([stored().target.kind, stored().budget.monthlyLimitUsd], ['s3', 250]);

  // Settings shows the limit in its own field
  await page.evaluate(() => {
    location.hash = '#/settings';
  });
  assert.equal(await page.locator('#set-limit').inputValue(), '250');
  assert.deepEqual(pageErrors, []);
});

test('"Decide later" saves no limit, and the launch dialog then refuses with the way to Settings', { skip }, async () => {
  // the welcome screen again, on the S3 destination just chosen, without a limit
  await hostApi(ui.url).call('saveSettings', { firstRunComplete: false, budget: { monthlyLimitUsd: null, maxRuntimeHours: 8 } });
  await page.goto(ui.url);
  await page.getByRole('heading', { name: 'Welcome to ScopeCloud' }).waitFor();
  assert.equal(await page.getByLabel('Amazon S3').isChecked(), true);
  await page.getByRole('radio', { name: /Decide later/ }).check();
  await page.getByRole('button', { name: 'Check and connect' }).click();
  await page.getByRole('heading', { name: 'Acquisition', level: 1 }).waitFor({ timeout: 15_000 });
  assert.deepEqual([stored().target.kind, stored().budget.monthlyLimitUsd], ['s3', null]);

  await page.evaluate(() => {
    location.hash = '#/instances';
  });
  await page.getByRole('button', { name: 'Launch instance…' }).click();
  const refusal = page.getByRole('dialog', { name: 'Launch an instance' }).getByTestId('no-spend-limit');
  await refusal.waitFor({ timeout: 15_000 });
  assert.match(await refusal.innerText(), /no spending limit is known/);
  // the status line drops the old limit and the Budget entry says launches are blocked
  await page.waitForFunction(
    () =>
      !/of \$250/.test(document.querySelector('.sidebar-foot')?.textContent ?? '') &&
      /blocked/.test(document.querySelector('nav a[href="#/budget"]')?.textContent ?? ''),
    undefined,
    { timeout: 15_000 },
  );
  await page.screenshot({ path: '/tmp/first-run-limit-later-launch.png' });
  assert.deepEqual(pageErrors, []);
});

test('an EC2 analysis of an uploaded session is refused the same way, with the way to Settings; no instance is launched', { skip }, async () => {
  const rig = join(dir, 'rig-A');
  mkdirSync(join(rig, '2025-06-01_mouse7'), { recursive: true });
  await page.evaluate(() => {
    location.hash = '#/acquisition';
  });
  await page.getByLabel('Folder to watch').fill(rig);
  await page.getByRole('button', { name: 'Watch folder' }).click();
  writeFileSync(join(rig, '2025-06-01_mouse7', 'plane0.tif'), calciumMovie({ width: 32, height: 32, frames: 20, cells: 3, groups: 1, seed: 5 }));
  await page.locator('tr[data-file-state="verified"]').filter({ hasText: 'plane0.tif' }).waitFor({ timeout: 30_000 });

  await page.evaluate(() => {
    location.hash = '#/analyses';
  });
  await page.getByLabel('Data', { exact: true }).selectOption('session');
  await page.getByLabel('Run on').selectOption('ec2');
  await page.getByLabel('Machine').waitFor();
  await page.getByRole('button', { name: 'Start analysis' }).click();
  const refusal = page.getByTestId('no-spend-limit');
  await refusal.waitFor({ timeout: 15_000 });
  assert.match(await refusal.innerText(), /^Launch analysis .* refused: no spending limit is known/);
  assert.equal(await page.getByLabel(/Override the budget guard/).count(), 0, 'no override without a limit');
  assert.equal(await page.getByRole('dialog').count(), 0, 'not asked to create the instance profile: refused before');
  assert.equal(await page.locator('article.analysis').count(), 0, 'no analysis was created');
  await page.screenshot({ path: '/tmp/first-run-limit-analysis.png' });
  await refusal.getByRole('link', { name: 'Set a monthly limit in Settings' }).click();
  await page.waitForFunction(() => document.activeElement?.id === 'set-limit');
  assert.deepEqual(pageErrors, []);
});
