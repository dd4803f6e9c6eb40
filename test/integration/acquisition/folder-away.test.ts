/**
 * An upload that failed because its watched folder went away mid-way is retried by itself when
 * the folder is back (acquisition-service.ts), on real folders with a local archive. "Unmounted"
 * is the folder renamed away and back; the upload is held (engine paused) until the folder is
 * gone, so it fails for certain with the file unreadable.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAcquisition } from '../../../main/acquisition/acquisition-service.ts';
import { defaultSettings } from '../../../main/config/schema.ts';

let work: string;
before(async () => {
  work = await mkdtemp(join(tmpdir(), 'scopecloud-folder-away-'));
});
after(async () => {
  await rm(work, { recursive: true, force: true });
});

async function until(what: string, ok: () => boolean, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('an upload failed while its folder was away is retried when the folder is back, and lands once', { timeout: 60_000 }, async () => {
  const rig = join(work, 'rig-A');
  const away = join(work, 'rig-A.unplugged');
  const archive = join(work, 'archive');
  await mkdir(join(rig, 's1'), { recursive: true });
  const base = defaultSettings(archive);
  const settings = { ...base, watch: { ...base.watch, folders: [rig], stableMs: 200 } };
  const lines: string[] = [];
  const acq = await startAcquisition({
    settings,
    queueDir: join(work, 'queue'),
    stagingDir: join(work, 'manifests'),
    watch: true,
    sessionIdleMs: 600_000,
    snapshotMs: 0,
    log: (line) => lines.push(line),
  });
  try {
    const file = join(rig, 's1', 'a.tif');
    acq.engine.pause();
    await writeFile(file, 'frame a');
    const item = () => acq.engine.list().find((i) => i.path === file);
    await until('the file offered as complete', () => item()?.final === true);

    await rename(rig, away);
    await until('the folder missing', () => acq.watcher?.status().roots[0].state === 'missing');
    acq.engine.resume();
    await until('the upload failed: the file is away', () => item()?.state === 'failed');
    assert.match(item()?.error?.code ?? '', /^(FileDeleted|FileUnreadable)$/);

    await rename(away, rig);
    await until('the upload retried and verified', () => item()?.state === 'verified');
    assert.ok(
      lines.some((l) => l === `watch: ${rig} is back; files written while it was away are being uploaded`),
      lines.join('\n'),
    );
    assert.equal(await readFile(join(archive, 'rig-A', 's1', 'a.tif'), 'utf8'), 'frame a');
    assert.deepEqual(
      (await readdir(join(archive, 'rig-A', 's1'))).filter((n) => n.endsWith('.tif')),
      ['a.tif'],
    );
    assert.equal(acq.engine.list().filter((i) => i.path === file).length, 1, 'one item, retried, not a second one');
  } finally {
    await acq.stop();
  }
});
