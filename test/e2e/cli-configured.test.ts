/**
 * End-to-end: a student who chose the destination from the CLI (`scopecloud config target local
 * <dir>`) and then runs `scopecloud serve` gets the app, not the welcome screen; Settings' "Change
 * destination…" is titled for what it does, keeps the destination on Cancel and checks a new one
 * before saving it. (The S3 variant is in compute-aws.test.ts.) Screenshots: /tmp/cli-configured-*.png.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { bundleRenderer } from '../../scripts/bundle-renderer.ts';
import { chromiumMissing } from '../support/chromium.ts';
import { runCli } from '../support/cli.ts';
import { startServedUi, type ServedUi } from '../support/served-ui.ts';
import { requires } from '../support/requirements.ts';

const skip = requires(chromiumMissing());

let dir: string;
let home: string;
let archiveDir: string;
let ui: ServedUi;
let page: Page;
let pageErrors: string[] = [];

before(async () => {
  if (skip) return;
  dir = mkdtempSync(join(tmpdir(), 'scopecloud-cli-configured-'));
  home = join(dir, 'home');
  archiveDir = join(dir, 'nas-archive');
  const env = { SCOPECLOUD_HOME: home };
  const r = await runCli(['config', 'target', 'local', archiveDir], env);
  assert.equal(r.code, 0, r.stderr);
  const rendererDir = join(dir, 'renderer');
  await bundleRenderer({ outDir: rendererDir });
  ui = await startServedUi({ env: { ...process.env, ...env, AWS_EC2_METADATA_DISABLED: 'true' }, rendererDir, viewport: { width: 1280, height: 800 } });
  ({ page, pageErrors } = ui);
});

after(async () => {
  if (skip) return;
  await ui?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function savedTarget(): { kind: string; path?: string } {
  return (JSON.parse(readFileSync(join(home, 'settings.json'), 'utf8')) as { target: { kind: string; path?: string } }).target;
}

test('after scopecloud config target local, serve opens on the app, not the welcome screen', { skip }, async () => {
  await page.goto(ui.url);
  await page.getByRole('heading', { name: 'Acquisition', level: 1 }).waitFor({ timeout: 15_000 });
  assert.equal(await page.getByRole('heading', { name: 'Welcome to ScopeCloud' }).count(), 0);
  assert.equal(await page.getByRole('navigation', { name: 'Main' }).isVisible(), true, 'the views are one click away');
  await page.locator('.sidebar-foot').getByText('local archive').waitFor();
  await page.screenshot({ path: '/tmp/cli-configured-opens-app.png' });
  assert.deepEqual(pageErrors, []);
});

test('Settings > Change destination is titled for what it does; Cancel keeps the folder, a new one is checked and saved', { skip }, async () => {
  await page.evaluate(() => {
    location.hash = '#/settings';
  });
  await page.getByRole('heading', { name: 'Settings', level: 1 }).waitFor();
  await page.getByText(`Local archive at ${archiveDir}`).waitFor();
  await page.getByRole('button', { name: 'Change destination…' }).click();
  await page.getByRole('heading', { name: 'Change destination', level: 1 }).waitFor();
  assert.equal(await page.getByText(/Welcome/).count(), 0, 'not the welcome screen');
  assert.equal(await page.getByRole('main').count(), 1, 'one main landmark (the form sits in the app, not a page of its own)');
  assert.equal(await page.getByLabel('Archive folder').inputValue(), archiveDir, 'starts from the current destination');
  await page.screenshot({ path: '/tmp/cli-configured-change-destination.png' });

  await page.getByLabel('Archive folder').fill('/somewhere/else');
  await page.getByRole('button', { name: 'Cancel' }).click();
  await page.getByRole('heading', { name: 'Settings', level: 1 }).waitFor();
  await page.getByText(`Local archive at ${archiveDir}`).waitFor();
  assert.equal(savedTarget().path, archiveDir, 'Cancel saved nothing');

  await page.getByRole('button', { name: 'Change destination…' }).click();
  await page.getByLabel('Archive folder').fill('relative/archive');
  await page.getByRole('button', { name: 'Use this folder' }).click();
  await page.locator('#fr-archiveDir-msg').filter({ hasText: 'must be an absolute path' }).waitFor();
  const moved = join(dir, 'second-archive');
  await page.getByLabel('Archive folder').fill(moved);
  await page.getByRole('button', { name: 'Use this folder' }).click();
  await page.getByText(`Local archive at ${moved}`).waitFor();
  assert.deepEqual(savedTarget(), { kind: 'local', path: moved });
  assert.deepEqual(pageErrors, []);
});
