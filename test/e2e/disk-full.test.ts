/**
 * End-to-end over the real services (issue #16 point 4): `scopecloud serve` keeps its state (the
 * upload queue) on a 2 MiB tmpfs that fills up while the microscope writes. Chromium's
 * Acquisition view says the disk is full, which folder, that the files are safe and uploads resume
 * by themselves; once space is free again the banner goes and every file is archived, without a
 * restart. Needs root to mount the tmpfs (CI runs as root). Screenshot: /tmp/disk-full.png.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { bundleRenderer } from '../../scripts/bundle-renderer.ts';
import { chromiumMissing } from '../support/chromium.ts';
import { runCli } from '../support/cli.ts';
import { startServedUi, type ServedUi } from '../support/served-ui.ts';
import { requires } from '../support/requirements.ts';

const skip = requires(chromiumMissing(), process.platform === 'linux' && process.getuid?.() === 0 ? false : 'mounting a small tmpfs needs root on Linux');

let dir: string;
let home: string;
let rig: string;
let archive: string;
let ui: ServedUi;
let page: Page;
let mounted = false;

before(async () => {
  if (skip) return;
  dir = mkdtempSync(join(tmpdir(), 'scopecloud-disk-full-'));
  home = join(dir, 'home');
  rig = join(dir, 'rig-A');
  archive = join(dir, 'lab-archive');
  mkdirSync(home);
  mkdirSync(join(rig, 's1'), { recursive: true });
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', home]);
  mounted = true;
  const env = { SCOPECLOUD_HOME: home, HOME: dir };
  for (const args of [
    ['target', 'local', archive],
    ['set', 'ui.firstRunComplete', 'true'],
    ['set', 'watch.stableMs', '300'],
    ['set', 'watch.folders', rig],
  ]) {
    const r = await runCli(['config', ...args], env, 60_000);
    assert.equal(r.code, 0, r.stderr);
  }
  const rendererDir = join(dir, 'renderer');
  await bundleRenderer({ outDir: rendererDir });
  ui = await startServedUi({ env: { ...process.env, ...env, AWS_EC2_METADATA_DISABLED: 'true' }, rendererDir });
  ({ page } = ui);
});

after(async () => {
  if (skip) return;
  await ui?.stop();
  if (mounted) execFileSync('umount', ['-l', home]);
  rmSync(dir, { recursive: true, force: true });
});

/** Fills the filesystem holding `folder` (64 KiB files, then 1-byte ones); returns the files written. */
function fill(folder: string): string[] {
  const written: string[] = [];
  for (const size of [64 * 1024, 1]) {
    for (;;) {
      const path = join(folder, `filler-${written.length}.bin`);
      try {
        writeFileSync(path, Buffer.alloc(size, 7));
        written.push(path);
      } catch (e) {
        assert.equal((e as NodeJS.ErrnoException).code, 'ENOSPC');
        if (existsSync(path)) written.push(path);
        break;
      }
    }
  }
  return written;
}

test('the disk under the upload queue fills up: the view says so, then uploads resume by themselves', { skip, timeout: 120_000 }, async () => {
  await page.goto(ui.url);
  await page.getByRole('heading', { name: 'Acquisition', level: 1 }).waitFor({ timeout: 15_000 });
  writeFileSync(join(rig, 's1', 'first.tif'), 'frame 1');
  await page.locator('tr[data-file-state="verified"]').filter({ hasText: 's1/first.tif' }).waitFor({ timeout: 30_000 });

  const fillers = fill(home);
  // enough files that their journal records need new pages of the full filesystem
  const frames = Array.from({ length: 30 }, (_, i) => `frame-${String(i + 2).padStart(2, '0')}.tif`);
  for (const f of frames) writeFileSync(join(rig, 's1', f), `frame ${f}`);
  const banner = page.getByTestId('disk-full');
  await banner.waitFor({ timeout: 30_000 });
  const said = await banner.innerText();
  assert.match(said, /the disk is full/i);
  assert.ok(said.includes(join(home, 'queue')), `names the queue's folder: ${said}`);
  assert.match(said, /needs about \d+ MB free/);
  assert.match(said, /acquisition files are safe/);
  // no time-left estimate while nothing can move: it would promise a time the queue cannot keep
  await page.getByText('Waiting for space').waitFor({ timeout: 10_000 });
  await page.screenshot({ path: '/tmp/disk-full.png' });

  for (const f of fillers) rmSync(f, { force: true });
  await banner.waitFor({ state: 'detached', timeout: 30_000 });
  await page.waitForFunction((n) => document.querySelectorAll('tr[data-file-state="verified"]').length >= n, frames.length + 1, { timeout: 60_000 });
  assert.deepEqual(
    readdirSync(join(archive, 'rig-A', 's1'))
      .filter((n) => n.endsWith('.tif'))
      .sort(),
    ['first.tif', ...frames],
  );
});
