/**
 * An S3 proxy for tests that adds what versitygw lacks for archived objects: storage classes that
 * need a restore, RestoreObject, and HeadObject's `x-amz-restore` header. Everything else is
 * forwarded unchanged (Host header included, so SigV4 signatures stay valid) to `target`.
 *
 * - `archive(bucket, key, cls)` marks an object as stored in GLACIER or DEEP_ARCHIVE: its HEAD then
 *   reports `x-amz-storage-class: <cls>`, and a GET answers 403 InvalidObjectState, as S3 does,
 *   until a restore of it has completed. GLACIER_IR is only reported: it reads at once, and
 *   a restore of it is refused (403 InvalidObjectState), as S3 does.
 * - POST `?restore` on a marked object answers 202 and starts a restore that completes
 *   `restoreMs` later (or at `completeRestores()`); asked again while underway: 409
 *   RestoreAlreadyInProgress. On an object that is not marked: 403 InvalidObjectState. The proxy
 *   answers RestoreObject itself and does not check its signature.
 * - HEAD of an object being restored carries `x-amz-restore: ongoing-request="true"`; once done,
 *   `ongoing-request="false", expiry-date="<now + Days>"`, and GET is forwarded.
 * - `restoreRequests` records each RestoreObject body (tier and days) in order.
 * - `deny(bucket, key)` makes RestoreObject of that object answer 403 AccessDenied (a caller
 *   without s3:RestoreObject); nothing is recorded or started.
 */
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface GlacierProxy {
  endpoint: string;
  archive(bucket: string, key: string, storageClass: 'GLACIER' | 'DEEP_ARCHIVE' | 'GLACIER_IR'): void;
  completeRestores(): void;
  deny(bucket: string, key: string): void;
  restoreRequests: Array<{ bucket: string; key: string; tier: string | null; days: number | null }>;
  stop(): Promise<void>;
}

function xmlError(res: ServerResponse, status: number, code: string, message: string): void {
  res.writeHead(status, { 'content-type': 'application/xml' });
  res.end(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${message}</Message></Error>`);
}

export async function startGlacierProxy(o: { target: string; restoreMs?: number; now?: () => number }): Promise<GlacierProxy> {
  const target = new URL(o.target);
  const now = o.now ?? Date.now;
  const archived = new Map<string, string>();
  const restores = new Map<string, { readyAt: number; days: number }>();
  const restoreRequests: GlacierProxy['restoreRequests'] = [];
  const denied = new Set<string>();
  const restoreMs = o.restoreMs ?? 500;

  const forward = (req: IncomingMessage, res: ServerResponse, body: Buffer, extraHeaders: Record<string, string> = {}) => {
    const up = httpRequest({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers }, (r) => {
      res.writeHead(r.statusCode ?? 502, { ...r.headers, ...((r.statusCode ?? 500) < 300 ? extraHeaders : {}) });
      r.pipe(res);
    });
    up.on('error', (e) => xmlError(res, 502, 'BadGateway', e.message));
    up.end(body);
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const url = new URL(req.url ?? '/', 'http://proxy');
      const path = decodeURIComponent(url.pathname);
      const [, bucket = '', ...rest] = path.split('/');
      const key = rest.join('/');
      const id = `${bucket}/${key}`;
      const cls = archived.get(id);
      const r = restores.get(id);
      const done = r !== undefined && now() >= r.readyAt;
      if (req.method === 'POST' && url.searchParams.has('restore')) {
        if (denied.has(id)) return xmlError(res, 403, 'AccessDenied', 'Access Denied');
        if (!cls || cls === 'GLACIER_IR') return xmlError(res, 403, 'InvalidObjectState', "Restore is not allowed for the object's current storage class");
        if (r && !done) return xmlError(res, 409, 'RestoreAlreadyInProgress', 'Object restore is already in progress');
        const text = body.toString();
        const days = /<Days>(\d+)<\/Days>/.exec(text);
        const tier = /<Tier>(\w+)<\/Tier>/.exec(text);
        restoreRequests.push({ bucket, key, tier: tier ? tier[1] : null, days: days ? Number(days[1]) : null });
        restores.set(id, { readyAt: now() + restoreMs, days: days ? Number(days[1]) : 1 });
        res.writeHead(202);
        return res.end();
      }
      if (cls && req.method === 'HEAD') {
        const extra: Record<string, string> = { 'x-amz-storage-class': cls };
        if (r)
          extra['x-amz-restore'] = done
            ? `ongoing-request="false", expiry-date="${new Date(r.readyAt + r.days * 86_400_000).toUTCString()}"`
            : 'ongoing-request="true"';
        return forward(req, res, body, extra);
      }
      const objectRead = [...url.searchParams.keys()].every((k) => k === 'x-id' || k === 'partNumber' || k.startsWith('response-'));
      if (cls && cls !== 'GLACIER_IR' && req.method === 'GET' && objectRead && !done)
        return xmlError(res, 403, 'InvalidObjectState', "The operation is not valid for the object's storage class");
      forward(req, res, body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    archive: (bucket, key, storageClass) => archived.set(`${bucket}/${key}`, storageClass),
    completeRestores() {
      for (const r of restores.values()) r.readyAt = Math.min(r.readyAt, now());
    },
    restoreRequests,
    deny: (bucket, key) => denied.add(`${bucket}/${key}`),
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
