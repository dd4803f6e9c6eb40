/**
 * Crash recovery: what the upload engine does with the steps a crash (or a lost response) may have
 * left in doubt. The journal records intent before every remote step, so each doubt is settled by
 * asking the target, never by guessing.
 *
 * Contract:
 * - `replay` (once, at start): every item still `uploading` goes back to `queued` (final) or
 *   `growing`; every queued/growing item is handed to `ready` in journal order. Settled items
 *   (journal-items.ts) name no upload, intent or abandoned id, so only the others are read here
 *   and by the sweep.
 * - `sweepOrphans` aborts the unfinished uploads under the target's prefix that this queue started
 *   and no item references any more (`ownUnreferenced`), and leaves every other one alone: the
 *   bucket is shared with other rigs' queues and with analysis instances writing results. A few
 *   attempts outside the circuit breaker, never blocking start; returns why it could not run (it
 *   runs again at the next start). Once it ran, the journal's create intents and abandoned ids are
 *   settled and cleared.
 * - `inDoubt`: an item whose completion or single upload was journaled but not confirmed. `match`:
 *   the object is there with its checksum (its multipart upload, if any, was aborted); `mismatch`:
 *   the key holds other bytes; undefined: nothing was in doubt, or the object is absent and the
 *   doubt is cleared from the journal.
 * - `reconcileParts` (first contact with an upload from an earlier run): keeps only the parts the
 *   target still holds, adopting acknowledged parts the crash kept out of the journal (they are
 *   re-checked against the file before completion). False when the upload no longer exists (its
 *   id and parts are cleared).
 * - `abortStrayUploads` aborts the uploads one create intent left that no item references (a
 *   create whose response was lost), by the same rule.
 *
 * Which uploads are this queue's: those the journal names (an item's upload id, or an abandoned one
 * whose abort failed); those a target reads back as created with this queue's id (the folder
 * target); and those a crash or a lost response left between a journaled create intent and the
 * journaled id: same key, initiated within INTENT_WINDOW_MS of the intent. S3 cannot carry a queue
 * marker on an unfinished upload (s3-target.ts), so the intent is the evidence. The window allows
 * for the rig's clock being off from S3's (SigV4 refuses requests signed more than 15 minutes off)
 * and the create's retries; another writer of the very same key within it is the one case left
 * ambiguous, and the key is one this queue was writing at that moment.
 */
import { backoffDelay, type BackoffPolicy } from './backoff.ts';
import { classifyError, type UploadError } from './errors.ts';
import { itemKey, partList, type PartRecord, type UploadItem } from './item.ts';
import { clippedRange, type PartLayout } from './part-layout.ts';
import type { ListedUpload, UploadTarget } from './target.ts';
import type { ItemStore } from './engine-items.ts';
import type { RequestRunner } from './engine-requests.ts';
import { sleep, type Timeouts } from '../common/time.ts';

/** How far from a journaled create intent an unnamed upload of its key may have been initiated and still be this queue's. */
export const INTENT_WINDOW_MS = 15 * 60_000;

/** Whether an upload is one this queue started that no item references any more (see the module comment). */
export function ownUnreferenced(u: ListedUpload, items: Iterable<UploadItem>, queueId: string | undefined): boolean {
  const intents: { key: string; at: number }[] = [];
  let abandoned = false;
  for (const i of items) {
    if (i.uploadId === u.uploadId) return false;
    if (i.abandoned?.[u.uploadId] !== undefined) abandoned = true;
    if (i.creating) intents.push(i.creating);
  }
  if (abandoned) return true;
  if (queueId !== undefined && u.owner === queueId) return true;
  return fromIntent(u, intents);
}

function fromIntent(u: ListedUpload, intents: readonly { key: string; at: number }[]): boolean {
  return u.initiated !== undefined && intents.some((c) => c.key === u.key && Math.abs(u.initiated! - c.at) <= INTENT_WINDOW_MS);
}

export interface RecoveryDeps {
  target: UploadTarget;
  items: Pick<ItemStore, 'unsettled' | 'set'>;
  requests: Pick<RequestRunner, 'simple'>;
  timers: Timeouts;
  random: () => number;
  backoff: BackoffPolicy;
  idleMs: number;
  /** This queue's id (engine.ts), given to createUpload. */
  queueId: () => string | undefined;
}

export class Recovery {
  readonly #d: RecoveryDeps;

  constructor(deps: RecoveryDeps) {
    this.#d = deps;
  }

  async replay(ready: (id: string) => void): Promise<void> {
    for (const item of this.#d.items.unsettled()) {
      if (item.state === 'uploading') await this.#d.items.set(item, { state: item.final ? 'queued' : 'growing' });
      if (item.state === 'queued' || item.state === 'growing') ready(item.id);
    }
  }

  async sweepOrphans(): Promise<UploadError | undefined> {
    const { target, idleMs, items } = this.#d;
    // A few direct attempts, outside the circuit breaker: an unreachable target must not block
    // start(). Orphans only come from crashes, so a sweep skipped now happens at the next start.
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        const uploads = await target.listUploads(AbortSignal.timeout(idleMs));
        const queueId = this.#d.queueId();
        for (const u of uploads) {
          if (ownUnreferenced(u, items.unsettled(), queueId)) await target.abort(u.key, u.uploadId, AbortSignal.timeout(idleMs));
        }
        // Abandoned ids no longer listed are gone already.
        for (const i of items.unsettled()) if (i.creating || i.abandoned) await items.set(i, { creating: null, abandoned: null });
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
      if (item.uploadId) await this.abortOrAbandon(item, key, item.uploadId, signal);
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

  /** Aborts an upload of this queue's; when that fails, journals it as abandoned for the next start's sweep. */
  async abortOrAbandon(item: UploadItem, key: string, uploadId: string, signal: AbortSignal): Promise<void> {
    const { target, requests, items } = this.#d;
    try {
      await requests.simple('AbortMultipartUpload', key, signal, (s) => target.abort(key, uploadId, s));
    } catch {
      await items.set(item, { abandoned: { ...item.abandoned, [uploadId]: key } });
    }
  }

  async abortStrayUploads(intent: { key: string; at: number }, signal: AbortSignal): Promise<void> {
    const { target, requests, items } = this.#d;
    const { key } = intent;
    const uploads = await requests.simple('ListMultipartUploads', key, signal, (s) => target.listUploads(s, key));
    for (const u of uploads) {
      // Not by owner: another file's create of this queue may be between its response and its journal write.
      const referenced = items.unsettled().some((i) => i.uploadId === u.uploadId);
      if (!referenced && fromIntent(u, [intent])) await requests.simple('AbortMultipartUpload', key, signal, (s) => target.abort(key, u.uploadId, s));
    }
  }
}
