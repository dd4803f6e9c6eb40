/**
 * Session manifests across restarts: what a closing session publishes, given what was published
 * for it before (session/manifest-history.ts).
 *
 * Contract:
 * - `build` reads only files whose size or mtime differ from the session's last manifest (or that
 *   it did not list); the other entries (CRC32C, TIFF facts) are taken over;
 * - `publish` stages and queues a manifest only when the files differ from the last published one
 *   in name, size or CRC32C; it then has generation last + 1 and `changes` naming the differences.
 *   An unchanged session publishes nothing; its last manifest is handed to the queue again in case
 *   a crash came between recording it and queueing it (the queue ignores a file it already holds);
 * - staged manifests are `<stagingDir>/<session id>.g<generation>.manifest.json`; the record is
 *   written after the staged file and before queueing, so a crash leaves no manifest unqueued;
 * - a session without record whose staged manifests an earlier version left (`.g1`, `.g2`, ...)
 *   takes the newest as its last manifest, so an update does not republish every session.
 */
import * as nodeFs from 'node:fs/promises';
import { join } from 'node:path';
import {
  buildManifest,
  changesBetween,
  MANIFEST_NAME,
  type Manifest,
  type ManifestDeps,
  type ManifestFile,
  type ManifestInput,
  type RecordedBy,
} from '../session/manifest.ts';
import { ManifestHistory, sessionId, type PublishedManifest } from '../session/manifest-history.ts';

export interface StagingFs {
  readFile(path: string, encoding: 'utf8'): Promise<string>;
  writeFile(path: string, data: string, options: { flush: true }): Promise<void>;
  stat(path: string): Promise<unknown>;
}

const realFs: StagingFs = {
  readFile: (path, encoding) => nodeFs.readFile(path, encoding),
  writeFile: (path, data, options) => nodeFs.writeFile(path, data, options),
  stat: (path) => nodeFs.stat(path),
};

export interface SessionManifestsOptions {
  stagingDir: string;
  history: ManifestHistory;
  /** Queues a staged manifest under its key; resolves once the queue holds it durably. */
  queue(staged: string, key: string): Promise<void>;
  manifestDeps?: ManifestDeps;
  fs?: StagingFs;
  /** Written into every manifest built (who recorded the session; the storage bill per person reads it). */
  recordedBy?: RecordedBy;
}

export type PublishOutcome =
  { kind: 'published'; generation: number; staged: string; changes?: Manifest['changes'] } | { kind: 'unchanged'; generation: number };

export class SessionManifests {
  readonly #o: SessionManifestsOptions;
  readonly #fs: StagingFs;
  /** The last manifest `build` found per session, for the `publish` that follows it. */
  readonly #found = new Map<string, (PublishedManifest & { recorded: boolean }) | undefined>();

  constructor(options: SessionManifestsOptions) {
    this.#o = options;
    this.#fs = options.fs ?? realFs;
  }

  readonly build = async (input: ManifestInput, deps?: ManifestDeps): Promise<Manifest> => {
    const last = await this.#last(input.dir);
    this.#found.set(input.dir, last);
    const by = this.#o.recordedBy ? { recordedBy: this.#o.recordedBy } : {};
    return buildManifest({ ...input, ...by, ...(last ? { previous: last.files } : {}) }, deps ?? this.#o.manifestDeps);
  };

  /** `sessionKey`: the session folder's key; the manifest goes to `<sessionKey>/manifest.json`. */
  async publish(manifest: Manifest, sessionDir: string, sessionKey: string): Promise<PublishOutcome> {
    const last = this.#found.has(sessionDir) ? this.#found.get(sessionDir) : await this.#last(sessionDir);
    this.#found.delete(sessionDir);
    if (last) {
      const changes = changesBetween(last.files, manifest.files);
      if (changes.added.length + changes.changed.length + changes.removed.length === 0) {
        const refreshed = manifest.files.some((file, i) => file.mtimeMs !== last.files[i]?.mtimeMs);
        if (refreshed || !last.recorded) await this.#o.history.record(sessionDir, { generation: last.generation, staged: last.staged, files: manifest.files });
        if (await this.#exists(last.staged)) await this.#o.queue(last.staged, `${sessionKey}/${MANIFEST_NAME}`);
        return { kind: 'unchanged', generation: last.generation };
      }
      manifest = { ...manifest, generation: last.generation + 1, changes: { since: last.generation, ...changes } };
    } else {
      manifest = { ...manifest, generation: 1 };
    }
    const staged = this.#stagedPath(sessionDir, manifest.generation);
    await this.#fs.writeFile(staged, JSON.stringify(manifest, null, 2), { flush: true });
    await this.#o.history.record(sessionDir, { generation: manifest.generation, staged, files: manifest.files });
    await this.#o.queue(staged, `${sessionKey}/${MANIFEST_NAME}`);
    return { kind: 'published', generation: manifest.generation, staged, ...(manifest.changes ? { changes: manifest.changes } : {}) };
  }

  #stagedPath(sessionDir: string, generation: number): string {
    return join(this.#o.stagingDir, `${sessionId(sessionDir)}.g${generation}.${MANIFEST_NAME}`);
  }

  async #exists(path: string): Promise<boolean> {
    try {
      await this.#fs.stat(path);
      return true;
    } catch {
      return false;
    }
  }

  /** The record, else the newest staged manifest an earlier version left (`recorded: false`). */
  async #last(sessionDir: string): Promise<(PublishedManifest & { recorded: boolean }) | undefined> {
    const recorded = await this.#o.history.last(sessionDir);
    if (recorded) return { ...recorded, recorded: true };
    let found: (PublishedManifest & { recorded: boolean }) | undefined;
    for (let generation = 1; ; generation++) {
      const staged = this.#stagedPath(sessionDir, generation);
      let files: ManifestFile[];
      try {
        files = (JSON.parse(await this.#fs.readFile(staged, 'utf8')) as Manifest).files;
      } catch {
        return found;
      }
      if (!Array.isArray(files)) return found;
      found = { generation, staged, files, recorded: false };
    }
  }
}
