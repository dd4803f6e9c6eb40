import { test, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ipcChannel, ipcEventChannel, methodNames } from '../../../preload/api.ts';
import { startShell, type Shell } from '../../../main/electron/shell.ts';
import { RENDERER_ORIGIN, RENDERER_URL } from '../../../main/electron/protocol.ts';
import { createBridge } from '../../../preload/bridge-impl.ts';
import type { TrayModel } from '../../../main/tray/tray-model.ts';
import { createInMemoryServices, type InMemoryServices } from '../../support/in-memory-services.ts';
import { createFakeElectron, FakeWindow } from './fake-electron.ts';

let fake: ReturnType<typeof createFakeElectron>;
let services: InMemoryServices;
let shell: Shell;
let dir: string;
const errors: unknown[] = [];

const model: TrayModel = {
  icon: 'running',
  runningCount: 1,
  tooltip: 'ScopeCloud: 1 running',
  menu: [
    { type: 'item', id: 'stop:i-0a1b2c3d4e5f60718', label: 'Stop suite-analysis-gpu', enabled: true, action: { kind: 'stop-instance', instanceId: 'i-0a1b2c3d4e5f60718' } },
    { type: 'separator' },
    { type: 'item', id: 'open-cost', label: 'Cost and budget...', enabled: true, action: { kind: 'open-window', view: 'cost' } },
  ],
};

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'scopecloud-electron-'));
  mkdirSync(join(dir, 'assets'));
  writeFileSync(join(dir, 'index.html'), '<!doctype html>');
  fake = createFakeElectron();
  services = createInMemoryServices({ roiCount: 100 });
  errors.length = 0;
  shell = await startShell(fake.facade, {
    services, rendererDir: dir, preloadPath: '/app/preload.cjs',
    trayIcons: { path: (i) => `/icons/${i}.png` },
    trayModel: async () => model,
    setInterval: () => 0, clearInterval: () => {},
    onError: (e) => errors.push(e),
  });
});
afterEach(() => {
  shell.dispose();
  services.dispose();
  rmSync(dir, { recursive: true, force: true });
});

const win = () => FakeWindow.all[0];
const trusted = () => ({ id: win().webContents.id, url: RENDERER_URL });

test('one window, sandboxed, isolated, without Node, loading the bundled renderer', () => {
  assert.equal(FakeWindow.all.length, 1);
  const p = win().opts.webPreferences;
  assert.equal(p.sandbox, true);
  assert.equal(p.contextIsolation, true);
  assert.equal(p.nodeIntegration, false);
  assert.equal(p.nodeIntegrationInSubFrames, false);
  assert.equal(p.webviewTag, false);
  assert.equal(p.preload, '/app/preload.cjs');
  assert.deepEqual(win().loaded, [RENDERER_URL]);
});

test('navigation away and new windows are blocked; permissions are denied', async () => {
  assert.equal(win().webContents.navigate('https://evil.example/'), true);
  assert.equal(win().webContents.navigate(`${RENDERER_ORIGIN}/index.html#/budget`), false);
  assert.deepEqual(win().webContents.openHandler!({ url: 'https://x.example' }), { action: 'deny' });
  assert.equal(await fake.permission('media'), false);
  assert.equal(await fake.permission('notifications'), false);
});

test('closing the window hides it (the app stays in the tray)', () => {
  win().show();
  assert.equal(win().close(), true);
  assert.equal(win().visible, false);
});

test('an IPC handler exists for every contract method and answers the trusted window', async () => {
  for (const m of methodNames) assert.ok(fake.handlers.has(ipcChannel(m)), m);
  const r = await fake.invoke(ipcChannel('getStatus'), trusted(), undefined) as { value: { mode: string } };
  assert.equal(r.value.mode, 'local');
});

test('IPC refuses other senders: another webContents, or a frame from another origin', async () => {
  const fromOther = await fake.invoke(ipcChannel('getStatus'), { id: 9999, url: RENDERER_URL }) as { error: { code: string } };
  assert.equal(fromOther.error.code, 'untrusted-sender');
  const fromWeb = await fake.invoke(ipcChannel('pauseUploads'), { id: win().webContents.id, url: 'https://evil.example/' }) as { error: { code: string } };
  assert.equal(fromWeb.error.code, 'untrusted-sender');
  assert.equal(services.calls.some((c) => c.method === 'pauseUploads'), false, 'the service was never reached');
});

test('IPC validates every argument before the service sees it', async () => {
  const r = await fake.invoke(ipcChannel('instanceAction'), trusted(), { id: 'i-0a1b2c3d4e5f60718', action: 'stop', extra: 'x' }) as { error: { code: string; message: string } };
  assert.equal(r.error.code, 'invalid-message');
  assert.match(r.error.message, /request\.extra/);
  assert.equal(services.calls.some((c) => c.method === 'instanceAction'), false);
  const ok = await fake.invoke(ipcChannel('instanceAction'), trusted(), { id: 'i-0a1b2c3d4e5f60718', action: 'stop' }) as { value: { state: string } };
  assert.equal(ok.value.state, 'stopping');
});

test('service events reach the window on the event channel; notifications become system notifications', async () => {
  services.tick(500);
  const events = win().webContents.sent.filter((s) => s.channel === ipcEventChannel);
  assert.ok(events.some((e) => (e.payload as { topic?: string }).topic === 'acquisition'));
  for (let i = 0; i < 400 && fake.notifications.length === 0; i++) services.tick(1000);
  assert.ok(fake.notifications.some((n) => n.title === 'Analysis finished'), 'finishing an analysis notifies');
});

test('the tray draws the model and its stop action stops the instance', async () => {
  const tray = fake.trays[0];
  assert.equal(tray.tooltip, 'ScopeCloud: 1 running');
  assert.equal(tray.title, '1');
  assert.ok(tray.images.includes('image:/icons/running.png'));
  assert.equal(tray.menu[1].type, 'separator');
  tray.menu[0].click!();
  await new Promise((r) => setTimeout(r, 10));
  assert.ok(services.calls.some((c) => c.method === 'instanceAction' && (c.req as { action: string }).action === 'stop'));
  tray.menu[2].click!();
  assert.equal(win().loaded.at(-1), `${RENDERER_URL}#/budget`);
});

test('quitting with instances running asks; "Stop them and quit" stops each, then quits', async () => {
  fake.setDialogResponse(0);
  assert.equal(fake.beforeQuit(), true, 'the first quit is held');
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(fake.dialogs.length, 1);
  assert.match(fake.dialogs[0].message, /2 instances are still running/);
  assert.match(fake.dialogs[0].detail, /keep running and billing/);
  const stops = services.calls.filter((c) => c.method === 'instanceAction' && (c.req as { action: string }).action === 'stop');
  assert.equal(stops.length, 2);
  assert.equal(fake.quitCalls, 1);
  assert.equal(fake.beforeQuit(), false, 'the confirmed quit goes through');
});

test('"Cancel" keeps the app and the instances', async () => {
  fake.setDialogResponse(2);
  fake.beforeQuit();
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(fake.quitCalls, 0);
  assert.equal(services.calls.filter((c) => c.method === 'instanceAction').length, 0);
});

test('the app:// protocol serves the renderer with the CSP and nothing else', async () => {
  const h = fake.protocolHandlers.get('app')!;
  const ok = await h({ url: RENDERER_URL, method: 'GET' });
  assert.equal(ok.status, 200);
  assert.match(ok.headers.get('content-security-policy') ?? '', /script-src 'self'/);
  assert.equal((await h({ url: 'app://other/index.html', method: 'GET' })).status, 404);
  assert.equal((await h({ url: `${RENDERER_ORIGIN}/../../etc/passwd`, method: 'GET' })).status, 404);
});

test('the preload bridge forwards known methods only', async () => {
  const invoked: string[] = [];
  const bridge = createBridge({
    invoke: async (ch) => { invoked.push(ch); return { value: 1 }; },
    on: () => {}, removeListener: () => {},
  });
  assert.deepEqual(await bridge.invoke('getStatus', undefined), { value: 1 });
  const bad = await bridge.invoke('rm -rf' as never, undefined) as { error: { code: string } };
  assert.equal(bad.error.code, 'unknown-method');
  assert.deepEqual(invoked, ['scopecloud:getStatus']);
});
