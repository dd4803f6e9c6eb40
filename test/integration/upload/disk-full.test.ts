/**
 * A full disk under the queue's state (issue #16 point 4), on a real filesystem that fills up: a
 * 2 MiB tmpfs holds the upload journal. While it is full the queue waits and says why (status and
 * event); when space returns it resumes by itself, every file is verified and the journal read
 * back after a restart says so. Needs root to mount the tmpfs (CI runs as root).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createUploadEngine, type UploadEngine, type UploadEvent } from '../../../main/upload/engine.ts';
import { UploadJournal } from '../../../main/upload/journal.ts';
import { MiB } from '../../../main/upload/part-layout.ts';
import { writePatternFile } from '../../support/upload-fixtures.ts';
import { requires } from '../../support/requirements.ts';

function tmpfsMissing(): string | false {
  if (process.platform !== 'linux') return 'a tmpfs mount needs Linux';
  if (process.getuid?.() !== 0) return 'mounting a small tmpfs needs root';
  return false;
}
const skip = requires(tmpfsMissing());

let dir: string;
let small: string;
let mounted = false;
before(async () => {
  if (skip) return;
  dir = await mkdtemp(join(tmpdir(), 'sc-disk-full-'));
  small = join(dir, 'small');
  await mkdir(small);
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', small]);
  mounted = true;
});
after(async () => {
  if (mounted) execFileSync('umount', ['-l', small]);
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Fills the filesystem holding `folder` to the last byte; returns the filler's path. */
async function fill(folder: string): Promise<string> {
  const filler = join(folder, 'filler.bin');
  const chunk = Buffer.alloc(64 * 1024, 7);
  const fh = await (await import('node:fs/promises')).open(filler, 'w');
  try {
    for (;;) await fh.write(chunk);
  } catch (e) {
    assert.equal((e as NodeJS.ErrnoException).code, 'ENOSPC');
  } finally {
    await fh.close();
  }
  // the last partial chunk may have left a few bytes free: take them too
  for (;;) {
    try {
      await writeFile(join(folder, `crumb-${Math.random()}`), 'x');
    } catch {
      break;
    }
  }
  return filler;
}

test('a full disk under the journal: the queue waits and says so, then resumes by itself and loses nothing', { skip }, async () => {
  const src = join(dir, 'src');
  const archive = join(dir, 'archive');
  await mkdir(archive, { recursive: true });
  const names = ['a.tif', 'b.tif', 'c.tif'];
  for (const [i, n] of names.entries()) await writePatternFile(join(src, n), i + 1, 3 * MiB + i);
  const stateDir = join(small, 'state');
  const events: UploadEvent[] = [];
  let e: UploadEngine = createUploadEngine({
    target: { kind: 'folder', root: archive },
    stateDir,
    baseDir: src,
    minPartSize: 5 * MiB,
    backoff: { baseMs: 5, capMs: 20 },
    journal: { diskFullRetryMs: 100 },
  });
  e.subscribe((ev) => events.push(ev));
  await e.start();
  await fill(small);

  const adds = names.map((n) => e.add(join(src, n)));
  const full = await waitFor(() => events.find((ev) => ev.type === 'disk' && ev.full));
  assert.match(
    (full as { message: string }).message,
    new RegExp(`disk holding the upload journal \\(${stateDir.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}\\) is full`),
  );
  assert.match(e.status().diskFull ?? '', /is full/, 'the status says why the queue waits');
  assert.equal(e.list().filter((i) => i.state === 'verified').length, 0, 'nothing verified while no step can be recorded');

  // space returns: nothing to do but wait
  await rm(join(small, 'filler.bin'));
  for (const crumb of (await (await import('node:fs/promises')).readdir(small)).filter((n) => n.startsWith('crumb-'))) await rm(join(small, crumb));
  await Promise.all(adds);
  await e.drain();
  assert.ok(
    events.some((ev) => ev.type === 'disk' && !ev.full),
    'the queue said it resumed',
  );
  assert.equal(e.status().diskFull, undefined);
  assert.deepEqual(
    e.list().map((i) => i.state),
    ['verified', 'verified', 'verified'],
  );
  for (const n of names) assert.ok((await readFile(join(archive, n))).equals(await readFile(join(src, n))), n);
  await e.stop();

  // what the journal says after a restart: the same
  const journal = await UploadJournal.open(stateDir);
  assert.deepEqual(
    [...journal.items.values()].map((i) => i.state),
    ['verified', 'verified', 'verified'],
  );
  await journal.close();
  e = createUploadEngine({ target: { kind: 'folder', root: archive }, stateDir, baseDir: src, minPartSize: 5 * MiB });
  await e.start();
  for (const n of names) await e.add(join(src, n));
  await e.drain();
  assert.deepEqual(
    e.list().map((i) => i.state),
    ['verified', 'verified', 'verified'],
    'nothing sent twice after the restart',
  );
  await e.stop();
});

async function waitFor<T>(probe: () => T | undefined, timeoutMs = 20_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v) return v;
    if (Date.now() > until) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}
