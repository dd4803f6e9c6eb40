/**
 * End-to-end over the real services: `scopecloud serve` as a child process with its own state
 * dir, Debian's Chromium driving the bundled UI. First run chooses a local archive, a watched
 * folder receives a file that must reach "verified" and arrive byte-identical in the archive;
 * when the worker is built, a local analysis of a synthetic movie ends in the Results view with
 * a non-blank 3D view. Screenshots go to /tmp/real-*.png.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { Page } from 'playwright-core';
import { bundleRenderer } from '../../scripts/bundle-renderer.ts';
import { chromiumMissing } from '../support/chromium.ts';
import { startServedUi, type ServedUi } from '../support/served-ui.ts';
import { WORKER_BINARY, runCli, workerMissing } from '../support/cli.ts';
import { calciumMovie } from '../support/calcium-movie.ts';
import { requires } from '../support/requirements.ts';
import { waitFor } from '../support/watch-events.ts';

const skip = requires(chromiumMissing());
const skipWorker = requires(chromiumMissing(), workerMissing());

let dir: string;
let home: string;
let watchDir: string;
let archiveDir: string;
let ui: ServedUi;
let url: string;
let page: Page;
let pageErrors: string[] = [];

before(async () => {
  if (skip) return;
  dir = mkdtempSync(join(tmpdir(), 'scopecloud-real-'));
  home = join(dir, 'home');
  watchDir = join(dir, 'rig-A');
  archiveDir = join(dir, 'lab-archive');
  mkdirSync(watchDir, { recursive: true });
  const env = { SCOPECLOUD_HOME: home, SCOPECLOUD_WORKER: existsSync(WORKER_BINARY) ? WORKER_BINARY : '' };
  for (const [field, value] of [
    ['watch.stableMs', '300'],
    ['watch.reconcileIntervalMs', '2000'],
  ]) {
    const r = await runCli(['config', 'set', field, value], env);
    assert.equal(r.code, 0, r.stderr);
  }
  const rendererDir = join(dir, 'renderer');
  await bundleRenderer({ outDir: rendererDir });
  ui = await startServedUi({ env: { ...process.env, ...env, AWS_EC2_METADATA_DISABLED: 'true' }, rendererDir });
  ({ url, page, pageErrors } = ui);
});

after(async () => {
  if (skip) return;
  await ui?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function go(view: string): Promise<void> {
  await page.evaluate((v) => {
    location.hash = v;
  }, `#/${view}`);
}

test('first run keeps everything local; a watched file is archived, verified and byte-identical', { skip }, async () => {
  await page.goto(url);
  await page.getByRole('heading', { name: 'Welcome to ScopeCloud' }).waitFor();
  await page.getByLabel('Local archive').check();
  await page.getByLabel('Archive folder').fill('relative/archive');
  await page.getByRole('button', { name: 'Use this folder' }).click();
  await page.locator('#fr-archiveDir-msg').filter({ hasText: 'absolute path' }).waitFor();
  await page.getByLabel('Archive folder').fill(archiveDir);
  await page.screenshot({ path: '/tmp/real-first-run.png' });
  await page.getByRole('button', { name: 'Use this folder' }).click();
  await page.getByRole('heading', { name: 'Acquisition' }).waitFor();
  await page.getByText('No folders yet').waitFor();
  await page.screenshot({ path: '/tmp/real-acquisition-empty.png' });
  const saved = JSON.parse(readFileSync(join(home, 'settings.json'), 'utf8')) as {
    target: { kind: string; path: string };
    ui: { firstRunComplete: boolean };
    watch: { stableMs: number };
  };
  assert.deepEqual(saved.target, { kind: 'local', path: archiveDir });
  assert.equal(saved.ui.firstRunComplete, true);
  assert.equal(saved.watch.stableMs, 300, 'the CLI setting survived the first run');

  await page.getByLabel('Folder to watch').fill(join(dir, 'no-such-folder'));
  await page.getByRole('button', { name: 'Watch folder' }).click();
  await page.getByRole('alert').filter({ hasText: 'does not exist' }).waitFor();

  await page.getByLabel('Folder to watch').fill(watchDir);
  await page.getByRole('button', { name: 'Watch folder' }).click();
  await page.locator('ul.folders li').filter({ hasText: watchDir }).filter({ hasText: 'watching' }).waitFor({ timeout: 15_000 });

  const session = join(watchDir, '2025-06-01_mouse7');
  mkdirSync(session);
  const bytes = randomBytes(3 * 1024 * 1024 + 123);
  writeFileSync(join(session, 'frame_0001.tif'), bytes);
  writeFileSync(join(session, 'notes.txt'), 'laser 920 nm\n');
  const row = page.locator('tr[data-file-state="verified"]').filter({ hasText: 'frame_0001.tif' });
  await row.waitFor({ timeout: 30_000 });
  await page.locator('tr[data-file-state="verified"]').filter({ hasText: 'notes.txt' }).waitFor({ timeout: 30_000 });
  assert.match(await row.innerText(), /3\.1 MB \/ 3\.1 MB/);
  assert.match(await page.locator('ul.folders li').innerText(), /1 session · 2 files/);
  await page.waitForFunction(() => !/active/.test(document.querySelector('nav a[href="#/acquisition"]')?.textContent ?? 'active'), undefined, {
    timeout: 10_000,
  });
  await page.screenshot({ path: '/tmp/real-acquisition.png', fullPage: true });

  const archived = join(archiveDir, basename(watchDir), '2025-06-01_mouse7', 'frame_0001.tif');
  assert.ok(readFileSync(archived).equals(bytes), 'the archived copy is byte-identical');

  await page.getByRole('button', { name: 'Pause uploads' }).click();
  await page.getByRole('button', { name: 'Resume uploads' }).waitFor();
  await page.getByRole('button', { name: 'Resume uploads' }).click();
  await page.getByLabel('MB/s').fill('50');
  await page.getByRole('button', { name: 'Apply' }).click();
  await page.locator('#bw-msg').filter({ hasText: 'Currently 50.0 MB/s' }).waitFor();
  const s2 = JSON.parse(readFileSync(join(home, 'settings.json'), 'utf8')) as { upload: { bandwidthLimit: number } };
  assert.equal(s2.upload.bandwidthLimit, 50_000_000);
});

test('AWS views say AWS is not configured in local mode', { skip }, async () => {
  await go('instances');
  const instancesError = page.locator('[data-error-code="NOT_CONFIGURED"]');
  await instancesError.waitFor();
  assert.match(await instancesError.innerText(), /switch the destination to Amazon S3 in Settings/);
  await page.screenshot({ path: '/tmp/real-instances.png' });
  await go('budget');
  await page.locator('[data-error-code="NOT_CONFIGURED"]').filter({ hasText: 'need an AWS account' }).waitFor();
  await go('settings');
  await page.getByText(`Local archive at ${archiveDir}`).waitFor();
  await page.getByRole('radio', { name: 'dark' }).click();
  await page.waitForFunction(() => document.documentElement.dataset.theme === 'dark');
  await page.locator('[role="radio"][aria-checked="true"]').filter({ hasText: 'dark' }).waitFor();
  await page.screenshot({ path: '/tmp/real-settings.png' });
  await page.getByRole('radio', { name: 'system' }).click();
});

test('Settings: spending and watch rules are saved; bad values are named under their field and never saved', { skip }, async () => {
  await go('settings');
  const stored = () =>
    JSON.parse(readFileSync(join(home, 'settings.json'), 'utf8')) as {
      budget: { monthlyLimitUsd: number | null; maxRuntimeHours: number };
      watch: { markerFile: string; stableMs: number; polling: boolean; pollIntervalMs: number; folders: string[] };
    };
  const budget = page.locator('form').filter({ has: page.getByRole('heading', { name: 'Budget and instances' }) });
  await budget.getByLabel('Monthly limit').fill('lots');
  await page.locator('#set-limit-msg').filter({ hasText: 'an amount in US dollars' }).waitFor();
  assert.equal(await budget.getByRole('button', { name: 'Save' }).isDisabled(), true);
  await budget.getByLabel('Monthly limit').fill('250');
  await budget.getByLabel('Instances stop themselves after').fill('4');
  await budget.getByRole('button', { name: 'Save' }).click();
  await page.waitForFunction(() => (document.querySelector('#set-hours') as HTMLInputElement | null)?.value === '4');
  await budget.getByRole('button', { name: 'Save' }).and(page.locator(':disabled')).waitFor({ timeout: 5_000 });
  // the button is disabled while the save is under way too: the file is the answer
  await waitFor('the budget rules in settings.json', () => stored().budget.maxRuntimeHours === 4);
  assert.deepEqual(stored().budget, { monthlyLimitUsd: 250, maxRuntimeHours: 4 });

  const watch = page.locator('form').filter({ has: page.getByRole('heading', { name: 'Watching acquisition folders' }) });
  assert.equal(await watch.getByLabel('A file is complete when unchanged for').inputValue(), '0.3', 'shows the 300 ms set from the CLI');
  await watch.getByLabel('Session marker file').fill('done/marker');
  await page.locator('#set-marker-msg').filter({ hasText: 'without a folder' }).waitFor();
  assert.equal(await watch.getByRole('button', { name: 'Save' }).isDisabled(), true);
  await watch.getByLabel('Session marker file').fill('session.done');
  await watch.getByLabel('A file is complete when unchanged for').fill('0.5');
  await watch.getByLabel('Check the folders by polling').check();
  await watch.getByLabel('Poll every').fill('1');
  await page.screenshot({ path: '/tmp/real-settings-rules.png', fullPage: true });
  await watch.getByRole('button', { name: 'Save' }).click();
  await watch.getByRole('button', { name: 'Save' }).and(page.locator(':disabled')).waitFor({ timeout: 5_000 });
  await waitFor('the watch rules in settings.json', () => stored().watch.markerFile === 'session.done');
  const w = stored().watch;
  assert.deepEqual([w.markerFile, w.stableMs, w.polling, w.pollIntervalMs, w.folders], ['session.done', 500, true, 1000, [watchDir]]);
  assert.deepEqual(stored().budget, { monthlyLimitUsd: 250, maxRuntimeHours: 4 }, 'saving one panel keeps the other');

  // Acquisition restarted with the new rules: a new file under polling is archived.
  await go('acquisition');
  const session = join(watchDir, '2025-06-02_mouse8');
  mkdirSync(session);
  writeFileSync(join(session, 'frame_0001.tif'), randomBytes(64 * 1024));
  await page.locator('tr[data-file-state="verified"]').filter({ hasText: '2025-06-02_mouse8/frame_0001.tif' }).waitFor({ timeout: 30_000 });
  assert.deepEqual(pageErrors, []);
});

test('a local analysis of a synthetic movie ends in the Results view with ROIs in 3D', { skip: skipWorker }, async () => {
  const movieDir = join(dir, 'movies');
  mkdirSync(movieDir);
  const movie = join(movieDir, 'mouse7-plane0.tif');
  writeFileSync(movie, calciumMovie({ width: 96, height: 96, frames: 300, cells: 16, groups: 3, seed: 7 }));

  await go('analyses');
  await page.getByLabel('Folder or TIFF file').fill(movie);
  await page.getByLabel('Clusters (k)').fill('3');
  await page.getByRole('button', { name: 'Start analysis' }).click();
  const card = page.locator('article.analysis').filter({ hasText: 'mouse7-plane0.tif' });
  await card.waitFor();
  await card.and(page.locator('[data-status="done"]')).waitFor({ timeout: 60_000 });
  // the sidebar reads the status topic (at most once a second): under load it may trail the card
  await page.waitForFunction(() => !/running/.test(document.querySelector('nav a[href="#/analyses"]')?.textContent ?? 'running'), undefined, {
    timeout: 30_000,
  });
  await page.screenshot({ path: '/tmp/real-analyses.png' });
  await card.getByRole('button', { name: 'Show log' }).click();
  assert.match(await card.locator('pre.log').innerText(), /worker ended: exited exit 0/);

  await card.getByRole('button', { name: 'Open results' }).click();
  await page.waitForFunction(() => (window.__scopecloudViewer?.info().frames ?? 0) > 0, undefined, { timeout: 30_000 });
  // one plane opens on its anatomy: the ROIs are drawn on the slice, which arrives after the first frames
  await page.waitForFunction(
    () => {
      const v = window.__scopecloudViewer!.info();
      return v.mode !== 'slices' || v.slices > 0;
    },
    undefined,
    { timeout: 30_000 },
  );
  const info = await page.evaluate(() => window.__scopecloudViewer!.info());
  assert.ok(info.instances > 0, 'the worker found ROIs');
  const lit = await page.evaluate(() => {
    // the viewer draws on demand and its last frame may predate the slice: draw one now, with it
    window.__scopecloudViewer!.render();
    const src = document.querySelector<HTMLCanvasElement>('[data-testid="roi-canvas"]')!;
    const c = document.createElement('canvas');
    c.width = 200;
    c.height = 120;
    const ctx = c.getContext('2d')!;
    ctx.drawImage(src, 0, 0, 200, 120);
    const d = ctx.getImageData(0, 0, 200, 120).data;
    let differ = 0;
    for (let i = 0; i < d.length; i += 4) if (Math.abs(d[i] - d[0]) + Math.abs(d[i + 1] - d[1]) + Math.abs(d[i + 2] - d[2]) > 30) differ++;
    return differ / (200 * 120);
  });
  assert.ok(lit > 0.005, `ROIs light up ${Math.round(lit * 1000) / 10}% of the 3D view`);
  await page.getByLabel('ROI number').fill('0');
  await page.getByRole('button', { name: 'Show' }).click();
  await page.getByTestId('trace-canvas').waitFor();
  await page.locator('img[data-image="covariance"]').waitFor();
  await page.locator('img[data-image="plane0-mean"]').waitFor();
  await page.waitForTimeout(300);
  await page.screenshot({ path: '/tmp/real-results.png' });
  await page.locator('img[data-image="covariance"]').scrollIntoViewIfNeeded();
  await page.screenshot({ path: '/tmp/real-results-images.png' });
  assert.deepEqual(pageErrors, []);
});

test('a file the worker refuses fails as an input error, said once in its words; the failed card can be dismissed', { skip: skipWorker }, async () => {
  const notTiff = join(dir, 'movies', 'notes.tif');
  writeFileSync(notTiff, 'laser 920 nm, 30 Hz\n');
  await go('analyses');
  await page.getByLabel('Data', { exact: true }).selectOption('local');
  await page.getByLabel('Folder or TIFF file').fill(notTiff);
  await page.getByRole('button', { name: 'Start analysis' }).click();
  const card = page.locator('article.analysis').filter({ hasText: 'notes.tif' });
  await card.and(page.locator('[data-status="failed"]')).waitFor({ timeout: 30_000 });
  const said = `not a TIFF file: ${notTiff}`;
  assert.equal(await card.getByRole('alert').innerText(), `Input error: ${said}`);
  assert.equal((await card.innerText()).split(said).length - 1, 1, 'the card says it once');
  assert.doesNotMatch(await card.innerText(), /exit code|scopecloud-worker:|worker-crashed/);
  await page.screenshot({ path: '/tmp/real-analysis-input-error.png' });

  await card.getByRole('button', { name: 'Dismiss' }).click();
  await card.waitFor({ state: 'detached' });
  assert.equal(await page.locator('article.analysis[data-status="done"]').count(), 1, 'the finished analysis stays');
  await page.reload();
  await page.getByRole('heading', { name: 'Analyses' }).waitFor();
  await page.locator('article.analysis[data-status="done"]').waitFor();
  assert.equal(await page.locator('article.analysis').filter({ hasText: 'notes.tif' }).count(), 0, 'still gone after a reload');
  assert.deepEqual(pageErrors, []);
});
