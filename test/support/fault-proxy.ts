/**
 * A fault-injecting HTTP reverse proxy for integration tests.
 *
 * `startFaultProxy({ target })` listens on 127.0.0.1 (random port) and forwards every request
 * unchanged, Host header included (so SigV4 signatures stay valid), to `target`. Rules inject
 * faults into requests whose operation matches: an S3-style XML error status (503 SlowDown,
 * 500 InternalError, ...), a dropped connection before the request reaches the target or after
 * the target has executed it, a delay, or a truncated response body.
 *
 * The operation name comes from `operationOf(request)`, a plain function: `s3Operation` (default)
 * derives it from method, path and query; `awsQueryOperation` reads `Action=` from a form body or
 * the `X-Amz-Target` header (moto's EC2/IAM/STS/... APIs; set `bufferBody: true` for those).
 * Rules select by operation, skip the first `after` matches, fire at most `times` times and with
 * `probability` drawn from a seeded PRNG, so a failing run can be replayed.
 */
import { createServer, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { seededRandom } from './seeded-random.ts';

export interface ProxiedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  /** The request body, only when the proxy was started with `bufferBody: true`. */
  body?: Buffer;
}

export type OperationOf = (req: ProxiedRequest) => string;

export type Fault =
  /** Answer with this status and an S3 XML error body (EC2's XML, or the JSON protocol's body for Budgets, CE, ...); the request never reaches the target. */
  | { kind: 'status'; status: number; code: string; message?: string; format?: 'ec2' | 'json' }
  /** Destroy the client connection without forwarding (the target never sees the request). */
  | { kind: 'drop-request' }
  /** Forward and let the target execute the request, then destroy the connection before any response byte. */
  | { kind: 'drop-response' }
  /** Forward, send status, headers and `fraction` of the body, then destroy the connection. */
  | { kind: 'truncate'; fraction?: number }
  /** Wait `ms`, then forward normally. */
  | { kind: 'delay'; ms: number };

export interface FaultRule {
  /** Operation name(s), or a predicate over the operation and the request. */
  match: string | readonly string[] | ((operation: string, req: ProxiedRequest) => boolean);
  fault: Fault;
  /** Inject at most this many times (default unlimited). */
  times?: number;
  /** Let this many matching requests through before injecting. */
  after?: number;
  /** Inject with this probability per matching request (default 1). */
  probability?: number;
}

export interface FaultProxy {
  endpoint: string;
  port: number;
  setRules(rules: readonly FaultRule[]): void;
  addRule(rule: FaultRule): void;
  clearRules(): void;
  /** Requests seen and faults injected, per operation. */
  stats(): { requests: Record<string, number>; injected: Record<string, number> };
  stop(): Promise<void>;
}

export const faults = {
  slowDown: (): Fault => ({ kind: 'status', status: 503, code: 'SlowDown', message: 'Please reduce your request rate.' }),
  /** An EC2-style 400 error (e.g. ExpiredToken, RequestLimitExceeded). */
  ec2Error: (code: string, message = code): Fault => ({ kind: 'status', status: 400, code, message, format: 'ec2' }),
  internalError: (): Fault => ({ kind: 'status', status: 500, code: 'InternalError', message: 'We encountered an internal error. Please try again.' }),
  dropRequest: (): Fault => ({ kind: 'drop-request' }),
  dropResponse: (): Fault => ({ kind: 'drop-response' }),
  truncate: (fraction = 0.5): Fault => ({ kind: 'truncate', fraction }),
  delay: (ms: number): Fault => ({ kind: 'delay', ms }),
};

/** S3 REST operation from method, path and query (path-style addressing). */
export const s3Operation: OperationOf = ({ method, path, query, headers }) => {
  const segments = path.split('/').filter(Boolean);
  const hasKey = segments.length > 1;
  const q = (name: string) => query.has(name);
  if (segments.length === 0) return method === 'GET' ? 'ListBuckets' : `${method}Service`;
  if (!hasKey) {
    switch (method) {
      case 'GET':
        if (q('uploads')) return 'ListMultipartUploads';
        if (q('versions')) return 'ListObjectVersions';
        if (q('policy')) return 'GetBucketPolicy';
        if (q('versioning')) return 'GetBucketVersioning';
        if (q('location')) return 'GetBucketLocation';
        return q('list-type') ? 'ListObjectsV2' : 'ListObjects';
      case 'HEAD':
        return 'HeadBucket';
      case 'PUT':
        return q('policy') ? 'PutBucketPolicy' : q('versioning') ? 'PutBucketVersioning' : 'CreateBucket';
      case 'DELETE':
        return q('policy') ? 'DeleteBucketPolicy' : 'DeleteBucket';
      case 'POST':
        return q('delete') ? 'DeleteObjects' : 'PostBucket';
    }
  }
  switch (method) {
    case 'POST':
      if (q('uploads')) return 'CreateMultipartUpload';
      if (q('uploadId')) return 'CompleteMultipartUpload';
      return 'PostObject';
    case 'PUT':
      if (q('partNumber') && q('uploadId')) return headers['x-amz-copy-source'] ? 'UploadPartCopy' : 'UploadPart';
      if (q('tagging')) return 'PutObjectTagging';
      return headers['x-amz-copy-source'] ? 'CopyObject' : 'PutObject';
    case 'GET':
      if (q('uploadId')) return 'ListParts';
      if (q('attributes')) return 'GetObjectAttributes';
      if (q('tagging')) return 'GetObjectTagging';
      return 'GetObject';
    case 'HEAD':
      return 'HeadObject';
    case 'DELETE':
      return q('uploadId') ? 'AbortMultipartUpload' : 'DeleteObject';
  }
  return `${method}Object`;
};

/** AWS query/JSON protocol operation: `Action=` in the query or form body, else `X-Amz-Target`'s last segment. */
export const awsQueryOperation: OperationOf = ({ query, headers, body }) => {
  const fromQuery = query.get('Action');
  if (fromQuery) return fromQuery;
  if (body && body.length > 0) {
    const action = new URLSearchParams(body.toString('utf8')).get('Action');
    if (action) return action;
  }
  const target = headers['x-amz-target'];
  if (typeof target === 'string') return target.split('.').pop() ?? target;
  return 'Unknown';
};

interface RuleState {
  rule: FaultRule;
  seen: number;
  fired: number;
}

/** EC2's query-protocol error document (the SDK reads Response/Errors/Error/Code). */
function ec2XmlError(code: string, message: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>${code}</Code><Message>${message}</Message></Error></Errors><RequestID>faultproxy</RequestID></Response>`;
}

function xmlError(code: string, message: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message><RequestId>faultproxy</RequestId></Error>`;
}

export async function startFaultProxy(options: {
  target: string;
  rules?: readonly FaultRule[];
  operationOf?: OperationOf;
  seed?: number;
  bufferBody?: boolean;
}): Promise<FaultProxy> {
  const target = new URL(options.target);
  const operationOf = options.operationOf ?? s3Operation;
  const random = seededRandom(options.seed ?? 1);
  let rules: RuleState[] = (options.rules ?? []).map((rule) => ({ rule, seen: 0, fired: 0 }));
  const requests: Record<string, number> = {};
  const injected: Record<string, number> = {};
  const sockets = new Set<Socket>();

  const pick = (operation: string, req: ProxiedRequest): Fault | undefined => {
    for (const state of rules) {
      const { match } = state.rule;
      const hit = typeof match === 'function' ? match(operation, req) : typeof match === 'string' ? match === operation : match.includes(operation);
      if (!hit) continue;
      state.seen++;
      if (state.seen <= (state.rule.after ?? 0)) continue;
      if (state.rule.times !== undefined && state.fired >= state.rule.times) continue;
      if (state.rule.probability !== undefined && random() >= state.rule.probability) continue;
      state.fired++;
      injected[operation] = (injected[operation] ?? 0) + 1;
      return state.rule.fault;
    }
    return undefined;
  };

  const forward = (req: IncomingMessage, res: ServerResponse, body: Buffer | undefined, onResponse: (upstream: IncomingMessage) => void): void => {
    const upstream = httpRequest(
      {
        host: target.hostname,
        port: target.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
      },
      onResponse,
    );
    upstream.on('error', () => res.socket?.destroy());
    if (body) upstream.end(body);
    else req.pipe(upstream);
  };

  const handle = (req: IncomingMessage, res: ServerResponse, body: Buffer | undefined): void => {
    const url = new URL(req.url ?? '/', 'http://proxy');
    const info: ProxiedRequest = { method: req.method ?? 'GET', path: decodeURIComponent(url.pathname), query: url.searchParams, headers: req.headers, body };
    const operation = operationOf(info);
    requests[operation] = (requests[operation] ?? 0) + 1;
    const fault = pick(operation, info);
    const passThrough = (upstream: IncomingMessage) => {
      res.writeHead(upstream.statusCode ?? 502, upstream.headers);
      upstream.pipe(res);
    };
    if (!fault) return forward(req, res, body, passThrough);
    switch (fault.kind) {
      case 'status': {
        const send = () => {
          if (fault.format === 'json') {
            const json = JSON.stringify({ __type: fault.code, message: fault.message ?? fault.code });
            res.writeHead(fault.status, {
              'content-type': 'application/x-amz-json-1.1',
              'x-amzn-errortype': fault.code,
              'content-length': Buffer.byteLength(json),
            });
            res.end(json);
            return;
          }
          const xml = (fault.format === 'ec2' ? ec2XmlError : xmlError)(fault.code, fault.message ?? fault.code);
          res.writeHead(fault.status, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(xml) });
          res.end(xml);
        };
        if (body) send();
        else {
          req.resume();
          req.once('end', send);
        }
        return;
      }
      case 'drop-request':
        req.socket.destroy();
        return;
      case 'drop-response':
        forward(req, res, body, (upstream) => {
          upstream.resume();
          upstream.once('end', () => res.socket?.destroy());
        });
        return;
      case 'truncate':
        forward(req, res, body, (upstream) => {
          const length = Number(upstream.headers['content-length'] ?? 0);
          const keep = Math.floor(length * (fault.fraction ?? 0.5));
          res.writeHead(upstream.statusCode ?? 502, upstream.headers);
          let sent = 0;
          upstream.on('data', (chunk: Buffer) => {
            if (sent >= keep) return;
            const slice = chunk.subarray(0, keep - sent);
            sent += slice.length;
            res.write(slice);
          });
          upstream.once('end', () => {
            // flush what was written, then cut the connection short of content-length
            res.socket?.end(() => res.socket?.destroy());
            if (!res.socket) res.destroy();
          });
        });
        return;
      case 'delay':
        setTimeout(() => {
          if (!req.socket.destroyed) forward(req, res, body, passThrough);
        }, fault.ms);
        return;
    }
  };

  const server: Server = createServer((req, res) => {
    if (!options.bufferBody) return handle(req, res, undefined);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.once('end', () => handle(req, res, Buffer.concat(chunks)));
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  server.on('clientError', (_err, socket) => socket.destroy());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    setRules(next) {
      rules = next.map((rule) => ({ rule, seen: 0, fired: 0 }));
    },
    addRule(rule) {
      rules.push({ rule, seen: 0, fired: 0 });
    },
    clearRules() {
      rules = [];
    },
    stats: () => ({ requests: { ...requests }, injected: { ...injected } }),
    async stop() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
