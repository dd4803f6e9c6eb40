/**
 * The record of archived sessions (acquisition/archived-sessions.ts): when a folder is recorded,
 * when it is not, and what survives a reopen, a torn last line and a forget.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { appendFile, mkdir, mkdtemp, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ArchivedSessions, type ArchivedSessionsOptions } from '../../../main/acquisition/archived-sessions.ts';
import { createPathFilter } from '../../../main/watch/patterns.ts';
import type { ManifestFile } from '../../../main/session/manifest.ts';

let work: string;
before(async () => {
  work = await mkdtemp(join(tmpdir(), 'scopecloud-archived-unit-'));
});
after(async () => {
  await rm(work, { recursive: true, force: true });
});

const OLD = new Date(Date.now() - 3_600_000);

/** A session folder `name` under a fresh root with `files` (posix, relative), all an hour old. */
async function session(name: string, files: string[]): Promise<{ root: string; dir: string; manifest: ManifestFile[] }> {
  const root = join(work, name, 'root');
  const dir = join(root, 's1');
  const manifest: ManifestFile[] = [];
  for (const f of files) {
    const path = join(dir, ...f.split('/'));
    await mkdir(join(path, '..'), { recursive: true });
    await writeFile(path, f);
    await utimes(path, OLD, OLD);
    manifest.push({ path: f, size: f.length, mtime: OLD.toISOString(), mtimeMs: OLD.getTime(), crc32c: 'x' });
  }
  await writeFile(join(dir, 'acquisition.done'), '');
  return { root, dir, manifest };
}

async function ageFolders(...dirs: string[]): Promise<void> {
  for (const d of dirs) await utimes(d, OLD, OLD);
}

function options(root: string, verified: Set<string>, extra: Partial<ArchivedSessionsOptions> = {}): ArchivedSessionsOptions {
  return {
    path: join(root, '..', 'archived.jsonl'),
    roots: [root],
    filter: createPathFilter({ include: ['**/*'], exclude: [], markerNames: ['acquisition.done'] }),
    last: async () => undefined,
    verifiedAs: (path) => verified.has(path),
    ...extra,
  };
}

const settled = (s: ArchivedSessions): Promise<void> => s.idle();

test('a folder is recorded once every file is verified, with its folders mtimes, and survives a reopen', async () => {
  const { root, dir, manifest } = await session('recorded', ['a.tif', 'sub/b.tif']);
  await ageFolders(join(dir, 'sub'), dir);
  const verified = new Set([join(dir, 'a.tif')]);
  let s = await ArchivedSessions.open(options(root, verified));
  s.consider(dir, manifest);
  s.verified(join(dir, 'sub', 'b.tif'));
  assert.equal(s.get(dir), undefined, 'b.tif is not verified yet: nothing is recorded');
  verified.add(join(dir, 'sub', 'b.tif'));
  s.verified(join(dir, 'sub', 'b.tif'));
  await settled(s);
  const mtime = async (d: string) => (await stat(d)).mtimeMs;
  assert.deepEqual(s.get(dir), { dirs: { [dir]: await mtime(dir), [join(dir, 'sub')]: await mtime(join(dir, 'sub')) }, files: 2 });
  await s.close();

  s = await ArchivedSessions.open(options(root, verified));
  assert.equal(s.get(dir)?.files, 2, 'read back after a reopen');
  s.forget(dir);
  await s.close();
  s = await ArchivedSessions.open(options(root, verified));
  assert.equal(s.get(dir), undefined, 'a forget is durable');
  await s.close();
});

test('a folder holding a file the manifest does not list, or a temp name, or missing one of its files, is not recorded', async () => {
  for (const [name, change] of [
    ['extra', (dir: string) => writeFile(join(dir, 'new.tif'), 'x')],
    ['temp', (dir: string) => writeFile(join(dir, 'c.tif.part'), 'x')],
    ['missing', (dir: string) => rm(join(dir, 'a.tif'))],
  ] as const) {
    const { root, dir, manifest } = await session(name, ['a.tif', 'b.tif']);
    await change(dir);
    await ageFolders(dir);
    const verified = new Set(manifest.map((f) => join(dir, f.path)));
    const s = await ArchivedSessions.open(options(root, verified));
    s.consider(dir, manifest);
    await settled(s);
    assert.equal(s.get(dir), undefined, name);
    await s.close();
  }
});

test('a folder changed a moment ago is recorded once it has been left alone for a while', async () => {
  const { root, dir, manifest } = await session('fresh', ['a.tif']);
  const verified = new Set([join(dir, 'a.tif')]);
  const pending: Array<() => void> = [];
  const s = await ArchivedSessions.open(
    options(root, verified, {
      timers: {
        setTimeout: (fn: () => void) => pending.push(fn),
        clearTimeout: () => {},
      },
    }),
  );
  s.consider(dir, manifest);
  for (let i = 0; i < 20 && pending.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
  assert.equal(s.get(dir), undefined, 'its folder was just written');
  assert.equal(pending.length, 1, 'walked again later');
  await ageFolders(dir);
  pending.shift()!();
  await settled(s);
  assert.equal(s.get(dir)?.files, 1);
  await s.close();
});

test('a torn last line is dropped at open and the file is rewritten whole', async () => {
  const { root, dir, manifest } = await session('torn', ['a.tif']);
  await ageFolders(dir);
  const verified = new Set([join(dir, 'a.tif')]);
  let s = await ArchivedSessions.open(options(root, verified));
  s.consider(dir, manifest);
  await s.close();
  const path = join(root, '..', 'archived.jsonl');
  await appendFile(path, '{"dir":"/else');
  s = await ArchivedSessions.open(options(root, verified));
  assert.equal(s.get(dir)?.files, 1);
  await s.close();
  const text = await readFile(path, 'utf8');
  assert.ok(text.endsWith('\n') && !text.includes('/else'), text);
});

test('only immediate subfolders of a watched folder are considered', async () => {
  const { root, manifest } = await session('nested', ['a.tif']);
  const s = await ArchivedSessions.open(options(root, new Set([join(root, 'a.tif')])));
  s.consider(root, manifest);
  await settled(s);
  assert.equal(s.get(root), undefined);
  await s.close();
});
