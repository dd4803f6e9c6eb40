/**
 * The last manifest published for each session, kept so a restart neither reads the session's
 * files again nor publishes an unchanged manifest.
 *
 * One small JSON file per session (`<dir>/<sha256(session dir)[0..16]>.json`), written to a temp
 * file, fsynced and renamed into place, so a record is whole or absent. Records are read only when
 * their session closes: start-up cost does not grow with the number of sessions or files kept.
 * An unreadable or unparseable record reads as absent (the session then gets a new manifest
 * version; nothing is lost).
 */
import * as nodeFs from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { ManifestFile } from './manifest.ts';
import { fsyncDir } from '../common/fsync-dir.ts';

export interface PublishedManifest {
  generation: number;
  /** The staged manifest file handed to the upload queue. */
  staged: string;
  /** Its files; mtimes refreshed when a file was touched without changing. */
  files: ManifestFile[];
}

export interface HistoryFs {
  readFile(path: string, encoding: 'utf8'): Promise<string>;
  writeFile(path: string, data: string): Promise<void>;
  open(path: string, flags: 'r+'): Promise<{ sync(): Promise<void>; close(): Promise<void> }>;
  rename(from: string, to: string): Promise<void>;
  mkdir(path: string, options: { recursive: true }): Promise<unknown>;
}

const realFs: HistoryFs = {
  readFile: (path, encoding) => nodeFs.readFile(path, encoding),
  writeFile: (path, data) => nodeFs.writeFile(path, data),
  open: (path, flags) => nodeFs.open(path, flags),
  rename: (from, to) => nodeFs.rename(from, to),
  mkdir: (path, options) => nodeFs.mkdir(path, options),
};

/** The id a session's record and staged manifests are named by. */
export function sessionId(sessionDir: string): string {
  return createHash('sha256').update(sessionDir).digest('hex').slice(0, 16);
}

function isRecord(value: unknown): value is PublishedManifest {
  const v = value as PublishedManifest | null;
  return typeof v === 'object' && v !== null && Number.isInteger(v.generation) && typeof v.staged === 'string' && Array.isArray(v.files);
}

export class ManifestHistory {
  readonly dir: string;
  readonly #fs: HistoryFs;
  #made = false;

  constructor(dir: string, fs: HistoryFs = realFs) {
    this.dir = dir;
    this.#fs = fs;
  }

  async last(sessionDir: string): Promise<PublishedManifest | undefined> {
    try {
      const parsed: unknown = JSON.parse(await this.#fs.readFile(join(this.dir, `${sessionId(sessionDir)}.json`), 'utf8'));
      return isRecord(parsed) ? parsed : undefined;
    } catch {
      return undefined;
    }
  }

  /** Durable once resolved. */
  async record(sessionDir: string, published: PublishedManifest): Promise<void> {
    if (!this.#made) {
      await this.#fs.mkdir(this.dir, { recursive: true });
      this.#made = true;
    }
    const path = join(this.dir, `${sessionId(sessionDir)}.json`);
    const tmp = `${path}.tmp`;
    await this.#fs.writeFile(tmp, JSON.stringify(published));
    const fh = await this.#fs.open(tmp, 'r+');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
    await this.#fs.rename(tmp, path);
    fsyncDir(this.dir);
  }
}
