/**
 * One file's transfer: what the upload engine does each time an item runs, from the file on disk to
 * a verified object.
 *
 * Contract of `transfer(item, signal)`:
 * 1. A step left in doubt (a completion or single upload journaled, not confirmed) is settled
 *    first (engine-recovery.ts).
 * 2. The file is stat'ed: a final file that changed since it was offered starts over with its new
 *    size; one that shrank after bytes were sent fails (FileTruncated).
 * 3. A final file of at most one part goes in one request (when the target supports it), anything
 *    else as multipart: the upload id is journaled as soon as it exists, each part (with its
 *    CRC32C) after the target acknowledged it. A growing file sends only its complete parts.
 * 4. Before completing, parts acknowledged earlier than this process read the final file are
 *    re-read and re-sent if their bytes changed; the file must still have the size and mtime the
 *    upload is based on; the expected composite checksum is journaled; after completing, the
 *    object's checksum must equal it. Only then is the item `verified`.
 * Throws `Requeue` when the item must run again (its journal state already says why): it changed
 * while being read, its key holds other bytes (it moved to the next version) or its upload vanished.
 * Memory: every part buffer and re-check scratch buffer comes from the shared pool.
 */
import type { FileHandle } from 'node:fs/promises';
import type { BufferPool } from './buffer-pool.ts';
import { compositeChecksum, crc32cBase64, fileRangeChecksum } from './checksum.ts';
import { classifyError, UploadError } from './errors.ts';
import { itemKey, partList, type PartRecord, type UploadItem } from './item.ts';
import { bandedLayout, clippedRange, completePartCount, partCount, uniformLayout, type PartLayout } from './part-layout.ts';
import type { UploadTarget } from './target.ts';
import type { ItemStore } from './engine-items.ts';
import type { Recovery } from './engine-recovery.ts';
import type { RequestRunner } from './engine-requests.ts';
import type { UploadFs } from './engine-types.ts';
import type { Clock } from '../common/time.ts';

/** Concurrent re-checks of acknowledged parts at completion, and each one's read buffer. */
const RECHECK_WORKERS = 3;
const RECHECK_SCRATCH = 2 * 1024 * 1024;

/** Thrown inside a transfer to put the item back in the queue (its journal state already updated). */
export class Requeue extends Error {}

export interface TransferDeps {
  target: UploadTarget;
  fs: UploadFs;
  clock: Clock;
  memory: BufferPool;
  minPart: number;
  items: Pick<ItemStore, 'set' | 'journal'>;
  requests: Pick<RequestRunner, 'send' | 'simple'>;
  recovery: Pick<Recovery, 'inDoubt' | 'reconcileParts' | 'abortStrayUploads' | 'abortOrAbandon'>;
  /** An item was just verified. */
  onVerified(): void;
  /** This queue's id (engine.ts), given to createUpload. */
  queueId(): string | undefined;
}

export class Transfer {
  readonly #d: TransferDeps;
  /** Parts read after the file was final in this process (no re-check needed), per item. */
  readonly #fresh = new Map<string, Set<number>>();
  /** Uploads reconciled with ListParts in this process. */
  readonly #listed = new Set<string>();

  constructor(deps: TransferDeps) {
    this.#d = deps;
  }

  async transfer(item: UploadItem, signal: AbortSignal): Promise<void> {
    // 1. Steps that may have happened before a crash or a lost response.
    const doubt = await this.#d.recovery.inDoubt(item, signal);
    if (doubt?.state === 'match') return this.#markVerified(item, doubt.checksum);
    if (doubt?.state === 'mismatch') return this.#bumpVersion(item, signal);

    // 2. Is the file still what the item describes?
    let st: { size: number; mtimeMs: number };
    try {
      st = await this.#d.fs.stat(item.path);
    } catch (err) {
      throw classifyError(err, { op: 'stat', where: item.path });
    }
    const started = Object.keys(item.parts).length > 0 || item.uploadId !== undefined;
    if (st.size < item.size && started)
      throw new UploadError('FileTruncated', 'permanent', `file truncated during upload: ${item.path} was ${item.size} bytes, now ${st.size}`);
    if (item.final && (st.size !== item.size || st.mtimeMs !== item.mtimeMs)) {
      if (started) await this.discardUpload(item, signal);
      await this.#d.items.set(item, { size: st.size, mtimeMs: st.mtimeMs });
    }

    // 3. One request, or parts.
    let fh: FileHandle;
    try {
      fh = await this.#d.fs.open(item.path, 'r');
    } catch (err) {
      throw classifyError(err, { op: 'open', where: item.path });
    }
    try {
      const single = this.#d.target.supportsSingle && item.final && !item.uploadId && item.size <= uniformLayout(item.size, this.#d.minPart).base;
      if (single) await this.#single(item, fh, signal);
      else await this.#multipart(item, fh, signal);
    } finally {
      await fh.close();
    }
  }

  async #markVerified(item: UploadItem, checksum: string): Promise<void> {
    await this.#d.items.set(item, {
      state: 'verified',
      checksum,
      verifiedAt: this.#d.clock.now(),
      uploadId: null,
      parts: {},
      single: null,
      expected: null,
      error: null,
    });
    this.#fresh.delete(item.id);
    this.#listed.delete(item.id);
    this.#d.onVerified();
  }

  /** The key holds bytes that are not this file's: move to the next version. */
  async #bumpVersion(item: UploadItem, signal: AbortSignal): Promise<never> {
    await this.discardUpload(item, signal);
    await this.#d.items.set(item, { version: item.version + 1, single: null, expected: null });
    throw new Requeue();
  }

  /** Aborts the item's unfinished upload (if any) and forgets its parts. */
  async discardUpload(item: UploadItem, signal: AbortSignal): Promise<void> {
    if (item.uploadId) await this.#d.recovery.abortOrAbandon(item, itemKey(item), item.uploadId, signal);
    await this.#d.items.set(item, { uploadId: null, parts: {}, layout: null, expected: null, single: null });
    this.#fresh.delete(item.id);
    this.#listed.delete(item.id);
  }

  /** Fills `buf` with the file's bytes from `start`. */
  async #readRange(item: UploadItem, fh: FileHandle, start: number, buf: Buffer): Promise<Buffer> {
    let pos = 0;
    while (pos < buf.length) {
      let bytesRead: number;
      try {
        ({ bytesRead } = await fh.read(buf, pos, buf.length - pos, start + pos));
      } catch (err) {
        throw classifyError(err, { op: 'read', where: item.path });
      }
      if (bytesRead === 0)
        throw new UploadError(
          'FileTruncated',
          'permanent',
          `file truncated during upload: ${item.path} ended at byte ${start + pos}, expected ${item.size} bytes`,
        );
      pos += bytesRead;
    }
    return buf;
  }

  async #single(item: UploadItem, fh: FileHandle, signal: AbortSignal): Promise<void> {
    const key = itemKey(item);
    const mem = await this.#d.memory.acquire(item.size, signal);
    let reuse = false;
    try {
      const { size, mtimeMs } = item;
      const body = await this.#readRange(item, fh, 0, mem.buf);
      await this.#assertUnchanged(item, size, mtimeMs, signal);
      const crc = crc32cBase64(body);
      await this.#d.items.set(item, { single: { crc } });
      const outcome = await this.#d.requests.send(item, 'PutObject', key, signal, (io) => this.#d.target.putSingle(key, body, crc, io));
      reuse = true;
      const v = await this.#d.requests.simple('HeadObject', key, signal, (s) => this.#d.target.verify(key, { checksum: crc, size: item.size }, s));
      if (v.state === 'match') return this.#markVerified(item, v.checksum);
      if (outcome === 'exists' || v.state === 'mismatch') return this.#bumpVersion(item, signal);
      throw new UploadError('VerifyFailed', 'retryable', `object missing right after upload: ${this.#d.target.describe(key)}`);
    } finally {
      mem.release(reuse);
    }
  }

  /** Throws (and resets the upload) when the file changed since the item's size/mtime were recorded. */
  async #assertUnchanged(item: UploadItem, size: number, mtimeMs: number, signal: AbortSignal): Promise<void> {
    let st: { size: number; mtimeMs: number };
    try {
      st = await this.#d.fs.stat(item.path);
    } catch (err) {
      const e = classifyError(err, { op: 'stat', where: item.path });
      if (e.code === 'FileDeleted') throw new UploadError('FileDeleted', 'permanent', `file deleted during upload: ${item.path}`);
      throw e;
    }
    if (st.size < size) throw new UploadError('FileTruncated', 'permanent', `file truncated during upload: ${item.path} was ${size} bytes, now ${st.size}`);
    if (st.size !== size || st.mtimeMs !== mtimeMs) {
      // modified while being read: the bytes sent may be stale, start over with the new content
      await this.discardUpload(item, signal);
      await this.#d.items.set(item, { size: st.size, mtimeMs: st.mtimeMs });
      throw new Requeue();
    }
  }

  async #multipart(item: UploadItem, fh: FileHandle, signal: AbortSignal): Promise<void> {
    // offer() may change size/final while this runs; work from the values at the start
    const { size, mtimeMs, final } = item;
    const layout: PartLayout = item.layout ?? (final ? uniformLayout(size, this.#d.minPart) : bandedLayout(this.#d.minPart));
    const available = final ? partCount(layout, size) : completePartCount(layout, size);
    if (!final && available === 0) return;
    let key = itemKey(item);
    if (!item.uploadId) {
      const taken = await this.#d.requests.simple('HeadObject', key, signal, (s) => this.#d.target.exists(key, s));
      if (taken) return this.#bumpVersion(item, signal);
      // An intent left by an earlier create of this item (a lost response, a crash the start-up sweep could not settle).
      if (item.creating) await this.#d.recovery.abortStrayUploads(item.creating, signal);
      const intent = { key, at: this.#d.clock.now() };
      await this.#d.items.set(item, { creating: intent });
      let attempts = 0;
      const uploadId = await this.#d.requests.simple('CreateMultipartUpload', key, signal, (s) => {
        attempts++;
        return this.#d.target.createUpload(key, s, this.#d.queueId());
      });
      await this.#d.items.set(item, { uploadId, layout, parts: {}, creating: attempts > 1 ? undefined : null });
      // An earlier attempt may have created an upload whose response was lost: abort it now.
      if (attempts > 1) {
        await this.#d.recovery.abortStrayUploads(intent, signal);
        await this.#d.items.set(item, { creating: null });
      }
      this.#listed.add(item.id);
      this.#fresh.set(item.id, new Set());
    } else if (!this.#listed.has(item.id)) {
      if (!(await this.#d.recovery.reconcileParts(item, layout, signal))) throw new Requeue();
      this.#listed.add(item.id);
      this.#fresh.set(item.id, new Set());
    }
    key = itemKey(item);
    const uploadId = item.uploadId!;
    const fresh = this.#fresh.get(item.id) ?? new Set<number>();
    this.#fresh.set(item.id, fresh);

    const sendPart = async (n: number): Promise<void> => {
      const { start, end } = clippedRange(layout, n, size);
      const mem = await this.#d.memory.acquire(end - start, signal);
      // a failed request may leave the buffer referenced by a socket being torn down: not reused
      let reuse = false;
      try {
        const body = await this.#readRange(item, fh, start, mem.buf);
        const crc = crc32cBase64(body);
        const { etag } = await this.#d.requests.send(item, 'UploadPart', key, signal, (io) =>
          this.#d.target.uploadPart(key, uploadId, { n, start }, body, crc, io),
        );
        reuse = true;
        await this.#d.items.journal.append({ op: 'part', id: item.id, part: { n, start, end, crc, etag } });
        if (final) fresh.add(n);
      } finally {
        mem.release(reuse);
      }
    };
    /** Re-reads an acknowledged part (streaming CRC into `scratch`); true when its bytes changed. */
    const changed = async (p: PartRecord, scratch: Buffer): Promise<boolean> => {
      const { crc, short } = await fileRangeChecksum(fh, p.start, p.end, scratch);
      if (short) throw new UploadError('FileTruncated', 'permanent', `file truncated during upload: ${item.path} is shorter than ${p.end} bytes`);
      if (crc === p.crc) fresh.add(p.n);
      return crc !== p.crc;
    };

    const jobs: Promise<void>[] = [];
    const toCheck: PartRecord[] = [];
    for (let n = 1; n <= available; n++) {
      const p = item.parts[String(n)];
      const r = clippedRange(layout, n, size);
      if (!p || p.start !== r.start || p.end !== r.end) jobs.push(sendPart(n));
      else if (final && !fresh.has(n)) toCheck.push(p);
    }
    // Re-checks run beside the tail sends with a few workers, each holding one scratch buffer from
    // the memory budget, so memory stays bounded however many parts the file has and a changed
    // part's re-send starts while the remaining parts are still being checked.
    if (toCheck.length) {
      const scratchSize = Math.min(RECHECK_SCRATCH, Math.max(...toCheck.map((p) => p.end - p.start)));
      let next = 0;
      const worker = async (): Promise<void> => {
        const mem = await this.#d.memory.acquire(scratchSize, signal);
        const resends: Promise<void>[] = [];
        try {
          const scratch = mem.buf;
          while (next < toCheck.length) {
            const p = toCheck[next++];
            if (await changed(p, scratch)) resends.push(sendPart(p.n));
          }
        } finally {
          mem.release();
          await settleAll(resends);
        }
      };
      for (let i = 0; i < Math.min(RECHECK_WORKERS, toCheck.length); i++) jobs.push(worker());
    }
    await settleAll(jobs);
    if (!final) return;
    if (item.size !== size || item.final !== final) throw new Requeue();

    await this.#assertUnchanged(item, size, mtimeMs, signal);
    const parts = partList(item).filter((p) => p.n <= available);
    if (parts.length !== available) throw new Requeue();
    const expected = compositeChecksum(parts.map((p) => p.crc));
    await this.#d.items.set(item, { expected });
    const outcome = await this.#d.requests.simple('CompleteMultipartUpload', key, signal, (s) => this.#d.target.complete(key, uploadId, parts, s));
    const v = await this.#d.requests.simple('HeadObject', key, signal, (s) => this.#d.target.verify(key, { checksum: expected, size, layout }, s));
    if (v.state === 'match') return this.#markVerified(item, v.checksum);
    if (v.state === 'mismatch' || outcome === 'exists') return this.#bumpVersion(item, signal);
    // The upload vanished without producing the object: start over.
    await this.discardUpload(item, signal);
    throw new Requeue();
  }
}

/** Awaits every promise; rethrows the first rejection after all have settled (no orphaned work). */
async function settleAll(jobs: Promise<void>[]): Promise<void> {
  const results = await Promise.allSettled(jobs);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}
