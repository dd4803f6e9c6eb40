/**
 * Where verified copies go. The engine drives every target through this interface (and owns retries,
 * the circuit breaker and journaling); targets perform single attempts and throw raw errors, except
 * for outcomes the engine branches on, which are return values.
 */
import type { PartBody } from './body-stream.ts';
import type { PartLayout } from './part-layout.ts';

export interface TransferIo {
  signal: AbortSignal;
  /** Called as body bytes leave (or are written); also resets the idle watchdog. */
  onBytes(n: number): void;
  /** Waits for bandwidth tokens for `n` bytes. */
  throttle(n: number): Promise<void>;
}

export interface ExpectedObject {
  checksum: string;
  size: number;
  layout?: PartLayout;
}

export type VerifyResult = { state: 'match'; checksum: string } | { state: 'mismatch'; checksum?: string } | { state: 'absent' };

export interface RemotePart {
  crc?: string;
  etag?: string;
  size: number;
}

export interface ListedUpload {
  key: string;
  uploadId: string;
  /** When the target says the upload was started (ms since the epoch), where it tells. */
  initiated?: number;
  /** The `owner` given to createUpload, where the target can read it back. */
  owner?: string;
}

export interface UploadTarget {
  readonly kind: 's3' | 'folder';
  /** Whether files up to one part may go in one request (PutObject). */
  readonly supportsSingle: boolean;
  /** Human location of a key: `s3://bucket/prefix/key` or a path. */
  describe(key: string): string;
  /** Bucket name, for error messages. */
  readonly bucket?: string;
  /** Succeeds when the target is reachable with the current credentials (circuit breaker probe). */
  probe(signal: AbortSignal): Promise<void>;
  exists(key: string, signal: AbortSignal): Promise<boolean>;
  verify(key: string, expected: ExpectedObject, signal: AbortSignal): Promise<VerifyResult>;
  /**
   * Conditional single upload; 'exists' when the key is already taken; 'verified' when the store's
   * answer itself says the object now holds exactly `crc` (S3 echoes the x-amz-checksum-crc32c it
   * checked the body against), so the engine needs no HeadObject to verify it.
   */
  putSingle(key: string, body: PartBody, crc: string, io: TransferIo): Promise<'ok' | 'verified' | 'exists'>;
  /** `owner` is the queue's id; a target that can store it where listUploads reads it back does (the folder target, in the upload id). */
  createUpload(key: string, signal: AbortSignal, owner?: string): Promise<string>;
  /** Parts the target holds for this upload (checked against `known` where the target cannot list checksums); undefined when the upload no longer exists. */
  listParts(
    key: string,
    uploadId: string,
    known: readonly { n: number; start: number; end: number; crc: string }[],
    signal: AbortSignal,
  ): Promise<Map<number, RemotePart> | undefined>;
  uploadPart(key: string, uploadId: string, part: { n: number; start: number }, body: PartBody, crc: string, io: TransferIo): Promise<{ etag?: string }>;
  /**
   * Conditional completion: 'exists' when the key is already taken, 'gone' when the upload no longer
   * exists, 'verified' when the answer itself carries the object's composite checksum of `parts`.
   */
  complete(
    key: string,
    uploadId: string,
    parts: readonly { n: number; etag?: string; crc: string }[],
    signal: AbortSignal,
  ): Promise<'ok' | 'verified' | 'exists' | 'gone'>;
  abort(key: string, uploadId: string, signal: AbortSignal): Promise<void>;
  /** Every unfinished upload this target holds under its prefix (and under `keyPrefix` within it, when given), whoever started it. */
  listUploads(signal: AbortSignal, keyPrefix?: string): Promise<ListedUpload[]>;
}
