import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { startHost, BIND_ADDRESS, type Host } from '../../../main/host/server.ts';
import { createInMemoryServices, type InMemoryServices } from '../../support/in-memory-services.ts';
import { decodeRoiArrays } from '../../../preload/roi-binary.ts';
import { AppEvent } from '../../../preload/api.ts';

let host: Host;
let services: InMemoryServices;
let dir: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'scopecloud-host-'));
  mkdirSync(join(dir, 'assets'));
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>t</title>');
  writeFileSync(join(dir, 'assets', 'app.js'), 'console.log(1)');
  services = createInMemoryServices({ roiCount: 500 });
  host = await startHost({ services, rendererDir: dir });
});
after(async () => {
  await host.close();
  services.dispose();
  rmSync(dir, { recursive: true, force: true });
});

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}
function send(path: string, opts: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port: host.port, path, method: opts.method ?? 'GET', headers: { host: `127.0.0.1:${host.port}`, ...opts.headers } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}
const auth = () => ({ authorization: `Bearer ${host.token}` });
const api = (method: string, body?: unknown, headers: Record<string, string> = auth()) =>
  send(`/api/${method}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: body === undefined ? '' : JSON.stringify(body) });

test('binds to 127.0.0.1 only and the URL carries a 256-bit token', () => {
  assert.equal(BIND_ADDRESS, '127.0.0.1');
  assert.match(host.url, new RegExp(`^http://127\\.0\\.0\\.1:${host.port}/\\?token=[A-Za-z0-9_-]{43}$`));
});

test('no token → 401 for pages, assets and the API', async () => {
  assert.equal((await send('/')).status, 401);
  assert.equal((await send('/assets/app.js')).status, 401);
  assert.equal((await api('getStatus', undefined, {})).status, 401);
});

test('a wrong token (same length, or a prefix) → 401', async () => {
  const wrong = host.token.slice(0, -1) + (host.token.endsWith('A') ? 'B' : 'A');
  assert.equal((await api('getStatus', undefined, { authorization: `Bearer ${wrong}` })).status, 401);
  assert.equal((await api('getStatus', undefined, { authorization: `Bearer ${host.token.slice(0, 10)}` })).status, 401);
  assert.equal((await send(`/?token=${wrong}`)).status, 401);
});

test('a foreign Host header → 403 even with the token (DNS rebinding)', async () => {
  const r = await api('getStatus', undefined, { ...auth(), host: `evil.example:${host.port}` });
  assert.equal(r.status, 403);
  assert.equal((await send('/', { headers: { host: '127.0.0.1:1', ...auth() } })).status, 403);
});

test('a foreign Origin → 403 even with the token (CSRF)', async () => {
  assert.equal((await api('getStatus', undefined, { ...auth(), origin: 'http://evil.example' })).status, 403);
  assert.equal((await api('getStatus', undefined, { ...auth(), origin: `http://127.0.0.1:${host.port}` })).status, 200);
});

test('?token= on a page sets an HttpOnly SameSite=Strict cookie and redirects to the clean URL', async () => {
  const r = await send(`/?token=${host.token}`);
  assert.equal(r.status, 303);
  assert.equal(r.headers.location, '/');
  const cookie = String(r.headers['set-cookie']);
  assert.match(cookie, /HttpOnly/);
  assert.match(cookie, /SameSite=Strict/);
  const pair = cookie.split(';')[0];
  const page = await send('/', { headers: { cookie: pair } });
  assert.equal(page.status, 200);
  assert.match(String(page.headers['content-security-policy']), /default-src 'none'; script-src 'self'/);
  assert.equal(page.headers['x-content-type-options'], 'nosniff');
  assert.equal((await api('getStatus', undefined, { cookie: pair })).status, 200);
});

test('the API refuses the token in the URL', async () => {
  const r = await send(`/api/getStatus?token=${host.token}`, { method: 'POST', headers: { 'content-type': 'application/json' } });
  assert.equal(r.status, 401);
});

test('only index.html and flat assets are served', async () => {
  assert.equal((await send('/assets/app.js', { headers: auth() })).status, 200);
  assert.equal((await send('/assets/../index.html', { headers: auth() })).status, 200); // normalised by URL to /index.html
  assert.equal((await send('/assets/%2e%2e%2fpackage.json', { headers: auth() })).status, 404);
  assert.equal((await send('/etc/passwd', { headers: auth() })).status, 404);
});

test('API: JSON only, validated requests, typed errors', async () => {
  assert.equal((await send('/api/getStatus', { method: 'POST', headers: { ...auth(), 'content-type': 'text/plain' } })).status, 415);
  assert.equal((await send('/api/getStatus', { method: 'GET', headers: auth() })).status, 405);
  const unknown = await api('deleteEverything', {});
  assert.equal(unknown.status, 404);
  assert.equal(JSON.parse(unknown.body.toString()).error.code, 'unknown-method');
  const bad = await api('instanceAction', { id: 'i-1', action: 'explode' });
  assert.equal(bad.status, 400);
  assert.match(JSON.parse(bad.body.toString()).error.message, /request\.action: expected one of start, stop, reboot, terminate/);
  const extra = await api('retryFile', { id: 'f1', sneaky: true });
  assert.equal(extra.status, 400);
  const refused = await api('instanceAction', { id: 'i-0a1b2c3d4e5f60718', action: 'terminate', confirmText: 'nope' });
  assert.equal(refused.status, 422);
  assert.equal(JSON.parse(refused.body.toString()).error.code, 'CONFIRMATION_REQUIRED');
  const ok = await api('getStatus');
  assert.equal(ok.status, 200);
  assert.equal(typeof JSON.parse(ok.body.toString()).value.instances.running, 'number');
});

test('binary methods answer raw bytes that decode to the service arrays', async () => {
  const r = await api('getRoiArrays', { id: 'a-2025-03-14-mouse12' });
  assert.equal(r.status, 200);
  assert.equal(r.headers['content-type'], 'application/octet-stream');
  const decoded = decodeRoiArrays(new Uint8Array(r.body.buffer, r.body.byteOffset, r.body.byteLength));
  const direct = await services.getRoiArrays({ id: 'a-2025-03-14-mouse12' });
  assert.equal(decoded.count, 500);
  assert.deepEqual(Array.from(decoded.centroids.slice(0, 9)), Array.from(direct.centroids.slice(0, 9)));
  assert.deepEqual(Array.from(decoded.clusters), Array.from(direct.clusters));
});

function wsOpen(headers: Record<string, string>): Promise<{ status: number | null; ws: WebSocket | null }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${host.port}/api/events`, { headers });
    ws.on('open', () => resolve({ status: 101, ws }));
    ws.on('unexpected-response', (_req, res) => {
      resolve({ status: res.statusCode ?? null, ws: null });
      ws.terminate();
    });
    ws.on('error', () => resolve({ status: null, ws: null }));
  });
}

test('WebSocket: token and same Origin required; events arrive', async () => {
  const origin = `http://127.0.0.1:${host.port}`;
  assert.equal((await wsOpen({ origin })).status, 401);
  assert.equal((await wsOpen({ ...auth() })).status, 403, 'missing Origin is refused');
  assert.equal((await wsOpen({ ...auth(), origin: 'http://evil.example' })).status, 403);
  const { status, ws } = await wsOpen({ ...auth(), origin });
  assert.equal(status, 101);
  const topics: string[] = [];
  const got = new Promise<void>((resolve) =>
    ws!.on('message', (m) => {
      const e = AppEvent.check(JSON.parse(String(m)));
      if (e.type === 'changed') topics.push(e.topic);
      if (topics.includes('acquisition')) resolve();
    }),
  );
  services.tick(1000);
  await got;
  assert.ok(topics.includes('acquisition'));
  ws!.close();
});
