/**
 * What enters the upload engine's queue: a finished file (`add`), a growing file part by part
 * (`offer`), a failed item sent back (`retry`). Every call resolves once the item is durable.
 *
 * Contract of the path → item decision (`#upsert`), for the latest item of a path:
 * - not verified yet: it is updated in place (size, mtime, final) and queued again; a late
 *   "still growing" report never reopens a file already offered as final;
 * - verified: the same size and mtime, or a growing report at the same size, changes nothing; a
 *   file touched but with the same bytes (checksum recomputed with the item's layout) only records
 *   its new mtime; anything else is a new item at the next key version.
 * - A file's key is `options.key`, else the latest item's, else `keyFor(path)`, else its path
 *   relative to `baseDir`, else its name.
 * A closed growing file (`offer(..., final=true)`) is queued as urgent.
 */
import type { FileHandle } from 'node:fs/promises';
import { basename, isAbsolute, relative, resolve, sep } from 'node:path';
import { compositeChecksum, fileRangeChecksum } from './checksum.ts';
import { classifyError, UploadError, UploadOptionsError } from './errors.ts';
import type { UploadItem } from './item.ts';
import type { ItemPatch } from './journal.ts';
import { clippedRange, partCount } from './part-layout.ts';
import type { ItemStore } from './engine-items.ts';
import type { UploadQueue } from './engine-queue.ts';
import type { ItemSnapshot, UploadEngineOptions, UploadFs } from './engine-types.ts';
import type { Clock } from '../common/time.ts';

export interface IntakeDeps {
  options: Pick<UploadEngineOptions, 'keyFor' | 'baseDir'>;
  fs: UploadFs;
  clock: Clock;
  items: Pick<ItemStore, 'journal' | 'get' | 'set' | 'snapshot' | 'emitItem' | 'latestId'>;
  queue: Pick<UploadQueue, 'enqueue'>;
}

export class Intake {
  readonly #d: IntakeDeps;

  constructor(deps: IntakeDeps) {
    this.#d = deps;
  }

  async add(path: string, options: { key?: string } = {}): Promise<ItemSnapshot> {
    const abs = resolve(path);
    const st = await this.#statSource(abs);
    return this.#upsert(abs, st.size, st.mtimeMs, true, options.key);
  }

  async offer(path: string, sizeNow: number, final: boolean, options: { key?: string; mtimeMs?: number } = {}): Promise<ItemSnapshot> {
    if (!Number.isSafeInteger(sizeNow) || sizeNow < 0) throw new UploadOptionsError('sizeNow', `must be a non-negative integer, got ${sizeNow}`);
    const abs = resolve(path);
    if (final) {
      const st = options.mtimeMs !== undefined ? { size: sizeNow, mtimeMs: options.mtimeMs } : await this.#statSource(abs);
      return this.#upsert(abs, st.size, st.mtimeMs, true, options.key, true);
    }
    return this.#upsert(abs, sizeNow, 0, false, options.key);
  }

  async retry(id: string): Promise<void> {
    const item = this.#d.items.get(id);
    if (!item) throw new UploadOptionsError('id', `no upload with id ${id}`);
    if (item.state !== 'failed') return;
    await this.#d.items.set(item, { state: item.final ? 'queued' : 'growing', error: null });
    this.#d.queue.enqueue(item.id);
  }

  async #statSource(path: string): Promise<{ size: number; mtimeMs: number }> {
    try {
      const st = await this.#d.fs.stat(path);
      if (!st.isFile()) throw new UploadError('NotAFile', 'permanent', `not a regular file: ${path}`);
      return st;
    } catch (err) {
      throw classifyError(err, { op: 'stat', where: path });
    }
  }

  #keyFor(path: string): string {
    if (this.#d.options.keyFor) return this.#d.options.keyFor(path);
    if (this.#d.options.baseDir) {
      const rel = relative(resolve(this.#d.options.baseDir), path);
      if (rel && !rel.startsWith('..') && !isAbsolute(rel)) return rel.split(sep).join('/');
    }
    return basename(path);
  }

  async #upsert(path: string, size: number, mtimeMs: number, final: boolean, key?: string, urgent = false): Promise<ItemSnapshot> {
    const latestId = this.#d.items.latestId(path);
    const latest = latestId ? this.#d.items.get(latestId) : undefined;
    if (latest && latest.state !== 'verified') {
      // A late "still growing" report never reopens a file already offered as final.
      if (latest.final && !final) return this.#d.items.snapshot(latest);
      if (latest.size !== size || latest.mtimeMs !== mtimeMs || latest.final !== final) {
        const patch: ItemPatch = { size, mtimeMs, final };
        if (latest.state === 'growing' && final) patch.state = 'queued';
        if (latest.state === 'queued' && !final) patch.state = 'growing';
        await this.#d.items.set(latest, patch);
      }
      if (latest.state !== 'failed') this.#d.queue.enqueue(latest.id, urgent);
      return this.#d.items.snapshot(latest);
    }
    // A verified file seen growing again at the same size has given no sign of change yet (a
    // watcher restart re-reports every file): wait for it to close; the final offer compares bytes.
    if (latest && !final && latest.size === size) return this.#d.items.snapshot(latest);
    if (latest && latest.size === size && final) {
      if (latest.mtimeMs === mtimeMs) return this.#d.items.snapshot(latest);
      // touched but not changed (same bytes): no new version
      if (await this.#sameContent(latest)) {
        await this.#d.items.set(latest, { mtimeMs });
        return this.#d.items.snapshot(latest);
      }
    }
    const baseKey = key ?? latest?.baseKey ?? this.#keyFor(path);
    const item: UploadItem = {
      id: this.#d.items.journal.newId(),
      path,
      baseKey,
      version: latest ? latest.version + 1 : 1,
      size,
      mtimeMs,
      final,
      state: final ? 'queued' : 'growing',
      addedAt: this.#d.clock.now(),
      parts: {},
    };
    await this.#d.items.journal.append({ op: 'put', item });
    this.#d.items.emitItem(item);
    this.#d.queue.enqueue(item.id, urgent);
    return this.#d.items.snapshot(item);
  }

  /** Whether the file still has the bytes of its verified upload (checksum recomputed with its layout). */
  async #sameContent(item: UploadItem): Promise<boolean> {
    if (!item.checksum) return false;
    let fh: FileHandle | undefined;
    try {
      fh = await this.#d.fs.open(item.path, 'r');
      const scratch = Buffer.allocUnsafe(4 * 1024 * 1024);
      if (item.checksum.includes('-') && item.layout) {
        const crcs: string[] = [];
        for (let n = 1; n <= partCount(item.layout, item.size); n++) {
          const r = clippedRange(item.layout, n, item.size);
          crcs.push((await fileRangeChecksum(fh, r.start, r.end, scratch)).crc);
        }
        return compositeChecksum(crcs) === item.checksum.split('-')[0] + '-' + crcs.length || compositeChecksum(crcs) === item.checksum;
      }
      return (await fileRangeChecksum(fh, 0, item.size, scratch)).crc === item.checksum;
    } catch {
      return false;
    } finally {
      await fh?.close();
    }
  }
}
