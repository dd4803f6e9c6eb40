/**
 * The session manifest, uploaded as `manifest.json` beside the session's files.
 *
 * Schema 2 (JSON; schema 1 differed only in the shape of `tiff`, which came from a TypeScript
 * TIFF reader before the worker's became the only one):
 * {
 *   "schema": 2,
 *   "session": { "root": "/abs/watched/root", "relativePath": "mouse12/2024-05-01" | "", "name": "2024-05-01" },
 *   "closedBy": "marker" | "idle",
 *   "marker"?: "acquisition.done",           // marker file name when closedBy = "marker"
 *   "createdAt": "2024-05-01T10:00:00.000Z",
 *   "generation": 1,                          // bumps when a closed session reopens and closes again
 *   "recordedBy"?: { "owner": "maria", "host": "rig-2" },   // who recorded it (common/owner.ts) on which workstation
 *   "totals": { "files": 12, "bytes": 123456 },
 *   "files": [{
 *     "path": "sub/x.tif",                    // posix, relative to the session folder
 *     "size": 1234, "mtime": "ISO-8601", "mtimeMs": 1714557600000,
 *     "crc32c": "base64 of big-endian CRC32C (as S3 reports it)",
 *     "tiff"?: TiffFacts,                     // as the analysis worker reads it: main/tiff/worker-info.ts
 *     "tiffError"?: { "code": "corrupt", "message": "one line" },   // the worker's kind of problem
 *     "changedWhileReading"?: true            // size/mtime moved during checksumming
 *   }],
 *   "changes"?: {                             // from generation 2 on: what differs from manifest `since`
 *     "since": 1, "added": ["c.tif"], "changed": ["a.tif"], "removed": ["b.tif"]   // paths as in "files"
 *   }
 * }
 *
 * A file is "changed" when its size or CRC32C differs; a new mtime alone is no change. Entries of
 * an earlier manifest (`ManifestInput.previous`) are taken over without reading the file when its
 * size and mtime are still the ones recorded there.
 */
import { basename, relative, sep } from 'node:path';
import { stat as fsStat } from 'node:fs/promises';
import { workerTiffReader, type ReadTiffs, type TiffFacts } from '../tiff/worker-info.ts';
import { findWorkerPath } from '../worker/worker-path.ts';
import { crc32cOfFile } from './checksum.ts';

export const MANIFEST_SCHEMA = 2;
export const MANIFEST_NAME = 'manifest.json';

export interface ManifestFile {
  path: string;
  size: number;
  mtime: string;
  mtimeMs: number;
  crc32c: string;
  tiff?: TiffFacts;
  tiffError?: { code: string; message: string };
  changedWhileReading?: true;
}

export interface Manifest {
  schema: typeof MANIFEST_SCHEMA;
  session: { root: string; relativePath: string; name: string };
  closedBy: 'marker' | 'idle';
  marker?: string;
  createdAt: string;
  generation: number;
  /** Who recorded the session, on which workstation; absent in manifests written before it was. */
  recordedBy?: RecordedBy;
  totals: { files: number; bytes: number };
  files: ManifestFile[];
  changes?: ManifestChanges;
}

export interface RecordedBy {
  owner: string;
  host: string;
}

export interface ManifestChanges {
  /** The generation these changes are relative to. */
  since: number;
  added: string[];
  changed: string[];
  removed: string[];
}

export interface ManifestDeps {
  checksum?: (path: string) => Promise<{ crc32c: string; bytes: number }>;
  /** TIFF facts of the files read anew (default: the worker's `info --each`). */
  readTiffs?: ReadTiffs;
  stat?: (path: string) => Promise<{ size: number; mtimeMs: number }>;
  now?: () => number;
}

export interface ManifestInput {
  root: string;
  /** Absolute session folder. */
  dir: string;
  /** Absolute paths of the session's files. */
  files: readonly string[];
  closedBy: 'marker' | 'idle';
  marker?: string;
  generation?: number;
  /** Entries of the session's last manifest: reused unread while size and mtime match. */
  previous?: readonly ManifestFile[];
  /** Size and mtime just observed per absolute path (the watcher's): compared with `previous` instead of a stat. */
  observed?: ReadonlyMap<string, { size: number; mtimeMs: number }>;
  recordedBy?: RecordedBy;
}

const TIFF_NAME = /\.(tiff?|btf|tf8|tf2)$/i;

export async function buildManifest(input: ManifestInput, deps: ManifestDeps = {}): Promise<Manifest> {
  const checksum = deps.checksum ?? ((path: string) => crc32cOfFile(path));
  const readTiffs = deps.readTiffs ?? workerTiffReader(() => findWorkerPath());
  const statFile = deps.stat ?? fsStat;
  const now = deps.now ?? Date.now;

  const known = new Map((input.previous ?? []).map((entry) => [entry.path, entry]));
  const entries: ManifestFile[] = [];
  /** Files read anew that are TIFFs: their facts are read in one go after the loop. */
  const unread = new Map<string, ManifestFile>();
  for (const path of [...input.files].sort()) {
    const earlier = known.get(relative(input.dir, path).split(sep).join('/'));
    if (earlier && !earlier.changedWhileReading) {
      const seen = input.observed?.get(path) ?? (await statFile(path));
      if (earlier.size === seen.size && earlier.mtimeMs === seen.mtimeMs) {
        entries.push({ ...earlier });
        continue;
      }
    }
    const before = await statFile(path);
    const sum = await checksum(path);
    const after = await statFile(path);
    const entry: ManifestFile = {
      path: relative(input.dir, path).split(sep).join('/'),
      size: sum.bytes,
      mtime: new Date(after.mtimeMs).toISOString(),
      mtimeMs: after.mtimeMs,
      crc32c: sum.crc32c,
    };
    if (before.size !== after.size || before.mtimeMs !== after.mtimeMs || sum.bytes !== after.size) entry.changedWhileReading = true;
    if (TIFF_NAME.test(path)) unread.set(path, entry);
    entries.push(entry);
  }
  if (unread.size > 0) {
    const readings = await readTiffs([...unread.keys()]);
    for (const [path, entry] of unread) {
      const r = readings.get(path);
      if (r && 'facts' in r) entry.tiff = r.facts;
      else entry.tiffError = r?.problem ?? { code: 'unreadable', message: 'no answer from the TIFF reader' };
    }
  }
  const relativePath = relative(input.root, input.dir).split(sep).join('/');
  const manifest: Manifest = {
    schema: MANIFEST_SCHEMA,
    session: { root: input.root, relativePath, name: basename(input.dir) },
    closedBy: input.closedBy,
    createdAt: new Date(now()).toISOString(),
    generation: input.generation ?? 1,
    ...(input.recordedBy ? { recordedBy: { owner: input.recordedBy.owner, host: input.recordedBy.host } } : {}),
    totals: { files: entries.length, bytes: entries.reduce((sum, entry) => sum + entry.size, 0) },
    files: entries,
  };
  if (input.marker !== undefined) manifest.marker = input.marker;
  return manifest;
}

/** What differs between two manifests' files (size or CRC32C; see the module comment). */
export function changesBetween(before: readonly ManifestFile[], after: readonly ManifestFile[]): Omit<ManifestChanges, 'since'> {
  const old = new Map(before.map((entry) => [entry.path, entry]));
  const now = new Set(after.map((entry) => entry.path));
  const added: string[] = [];
  const changed: string[] = [];
  for (const entry of after) {
    const was = old.get(entry.path);
    if (!was) added.push(entry.path);
    else if (was.size !== entry.size || was.crc32c !== entry.crc32c) changed.push(entry.path);
  }
  const removed = before.filter((entry) => !now.has(entry.path)).map((entry) => entry.path);
  return { added: added.sort(), changed: changed.sort(), removed: removed.sort() };
}
