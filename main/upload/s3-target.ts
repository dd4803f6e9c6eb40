/**
 * The S3 target: single attempts of each S3 operation on an injected `S3Client`.
 *
 * Objects are written only with conditional requests (`If-None-Match: *` on PutObject and
 * CompleteMultipartUpload) so a verified object is never overwritten; a store that answers
 * NotImplemented gets unconditional requests from then on (the engine's existence check still runs
 * first). Multipart uploads use CRC32C per part; the object's checksum is COMPOSITE (`<b64>-N`).
 *
 * S3 returns no metadata or tags of an unfinished upload (ListMultipartUploads and ListParts report
 * key, id, initiator, owner, storage class, checksum algorithm and `Initiated` only), so a queue
 * marker set at CreateMultipartUpload could not be read back: listUploads reports `Initiated`, and
 * the engine recognises its own uploads by its journal (engine-recovery.ts).
 */
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListPartsCommand,
  PutObjectCommand,
  UploadPartCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { sendBody, type PartBody } from './body-stream.ts';
import { checksumMatches, compositeChecksum } from './checksum.ts';
import type { ExpectedObject, ListedUpload, RemotePart, TransferIo, UploadTarget, VerifyResult } from './target.ts';

export interface S3TargetOptions {
  kind: 's3';
  /** Construct with `maxAttempts: 1`: the engine owns retries. */
  client: S3Client;
  bucket: string;
  /** Key prefix; a trailing `/` is added when missing. */
  prefix?: string;
  /** Use If-None-Match on writes (default true). */
  conditionalWrites?: boolean;
}

function status(err: unknown): number | undefined {
  return (err as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
}

function errName(err: unknown): string | undefined {
  return (err as { name?: string; Code?: string })?.Code ?? (err as { name?: string })?.name;
}

function isNotFound(err: unknown): boolean {
  return status(err) === 404 && (errName(err) === 'NotFound' || errName(err) === 'NoSuchKey');
}

function isNotImplemented(err: unknown): boolean {
  return status(err) === 501 || errName(err) === 'NotImplemented';
}

export function normalizePrefix(prefix: string | undefined): string {
  const p = (prefix ?? '').replace(/^\/+/, '');
  return p === '' || p.endsWith('/') ? p : `${p}/`;
}

export class S3Target implements UploadTarget {
  readonly kind = 's3';
  readonly supportsSingle = true;
  readonly bucket: string;
  readonly prefix: string;
  #conditional: boolean;
  readonly #client: S3Client;

  constructor(options: S3TargetOptions) {
    this.#client = options.client;
    this.bucket = options.bucket;
    this.prefix = normalizePrefix(options.prefix);
    this.#conditional = options.conditionalWrites ?? true;
  }

  describe(key: string): string {
    return `s3://${this.bucket}/${this.prefix}${key}`;
  }

  #k(key: string): string {
    return `${this.prefix}${key}`;
  }

  async probe(signal: AbortSignal): Promise<void> {
    try {
      await this.#client.send(new HeadBucketCommand({ Bucket: this.bucket }), { abortSignal: signal });
    } catch (err) {
      if (status(err) === 404)
        throw Object.assign(new Error('NoSuchBucket'), { name: 'NoSuchBucket', Code: 'NoSuchBucket', $metadata: { httpStatusCode: 404 } });
      throw err;
    }
  }

  async exists(key: string, signal: AbortSignal): Promise<boolean> {
    try {
      await this.#client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.#k(key) }), { abortSignal: signal });
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  }

  async verify(key: string, expected: ExpectedObject, signal: AbortSignal): Promise<VerifyResult> {
    try {
      const head = await this.#client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.#k(key), ChecksumMode: 'ENABLED' }), { abortSignal: signal });
      const checksum = head.ChecksumCRC32C;
      if (head.ContentLength === expected.size && checksumMatches(checksum, expected.checksum)) return { state: 'match', checksum: checksum! };
      return { state: 'mismatch', checksum };
    } catch (err) {
      if (isNotFound(err)) return { state: 'absent' };
      throw err;
    }
  }

  async putSingle(key: string, body: PartBody, crc: string, io: TransferIo): Promise<'ok' | 'verified' | 'exists'> {
    try {
      const r = await sendBody(body, io, (stream, signal) =>
        this.#client.send(
          new PutObjectCommand({
            Bucket: this.bucket,
            Key: this.#k(key),
            Body: stream,
            ContentLength: body.length,
            ChecksumCRC32C: crc,
            IfNoneMatch: this.#conditional ? '*' : undefined,
          }),
          { abortSignal: signal },
        ),
      );
      return r.ChecksumCRC32C === crc ? 'verified' : 'ok';
    } catch (err) {
      if (status(err) === 412) return 'exists';
      if (this.#conditional && isNotImplemented(err)) {
        this.#conditional = false;
        return this.putSingle(key, body, crc, io);
      }
      throw err;
    }
  }

  /** `_owner` is not sent: S3 would not return it for an unfinished upload (see the module comment). */
  async createUpload(key: string, signal: AbortSignal, _owner?: string): Promise<string> {
    const r = await this.#client.send(new CreateMultipartUploadCommand({ Bucket: this.bucket, Key: this.#k(key), ChecksumAlgorithm: 'CRC32C' }), {
      abortSignal: signal,
    });
    if (!r.UploadId) throw new Error('CreateMultipartUpload returned no UploadId');
    return r.UploadId;
  }

  async listParts(key: string, uploadId: string, _known: unknown, signal: AbortSignal): Promise<Map<number, RemotePart> | undefined> {
    const parts = new Map<number, RemotePart>();
    let marker: string | undefined;
    try {
      for (;;) {
        const r = await this.#client.send(new ListPartsCommand({ Bucket: this.bucket, Key: this.#k(key), UploadId: uploadId, PartNumberMarker: marker }), {
          abortSignal: signal,
        });
        for (const p of r.Parts ?? []) {
          if (p.PartNumber !== undefined) parts.set(p.PartNumber, { crc: p.ChecksumCRC32C, etag: p.ETag, size: p.Size ?? 0 });
        }
        if (!r.IsTruncated || !r.NextPartNumberMarker) return parts;
        marker = r.NextPartNumberMarker;
      }
    } catch (err) {
      if (errName(err) === 'NoSuchUpload' || status(err) === 404) return undefined;
      throw err;
    }
  }

  async uploadPart(key: string, uploadId: string, part: { n: number }, body: PartBody, crc: string, io: TransferIo): Promise<{ etag?: string }> {
    const r = await sendBody(body, io, (stream, signal) =>
      this.#client.send(
        new UploadPartCommand({
          Bucket: this.bucket,
          Key: this.#k(key),
          UploadId: uploadId,
          PartNumber: part.n,
          Body: stream,
          ContentLength: body.length,
          ChecksumCRC32C: crc,
        }),
        { abortSignal: signal },
      ),
    );
    if (r.ChecksumCRC32C && r.ChecksumCRC32C !== crc)
      throw Object.assign(new Error(`part ${part.n} checksum echoed ${r.ChecksumCRC32C}, sent ${crc}`), {
        name: 'BadDigest',
        Code: 'BadDigest',
        $metadata: { httpStatusCode: 500 },
      });
    return { etag: r.ETag };
  }

  async complete(
    key: string,
    uploadId: string,
    parts: readonly { n: number; etag?: string; crc: string }[],
    signal: AbortSignal,
  ): Promise<'ok' | 'verified' | 'exists' | 'gone'> {
    try {
      const r = await this.#client.send(
        new CompleteMultipartUploadCommand({
          Bucket: this.bucket,
          Key: this.#k(key),
          UploadId: uploadId,
          IfNoneMatch: this.#conditional ? '*' : undefined,
          MultipartUpload: { Parts: parts.map((p) => ({ PartNumber: p.n, ETag: p.etag, ChecksumCRC32C: p.crc })) },
        }),
        { abortSignal: signal },
      );
      return checksumMatches(r.ChecksumCRC32C, compositeChecksum(parts.map((p) => p.crc))) ? 'verified' : 'ok';
    } catch (err) {
      if (status(err) === 412) return 'exists';
      if (errName(err) === 'NoSuchUpload') return 'gone';
      if (this.#conditional && isNotImplemented(err)) {
        this.#conditional = false;
        return this.complete(key, uploadId, parts, signal);
      }
      throw err;
    }
  }

  async abort(key: string, uploadId: string, signal: AbortSignal): Promise<void> {
    try {
      await this.#client.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: this.#k(key), UploadId: uploadId }), { abortSignal: signal });
    } catch (err) {
      if (errName(err) === 'NoSuchUpload' || status(err) === 404) return;
      throw err;
    }
  }

  async listUploads(signal: AbortSignal, keyPrefix = ''): Promise<ListedUpload[]> {
    const out: ListedUpload[] = [];
    let keyMarker: string | undefined;
    let idMarker: string | undefined;
    for (;;) {
      const r = await this.#client.send(
        new ListMultipartUploadsCommand({
          Bucket: this.bucket,
          Prefix: `${this.prefix}${keyPrefix}` || undefined,
          KeyMarker: keyMarker,
          UploadIdMarker: idMarker,
        }),
        { abortSignal: signal },
      );
      for (const u of r.Uploads ?? []) {
        if (u.Key && u.UploadId) out.push({ key: u.Key.slice(this.prefix.length), uploadId: u.UploadId, initiated: u.Initiated?.getTime() });
      }
      if (!r.IsTruncated) return out;
      keyMarker = r.NextKeyMarker;
      idMarker = r.NextUploadIdMarker;
      if (!keyMarker && !idMarker) return out;
    }
  }
}
