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
 *    CRC32C) after the target acknowledged it. A growing file sends only its complete parts, each
 *    as soon as an offer puts its last byte on disk (`nudge`), while earlier parts are still in
 *    flight; a growing file offered as final during a run is completed by that same run.
 * 4. Before completing, parts acknowledged earlier than this process read the final file are
 *    re-read and re-sent if their bytes changed; the file must still have the size and mtime the
 *    upload is based on; the expected composite checksum is journaled; after completing, the
 *    object's checksum must equal it: as the store's answer to the write states it (S3 echoes the
 *    checksum it checked), or else as a HeadObject reads it. Only then is the item `verified`.
 * Throws `Requeue` when the item must run again (its journal state already says why): it changed
 * while being read, its key holds other bytes (it moved to the next version) or its upload vanished.
 * Bodies are streamed from the file (body-stream.ts): each request's CRC32C is computed from the
 * file just before it is sent, and a body whose bytes no longer have it is never delivered whole
 * (the part is checksummed and sent again). Memory: a part in flight holds a chunk or two of its
 * stream; checksum and re-check scratch buffers come from the shared pool.
 */
import type { FileHandle } from 'node:fs/promises';
import { BodyChangedError, fileRangeBody, type PartBody } from './body-stream.ts';
import type { BufferPool } from './buffer-pool.ts';
import { compositeChecksum, fileRangeChecksum } from './checksum.ts';
import { classifyError, UploadError } from './errors.ts';
import { itemKey, partList, type PartRecord, type UploadItem } from './item.ts';
import { bandedLayout, clippedRange, completePartCount, partCount, uniformLayout, type PartLayout } from './part-layout.ts';
import { Semaphore } from './semaphore.ts';
import type { UploadTarget } from './target.ts';
import type { ItemStore } from './engine-items.ts';
import type { Recovery } from './engine-recovery.ts';
import type { RequestRunner } from './engine-requests.ts';
import type { UploadFs } from './engine-types.ts';
import type { Clock } from '../common/time.ts';

/** How long CompleteMultipartUpload may go unanswered before it is retried (S3 may take minutes). */
export const COMPLETE_IDLE_MS = 5 * 60_000;

/** Concurrent re-checks of acknowledged parts at completion, and each checksum pass's read buffer. */
const RECHECK_WORKERS = 3;
const CHECKSUM_SCRATCH = 256 * 1024;
/** Sends of one body whose bytes changed after their checksum, before the item fails with FileChanged. */
const CHANGED_TRIES = 4;

/** Thrown inside a transfer to put the item back in the queue (its journal state already updated). */
export class Requeue extends Error {}

export interface TransferDeps {
  target: UploadTarget;
  fs: UploadFs;
  clock: Clock;
  memory: BufferPool;
  minPart: number;
  /** Requests the engine may have in flight now: a file of known size is cut into at least this many parts where 5 MiB parts allow. */
  spread(): number;
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
  /** Wakes the running multipart transfer of an item (more bytes offered, or the file closed). */
  readonly #wakers = new Map<string, () => void>();

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

  /** The item was offered again while it runs: its running multipart transfer looks at it again. */
  nudge(id: string): void {
    this.#wakers.get(id)?.();
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

  /** CRC32C of the file's bytes [start, end), read through a pooled scratch buffer. */
  async #rangeCrc(item: UploadItem, fh: FileHandle, start: number, end: number, signal: AbortSignal): Promise<string> {
    const mem = await this.#d.memory.acquire(Math.max(1, Math.min(CHECKSUM_SCRATCH, end - start)), signal);
    try {
      const { crc, short } = await fileRangeChecksum(fh, start, end, mem.buf);
      if (short)
        throw new UploadError('FileTruncated', 'permanent', `file truncated during upload: ${item.path} is shorter than ${end} bytes, expected ${item.size}`);
      return crc;
    } catch (err) {
      throw classifyError(err, { op: 'read', where: item.path });
    } finally {
      mem.release();
    }
  }

  #body(item: UploadItem, fh: FileHandle, start: number, end: number, crc: string): PartBody {
    return fileRangeBody(async (buf, offset, length, position) => (await fh.read(buf, offset, length, position)).bytesRead, item.path, start, end, crc);
  }

  async #single(item: UploadItem, fh: FileHandle, signal: AbortSignal): Promise<void> {
    const key = itemKey(item);
    const { size, mtimeMs } = item;
    const crc = await this.#rangeCrc(item, fh, 0, size, signal);
    await this.#assertUnchanged(item, size, mtimeMs, signal);
    await this.#d.items.set(item, { single: { crc } });
    const body = this.#body(item, fh, 0, size, crc);
    let outcome: 'ok' | 'verified' | 'exists';
    try {
      outcome = await this.#d.requests.send(item, 'PutObject', key, signal, (io) => this.#d.target.putSingle(key, body, crc, io));
    } catch (err) {
      // nothing whole was delivered; the journaled single step is settled by the next run's in-doubt check
      if (err instanceof BodyChangedError) throw new Requeue();
      throw err;
    }
    // the store checked the body against `crc` and said so: nothing left to ask it
    if (outcome === 'verified') return this.#markVerified(item, crc);
    const v = await this.#d.requests.simple('HeadObject', key, signal, (s) => this.#d.target.verify(key, { checksum: crc, size: item.size }, s));
    if (v.state === 'match') return this.#markVerified(item, v.checksum);
    if (outcome === 'exists' || v.state === 'mismatch') return this.#bumpVersion(item, signal);
    throw new UploadError('VerifyFailed', 'retryable', `object missing right after upload: ${this.#d.target.describe(key)}`);
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
    const layout: PartLayout = item.layout ?? (item.final ? uniformLayout(item.size, this.#d.minPart, this.#d.spread()) : bandedLayout(this.#d.minPart));
    if (!item.final && completePartCount(layout, item.size) === 0) return;
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

    /** Sends part `n` (checksummed just before, within its request slot); `final`: read from the final file. */
    const sendPart = async (n: number, start: number, end: number, final: boolean): Promise<void> => {
      const { etag, crc } = await this.#d.requests.send(item, 'UploadPart', key, signal, async (io) => {
        for (let tries = 1; ; tries++) {
          const crc = await this.#rangeCrc(item, fh, start, end, signal);
          try {
            const r = await this.#d.target.uploadPart(key, uploadId, { n, start }, this.#body(item, fh, start, end, crc), crc, io);
            return { etag: r.etag, crc };
          } catch (err) {
            if (!(err instanceof BodyChangedError) || tries >= CHANGED_TRIES) throw err;
          }
        }
      });
      await this.#d.items.journal.append({ op: 'part', id: item.id, part: { n, start, end, crc, etag } });
      if (final) fresh.add(n);
    };
    const rechecks = new Semaphore(RECHECK_WORKERS);
    /** Re-reads an acknowledged part read before the file was final; re-sends it when its bytes changed. */
    const recheck = async (p: PartRecord): Promise<void> => {
      const release = await rechecks.acquire(1, signal);
      let crc: string;
      try {
        crc = await this.#rangeCrc(item, fh, p.start, p.end, signal);
      } finally {
        release();
      }
      if (crc === p.crc) fresh.add(p.n);
      else await sendPart(p.n, p.start, p.end, true);
    };

    // Parts go out as their bytes are on disk: the loop wakes whenever a part settles or the item is
    // offered again, and sends what became available, while earlier parts are still in flight. Once
    // the item is final the rest is sent and every part read before that is re-checked (a few at a
    // time, each with one scratch buffer from the pool, so memory stays bounded however many parts).
    const inflight = new Map<number, Promise<void>>();
    let failure: { err: unknown } | undefined;
    let wake = (): void => {};
    const track = (n: number, job: Promise<void>): void => {
      inflight.set(
        n,
        job
          .catch((err: unknown) => {
            failure ??= { err };
          })
          .finally(() => {
            inflight.delete(n);
            wake();
          }),
      );
    };
    const checked = new Set<number>();
    let final: { size: number; mtimeMs: number } | undefined;
    this.#wakers.set(item.id, () => wake());
    try {
      while (!failure) {
        if (!final && item.final) {
          final = { size: item.size, mtimeMs: item.mtimeMs };
          if (item.state === 'queued') await this.#d.items.set(item, { state: 'uploading' });
        }
        const size = final ? final.size : item.size;
        const available = final ? partCount(layout, size) : completePartCount(layout, size);
        for (let n = 1; n <= available; n++) {
          if (inflight.has(n)) continue;
          const p = item.parts[String(n)];
          const r = clippedRange(layout, n, size);
          if (!p || p.start !== r.start || p.end !== r.end) track(n, sendPart(n, r.start, r.end, final !== undefined));
          else if (final && !fresh.has(n) && !checked.has(n)) {
            checked.add(n);
            track(n, recheck(p));
          }
        }
        if (inflight.size === 0) break;
        await new Promise<void>((resolve) => (wake = resolve));
      }
    } finally {
      while (inflight.size) await Promise.allSettled([...inflight.values()]);
      this.#wakers.delete(item.id);
    }
    if (failure) throw failure.err;
    if (!final) return;
    if (item.size !== final.size || !item.final) throw new Requeue();

    const { size, mtimeMs } = final;
    await this.#assertUnchanged(item, size, mtimeMs, signal);
    const available = partCount(layout, size);
    const parts = partList(item).filter((p) => p.n <= available);
    if (parts.length !== available) throw new Requeue();
    const expected = compositeChecksum(parts.map((p) => p.crc));
    await this.#d.items.set(item, { expected });
    const outcome = await this.#d.requests.simple('CompleteMultipartUpload', key, signal, (s) => this.#d.target.complete(key, uploadId, parts, s), {
      idleMs: COMPLETE_IDLE_MS,
    });
    if (outcome === 'verified') return this.#markVerified(item, expected);
    const v = await this.#d.requests.simple('HeadObject', key, signal, (s) => this.#d.target.verify(key, { checksum: expected, size, layout }, s));
    if (v.state === 'match') return this.#markVerified(item, v.checksum);
    if (v.state === 'mismatch' || outcome === 'exists') return this.#bumpVersion(item, signal);
    // The upload vanished without producing the object: start over.
    await this.discardUpload(item, signal);
    throw new Requeue();
  }
}
