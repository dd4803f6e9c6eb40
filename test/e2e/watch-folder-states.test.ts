/**
 * End-to-end over the real services: `scopecloud serve` watches a folder, Chromium shows the
 * Acquisition view. The folder goes away and is not readable in turn; each time the view says so
 * (state, since when, why, and that watching resumes by itself), the sidebar and a notification
 * say a folder is not watched, `scopecloud status` agrees, and once the folder is back the files
 * written meanwhile are archived while the ones archived before are not sent again.
 *
 * Simulated: "drive unmounted" is the folder renamed away and back (its files keep their inodes,
 * as on a drive plugged in again); "permission" is chmod 000, which root ignores, so as root serve
 * and the CLI run as uid/gid 65534 in a work folder that user owns (the browser stays root's).
 * Periodic reconciliation is set to a day, so what is found after a return comes from the
 * catch-up scan. Screenshots: /tmp/folder-*.png.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { bundleRenderer } from '../../scripts/bundle-renderer.ts';
import { chromiumMissing } from '../support/chromium.ts';
import { runCli, UNPRIVILEGED } from '../support/cli.ts';
import { startServedUi, type ServedUi } from '../support/served-ui.ts';
import { requires } from '../support/requirements.ts';

const skip = requires(chromiumMissing());
const asRoot = process.getuid?.() === 0;
const as = asRoot ? UNPRIVILEGED : undefined;

let dir: string;
let home: string;
let rig: string;
let archive: string;
let env: NodeJS.ProcessEnv;
let ui: ServedUi;
let page: Page;
let pageErrors: string[] = [];

/** Hands `path` (and everything below it) to the user serve runs as. */
function own(path: string): void {
  if (!as) return;
  chownSync(path, as.uid, as.gid);
  for (const e of readdirSync(path, { withFileTypes: true })) {
    if (e.isDirectory()) own(join(path, e.name));
    else chownSync(join(path, e.name), as.uid, as.gid);
  }
}

function write(path: string, text: string): void {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, text);
}

before(async () => {
  if (skip) return;
  dir = mkdtempSync(join(tmpdir(), 'scopecloud-folder-states-'));
  home = join(dir, 'home');
  rig = join(dir, 'rig-A');
  archive = join(dir, 'lab-archive');
  write(join(rig, 's1', 'before.tif'), 'frame before');
  env = { SCOPECLOUD_HOME: home, HOME: dir };
  own(dir);
  const config: string[][] = [
    ['target', 'local', archive],
    ['set', 'ui.firstRunComplete', 'true'],
    ['set', 'watch.stableMs', '300'],
    ['set', 'watch.reconcileIntervalMs', '86400000'],
    ['set', 'watch.folders', rig],
  ];
  for (const args of config) {
    const r = await runCli(['config', ...args], env, 60_000, as);
    assert.equal(r.code, 0, r.stderr);
  }
  const rendererDir = join(dir, 'renderer');
  await bundleRenderer({ outDir: rendererDir });
  own(rendererDir);
  ui = await startServedUi({ env: { ...process.env, ...env, AWS_EC2_METADATA_DISABLED: 'true' }, rendererDir, ...(as ? { as } : {}) });
  ({ page, pageErrors } = ui);
});

after(async () => {
  if (skip) return;
  await ui?.stop();
  if (existsSync(rig)) chmodSync(rig, 0o755);
  rmSync(dir, { recursive: true, force: true });
});

const row = () => page.locator('ul.folders li').filter({ hasText: rig });
const verified = (name: string) => page.locator('tr[data-file-state="verified"]').filter({ hasText: name });
const navBadge = () => page.locator('nav a[href="#/acquisition"] .badge');

async function status(): Promise<{
  live: boolean;
  counts: Record<string, number>;
  folders: Array<{ path: string; state: string; reason: string | null; since: number | null }>;
}> {
  const r = await runCli(['status', '--json'], env, 60_000, as);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout);
}

test(
  'a watched folder that goes away shows "missing" with why and since when, then resumes and archives what was written meanwhile, once',
  { skip, timeout: 120_000 },
  async () => {
    await page.goto(ui.url);
    await page.getByRole('heading', { name: 'Acquisition', level: 1 }).waitFor({ timeout: 15_000 });
    await row().and(page.locator('[data-folder-state="watching"]')).waitFor({ timeout: 15_000 });
    await verified('s1/before.tif').waitFor({ timeout: 30_000 });

    const away = `${rig}.unplugged`;
    const before = Date.now();
    renameSync(rig, away);
    const missing = row().and(page.locator('[data-folder-state="missing"]'));
    await missing.waitFor({ timeout: 15_000 });
    assert.equal(await missing.locator('.pill').innerText(), 'missing');
    const reason = await missing.locator('.folder-reason').innerText();
    assert.match(
      reason,
      /^Missing since \d\d:\d\d:\d\d: the folder is not there \(was the drive unmounted, or the folder renamed or deleted\?\)\. Watching resumes by itself when it is back, and files written meanwhile are uploaded then\.$/,
    );
    await navBadge().filter({ hasText: '1 not watched' }).waitFor({ timeout: 10_000 });
    await page
      .locator('.toast')
      .filter({ hasText: 'Not watching rig-A' })
      .filter({ hasText: 'is missing: the folder is not there' })
      .waitFor({ timeout: 10_000 });
    await page.screenshot({ path: '/tmp/folder-missing.png', fullPage: true });

    const s = await status();
    assert.equal(s.live, true);
    assert.deepEqual(
      s.folders.map((f) => [f.path, f.state]),
      [[rig, 'missing']],
    );
    assert.match(s.folders[0].reason ?? '', /the folder is not there/);
    assert.ok(s.folders[0].since !== null && s.folders[0].since >= before - 1000, 'since when it is missing');

    // the drive was written elsewhere while it was away
    write(join(away, 's1', 'meanwhile.tif'), 'frame meanwhile');
    write(join(away, 's2', 'new-session.tif'), 'a new session');
    own(away);
    renameSync(away, rig);
    await row().and(page.locator('[data-folder-state="watching"]')).waitFor({ timeout: 15_000 });
    await verified('s1/meanwhile.tif').waitFor({ timeout: 30_000 });
    await verified('s2/new-session.tif').waitFor({ timeout: 30_000 });
    assert.equal(await row().locator('.folder-reason').count(), 0, 'no reason shown once watched again');
    await navBadge().filter({ hasText: 'not watched' }).waitFor({ state: 'detached', timeout: 10_000 });
    await page.screenshot({ path: '/tmp/folder-back.png', fullPage: true });

    assert.equal(await page.locator('tr').filter({ hasText: 'before.tif' }).count(), 1, 'before.tif is one item, not uploaded again');
    assert.deepEqual(
      readdirSync(join(archive, 'rig-A', 's1'))
        .filter((n) => n.endsWith('.tif'))
        .sort(),
      ['before.tif', 'meanwhile.tif'],
    );
    assert.equal(readFileSync(join(archive, 'rig-A', 's2', 'new-session.tif'), 'utf8'), 'a new session');
    const after = await status();
    assert.deepEqual(
      after.folders.map((f) => [f.state, f.reason]),
      [['watching', null]],
    );
    assert.equal(after.counts.verified, 3, 'three files, each verified once');
    assert.equal(after.counts.failed, 0);
    assert.deepEqual(pageErrors, []);
  },
);

test(
  `a watched folder ScopeCloud may not read shows "not readable" with the reason, then resumes (${asRoot ? 'serve as uid 65534 under root' : 'as this user'})`,
  { skip, timeout: 120_000 },
  async () => {
    await row().and(page.locator('[data-folder-state="watching"]')).waitFor({ timeout: 15_000 });
    // a folder it may not read is refused when added, with the reason
    const closed = join(dir, 'rig-closed');
    mkdirSync(closed, { mode: 0o000 });
    await page.getByLabel('Folder to watch').fill(closed);
    await page.getByRole('button', { name: 'Watch folder' }).click();
    await page
      .getByRole('alert')
      .filter({ hasText: `${closed} cannot be watched: permission denied: ScopeCloud runs as` })
      .waitFor({ timeout: 10_000 });
    chmodSync(closed, 0o755);

    chmodSync(rig, 0o000);
    const unreadable = row().and(page.locator('[data-folder-state="unreadable"]'));
    await unreadable.waitFor({ timeout: 15_000 });
    assert.equal(await unreadable.locator('.pill').innerText(), 'not readable');
    const reason = await unreadable.locator('.folder-reason').innerText();
    assert.match(
      reason,
      /^Not readable since \d\d:\d\d:\d\d: permission denied: ScopeCloud runs as (.+), who may not read this folder \(give that user read access\)\. Watching resumes by itself when it is back/,
    );
    if (asRoot) assert.match(reason, /runs as user nobody \(uid 65534\)/);
    await navBadge().filter({ hasText: '1 not watched' }).waitFor({ timeout: 10_000 });
    await page.screenshot({ path: '/tmp/folder-unreadable.png', fullPage: true });
    const s = await status();
    assert.deepEqual(
      s.folders.map((f) => f.state),
      ['unreadable'],
    );

    // the microscope's account could still write there
    write(join(rig, 's3', 'while-closed.tif'), 'frame while closed');
    own(join(rig, 's3'));
    chmodSync(rig, 0o755);
    await row().and(page.locator('[data-folder-state="watching"]')).waitFor({ timeout: 15_000 });
    await verified('s3/while-closed.tif').waitFor({ timeout: 30_000 });
    assert.equal(readFileSync(join(archive, 'rig-A', 's3', 'while-closed.tif'), 'utf8'), 'frame while closed');
    assert.equal((await status()).counts.verified, 4);
    assert.deepEqual(pageErrors, []);
  },
);
