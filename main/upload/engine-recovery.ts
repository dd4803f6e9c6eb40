/**
 * Crash recovery: what the upload engine does with the steps a crash (or a lost response) may have
 * left in doubt. The journal records intent before every remote step, so each doubt is settled by
 * asking the target, never by guessing.
 *
 * Contract:
 * - `replay` (once, at start): every item still `uploading` goes back to `queued` (final) or
 *   `growing`; every queued/growing item is handed to `ready` in journal order; the latest item
 *   per path is indexed. Returns the upload ids the journal references.
 * - `sweepOrphans` aborts every unfinished upload under the target's prefix that no item
 *   references: a few attempts outside the circuit breaker, never blocking start; returns why it
 *   could not run (it runs again at the next start).
 * - `inDoubt`: an item whose completion or single upload was journaled but not confirmed. `match`:
 *   the object is there with its checksum (its multipart upload, if any, was aborted); `mismatch`:
 *   the key holds other bytes; undefined: nothing was in doubt, or the object is absent and the
 *   doubt is cleared from the journal.
 * - `reconcileParts` (first contact with an upload from an earlier run): keeps only the parts the
 *   target still holds, adopting acknowledged parts the crash kept out of the journal (they are
 *   re-checked against the file before completion). False when the upload no longer exists (its
 *   id and parts are cleared).
 * - `abortStrayUploads` aborts uploads of one key that no item references (a create whose response
 *   was lost).
 */
import { backoffDelay, type BackoffPolicy } from './backoff.ts';
import { classifyError, type UploadError } from './errors.ts';
import { itemKey, partList, type PartRecord, type UploadItem } from './item.ts';
import { clippedRange, type PartLayout } from './part-layout.ts';
import type { UploadTarget } from './target.ts';
import type { ItemStore } from './engine-items.ts';
import type { RequestRunner } from './engine-requests.ts';
import { sleep, type Timeouts } from '../common/time.ts';

export interface RecoveryDeps {
  target: UploadTarget;
  items: Pick<ItemStore, 'items' | 'set'>;
  requests: Pick<RequestRunner, 'simple'>;
  timers: Timeouts;
  random: () => number;
  backoff: BackoffPolicy;
  idleMs: number;
}

export class Recovery {
  readonly #d: RecoveryDeps;

  constructor(deps: RecoveryDeps) {
    this.#d = deps;
  }

  async replay(byPath: Map<string, string>, ready: (id: string) => void): Promise<Set<string>> {
    const referenced = new Set<string>();
    for (const item of this.#d.items.items()) {
      const latest = byPath.get(item.path);
      if (!latest || Number(latest) < Number(item.id)) byPath.set(item.path, item.id);
      if (item.uploadId) referenced.add(item.uploadId);
      if (item.state === 'uploading') await this.#d.items.set(item, { state: item.final ? 'queued' : 'growing' });
      if (item.state === 'queued' || item.state === 'growing') ready(item.id);
    }
    return referenced;
  }

  async sweepOrphans(referenced: Set<string>): Promise<UploadError | undefined> {
    const { target, idleMs } = this.#d;
    // A few direct attempts, outside the circuit breaker: an unreachable target must not block
    // start(). Orphans only come from crashes, so a sweep skipped now happens at the next start.
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        const uploads = await target.listUploads(AbortSignal.timeout(idleMs));
        for (const u of uploads) {
          if (!referenced.has(u.uploadId)) await target.abort(u.key, u.uploadId, AbortSignal.timeout(idleMs));
        }
        return undefined;
      } catch (err) {
        const e = classifyError(err, { op: 'ListMultipartUploads', where: target.describe(''), bucket: target.bucket });
        if (e.kind === 'permanent' || attempt === 2) return e;
        await sleep(this.#d.timers, backoffDelay(attempt, this.#d.backoff, this.#d.random));
      }
    }
    return undefined;
  }

  async inDoubt(item: UploadItem, signal: AbortSignal): Promise<{ state: 'match'; checksum: string } | { state: 'mismatch' } | undefined> {
    if (!item.expected && !item.single) return undefined;
    const { target, requests } = this.#d;
    const key = itemKey(item);
    const checksum = item.expected ?? item.single!.crc;
    const v = await requests.simple('HeadObject', key, signal, (s) => target.verify(key, { checksum, size: item.size, layout: item.layout }, s));
    if (v.state === 'match') {
      if (item.uploadId) {
        const id = item.uploadId;
        await requests.simple('AbortMultipartUpload', key, signal, (s) => target.abort(key, id, s)).catch(() => {});
      }
      return { state: 'match', checksum: v.checksum };
    }
    if (v.state === 'mismatch') return { state: 'mismatch' };
    await this.#d.items.set(item, { expected: null, single: null });
    return undefined;
  }

  async reconcileParts(item: UploadItem, layout: PartLayout, signal: AbortSignal): Promise<boolean> {
    const key = itemKey(item);
    const uploadId = item.uploadId!;
    const known = partList(item);
    const remote = await this.#d.requests.simple('ListParts', key, signal, (s) => this.#d.target.listParts(key, uploadId, known, s));
    if (!remote) {
      await this.#d.items.set(item, { uploadId: null, parts: {}, layout: null });
      return false;
    }
    const parts: Record<string, PartRecord> = {};
    for (const [n, rp] of remote) {
      const mine = item.parts[String(n)];
      if (mine && (!rp.crc || rp.crc === mine.crc)) parts[String(n)] = { ...mine, etag: rp.etag ?? mine.etag };
      else if (rp.crc && n <= 10_000) {
        // acknowledged by the target but not journaled before a crash; re-checked against the file before completion
        const { start, end } = clippedRange(layout, n, Math.max(item.size, clippedRange(layout, n, Number.MAX_SAFE_INTEGER).end));
        if (rp.size === end - start || (item.final && rp.size === clippedRange(layout, n, item.size).end - start))
          parts[String(n)] = { n, start, end: start + rp.size, crc: rp.crc, etag: rp.etag };
      }
    }
    await this.#d.items.set(item, { parts, layout });
    return true;
  }

  async abortStrayUploads(key: string, signal: AbortSignal): Promise<void> {
    const { target, requests } = this.#d;
    const uploads = await requests.simple('ListMultipartUploads', key, signal, (s) => target.listUploads(s, key));
    const referenced = new Set<string>();
    for (const i of this.#d.items.items()) if (i.uploadId) referenced.add(i.uploadId);
    for (const u of uploads) {
      if (u.key === key && !referenced.has(u.uploadId)) await requests.simple('AbortMultipartUpload', key, signal, (s) => target.abort(key, u.uploadId, s));
    }
  }
}
