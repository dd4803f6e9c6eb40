/**
 * `scopecloud serve`: the renderer and the API over HTTP + WebSocket, on 127.0.0.1 only.
 *
 * Every request must pass, in order:
 *  1. Host header is 127.0.0.1:<port> or localhost:<port>           (else 403; defeats DNS rebinding)
 *  2. Origin, when present (always for WS), is the same origin          (else 403; defeats CSRF)
 *  3. the token, from `Authorization: Bearer`, `X-ScopeCloud-Token`,
 *     the per-port HttpOnly SameSite=Strict cookie, or `?token=`        (else 401)
 * A page load with `?token=` sets the cookie and redirects to the clean URL, so the token
 * leaves the address bar (as Jupyter does).
 *
 * API: `POST /api/<method>` with a JSON body (Content-Type application/json) → 200 with
 * `{"value": ...}` or the raw bytes of a binary method; failures → `{"error": {code, message, field}}`
 * with 400 (invalid request), 404 (unknown method), 422 (the service refused) or 500.
 * Events: WebSocket at `/api/events`, one AppEvent JSON per message.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { isBinaryMethod, isMethodName } from '../../preload/api.ts';
import { toWireError } from '../../preload/errors.ts';
import { ContractError } from '../../preload/schema.ts';
import type { AppServices } from '../app/contract.ts';
import { createApiHandlers, handlerFor, UnknownMethodError } from '../app/api-handlers.ts';
import { rendererCsp, securityHeaders } from '../ui/csp.ts';
import { readRendererFile, resolveRendererPath } from '../ui/renderer-files.ts';
import { generateToken, tokensEqual } from './token.ts';

export interface HostOptions {
  services: AppServices;
  rendererDir: string;
  /** 0 picks a free port. */
  port?: number;
  token?: string;
  /** Largest accepted request body. */
  maxBodyBytes?: number;
}

export interface Host {
  readonly port: number;
  readonly token: string;
  /** The URL to open, token included. */
  readonly url: string;
  close(): Promise<void>;
}

export const BIND_ADDRESS = '127.0.0.1';

export class HostError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'HostError';
    this.code = code;
  }
}

export async function startHost(opts: HostOptions): Promise<Host> {
  const token = opts.token ?? generateToken();
  const handlers = createApiHandlers(opts.services);
  const maxBody = opts.maxBodyBytes ?? 1 << 20;
  let port = 0;
  const cookieName = () => `scopecloud_token_${port}`;

  const allowedHosts = () => new Set([`127.0.0.1:${port}`, `localhost:${port}`]);
  const allowedOrigins = () => new Set([`http://127.0.0.1:${port}`, `http://localhost:${port}`]);

  type Gate = { ok: true; viaQuery: boolean } | { ok: false; status: 401 | 403; message: string };
  function gate(req: IncomingMessage, url: URL, requireOrigin: boolean): Gate {
    if (!allowedHosts().has(req.headers.host ?? '')) return { ok: false, status: 403, message: 'Host not allowed' };
    const origin = req.headers.origin;
    if (origin !== undefined ? !allowedOrigins().has(origin) : requireOrigin) {
      return { ok: false, status: 403, message: 'Origin not allowed' };
    }
    const auth = req.headers.authorization;
    const bearer = auth?.startsWith('Bearer ') ? auth.slice(7) : undefined;
    const header = req.headers['x-scopecloud-token'];
    const fromHeader = bearer ?? (typeof header === 'string' ? header : undefined);
    const fromCookie = parseCookies(req.headers.cookie)[cookieName()];
    const fromQuery = url.searchParams.get('token') ?? undefined;
    if (tokensEqual(token, fromHeader) || tokensEqual(token, fromCookie)) return { ok: true, viaQuery: false };
    if (tokensEqual(token, fromQuery)) return { ok: true, viaQuery: true };
    return { ok: false, status: 401, message: 'Missing or wrong token: open the URL printed by `scopecloud serve`.' };
  }

  const csp = () => rendererCsp({ connect: [`ws://127.0.0.1:${port}`, `ws://localhost:${port}`] });

  async function onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    for (const [k, v] of Object.entries(securityHeaders)) res.setHeader(k, v);
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const g = gate(req, url, false);
    if (!g.ok) return sendText(res, g.status, g.message);

    if (url.pathname.startsWith('/api/')) {
      if (g.viaQuery) return sendText(res, 401, 'The API takes the token in a header or cookie, not the URL.');
      res.setHeader('Cache-Control', 'no-store');
      if (req.method !== 'POST') return sendText(res, 405, 'Use POST');
      const type = (req.headers['content-type'] ?? '').split(';')[0].trim();
      if (type !== 'application/json') return sendText(res, 415, 'Content-Type must be application/json');
      return handleApi(url.pathname.slice(5), req, res);
    }

    if (req.method !== 'GET' && req.method !== 'HEAD') return sendText(res, 405, 'Method not allowed');
    if (g.viaQuery) {
      res.setHeader('Set-Cookie', `${cookieName()}=${token}; HttpOnly; SameSite=Strict; Path=/`);
      res.setHeader('Location', url.pathname);
      res.writeHead(303).end();
      return;
    }
    const target = resolveRendererPath(opts.rendererDir, url.pathname);
    const body = target ? await readRendererFile(target.file) : null;
    if (!target || !body) return sendText(res, 404, 'Not found');
    res.setHeader('Content-Type', target.type);
    res.setHeader('Content-Security-Policy', csp());
    res.setHeader('Cache-Control', 'no-cache');
    res.writeHead(200).end(req.method === 'HEAD' ? undefined : body);
  }

  async function handleApi(name: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const handler = handlerFor(handlers, name);
      const raw = await readBody(req, maxBody);
      let parsed: unknown;
      try {
        parsed = raw.length === 0 ? undefined : JSON.parse(raw.toString('utf8'));
      } catch {
        throw new ContractError('request', 'valid JSON');
      }
      const value = await handler(parsed);
      if (isMethodName(name) && isBinaryMethod(name)) {
        const bytes = value as Uint8Array;
        res.setHeader('Content-Type', 'application/octet-stream');
        res.writeHead(200).end(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      } else {
        sendJson(res, 200, { value });
      }
    } catch (err) {
      const wire = toWireError(err);
      const status =
        err instanceof UnknownMethodError ? 404 : err instanceof ContractError ? 400 : err instanceof HostError ? 413 : wire.code === 'internal' ? 500 : 422;
      sendJson(res, status, { error: wire });
    }
  }

  const wss = new WebSocketServer({ noServer: true, maxPayload: 4096 });
  const sockets = new Set<WebSocket>();
  const unsubscribe = opts.services.subscribe((event) => {
    const text = JSON.stringify(event);
    for (const ws of sockets) if (ws.readyState === ws.OPEN) ws.send(text);
  });

  function onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const g = gate(req, url, true);
    if (!g.ok || url.pathname !== '/api/events') {
      const status = g.ok ? 404 : g.status;
      socket.end(
        `HTTP/1.1 ${status} ${status === 404 ? 'Not Found' : status === 401 ? 'Unauthorized' : 'Forbidden'}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`,
      );
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      sockets.add(ws);
      ws.on('close', () => sockets.delete(ws));
      ws.on('message', () => ws.close(1008, 'This socket only sends'));
    });
  }

  const server = createServer((req, res) => {
    onRequest(req, res).catch((err: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { error: toWireError(err) });
      else res.destroy();
    });
  });
  server.on('upgrade', onUpgrade);
  server.requestTimeout = 60_000;
  server.headersTimeout = 10_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        new HostError(
          err.code === 'EADDRINUSE' ? 'port-in-use' : 'listen-failed',
          err.code === 'EADDRINUSE' ? `Port ${opts.port} is already in use; pick another with --port.` : `Cannot listen: ${err.message}`,
        ),
      ),
    );
    server.listen(opts.port ?? 0, BIND_ADDRESS, () => resolve());
  });
  const address = server.address();
  port = typeof address === 'object' && address ? address.port : 0;

  return {
    port,
    token,
    url: `http://127.0.0.1:${port}/?token=${token}`,
    async close() {
      unsubscribe();
      for (const ws of sockets) ws.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function sendText(res: ServerResponse, status: number, text: string): void {
  res.setHeader('Content-Type', 'text/plain; charset=utf-8');
  res.writeHead(status).end(text + '\n');
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.writeHead(status).end(JSON.stringify(body));
}

function parseCookies(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0) out[part.slice(0, eq).trim()] = part.slice(eq + 1).trim();
  }
  return out;
}

function readBody(req: IncomingMessage, max: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > max) {
        reject(new HostError('too-large', `Request body exceeds ${max} bytes`));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}
