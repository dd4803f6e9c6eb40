/**
 * The persisted state of one queued file, and the key-version naming rule.
 *
 * Key versions: a file that changes after its object was verified is uploaded again under a new key,
 * never over the verified object. Version 1 is the plain key; version N ≥ 2 inserts `.vN` before the
 * extension: `run1/img.tif` → `run1/img.v2.tif`, `notes` → `notes.v2`, `a.ome.tif` → `a.v2.ome.tif`
 * (the full multi-part extension is kept together). The same rule applies when the key is already
 * taken by an object with different bytes that this queue did not write.
 */
import type { PartLayout } from './part-layout.ts';

export type ItemState = 'queued' | 'growing' | 'uploading' | 'verified' | 'failed';

export interface PartRecord {
  n: number;
  start: number;
  end: number;
  /** CRC32C of the part bytes, base64. */
  crc: string;
  etag?: string;
}

export interface UploadItem {
  id: string;
  path: string;
  /** Key without the version suffix (and without the target prefix). */
  baseKey: string;
  version: number;
  /** Size and mtime the upload is based on; for a growing file the size last offered. */
  size: number;
  mtimeMs: number;
  /** False while the file is still being written (offer(..., final=false)). */
  final: boolean;
  state: ItemState;
  addedAt: number;
  layout?: PartLayout;
  /** Multipart upload id (S3) or partial-file marker (folder target). */
  uploadId?: string;
  /**
   * Set, and durable, before CreateMultipartUpload is sent; cleared once its upload id is journaled
   * and every stray create of the key is aborted. A crash or a lost response in between leaves an
   * upload nobody names: it is this queue's if it is under `key` and was initiated within
   * INTENT_WINDOW_MS of `at` (engine-recovery.ts).
   */
  creating?: { key: string; at: number };
  /** Uploads this queue started and gave up on whose abort failed: upload id → key; aborted at the next start. */
  abandoned?: Record<string, string>;
  parts: Record<string, PartRecord>;
  /** Set, and durable, before a single-request upload is sent; its CRC32C. */
  single?: { crc: string };
  /** Set, and durable, before completing: the checksum the finished object must have. */
  expected?: string;
  checksum?: string;
  verifiedAt?: number;
  localDeletedAt?: number;
  error?: { code: string; message: string; at: number };
}

/** `name.ext` → `name.vN.ext` for N ≥ 2 (see the module comment). */
export function versionedKey(baseKey: string, version: number): string {
  if (version <= 1) return baseKey;
  const slash = baseKey.lastIndexOf('/');
  const dir = baseKey.slice(0, slash + 1);
  const name = baseKey.slice(slash + 1);
  const dot = name.indexOf('.', 1);
  if (dot < 0) return `${dir}${name}.v${version}`;
  return `${dir}${name.slice(0, dot)}.v${version}${name.slice(dot)}`;
}

export function itemKey(item: Pick<UploadItem, 'baseKey' | 'version'>): string {
  return versionedKey(item.baseKey, item.version);
}

export function partList(item: UploadItem): PartRecord[] {
  return Object.values(item.parts).sort((a, b) => a.n - b.n);
}
