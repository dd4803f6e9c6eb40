/**
 * End-to-end: the bundled renderer in Debian's Chromium against `scopecloud serve`'s host with
 * the in-memory services. Screenshots of every screen go to /tmp/ui-*.png (look at them).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { bundleRenderer } from '../../scripts/bundle-renderer.ts';
import { startHost, type Host } from '../../main/host/server.ts';
import { createInMemoryServices, type InMemoryServices } from '../support/in-memory-services.ts';
import { chromiumMissing, launchChromium, type Browser } from '../support/chromium.ts';
import { requires } from '../support/requirements.ts';

const skip = requires(chromiumMissing());
let outDir: string;
let host: Host;
let services: InMemoryServices;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];

before(async () => {
  if (skip) return;
  outDir = mkdtempSync(join(tmpdir(), 'scopecloud-ui-'));
  await bundleRenderer({ outDir });
  services = createInMemoryServices({ firstRun: true, roiCount: 100_000, autoTickMs: 250 });
  host = await startHost({ services, rendererDir: outDir });
  browser = await launchChromium({ width: 1280, height: 800 });
  page = browser.context.pages()[0] ?? await browser.context.newPage();
  page.on('pageerror', (e) => pageErrors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error') pageErrors.push(m.text()); });
});

after(async () => {
  if (skip) return;
  await browser?.close();
  await host?.close();
  services?.dispose();
  rmSync(outDir, { recursive: true, force: true });
});

/** Runs `f`, then drops the console errors it caused, which must all be refusals (HTTP 422) it expects. */
async function expectingRefusals(f: () => Promise<void>): Promise<void> {
  const from = pageErrors.length;
  await f();
  const added = pageErrors.splice(from);
  assert.ok(added.length > 0 && added.every((m) => /status of 422/.test(m)), `expected only refusals, got ${added.join(' | ')}`);
}

/** Resolves after the viewer has had two animation frames to render what was requested. */
async function settled(): Promise<void> {
  await page.evaluate(() => new Promise<void>((r) => requestAnimationFrame(() => requestAnimationFrame(() => r()))));
}

async function go(view: string): Promise<void> {
  await page.evaluate((v) => { location.hash = v; }, `#/${view}`);
}

test('first run: AWS problems name the field; the local archive default gets going', { skip }, async () => {
  await page.goto(host.url);
  assert.equal(new URL(page.url()).search, '', 'the token left the address bar');
  await page.getByRole('heading', { name: 'Welcome to ScopeCloud' }).waitFor();
  await page.screenshot({ path: '/tmp/ui-first-run.png' });

  await page.getByLabel('Amazon S3').check();
  await page.getByLabel('Region', { exact: true }).fill('eu-west-1');
  await page.getByLabel('Bucket', { exact: true }).fill('Not_A_Bucket');
  await page.getByRole('button', { name: 'Check and connect' }).click();
  const bucketMsg = page.locator('#fr-bucket-msg');
  await bucketMsg.filter({ hasText: 'lowercase' }).waitFor();
  assert.equal(await page.getByLabel('Bucket', { exact: true }).getAttribute('aria-invalid'), 'true');
  assert.match(await page.getByRole('alert').innerText(), /bucket/);
  await page.screenshot({ path: '/tmp/ui-first-run-aws-error.png' });

  await page.getByLabel('Local archive').check();
  await page.getByLabel('Archive folder').fill('/srv/lab-archive');
  await page.getByRole('button', { name: 'Use this folder' }).click();
  await page.getByRole('heading', { name: 'Acquisition' }).waitFor();
  const saved = services.calls.filter((c) => c.method === 'saveSettings').at(-1)!.req as { mode: string; archiveDir: string };
  assert.deepEqual([saved.mode, saved.archiveDir], ['local', '/srv/lab-archive']);
});

test('acquisition: per-file bytes, pause and resume, bandwidth limit, retry', { skip }, async () => {
  await go('acquisition');
  await page.locator('tr[data-file-state="uploading"]').first().waitFor();
  assert.match(await page.locator('tr[data-file-state="uploading"]').first().innerText(), /\d+(\.\d)? [MG]B \/ 2\.1 GB/);
  await page.screenshot({ path: '/tmp/ui-acquisition.png' });

  await page.getByRole('button', { name: 'Pause uploads' }).click();
  await page.getByRole('button', { name: 'Resume uploads' }).waitFor();
  await page.getByRole('button', { name: 'Resume uploads' }).click();
  await page.getByRole('button', { name: 'Pause uploads' }).waitFor();

  await page.getByLabel('MB/s').fill('fast');
  await page.getByRole('button', { name: 'Apply' }).click();
  await page.locator('#bw-msg').filter({ hasText: 'Enter a number' }).waitFor();
  await page.getByLabel('MB/s').fill('20');
  await page.getByRole('button', { name: 'Apply' }).click();
  await page.locator('#bw-msg').filter({ hasText: 'Currently 20.0 MB/s' }).waitFor();
  assert.deepEqual(services.calls.filter((c) => c.method === 'setBandwidthLimit').map((c) => c.req), [{ bytesPerSec: 20_000_000 }]);

  const sessions = page.locator('tr[data-session]');
  await sessions.nth(2).waitFor();
  assert.equal(await sessions.count(), 3);
  assert.match(await page.locator('tr[data-session="s-mouse11"]').innerText(), /18 \/ 18[\s\S]*closed[\s\S]*uploaded · verified/);
  assert.match(await page.locator('tr[data-session="s-mouse11b"]').innerText(), /1 failed/);
  assert.match(await page.locator('tr[data-session="s-mouse12"]').innerText(), /open/);
  await page.locator('tr[data-session="s-mouse11"]').scrollIntoViewIfNeeded();
  await page.screenshot({ path: '/tmp/ui-acquisition-sessions.png' });

  // Throughput axis: distinct tick labels while moving; one "0 B/s" and a plain message when idle.
  const ticks = () => page.locator('svg[aria-label^="Upload throughput"] [data-tick]').evaluateAll((els) => els.map((e) => e.textContent ?? ''));
  await page.locator('svg[data-chart-state="data"]').waitFor();
  const live = await ticks();
  assert.equal(new Set(live).size, live.length, `tick labels repeat: ${live.join(', ')}`);
  await page.getByRole('button', { name: 'Pause uploads' }).click();
  await page.getByRole('button', { name: 'Resume uploads' }).waitFor();
  services.resetThroughputHistory();
  await page.locator('svg[data-chart-state="idle"]').waitFor();
  assert.deepEqual(await ticks(), ['0 B/s']);
  assert.match(await page.locator('svg[data-chart-state="idle"]').innerHTML(), /Uploads are paused/);
  await page.locator('svg[data-chart-state="idle"]').scrollIntoViewIfNeeded();
  await page.screenshot({ path: '/tmp/ui-acquisition-idle.png' });
  await page.getByRole('button', { name: 'Resume uploads' }).click();
  await page.locator('svg[data-chart-state="data"]').waitFor();

  const failed = page.locator('tr[data-file-state="failed"]');
  assert.match(await failed.innerText(), /Permission denied/);
  await failed.getByRole('button', { name: /Retry/ }).click();
  await page.locator('tr[data-file-state="failed"]').waitFor({ state: 'detached' });
});

test('instances: cost ticks each second; stop explains billing; terminate needs the name', { skip }, async () => {
  await go('instances');
  const cost = page.getByTestId('cost-i-0a1b2c3d4e5f60718');
  await cost.waitFor();
  const first = await cost.innerText();
  await page.waitForFunction(([sel, v]) => document.querySelector(sel)?.textContent !== v, [`[data-testid="cost-i-0a1b2c3d4e5f60718"]`, first] as const);
  const parse = (s: string) => Number(s.replace(/[^0-9.]/g, ''));
  assert.ok(parse(await cost.innerText()) > parse(first), 'cost goes up while running');
  await page.screenshot({ path: '/tmp/ui-instances.png' });

  await page.getByRole('button', { name: 'stop registration-cpu' }).click();
  const dialog = page.getByRole('dialog');
  await dialog.getByText('Compute billing').waitFor();
  assert.match(await dialog.innerText(), /disks are kept and still billed/);
  await page.screenshot({ path: '/tmp/ui-instances-stop.png' });
  await dialog.getByRole('button', { name: 'Stop' }).click();
  await page.locator('tr[data-instance="i-0f9e8d7c6b5a40312"][data-state="stopped"]').waitFor({ timeout: 10_000 });

  await page.getByRole('button', { name: 'terminate old-notebook' }).click();
  const confirm = page.getByRole('dialog').getByRole('button', { name: 'Terminate' });
  await page.getByLabel(/Type .* to confirm/).waitFor();
  assert.equal(await confirm.isDisabled(), true, 'disabled until the name is typed');
  await page.getByLabel(/Type .* to confirm/).fill('old-notebook');
  await page.screenshot({ path: '/tmp/ui-instances-terminate.png' });
  assert.equal(await confirm.isDisabled(), false);
  await page.keyboard.press('Escape');
  await page.getByRole('dialog').waitFor({ state: 'hidden' });

  await page.getByRole('button', { name: 'Launch instance…' }).click();
  await page.getByText(/Projected cost/).waitFor();
  await page.screenshot({ path: '/tmp/ui-instances-launch.png' });
  await page.keyboard.press('Escape');
});

test('budget and analyses render; a local analysis launches and progresses', { skip }, async () => {
  await go('budget');
  await page.getByText('Forecast to month end').waitFor();
  const bar = page.getByTestId('forecast-bar');
  assert.deepEqual(await bar.locator('[data-threshold]').evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-threshold')))), [50, 80, 100]);
  const widths = await bar.evaluate((svg) => ['spent', 'forecast'].map((p) => Number(svg.querySelector(`[data-part="${p}"]`)!.getAttribute('width'))));
  assert.ok(widths[1] > widths[0] && widths[0] > 0, `forecast continues past spend: ${widths}`);
  await page.getByTestId('daily-empty').filter({ hasText: 'Cost Explorer is queried on demand (it costs $0.01 per request)' }).waitFor();
  assert.match(await page.getByTestId('ce-fetched').innerText(), /has not been asked yet/);
  await page.screenshot({ path: '/tmp/ui-budget-empty.png' });
  const refresh = page.getByRole('button', { name: 'Refresh now' });
  await refresh.click();
  await page.getByRole('img', { name: 'Daily spend this month' }).waitFor();
  assert.match(await page.getByTestId('ce-fetched').innerText(), /Cost Explorer figures from .*next refresh can ask AWS at/);
  assert.equal(await refresh.isDisabled(), true, 'the minimum interval holds the button');
  assert.equal(services.calls.filter((c) => c.method === 'refreshBudget').length, 1);
  await page.screenshot({ path: '/tmp/ui-budget.png' });

  await go('analyses');
  await page.getByLabel('Folder or TIFF file').fill('/data/acquisition/2P-rig-A/2025-03-16_mouse14');
  await page.getByRole('button', { name: 'Start analysis' }).click();
  const card = page.locator('article[data-analysis="a-new-1"]');
  await card.waitFor();
  await page.waitForFunction(() => Number(document.querySelector('article[data-analysis="a-new-1"] [role=progressbar]')?.getAttribute('aria-valuenow')) > 0);
  await page.screenshot({ path: '/tmp/ui-analyses.png' });
  await card.and(page.locator('[data-status="done"]')).waitFor({ timeout: 60_000 });
});

test('EC2 analysis: creating the instance profile needs explicit consent, scoped to the prefix', { skip }, () => expectingRefusals(async () => {
  await services.saveSettings({ aws: { profile: 'lab-admin', region: 'eu-west-1', bucket: 'lab-scopecloud', prefix: 'scopecloud/', endpoint: '' } });
  await go('analyses');
  await page.getByLabel('Data', { exact: true }).selectOption('session');
  await page.getByLabel('Session', { exact: true }).selectOption('s-mouse11');
  await page.getByLabel('Run on').selectOption('ec2');
  const before = services.calls.filter((c) => c.method === 'launchAnalysis').length;
  await page.getByRole('button', { name: 'Start analysis' }).click();
  const dialog = page.getByRole('dialog', { name: 'Create the analysis instance profile?' });
  await dialog.waitFor();
  await dialog.getByTestId('scope-read').filter({ hasText: 's3://lab-scopecloud/scopecloud/*' }).waitFor({ timeout: 5_000 });
  assert.equal(await dialog.getByTestId('scope-write').innerText(), 's3://lab-scopecloud/scopecloud/jobs/*');
  assert.match(await dialog.innerText(), /scopecloud-analysis/);
  const create = dialog.getByRole('button', { name: 'Create and start analysis' });
  assert.equal(await create.isDisabled(), true, 'nothing is created before the box is ticked');
  let launches = services.calls.filter((c) => c.method === 'launchAnalysis').slice(before) as Array<{ req: { consentToCreateProfile?: boolean } }>;
  assert.deepEqual(launches.map((c) => c.req.consentToCreateProfile), [undefined], 'first attempt asks without consent and is refused');
  await dialog.getByLabel('I agree to create this role and instance profile').check();
  await page.screenshot({ path: '/tmp/ui-analyses-consent.png' });
  await create.click();
  await dialog.waitFor({ state: 'hidden' });
  launches = services.calls.filter((c) => c.method === 'launchAnalysis').slice(before) as typeof launches;
  assert.deepEqual(launches.map((c) => c.req.consentToCreateProfile), [undefined, true]);
  await page.locator('article[data-analysis="a-new-2"]').waitFor();
  assert.equal(await page.getByRole('alert').count(), 0, 'no error left behind');
}));

test('instances and budget without AWS: a heading, the reason and a way to Settings', { skip }, () => expectingRefusals(async () => {
  services.setAwsConfigured(false);
  try {
    await go('instances');
    await page.getByRole('heading', { name: 'Instances need an AWS account' }).waitFor();
    assert.equal(await page.locator('[data-error-code="NOT_CONFIGURED"]').count(), 1);
    await page.screenshot({ path: '/tmp/ui-instances-not-configured.png' });
    await go('budget');
    await page.getByRole('heading', { name: 'Budget figures need an AWS account' }).waitFor();
    await page.screenshot({ path: '/tmp/ui-budget-not-configured.png' });
    await page.getByRole('link', { name: 'Open Settings to switch to S3' }).click();
    await page.getByRole('heading', { name: 'Settings' }).waitFor();
    assert.match(page.url(), /#\/settings$/);
  } finally {
    services.setAwsConfigured(true);
  }
}));

test('results: 100,000 ROIs in one draw call, non-blank, hover shows a trace', { skip }, async () => {
  await go('results/a-2025-03-14-mouse12');
  await page.waitForFunction(() => (window.__scopecloudViewer?.info().frames ?? 0) > 0, undefined, { timeout: 60_000 });
  const info = await page.evaluate(() => window.__scopecloudViewer!.info());
  assert.equal(info.instances, 100_000);
  assert.match(await page.getByTestId('results-line').innerText(), /^100,000 ROIs \([\d,]+ cells\) in \d+ planes · 4 clusters · 1,200 frames at 30 Hz · loaded in \d+ ms$/);
  assert.equal(info.calls, 1, 'every ROI in a single draw call');
  assert.equal(info.shape, 'impostor');
  assert.equal(info.triangles, 100_000 * 2, 'one camera-facing quad per ROI');

  const lit = await page.evaluate(() => {
    const src = document.querySelector<HTMLCanvasElement>('[data-testid="roi-canvas"]')!;
    const c = document.createElement('canvas');
    c.width = 200; c.height = 120;
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

  const box = (await page.getByTestId('roi-canvas').boundingBox())!;
  for (const [fx, fy] of [[0.5, 0.5], [0.45, 0.55], [0.55, 0.45], [0.5, 0.6]]) {
    await page.mouse.move(box.x + box.width * fx, box.y + box.height * fy);
    if (await page.getByTestId('trace-canvas').count()) break;
    await page.waitForTimeout(200);
  }
  await page.getByTestId('trace-canvas').waitFor();
  assert.match(await page.locator('#roi-title').innerText(), /^ROI \d+/);
  await page.locator('img[data-image="covariance"]').waitFor();
  await page.waitForTimeout(300);
  await page.screenshot({ path: '/tmp/ui-results.png' });
  await page.locator('img[data-image="covariance"]').scrollIntoViewIfNeeded();
  await page.screenshot({ path: '/tmp/ui-results-images.png' });
  // The covariance image carries one colour-bar segment per cluster along both edges.
  const bars = page.locator('.cov-frame');
  assert.equal(Number(await bars.getAttribute('data-cluster-bars')), 4);
  assert.equal(await bars.locator('.cov-bar.h span').count(), 4);
  assert.equal(await bars.locator('.cov-bar.v span').count(), 4);

  // Animated projections and the traces-by-cluster raster.
  const gif = page.locator('img[data-mime="image/gif"]');
  await gif.waitFor();
  assert.ok(await gif.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0), 'the GIF decodes');
  const raster = page.getByTestId('raster-canvas');
  await raster.waitFor();
  const rasterStats = await raster.evaluate((c: HTMLCanvasElement) => {
    const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    const colours = new Set<string>();
    for (let i = 0; i < d.length; i += 16) colours.add(`${d[i] >> 4},${d[i + 1] >> 4},${d[i + 2] >> 4}`);
    return colours.size;
  });
  assert.ok(rasterStats > 12, `raster has structure (${rasterStats} colours)`);

  // Time slider: recolours the ROIs by activity; still one draw call.
  const sample = () => page.evaluate(() => {
    const src = document.querySelector<HTMLCanvasElement>('[data-testid="roi-canvas"]')!;
    const c = document.createElement('canvas');
    c.width = 160; c.height = 96;
    const ctx = c.getContext('2d')!;
    ctx.drawImage(src, 0, 0, 160, 96);
    return Array.from(ctx.getImageData(0, 0, 160, 96).data.filter((_, i) => i % 4 !== 3));
  });
  const slider = page.getByLabel('Time', { exact: true });
  await page.getByRole('button', { name: 'Activity' }).click();
  await page.waitForFunction(() => window.__scopecloudViewer?.roiScene.colorMode === 'activity');
  await settled();
  const atStart = await sample();
  await slider.focus();
  for (let i = 0; i < 7; i++) await page.keyboard.press('ArrowRight');
  await page.waitForFunction(() => window.__scopecloudViewer!.roiScene.currentFrame === 7);
  await settled();
  const later = await sample();
  let changed = 0;
  for (let i = 0; i < atStart.length; i++) if (Math.abs(atStart[i] - later[i]) > 24) changed++;
  assert.ok(changed / atStart.length > 0.02, `activity colours change with time (${changed} channels)`);
  assert.equal((await page.evaluate(() => window.__scopecloudViewer!.info())).calls, 1, 'still one draw call');
  assert.match(await page.getByTestId('time-readout').innerText(), /^\d+\.\d s$/);
  await page.screenshot({ path: '/tmp/ui-results-activity.png' });
  await raster.scrollIntoViewIfNeeded();
  await page.screenshot({ path: '/tmp/ui-results-raster.png' });

  await page.getByRole('button', { name: 'Depth' }).click();
  await page.getByLabel('ROI number').fill('42');
  await page.getByRole('button', { name: 'Show' }).click();
  await page.locator('#roi-title').filter({ hasText: 'ROI 42 (pinned)' }).waitFor();
});

test('every control has a label; keyboard reaches the navigation', { skip }, async () => {
  for (const view of ['acquisition', 'instances', 'budget', 'analyses', 'results/a-2025-03-14-mouse12', 'settings']) {
    await go(view);
    await page.waitForTimeout(600);
    const unlabeled = await page.evaluate(() => {
      const out: string[] = [];
      for (const el of document.querySelectorAll<HTMLElement>('button, input, select, a[href], canvas[tabindex]')) {
        const id = el.id;
        const name = el.getAttribute('aria-label') || (id && document.querySelector(`label[for="${id}"]`)?.textContent) || el.closest('label')?.textContent || el.textContent || el.getAttribute('title') || '';
        if (!name.trim()) out.push(el.outerHTML.slice(0, 80));
      }
      return out;
    });
    assert.deepEqual(unlabeled, [], `unlabelled controls in ${view}`);
  }
  await go('acquisition');
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
  for (const view of ['acquisition', 'instances', 'budget', 'analyses', 'results/a-2025-03-14-mouse12']) {
    await go(view);
    await page.waitForTimeout(view.startsWith('results') ? 4000 : 800);
    await page.screenshot({ path: `/tmp/ui-1920-${view.split('/')[0]}.png` });
  }
  await page.emulateMedia({ colorScheme: 'dark' });
  await go('acquisition');
  await page.waitForTimeout(600);
  await page.screenshot({ path: '/tmp/ui-dark-acquisition.png' });
  await go('results/a-2025-03-14-mouse12');
  await page.waitForTimeout(4000);
  await page.screenshot({ path: '/tmp/ui-dark-results.png' });
  const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  assert.equal(bg, 'rgb(15, 19, 26)');
  assert.deepEqual(pageErrors, []);
});
