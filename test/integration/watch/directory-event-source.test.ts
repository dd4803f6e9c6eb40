/**
 * The directory-only event source on real folders: files created, changed and removed in a
 * folder present at start and in one made later are reported, folders removed are `unlinkDir`,
 * and excluded folders are not watched.
 */
import assert from 'node:assert/strict';
import { appendFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, sep } from 'node:path';
import { after, before, it } from 'node:test';

import { directoryEventSource } from '../../../main/watch/directory-event-source.ts';
import type { EventSource, SourceEventName } from '../../../main/watch/watch-types.ts';

let root: string;
let source: EventSource;
const events: Array<[SourceEventName, string]> = [];
let changed: () => void = () => {};

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'dir-source-'));
  await mkdir(join(root, 'old', 'deep'), { recursive: true });
  await mkdir(join(root, 'skip'));
  source = directoryEventSource([root], (path, isDirectory) => isDirectory !== false && path.endsWith(`${sep}skip`), {
    event: (name, path) => {
      events.push([name, path]);
      changed();
    },
    error: (error) => {
      throw error;
    },
  });
  await source.ready;
});
after(async () => {
  await source.close();
  await rm(root, { recursive: true, force: true });
});

/** Resolves once an event from index `from` on matches. */
function seenWhere(match: (name: SourceEventName, path: string) => boolean, from = 0): Promise<void> {
  return new Promise((resolve) => {
    const check = () => {
      if (events.slice(from).some(([n, p]) => match(n, p))) resolve();
      else changed = check;
    };
    check();
  });
}

/** Resolves once an event `name` for `path` has been reported. */
function seen(name: SourceEventName, path: string): Promise<void> {
  return seenWhere((n, p) => n === name && p === path);
}

it('reports files in a folder present at start, below it, and in a folder made later', { timeout: 10_000 }, async () => {
  const deep = join(root, 'old', 'deep', 'a.tif');
  await writeFile(deep, 'a');
  await seen('add', deep);
  await appendFile(deep, 'b');
  await seen('change', deep);

  const fresh = join(root, 'new', 'inner');
  await mkdir(fresh, { recursive: true });
  await seen('addDir', join(root, 'new'));
  const later = join(fresh, 'b.tif');
  const mark = events.length;
  await writeFile(later, 'b');
  // `inner` may be made after `new` was listed: then its own watch can start after this write,
  // and the source reports `addDir` for it instead (the contract: the consumer scans that folder).
  await seenWhere((n, p) => (n === 'add' && p === later) || (n === 'addDir' && later.startsWith(p + sep)), mark);

  await rm(later);
  await seen('unlink', later);
  await rm(join(root, 'new'), { recursive: true });
  await seen('unlinkDir', join(root, 'new'));
});

it('does not watch an excluded folder', { timeout: 10_000 }, async () => {
  const marker = join(root, 'old', 'after-skip.tif');
  await writeFile(join(root, 'skip', 'x.tif'), 'x');
  await writeFile(marker, 'm');
  // events of one directory arrive in order; those of the excluded one would have come first
  await seen('add', marker);
  assert.deepEqual(
    events.filter(([, p]) => p.includes(`${sep}skip${sep}`)),
    [],
  );
});
