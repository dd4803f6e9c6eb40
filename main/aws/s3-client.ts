/**
 * The S3 client the app uploads with, and the HTTP handler all its AWS clients share.
 *
 * Contract:
 * - `sharedRequestHandler(maxSockets)` keeps connections alive through agents passed in explicitly.
 *   The SDK gives a request carrying `Expect: 100-continue` (it adds one to every body of 2 MB or
 *   more: each part, each file over 2 MB) a fresh connection that is closed after it, unless the
 *   agent is the caller's own; on a 40 ms, lossy lab link a connection per part costs a handshake
 *   and a slow start each time (bench:upload, #19), on AWS a TLS handshake as well.
 * - `createS3Client` sets what the upload engine relies on: no SDK retries (the engine owns them,
 *   with backoff and a circuit breaker), checksums only where the engine sends its own CRC32C, and
 *   path-style addressing for any custom endpoint (S3-compatible stores need it).
 * This module imports only the S3 client, so a process that only uploads (the bench) loads no more.
 */
import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';

export function sharedRequestHandler(maxSockets = 64): NodeHttpHandler {
  return new NodeHttpHandler({
    httpAgent: new HttpAgent({ keepAlive: true, maxSockets }),
    httpsAgent: new HttpsAgent({ keepAlive: true, maxSockets }),
    connectionTimeout: 10_000,
    requestTimeout: 120_000,
  });
}

export interface S3ClientOptions {
  region: string;
  credentials: NonNullable<S3ClientConfig['credentials']>;
  requestHandler: NodeHttpHandler;
  /** A custom endpoint (also switches to path-style addressing); undefined = AWS. */
  endpoint?: string;
}

export function createS3Client(o: S3ClientOptions): S3Client {
  return new S3Client({
    region: o.region,
    credentials: o.credentials,
    requestHandler: o.requestHandler,
    ...(o.endpoint ? { endpoint: o.endpoint } : {}),
    forcePathStyle: Boolean(o.endpoint),
    // The upload engine owns retries (backoff, circuit breaker); the SDK must not double them.
    maxAttempts: 1,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}
