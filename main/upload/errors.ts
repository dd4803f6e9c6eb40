/**
 * Typed upload errors and the classification of SDK, network and file-system failures.
 *
 * Every failure the engine sees becomes an `UploadError` with a stable `code`, a `kind` that decides
 * what happens next, and a one-line human message:
 * - `retryable`: throttling, 5xx, transient server errors; retried with backoff.
 * - `network`: the endpoint cannot be reached (refused, reset, timeout); retried, and counted by the
 *   circuit breaker, which pauses the whole queue while it stays down.
 * - `credentials`: no credentials could be loaded at all (provider failure); opens the circuit.
 * - `permanent`: retrying cannot fix it (AccessDenied, NoSuchBucket, wrong region, expired or
 *   rejected credentials, unreadable / deleted / truncated file); the item stops and waits for `retry(id)`.
 */
import { awsFailureOfName } from '../common/aws-errors.ts';

export type ErrorKind = 'retryable' | 'network' | 'credentials' | 'permanent';

export class UploadError extends Error {
  readonly code: string;
  readonly kind: ErrorKind;
  constructor(code: string, kind: ErrorKind, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'UploadError';
    this.code = code;
    this.kind = kind;
  }
}

/** Thrown inside a transfer when pause() or stop() interrupts it; the item is re-queued untouched. */
export class InterruptedError extends Error {
  readonly code = 'INTERRUPTED';
  constructor() {
    super('transfer interrupted by pause or stop');
    this.name = 'InterruptedError';
  }
}

/** Invalid engine options or arguments, naming the field. */
export class UploadOptionsError extends Error {
  readonly code = 'INVALID_OPTION';
  readonly field: string;
  constructor(field: string, message: string) {
    super(`${field}: ${message}`);
    this.name = 'UploadOptionsError';
    this.field = field;
  }
}

/** S3 answers worth another try (throttling is classified in common/aws-errors.ts). */
const RETRYABLE_CODES = new Set([
  'InternalError',
  'ServiceUnavailable',
  'RequestTimeout',
  'BadDigest',
  'IncompleteBody',
  'XAmzContentSHA256Mismatch',
  'OperationAborted',
  'PriorRequestNotComplete',
]);

export interface ErrorContext {
  /** Operation, e.g. `UploadPart`. */
  op: string;
  /** Human location, e.g. `s3://bucket/key` or a file path. */
  where: string;
  bucket?: string;
}

interface SdkLike {
  name?: string;
  code?: string;
  Code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
  $fault?: string;
}

/** Maps anything thrown by the SDK, node:http or node:fs to an `UploadError`. */
export function classifyError(err: unknown, ctx: ErrorContext): UploadError {
  if (err instanceof UploadError) return err;
  const e = (typeof err === 'object' && err !== null ? err : { message: String(err) }) as SdkLike;
  const status = e.$metadata?.httpStatusCode;
  const sdkCode = e.Code ?? (status !== undefined ? e.name : undefined);
  const sysCode = typeof e.code === 'string' ? e.code : undefined;
  const detail = (e.message ?? '').split('\n')[0];

  if (sysCode === 'ENOENT' && status === undefined)
    return new UploadError('FileDeleted', 'permanent', `file deleted before it was uploaded: ${ctx.where}`, { cause: err });
  if ((sysCode === 'EACCES' || sysCode === 'EPERM') && status === undefined)
    return new UploadError('FileUnreadable', 'permanent', `file unreadable (permission denied): ${ctx.where}`, { cause: err });
  if (sysCode === 'EISDIR') return new UploadError('NotAFile', 'permanent', `not a regular file: ${ctx.where}`, { cause: err });
  if (awsFailureOfName(e.name) === 'credentials-missing' && status === undefined)
    return new UploadError('NoCredentials', 'credentials', `no AWS credentials available: ${detail}`, { cause: err });

  if (sdkCode !== undefined && status !== undefined) {
    const bucket = ctx.bucket ? `"${ctx.bucket}"` : 'the bucket';
    const failure = awsFailureOfName(sdkCode);
    if (failure === 'access-denied')
      return new UploadError('AccessDenied', 'permanent', `access denied by S3 for ${ctx.op} on ${ctx.where} (check the IAM policy and bucket policy)`, {
        cause: err,
      });
    if (failure === 'credentials-expired')
      return new UploadError('ExpiredToken', 'permanent', `AWS credentials have expired (${sdkCode}); refresh the session or SSO login, then retry`, {
        cause: err,
      });
    if (failure === 'credentials-rejected' || failure === 'credentials-missing')
      return new UploadError('InvalidCredentials', 'permanent', `AWS credentials were rejected (${sdkCode}); check the access key and secret`, { cause: err });
    switch (sdkCode) {
      case 'NoSuchBucket':
        return new UploadError('NoSuchBucket', 'permanent', `bucket ${bucket} does not exist (NoSuchBucket)`, { cause: err });
      case 'PermanentRedirect':
      case 'AuthorizationHeaderMalformed':
      case 'IllegalLocationConstraintException':
        return new UploadError('WrongRegion', 'permanent', `bucket ${bucket} is in a different region than the one configured (${sdkCode})`, { cause: err });
    }
    // A 403 to a HEAD request carries no body, so no error code: the SDK reports Unknown/Forbidden.
    if (status === 403 && (sdkCode === 'Unknown' || sdkCode === 'Forbidden' || sdkCode === '403')) {
      return new UploadError(
        'AccessDenied',
        'permanent',
        `access denied by S3 for ${ctx.op} on ${ctx.where} (HTTP 403 without details: check the IAM policy and bucket policy, and the credentials)`,
        { cause: err },
      );
    }
    if (failure === 'throttled' || RETRYABLE_CODES.has(sdkCode) || status >= 500 || status === 429) {
      return new UploadError(sdkCode, 'retryable', `S3 ${ctx.op} failed with ${sdkCode} (HTTP ${status}) on ${ctx.where}`, { cause: err });
    }
    if (status === 301 || status === 307)
      return new UploadError('WrongRegion', 'permanent', `bucket ${bucket} is in a different region than the one configured (HTTP ${status})`, { cause: err });
    return new UploadError(sdkCode, 'permanent', `S3 ${ctx.op} failed with ${sdkCode} (HTTP ${status}) on ${ctx.where}: ${detail}`, { cause: err });
  }
  if (
    awsFailureOfName(sysCode) === 'network' ||
    awsFailureOfName(e.name) === 'network' ||
    e.name === 'RequestTimeout' ||
    /socket hang up|aborted|premature close|ECONNRESET|ECONNREFUSED|timed? ?out/i.test(detail)
  ) {
    return new UploadError('NetworkError', 'network', `cannot reach the storage endpoint during ${ctx.op} (${sysCode ?? e.name ?? 'error'}: ${detail})`, {
      cause: err,
    });
  }
  if (status !== undefined && status >= 500)
    return new UploadError(`HTTP${status}`, 'retryable', `S3 ${ctx.op} failed with HTTP ${status} on ${ctx.where}`, { cause: err });
  // Unparseable or truncated responses and unknown transport failures: every operation the engine
  // sends is idempotent or verified afterwards, so retrying is safe.
  return new UploadError('TransientError', 'retryable', `${ctx.op} failed on ${ctx.where}: ${e.name ?? 'Error'}: ${detail}`, { cause: err });
}
